#pragma once

// The gRPC front end for the daemons (service mk.api.ApiServer in proto/apiserver.proto):
// the same operations as REST on the same Registry. Objects travel as binary protobuf;
// errors carry the Kubernetes Status in error_details.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "apiserver/metrics.h"
#include "apiserver/registry.h"

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

class GrpcServer {
 public:
  GrpcServer(Registry* registry, Metrics* metrics, GrpcOptions options = {});
  ~GrpcServer();
  // `address` like "127.0.0.1:6444"; port 0 picks one (see port()).
  absl::Status Start(const std::string& address);
  int port() const { return port_; }
  void Shutdown();

 private:
  class Service;
  Registry* registry_;
  Metrics* metrics_;
  GrpcOptions options_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace mk::apiserver
