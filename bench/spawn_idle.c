/* spawn_idle: holds COUNT extra idle processes for the benchmark's second
 * scenario, then removes every one of them.
 *
 * Usage: spawn_idle COUNT   (1..10000)
 *
 * It forks COUNT children that only pause(), prints "ready COUNT" on stdout
 * once all exist, and waits. On SIGTERM, SIGINT or SIGHUP, or once its own
 * parent (the caller) is gone, it SIGKILLs and reaps every child and exits
 * 0. Cleanup does not depend on this process surviving:
 *   - each child asks the kernel for SIGKILL when its parent dies
 *     (PR_SET_PDEATHSIG), so even a SIGKILLed spawner leaves nothing behind;
 *   - it runs in a process group of its own (setpgid), so a caller can also
 *     remove the lot with kill -KILL -- -PGID.
 * A fork failure part-way kills the children made so far and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CHILDREN 10000

static pid_t children[MAX_CHILDREN];
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int signal_number) {
  (void)signal_number;
  stop_requested = 1;
}

static void kill_children(int count) {
  for (int i = 0; i < count; ++i) {
    if (children[i] > 0) kill(children[i], SIGKILL);
  }
  for (int i = 0; i < count; ++i) {
    if (children[i] <= 0) continue;
    while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR) {
    }
  }
}

static void idle_child(pid_t parent) {
  /* Dies with the spawner, whatever kills it. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0); /* the spawner died before prctl */
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  for (;;) pause();
}

int main(int argc, char **argv) {
  char *end = NULL;
  const long count = argc == 2 ? strtol(argv[1], &end, 10) : 0;
  if (argc != 2 || end == argv[1] || *end != '\0' || count < 1 || count > MAX_CHILDREN) {
    fprintf(stderr, "usage: spawn_idle COUNT (1..%d)\n", MAX_CHILDREN);
    return 2;
  }
  /* Our own process group: kill -KILL -- -$pid removes everything. Fails
   * harmlessly when already a group leader. */
  (void)setpgid(0, 0);

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
  signal(SIGPIPE, SIG_IGN);

  const pid_t self = getpid();
  const pid_t caller = getppid();
  int made = 0;
  for (; made < count && !stop_requested; ++made) {
    const pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "spawn_idle: fork after %d children: %s\n", made, strerror(errno));
      kill_children(made);
      return 1;
    }
    if (pid == 0) idle_child(self);
    children[made] = pid;
  }
  if (stop_requested) {
    kill_children(made);
    return 0;
  }
  printf("ready %d\n", made);
  fflush(stdout);

  /* Wait for a stop signal (sleep returns early on one) or for the caller
   * to go away (we are then re-parented). */
  while (!stop_requested && getppid() == caller) sleep(1);
  kill_children(made);
  return 0;
}
