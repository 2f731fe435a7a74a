#pragma once

// The REST front end of mk-apiserver (cpp-httplib): Kubernetes paths, verbs, Status errors,
// streamed watches, discovery, Table responses for kubectl, /healthz /readyz /version
// /metrics. Every resource operation goes through the Registry.

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "apiserver/metrics.h"
#include "apiserver/registry.h"
#include "apiserver/request_auth.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace mk::apiserver {

class ConnectionGuard;
class MetricsApi;
class WatchLimiter;

struct RestOptions {
  std::string host = "127.0.0.1";
  int port = 6443;                          // 0: pick a free port
  size_t max_body_bytes = 3 * 1024 * 1024;  // --max-request-bytes: larger bodies get 413
  int threads = 256;                        // each open watch holds one
  absl::Duration bookmark_interval = absl::Seconds(30);
  // --max-requests-inflight: requests being handled at once, watches and log streams not
  // counted (they have their own cap); beyond it 429 with Retry-After. <= 0: no limit.
  int max_requests_inflight = 400;
  // --request-read-timeout: a connection must deliver a whole request (headers and body)
  // within this long of being accepted or of its previous response (see ConnectionGuard).
  absl::Duration request_read_timeout = absl::Seconds(32);
  // HTTPS only (TLS 1.2+): the serving certificate chain and its key (PEM; the key is
  // secret). Client certificates are requested, not required; the AuthGate verifies them.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

// Every request passes `gate` (authentication, then authorization) before its handler runs;
// the handler sees the admitted UserInfo.

// Streams pod logs from the kubelet that runs the pod (apiserver/kubelet_logs.h).
class LogSource {
 public:
  virtual ~LogSource() = default;
  // Calls `start` once the kubelet has answered with the logs, then writes log bytes to
  // `write` until done; `write` returns false when the client is gone. An error returned
  // before `start` is the response's status (apiserver/log_pipe.h); after it, it ends the
  // stream.
  virtual absl::Status StreamLogs(const std::string& ns, const std::string& pod,
                                  const std::string& query, const std::function<void()>& start,
                                  const std::function<bool(const std::string&)>& write) = 0;
};

class RestServer {
 public:
  // `gate.authenticator` must outlive the server.
  RestServer(Registry* registry, Metrics* metrics, RestOptions options, AuthGate gate);
  ~RestServer();

  absl::Status Start();  // binds and serves on a background thread
  int port() const { return port_; }
  void Shutdown();
  void set_log_source(LogSource* logs) { logs_ = logs; }
  void set_metrics_api(MetricsApi* metrics_api) { metrics_api_ = metrics_api; }
  // Caps concurrent watches per client (shared with the gRPC server); null: no cap.
  void set_watch_limiter(WatchLimiter* limiter) { watch_limiter_ = limiter; }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);
  void HandleAdmitted(const httplib::Request& req, httplib::Response& res, const UserInfo& user);
  bool HandleNonResource(const httplib::Request& req, httplib::Response& res);
  void Watch(const httplib::Request& req, httplib::Response& res, const ResourceInfo& r,
             const std::string& ns, const UserInfo& user, std::string* verb);

  // Admission before Handle: the in-flight cap and the connection guard's bookkeeping.
  void Dispatch(const httplib::Request& req, httplib::Response& res);
  // Who a per-client limit counts against: the authenticated user (its IP if anonymous).
  std::string ClientKeyOf(const httplib::Request& req, const UserInfo& user) const;

  Registry* registry_;
  Metrics* metrics_;
  RestOptions options_;
  AuthGate gate_;
  LogSource* logs_ = nullptr;
  MetricsApi* metrics_api_ = nullptr;
  WatchLimiter* watch_limiter_ = nullptr;
  std::atomic<int> inflight_{0};
  std::unique_ptr<ConnectionGuard> guard_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace mk::apiserver
