// Every TCP port the control plane listens on is on 127.0.0.1 and speaks TLS only: the
// apiserver, scheduler and controller-manager run as real processes; their listening sockets
// come from /proc/<pid>/fd and /proc/net/tcp{,6} (what `ss -ltnp` shows). The kubelet needs
// Docker, so it is not started here; its own HTTP server (logs/stats) is still plaintext and
// outside this check.

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

struct Listener {
  std::string address;  // as in /proc/net/tcp: "0100007F" is 127.0.0.1
  bool v6 = false;
  int port = 0;
};

std::set<std::string> SocketInodes(pid_t pid) {
  std::set<std::string> out;
  std::string dir = absl::StrCat("/proc/", pid, "/fd");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    char target[128] = {};
    std::string link = dir + "/" + e->d_name;
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    if (n <= 0) continue;
    std::string t(target, static_cast<size_t>(n));
    if (t.rfind("socket:[", 0) == 0) out.insert(t.substr(8, t.size() - 9));
  }
  closedir(d);
  return out;
}

// Listening TCP sockets (state 0A) owned by `pid`.
std::vector<Listener> Listeners(pid_t pid) {
  std::set<std::string> inodes = SocketInodes(pid);
  std::vector<Listener> out;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<std::string> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (f.size() < 10 || f[3] != "0A" || !inodes.count(f[9])) continue;
      std::vector<std::string> local = absl::StrSplit(f[1], ':');
      Listener l;
      l.address = local[0];
      l.v6 = std::string(table).find("tcp6") != std::string::npos;
      absl::SimpleHexAtoi(local[1], &l.port);
      out.push_back(l);
    }
  }
  return out;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(PortScan, ControlPlaneListensOnLoopbackWithTlsOnly) {
  TempDir dir;
  Apiserver api(dir.path() + "/data");
  ASSERT_TRUE(api.Start()) << api.log_path();
  Process sched, cm;
  ASSERT_TRUE(sched.Start({BinPath("mk-scheduler"), "--kubeconfig", api.kubeconfig("scheduler")},
                          dir.path() + "/scheduler.log", "ready"));
  ASSERT_TRUE(cm.Start(
      {BinPath("mk-controller-manager"), "--kubeconfig", api.kubeconfig("controller-manager")},
      dir.path() + "/cm.log", "ready"));
  std::string ca = Slurp(api.data_dir() + "/pki/ca.crt");

  struct Daemon {
    const char* name;
    pid_t pid;
  };
  std::set<int> apiserver_ports;
  for (const Daemon& d : {Daemon{"mk-apiserver", api.pid()}, Daemon{"mk-scheduler", sched.pid()},
                          Daemon{"mk-controller-manager", cm.pid()}}) {
    std::vector<Listener> ls = Listeners(d.pid);
    for (const Listener& l : ls) {
      SCOPED_TRACE(absl::StrCat(d.name, " port ", l.port));
      // gRPC binds 127.0.0.1 through an IPv6 socket: ::ffff:127.0.0.1, still loopback only.
      EXPECT_EQ(l.address, l.v6 ? "0000000000000000FFFF00000100007F" : "0100007F")
          << "not 127.0.0.1";
      EXPECT_FALSE(PlainHttpAnswers(l.port)) << "answers plaintext HTTP";
      // gRPC needs ALPN h2; the REST port ignores it.
      EXPECT_TRUE(TlsHandshake(l.port, ca, 0, "h2")) << "no TLS with the cluster CA";
      if (std::string(d.name) == "mk-apiserver") apiserver_ports.insert(l.port);
    }
    // The scheduler and controller-manager serve nothing (no metrics/healthz ports yet).
    if (std::string(d.name) != "mk-apiserver") {
      EXPECT_TRUE(ls.empty()) << d.name;
    }
  }
  EXPECT_EQ(apiserver_ports, (std::set<int>{api.rest_port(), api.grpc_port()}));
}

}  // namespace
}  // namespace mk::testing
