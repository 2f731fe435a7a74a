#pragma once

// Test harness: real mk daemons as child processes on loopback, and helpers to run mkctl.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/pki.h"

namespace grpc {
class Channel;
}
namespace httplib {
class SSLClient;
}

namespace mk {
class ApiClient;
}

namespace mk::testing {

// A child process with its stdout/stderr going to a log file.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts `argv` (argv[0] a path). If `ready_prefix` is non-empty, waits (up to 20 s) for a
  // stdout line starting with it and returns that line in *ready_line.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::string& ready_prefix = "", std::string* ready_line = nullptr);
  void Kill(int sig);  // sends the signal and reaps the child
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// A temporary directory removed at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// mk-apiserver on 127.0.0.1 with ports chosen by the kernel. It serves TLS only and
// authenticates every request: clients use the kubeconfigs it writes into its data dir
// (admin.kubeconfig: kubernetes-admin in system:masters; scheduler.kubeconfig;
// controller-manager.kubeconfig), or IssueKubeconfig for other users (kubelets).
class Apiserver {
 public:
  explicit Apiserver(std::string data_dir, std::vector<std::string> extra_flags = {});
  bool Start();
  void Kill(int sig) { proc_.Kill(sig); }
  int rest_port() const { return rest_port_; }
  int grpc_port() const { return grpc_port_; }
  std::string url() const;           // https://127.0.0.1:<rest port>
  std::string grpc_address() const;  // 127.0.0.1:<grpc port>
  const std::string& data_dir() const { return data_dir_; }
  // <data dir>/<name>.kubeconfig: "admin", "scheduler", "controller-manager".
  std::string kubeconfig(const std::string& name = "admin") const;
  // A gRPC client with the admin credentials (or another kubeconfig's).
  std::unique_ptr<ApiClient> NewClient(const std::string& name = "admin") const;
  // Writes a kubeconfig for `user` in `groups` (bin/mk-kubeconfig) to `path`; true on success.
  bool IssueKubeconfig(const std::string& user, const std::vector<std::string>& groups,
                       const std::string& path) const;
  // A node's credentials from bin/mk-kubeconfig in `dir`: <node>.kubeconfig
  // (system:node:<node> in system:nodes) and the kubelet's serving certificate
  // <node>.crt/.key with `sans` (IPs and DNS names). The paths are empty on failure.
  struct KubeletCredentials {
    std::string kubeconfig, cert, key;
    // --kubeconfig=… --tls-cert-file=… --tls-private-key-file=…
    std::vector<std::string> Flags() const;
  };
  KubeletCredentials IssueKubeletCredentials(const std::string& node, const std::string& dir,
                                             const std::vector<std::string>& sans = {
                                                 "127.0.0.1", "localhost"}) const;
  const std::string& log_path() const { return log_; }
  pid_t pid() const { return proc_.pid(); }

 private:
  std::string data_dir_;
  std::vector<std::string> extra_;
  std::string log_;
  Process proc_;
  int rest_port_ = 0;
  int grpc_port_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a program to completion with optional stdin; captures stdout and stderr.
CommandResult Run(const std::vector<std::string>& argv, const std::string& stdin_data = "");
// Runs bin/mkctl with `--kubeconfig PATH` prepended (e.g. Apiserver::kubeconfig()).
CommandResult Mkctl(const std::string& kubeconfig, const std::vector<std::string>& args,
                    const std::string& stdin_data = "");
// An HTTPS client for the kubeconfig's server with its CA and client certificate (nullptr
// if the kubeconfig cannot be read).
std::unique_ptr<httplib::SSLClient> NewRestClient(const std::string& kubeconfig);
// Connects to 127.0.0.1:`port` and performs a TLS handshake verifying the server against
// `ca_pem` (hostname 127.0.0.1). `tls_version` (e.g. TLS1_1_VERSION) pins the protocol
// version, with OpenSSL's security level lowered so the client itself would offer it;
// 0 leaves the defaults. `alpn` like "h2" is offered if set. True if the handshake succeeds.
bool TlsHandshake(int port, const std::string& ca_pem, int tls_version = 0,
                  const std::string& alpn = "");
// Sends a plaintext "GET /healthz HTTP/1.0" to 127.0.0.1:`port`; true if an HTTP response
// comes back.
bool PlainHttpAnswers(int port);
// GET `path` over HTTPS from 127.0.0.1:`port` (a kubelet's server: its certificate verified
// against `ca_pem` for 127.0.0.1), presenting `client` unless it is empty. The HTTP status
// (and *body), or 0 when no answer comes: the handshake failed or the server closed the
// connection. Ignores SIGPIPE in this process (common/https.h).
int HttpsGet(int port, const std::string& ca_pem, const pki::CertAndKey& client,
             const std::string& path, std::string* body = nullptr);

// A TLS gRPC channel to `address` with the kubeconfig's CA and credentials (for raw stubs).
std::shared_ptr<grpc::Channel> NewGrpcChannel(const std::string& kubeconfig,
                                              const std::string& address);
std::string BinPath(const std::string& name);
void WriteFile(const std::string& path, const std::string& content);

}  // namespace mk::testing
