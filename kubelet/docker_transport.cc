#include "kubelet/docker_transport.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/log.h"
#include "common/redact.h"

namespace mk::kubelet {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using Socket = net::local::stream_protocol::socket;
using boost::system::error_code;

// Most error bodies are tiny; never buffer an unbounded one.
constexpr size_t kMaxErrorBody = 1 << 20;
// How often a blocked call looks at its CancelToken.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(50);

// One call's connection: its own io_context, so no thread is shared and the deadline is
// enforced by running the context in slices.
class Call {
 public:
  Call(absl::Time deadline, const CancelToken* cancel)
      : socket_(ioc_), deadline_(deadline), cancel_(cancel) {}

  // Runs the io_context until `done` or the deadline / cancellation; in the latter cases the
  // socket is closed and the pending handler drained before returning.
  absl::Status Wait(const bool& done) {
    ioc_.restart();
    while (!done) {
      absl::Status stop;
      absl::Time now = absl::Now();
      if (cancel_ != nullptr && cancel_->cancelled()) {
        stop = absl::CancelledError("docker call cancelled");
      } else if (now >= deadline_) {
        stop = absl::DeadlineExceededError("docker call timed out");
      }
      if (!stop.ok()) {
        error_code ignored;
        socket_.close(ignored);
        ioc_.restart();
        ioc_.run();
        return stop;
      }
      absl::Duration slice = std::min(deadline_ - now, cancel_ ? kCancelPoll : absl::Seconds(1));
      ioc_.run_one_for(std::chrono::microseconds(absl::ToInt64Microseconds(slice) + 1));
    }
    return absl::OkStatus();
  }

  Socket& socket() { return socket_; }

 private:
  net::io_context ioc_;
  Socket socket_;
  absl::Time deadline_;
  const CancelToken* cancel_;
};

absl::Status IoError(absl::string_view what, const error_code& ec) {
  return absl::UnavailableError(absl::StrCat("docker ", what, ": ", ec.message()));
}

}  // namespace

absl::StatusOr<HttpResponse> DockerTransport::Do(const HttpRequest& request, const BodySink& sink,
                                                 const CancelToken* cancel) const {
  absl::Time deadline = request.timeout == absl::InfiniteDuration() ? absl::InfiniteFuture()
                                                                    : absl::Now() + request.timeout;
  Call call(deadline, cancel);
  bool done = false;
  error_code ec;
  auto on_io = [&](error_code e, size_t /*bytes*/) {
    ec = e;
    done = true;
  };

  call.socket().async_connect(net::local::stream_protocol::endpoint(socket_path_),
                              [&](error_code e) {
                                ec = e;
                                done = true;
                              });
  absl::Status st = call.Wait(done);
  if (!st.ok()) return st;
  if (ec) return IoError(absl::StrCat("connect to ", socket_path_), ec);

  http::verb verb = http::string_to_verb(request.method);
  if (verb == http::verb::unknown) {
    return absl::InvalidArgumentError(absl::StrCat("bad HTTP method ", request.method));
  }
  http::request<http::string_body> req{verb, request.target, 11};
  req.set(http::field::host, "docker");
  req.set(http::field::user_agent, "mk-kubelet");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  // Docker API log: headers redacted (X-Registry-Auth); bodies never (container env may hold
  // secretKeyRef values).
  MK_VLOG(6) << "docker " << request.method << " " << request.target << " (" << request.body.size()
             << " body bytes, not logged)";
  if (LogVerbosity() >= 7) {
    for (const auto& [name, value] : request.headers) {
      MK_LOG(I) << "    " << name << ": " << RedactHeader(name, value);
    }
  }
  if (!request.body.empty() || verb == http::verb::post) {
    if (!request.content_type.empty()) req.set(http::field::content_type, request.content_type);
    req.body() = request.body;
  }
  req.prepare_payload();

  done = false;
  http::async_write(call.socket(), req, on_io);
  st = call.Wait(done);
  if (!st.ok()) return st;
  if (ec) return IoError("write", ec);

  boost::beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit((std::numeric_limits<std::uint64_t>::max)());
  done = false;
  http::async_read_header(call.socket(), buffer, parser, on_io);
  st = call.Wait(done);
  if (!st.ok()) return st;
  if (ec) return IoError("read response header", ec);

  HttpResponse response;
  response.status = parser.get().result_int();
  response.content_type = std::string(parser.get()[http::field::content_type]);
  bool stream = sink != nullptr && response.status >= 200 && response.status < 300;

  std::string chunk(64 * 1024, '\0');
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    done = false;
    http::async_read_some(call.socket(), buffer, parser, on_io);
    st = call.Wait(done);
    if (!st.ok()) return st;
    if (ec == http::error::need_buffer) ec = {};
    size_t got = chunk.size() - parser.get().body().size;
    if (got > 0) {
      absl::string_view piece(chunk.data(), got);
      if (stream) {
        if (!sink(piece)) return response;
      } else if (response.body.size() < kMaxErrorBody || sink == nullptr) {
        response.body.append(piece.data(), piece.size());
      }
    }
    if (ec == http::error::end_of_stream && parser.is_done()) break;
    if (ec) {
      // A stream the server closed mid-body (e.g. a followed log whose container was
      // removed) ends what we have; report it so callers can tell.
      return IoError("read response body", ec);
    }
  }
  return response;
}

absl::Status DockerError(const HttpResponse& response, absl::StatusCode conflict_code) {
  int s = response.status;
  if ((s >= 200 && s < 300) || s == 304) return absl::OkStatus();
  std::string message;
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    message = body["message"].get<std::string>();
  } else {
    message = std::string(absl::StripAsciiWhitespace(response.body));
  }
  if (message.empty()) message = absl::StrCat("docker answered HTTP ", s);
  switch (s) {
    case 400:
      return absl::InvalidArgumentError(message);
    case 401:
      return absl::UnauthenticatedError(message);
    case 403:
      return absl::PermissionDeniedError(message);
    case 404:
      return absl::NotFoundError(message);
    case 409:
      return absl::Status(conflict_code, message);
    case 500:
      return absl::InternalError(message);
    case 503:
      return absl::UnavailableError(message);
    default:
      return absl::UnknownError(message);
  }
}

std::string UrlEncode(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace mk::kubelet
