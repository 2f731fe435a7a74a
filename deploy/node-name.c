// mk-node-name: prints a stable node name for a kubelet running in a compose `node`
// container: the container's own name as the Docker engine knows it ("/mkdemo_node_2"),
// made a DNS-1123 name ("mkdemo-node-2"). Unlike the hostname (the container id) it survives
// the container being recreated (`docker-compose up -d` after an image rebuild), so the node,
// its root dir and the pods' containers labelled with it stay the same; and the compose
// project prefix keeps names unique among several clusters sharing one engine.
//
//   mk-node-name [DOCKER_SOCKET]   (default /var/run/docker.sock)
// Exits non-zero (the entrypoint then falls back to the hostname) when the engine does not
// answer. Static, no libraries: built by deploy/build-images.sh with gcc -static.
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
  const char* sock_path = argc > 1 ? argv[1] : "/var/run/docker.sock";
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) return 1;
  for (const char* p = host; *p; ++p) {
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.') return 1;
  }

  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return 1;
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  if (strlen(sock_path) >= sizeof(addr.sun_path)) return 1;
  strcpy(addr.sun_path, sock_path);
  if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) return 1;

  char req[512];
  int n =
      snprintf(req, sizeof(req), "GET /containers/%s/json HTTP/1.0\r\nHost: docker\r\n\r\n", host);
  if (write(fd, req, (size_t)n) != n) return 1;
  static char buf[1 << 20];
  size_t len = 0;
  ssize_t r;
  while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
    len += (size_t)r;
  close(fd);
  buf[len] = 0;
  if (strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 9, "200", 3) != 0) return 1;

  // The top-level "Name":"/..." (inspect JSON has no other "Name":"/ before it).
  const char* key = "\"Name\":\"/";
  char* p = strstr(buf, key);
  if (p == NULL) return 1;
  p += strlen(key);
  char out[256];
  size_t o = 0;
  for (; *p && *p != '"' && o < sizeof(out) - 1; ++p) {
    char c = (char)tolower((unsigned char)*p);
    out[o++] = (c == '_') ? '-' : c;
  }
  out[o] = 0;
  if (o == 0 || *p != '"') return 1;
  for (size_t i = 0; i < o; ++i) {
    if (!isalnum((unsigned char)out[i]) && out[i] != '-' && out[i] != '.') return 1;
  }
  puts(out);
  return 0;
}
