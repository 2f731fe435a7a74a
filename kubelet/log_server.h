#pragma once

// The kubelet's HTTPS server, the endpoint the apiserver proxies `pods/log` to
// (apiserver/kubelet_logs.cc) and reads usage from (`/stats/summary`, added by main.cc):
//   GET /containerLogs/<ns>/<pod>/<container>?follow=&previous=&tailLines=&timestamps=
//       &sinceSeconds=&limitBytes=
//   GET /healthz → "ok"
// TLS only (1.2 at least): the handshake requires a client certificate that chains to the
// client CA, and every request is authorized on that certificate's CN/O
// (kubelet/server_authz.h: 403 otherwise). Kubernetes' kubelet serves /healthz on a separate
// localhost port without authentication; here it is on this port and needs a certificate too,
// so the kubelet has no unauthenticated port.
// Logs stream straight from Docker (stdout and stderr merged) as a chunked response; with
// follow=true until the container stops or the client goes away. Errors answer 400/404
// with kubectl's text (e.g. `previous terminated container "c" in pod "p" not found`).
//
// Thread-safe; Start() binds and serves on its own threads, Shutdown() stops them.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "common/pki.h"
#include "kubelet/runtime.h"

namespace httplib {
class SSLServer;
struct Request;
struct Response;
}  // namespace httplib

namespace mk::kubelet {

// The id of the current (or, with previous, the last exited) instance of a container;
// "" when there is none.
using ContainerFinder = std::function<std::string(const std::string& ns, const std::string& pod,
                                                  const std::string& container, bool previous)>;

// The server's TLS credentials (PEM). An empty cert_pem starts the server without a
// serving certificate: handshakes fail until SetServingCert() (the kubelet requests one by a
// CSR once its Node is registered, kubelet/serving_cert.h).
struct ServerTls {
  std::string cert_pem;
  std::string key_pem;  // secret
  std::string client_ca_pem;
};

class LogServer {
 public:
  LogServer(ContainerRuntime* runtime, ContainerFinder find, ServerTls tls);
  ~LogServer();
  LogServer(const LogServer&) = delete;
  LogServer& operator=(const LogServer&) = delete;

  // Adds a GET route (a regex, as cpp-httplib takes them) served next to the logs, e.g. the
  // stats sampler's /stats/summary. Before Start().
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  void HandleGet(const std::string& pattern, Handler handler);

  // Binds `address`:`port` (port 0: the kernel picks) and serves. Returns the bound port;
  // InvalidArgument when the TLS credentials do not load.
  absl::StatusOr<int> Start(const std::string& address, int port);
  void Shutdown();

  // Installs the serving certificate of a server constructed without one; later handshakes
  // present it. Thread-safe.
  absl::Status SetServingCert(const pki::CertAndKey& pair);

 private:
  struct CertSlot;
  ContainerRuntime* const runtime_;
  const ContainerFinder find_;
  std::unique_ptr<CertSlot> slot_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
};

}  // namespace mk::kubelet
