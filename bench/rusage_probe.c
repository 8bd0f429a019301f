/* rusage_probe.so: preloaded into the measured program by rusage_run, it
 * records that program's own resource use apart from its children's.
 *
 * wait4(2) gives the parent the child's usage *plus* that of every process
 * the child reaped (the capability probes' sudo, systemctl, ...), and as
 * peak RSS the larger of the two. To show the agent's own figures, this
 * library's destructor, which runs at exit() after main returns, appends
 * getrusage(RUSAGE_SELF) and getrusage(RUSAGE_CHILDREN) to the file named
 * by FIVENINES_BENCH_RUSAGE_FILE. It acts only in the process whose pid is
 * FIVENINES_BENCH_RUSAGE_PID, so programs the agent starts (which may
 * inherit LD_PRELOAD) write nothing. A program that ends by _exit() or a
 * signal writes nothing either; rusage_run then shows totals only.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static long micros(struct timeval value) { return (long)value.tv_sec * 1000000L + (long)value.tv_usec; }

__attribute__((destructor)) static void report_rusage(void) {
  const char *path = getenv("FIVENINES_BENCH_RUSAGE_FILE");
  const char *pid_text = getenv("FIVENINES_BENCH_RUSAGE_PID");
  if (path == NULL || pid_text == NULL || atol(pid_text) != (long)getpid()) return;
  struct rusage self;
  struct rusage children;
  if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_CHILDREN, &children) != 0) return;
  char line[256];
  const int length = snprintf(line, sizeof line,
                              "self_user_us=%ld self_sys_us=%ld self_maxrss_kib=%ld children_user_us=%ld "
                              "children_sys_us=%ld children_maxrss_kib=%ld\n",
                              micros(self.ru_utime), micros(self.ru_stime), self.ru_maxrss, micros(children.ru_utime),
                              micros(children.ru_stime), children.ru_maxrss);
  const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (length > 0) (void)!write(fd, line, (size_t)length);
  close(fd);
}
