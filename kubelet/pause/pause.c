/* mk-pause: the pod sandbox process. It holds the pod's network and IPC namespaces by
 * simply existing: sleeps forever, exits 0 on SIGTERM/SIGINT (so a stop is instant, not a
 * 10 s wait for SIGKILL), and reaps zombies (as PID 1 it inherits orphans when the pod
 * shares a PID namespace). Built static so the image needs nothing but this file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char** argv) {
  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("mk-pause 1\n");
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "mk-pause: warning: not running as PID 1\n");
  }
  struct sigaction stop;
  memset(&stop, 0, sizeof(stop));
  stop.sa_handler = on_stop;
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0) return 1;
  struct sigaction child;
  memset(&child, 0, sizeof(child));
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &child, NULL) < 0) return 2;
  for (;;) pause();
  return 42; /* unreachable */
}
