#pragma once

// The gRPC front end for the daemons (service mk.api.ApiServer in proto/apiserver.proto):
// the same operations as REST on the same Registry. Objects travel as binary protobuf;
// errors carry the Kubernetes Status in error_details.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "apiserver/metrics.h"
#include "apiserver/registry.h"
#include "apiserver/request_auth.h"

namespace grpc {
class Server;
}

namespace mk::apiserver {

class WatchLimiter;

struct GrpcOptions {
  // Largest request message (the object plus a small envelope); beyond it the call fails
  // with RESOURCE_EXHAUSTED before any handler runs. main.cc sets --max-request-bytes + 4 KiB.
  int max_receive_message_bytes = 3 * 1024 * 1024 + 4096;
  WatchLimiter* watch_limiter = nullptr;  // shared with REST; null: no cap
};

// TLS with the apiserver's serving certificate; client certificates are requested (not
// required) and verified against the client CA by the transport. Every call passes `gate`:
// a bearer token in `authorization` metadata or the peer's verified certificate, else
// UNAUTHENTICATED; then authorization (PERMISSION_DENIED).
struct GrpcTlsOptions {
  std::string cert_pem;
  std::string key_pem;  // secret
  std::string client_ca_pem;
};

class GrpcServer {
 public:
  // `gate.authenticator` must outlive the server.
  GrpcServer(Registry* registry, Metrics* metrics, AuthGate gate, GrpcOptions options = {});
  ~GrpcServer();
  // `address` like "127.0.0.1:6444"; port 0 picks one (see port()).
  absl::Status Start(const std::string& address, const GrpcTlsOptions& tls);
  int port() const { return port_; }
  void Shutdown();

 private:
  class Service;
  Registry* registry_;
  Metrics* metrics_;
  GrpcOptions options_;
  AuthGate gate_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace mk::apiserver
