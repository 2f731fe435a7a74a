// Every TCP port the control plane listens on is on 127.0.0.1 and speaks TLS only: the
// apiserver, scheduler and controller-manager run as real processes; their listening sockets
// come from /proc/<pid>/fd and /proc/net/tcp{,6} (what `ss -ltnp` shows). A kubelet's port
// (its HTTPS server: logs, stats, healthz) is checked the same way and must also refuse every
// client without a certificate from the cluster CA; the kubelet needs Docker, so that test
// runs only with MK_DOCKER_TESTS=1 (tests/run.sh).

#include <dirent.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/pki.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_kubelet.h"
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

TEST(PortScan, KubeletListensOnLoopbackWithClientCertificatesOnly) {
  const char* docker = std::getenv("MK_DOCKER_TESTS");
  if (docker == nullptr || std::string(docker) != "1") {
    GTEST_SKIP() << "MK_DOCKER_TESTS is not 1: the kubelet needs dockerd (tests/run.sh)";
  }
  TempDir dir;
  Apiserver api(dir.path() + "/data");
  ASSERT_TRUE(api.Start()) << api.log_path();
  std::string node = absl::StrCat("port-scan-", getpid());
  Apiserver::KubeletCredentials creds = api.IssueKubeletCredentials(node, dir.path());
  ASSERT_FALSE(creds.kubeconfig.empty());
  std::vector<std::string> argv = {BinPath("mk-kubelet"), "--node-name=" + node,
                                   "--root-dir=" + dir.path() + "/kubelet", "--port=0"};
  for (const std::string& f : creds.Flags()) argv.push_back(f);
  Process kubelet;
  ASSERT_TRUE(kubelet.Start(argv, dir.path() + "/kubelet.log", "ready node="))
      << dir.path() + "/kubelet.log";

  pki::CertAndKey ca = ClusterCa(api);
  const std::string serving_ca = KubeletServingCa(api).cert_pem;  // the kubelet's server
  auto issue = [&](const pki::CertAndKey& signer, const std::string& user,
                   const std::vector<std::string>& groups) {
    absl::StatusOr<pki::CertAndKey> c = pki::IssueClientCert(signer, user, groups);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : pki::CertAndKey{};
  };
  absl::StatusOr<pki::CertAndKey> other_ca = pki::CreateCa("other-ca");
  ASSERT_TRUE(other_ca.ok());
  absl::StatusOr<std::string> apiserver_cert =
      pki::ReadFile(api.data_dir() + "/pki/apiserver-kubelet-client.crt");
  absl::StatusOr<std::string> apiserver_key =
      pki::ReadFile(api.data_dir() + "/pki/apiserver-kubelet-client.key");
  ASSERT_TRUE(apiserver_cert.ok() && apiserver_key.ok());
  const pki::CertAndKey apiserver{*apiserver_cert, *apiserver_key};

  std::vector<Listener> ls = Listeners(kubelet.pid());
  ASSERT_EQ(ls.size(), 1u) << "the kubelet should listen on exactly one port";
  for (const Listener& l : ls) {
    SCOPED_TRACE(absl::StrCat("kubelet port ", l.port));
    EXPECT_EQ(l.address, "0100007F") << "not 127.0.0.1";
    EXPECT_FALSE(PlainHttpAnswers(l.port)) << "answers plaintext HTTP";
    // No client certificate: no answer, /healthz included (no unauthenticated port).
    EXPECT_EQ(HttpsGet(l.port, serving_ca, {}, "/healthz"), 0);
    // A certificate from another CA, even an admin's.
    EXPECT_EQ(
        HttpsGet(l.port, serving_ca,
                 issue(*other_ca, "kube-apiserver-kubelet-client", {"system:masters"}), "/healthz"),
        0);
    // The apiserver's kubelet client certificate: served (so the refusals above are real).
    EXPECT_EQ(HttpsGet(l.port, serving_ca, apiserver, "/healthz"), 200);
  }
  kubelet.Kill(SIGTERM);
}

}  // namespace
}  // namespace mk::testing
