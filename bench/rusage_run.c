/* rusage_run: runs one program and prints its CPU time and peak RSS, from
 * the rusage wait4(2) returns (no /usr/bin/time needed).
 *
 * Usage: rusage_run [--probe PATH_TO_rusage_probe.so] -- PROGRAM [ARGS...]
 *
 * The program's stdout and stderr go to /dev/null. Printed, one line:
 *   exit=E wall_ms=W total_user_ms=U total_sys_ms=S total_maxrss_kib=K
 * and, with --probe, the program's own share and its children's (see
 * rusage_probe.c):
 *   self_user_ms=.. self_sys_ms=.. self_maxrss_kib=.. children_user_ms=..
 *   children_sys_ms=.. children_maxrss_kib=..
 * "total" is wait4's: the program plus every child it reaped; its maxrss is
 * the largest of them, so the program's own peak is self_maxrss_kib.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double ms(struct timeval value) { return (double)value.tv_sec * 1e3 + (double)value.tv_usec / 1e3; }

static double now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

static long field(const char *text, const char *key) {
  const char *at = strstr(text, key);
  return at != NULL ? atol(at + strlen(key)) : -1;
}

int main(int argc, char **argv) {
  const char *probe = NULL;
  int first = 1;
  if (first + 1 < argc && strcmp(argv[first], "--probe") == 0) {
    probe = argv[first + 1];
    first += 2;
  }
  if (first >= argc || strcmp(argv[first], "--") != 0 || first + 1 >= argc) {
    fprintf(stderr, "usage: rusage_run [--probe rusage_probe.so] -- PROGRAM [ARGS...]\n");
    return 2;
  }
  char **program = argv + first + 1;

  char report_path[] = "/tmp/fivenines-bench-rusage-XXXXXX";
  if (probe != NULL) {
    const int fd = mkstemp(report_path);
    if (fd < 0) {
      perror("rusage_run: mkstemp");
      return 2;
    }
    close(fd);
  }

  const double start = now_ms();
  const pid_t pid = fork();
  if (pid < 0) {
    perror("rusage_run: fork");
    return 2;
  }
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, STDOUT_FILENO);
      dup2(null_fd, STDERR_FILENO);
      if (null_fd > STDERR_FILENO) close(null_fd);
    }
    if (probe != NULL) {
      char pid_text[32];
      snprintf(pid_text, sizeof pid_text, "%ld", (long)getpid());
      setenv("LD_PRELOAD", probe, 1);
      setenv("FIVENINES_BENCH_RUSAGE_FILE", report_path, 1);
      setenv("FIVENINES_BENCH_RUSAGE_PID", pid_text, 1);
    }
    execvp(program[0], program);
    _exit(127);
  }

  int status = 0;
  struct rusage usage;
  memset(&usage, 0, sizeof usage);
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      perror("rusage_run: wait4");
      return 2;
    }
  }
  const double wall = now_ms() - start;
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("exit=%d wall_ms=%.2f total_user_ms=%.3f total_sys_ms=%.3f total_maxrss_kib=%ld", exit_code, wall,
         ms(usage.ru_utime), ms(usage.ru_stime), usage.ru_maxrss);

  if (probe != NULL) {
    char report[512] = "";
    FILE *file = fopen(report_path, "r");
    if (file != NULL) {
      const size_t n = fread(report, 1, sizeof report - 1, file);
      report[n] = '\0';
      fclose(file);
    }
    unlink(report_path);
    if (field(report, "self_user_us=") >= 0) {
      printf(" self_user_ms=%.3f self_sys_ms=%.3f self_maxrss_kib=%ld children_user_ms=%.3f children_sys_ms=%.3f "
             "children_maxrss_kib=%ld",
             field(report, "self_user_us=") / 1e3, field(report, "self_sys_us=") / 1e3,
             field(report, "self_maxrss_kib="), field(report, "children_user_us=") / 1e3,
             field(report, "children_sys_us=") / 1e3, field(report, "children_maxrss_kib="));
    }
  }
  printf("\n");
  return 0;
}
