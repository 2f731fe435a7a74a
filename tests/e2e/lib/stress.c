/* A small stand-in for polinux/stress's memory mode, as the seed uses it:
 *   stress --vm 1 --vm-bytes 500M [--vm-hang N]
 * allocates and touches --vm-bytes (K/M/G suffixes) in 1 MiB steps, then holds it (sleeps)
 * forever. Over a memory limit the kernel OOM-kills it, which is the point. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long long parse_bytes(const char* s) {
  char* end = NULL;
  unsigned long long v = strtoull(s, &end, 10);
  switch (end && *end ? *end : 'B') {
    case 'k':
    case 'K':
      return v << 10;
    case 'm':
    case 'M':
      return v << 20;
    case 'g':
    case 'G':
      return v << 30;
    default:
      return v;
  }
}

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

int main(int argc, char** argv) {
  unsigned long long bytes = 256ULL << 20;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--vm-bytes") == 0 && i + 1 < argc) bytes = parse_bytes(argv[++i]);
  }
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  printf("stress: allocating %llu bytes\n", bytes);
  fflush(stdout);
  const size_t step = 1 << 20;
  for (unsigned long long done = 0; done < bytes; done += step) {
    char* p = malloc(step);
    if (p == NULL) {
      fprintf(stderr, "stress: malloc failed after %llu bytes\n", done);
      return 1;
    }
    memset(p, 0x5a, step);
  }
  printf("stress: holding %llu bytes\n", bytes);
  fflush(stdout);
  for (;;) pause();
}
