#pragma once

// HTTP/1.1 over Docker's unix socket (Boost.Asio + Boost.Beast), one fresh connection per
// call so calls from many threads never share state. Every call has a deadline; a
// CancelToken stops a call (e.g. a followed log stream) from another thread within ~50 ms.
// Beast decodes chunked bodies; streaming calls hand body bytes to a sink as they arrive.
//
// Thread-safe: DockerTransport holds only the socket path.

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mk::kubelet {

// Cancels streaming calls from another thread. Cancel() is sticky.
class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/v1.41/containers/json?all=1"
  std::string body;
  std::string content_type;  // set when body is non-empty, e.g. "application/json"
  std::vector<std::pair<std::string, std::string>> headers;
  // Deadline for the whole call (connect, request, response). InfiniteDuration for
  // streams that end only when cancelled.
  absl::Duration timeout = absl::Seconds(30);
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  // The body, unless it was streamed to a sink (then only non-2xx bodies land here).
  std::string body;
};

// Returns false to stop reading (the call then ends with OK).
using BodySink = std::function<bool(absl::string_view chunk)>;

class DockerTransport {
 public:
  explicit DockerTransport(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  const std::string& socket_path() const { return socket_path_; }

  // Sends `request` and reads the response. With a sink, the body of a 2xx response is
  // streamed to it instead of collected. Errors: Unavailable (cannot connect / connection
  // broken), DeadlineExceeded, Cancelled. HTTP error statuses are NOT errors here.
  absl::StatusOr<HttpResponse> Do(const HttpRequest& request, const BodySink& sink = nullptr,
                                  const CancelToken* cancel = nullptr) const;

 private:
  std::string socket_path_;
};

// Maps a Docker error response to a status carrying Docker's `message` text:
// 400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied, 404 NotFound,
// 409 `conflict_code` (AlreadyExists for creates, FailedPrecondition otherwise),
// 5xx and others Internal/Unknown. 2xx and 304 are OK.
absl::Status DockerError(const HttpResponse& response,
                         absl::StatusCode conflict_code = absl::StatusCode::kFailedPrecondition);

// Percent-encodes a query parameter value.
std::string UrlEncode(absl::string_view value);

}  // namespace mk::kubelet
