/* The seed's k8s.gcr.io/liveness server: on :8080, GET /healthz answers 200 "ok" for the
 * first 10 seconds after start and 500 "error: <seconds>" afterwards; any other path answers
 * 200. Built static (gcc -static) into the liveness test image as /server. One request per
 * connection, served inline: probes are sequential and tiny. */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static double elapsed(const struct timespec* start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char** argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  int limit = getenv("LIVENESS_SECONDS") ? atoi(getenv("LIVENESS_SECONDS")) : 10;
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)port);
  if (bind(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(fd, 64) != 0) {
    perror("bind/listen");
    return 1;
  }
  printf("liveness: listening on :%d, healthy for %d s\n", port, limit);
  fflush(stdout);
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c < 0) continue;
    struct timeval tv = {5, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char req[4096];
    size_t n = 0;
    while (n < sizeof(req) - 1) {
      ssize_t r = read(c, req + n, sizeof(req) - 1 - n);
      if (r <= 0) break;
      n += (size_t)r;
      req[n] = 0;
      if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n")) break;
    }
    req[n] = 0;
    char path[1024] = "/";
    sscanf(req, "%*s %1023s", path);
    double secs = elapsed(&start);
    int code = 200;
    char body[128];
    if (strcmp(path, "/healthz") == 0 && secs > limit) {
      code = 500;
      snprintf(body, sizeof(body), "error: %.3f", secs);
    } else {
      snprintf(body, sizeof(body), "ok");
    }
    char resp[512];
    int len = snprintf(resp, sizeof(resp),
                       "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                       "Connection: close\r\n\r\n%s",
                       code, code == 200 ? "OK" : "Internal Server Error", strlen(body), body);
    if (write(c, resp, (size_t)len) < 0) {
      /* the prober went away; nothing to do */
    }
    printf("%s %s -> %d (%.1fs)\n", "GET", path, code, secs);
    fflush(stdout);
    close(c);
  }
}
