// DockerTransport and DockerClient against a scripted HTTP server on a unix socket: chunked
// and streamed bodies, timeouts, cancellation, error mapping, pull errors inside a 200.
#include "kubelet/docker_transport.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/docker_client.h"

namespace mk::kubelet {
namespace {

using ::testing::HasSubstr;

// Writes to the client; returns false once the client went away.
using Writer = std::function<bool(const std::string&)>;
// Given the raw request (head + body), answers through the writer.
using Handler = std::function<void(const std::string& request, const Writer& write)>;

class FakeDocker {
 public:
  explicit FakeDocker(Handler handler) : handler_(std::move(handler)) {
    path_ = absl::StrCat(::testing::TempDir(), "/fake-docker-", getpid(), "-", counter_++, ".sock");
    unlink(path_.c_str());
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeDocker() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (auto& t : conns_) t.join();
    unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  std::vector<std::string> requests() {
    absl::MutexLock l(&mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      conns_.emplace_back([this, c] {
        std::string req;
        char buf[4096];
        size_t need = std::string::npos;
        while (need == std::string::npos || req.size() < need) {
          ssize_t n = read(c, buf, sizeof(buf));
          if (n <= 0) break;
          req.append(buf, static_cast<size_t>(n));
          size_t end = req.find("\r\n\r\n");
          if (need == std::string::npos && end != std::string::npos) {
            size_t len = 0;
            size_t cl = req.find("Content-Length: ");
            if (cl != std::string::npos && cl < end) len = std::stoul(req.substr(cl + 16));
            need = end + 4 + len;
          }
        }
        {
          absl::MutexLock l(&mu_);
          requests_.push_back(req);
        }
        handler_(req, [c](const std::string& data) {
          return send(c, data.data(), data.size(), MSG_NOSIGNAL) ==
                 static_cast<ssize_t>(data.size());
        });
        close(c);
      });
    }
  }

  static inline std::atomic<int> counter_{0};
  Handler handler_;
  std::string path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_;
  absl::Mutex mu_;
  std::vector<std::string> requests_ ABSL_GUARDED_BY(mu_);
};

std::string Chunk(const std::string& data) {
  return absl::StrCat(absl::Hex(data.size()), "\r\n", data, "\r\n");
}

constexpr char kChunkedHead[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string Json404(const std::string& message) {
  std::string body = Json{{"message", message}}.dump();
  return absl::StrCat("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n",
                      "Content-Length: ", body.size(), "\r\n\r\n", body);
}

TEST(DockerTransportTest, ChunkedBodyAcrossWrites) {
  FakeDocker fake([](const std::string&, const Writer& w) {
    w(kChunkedHead);
    w(Chunk("{\"a\":"));
    w("3\r\n12}\r");  // a chunk split in the middle of its framing
    w("\n0\r\n\r\n");
  });
  DockerTransport t(fake.path());
  HttpRequest req;
  req.target = "/v1.41/x";
  absl::StatusOr<HttpResponse> r = t.Do(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"a\":12}");
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_THAT(fake.requests().at(0), HasSubstr("GET /v1.41/x HTTP/1.1\r\n"));
}

TEST(DockerTransportTest, StreamsIncrementallyAndStopsOnSinkFalse) {
  absl::Notification first_seen;
  FakeDocker fake([&](const std::string&, const Writer& w) {
    w(kChunkedHead);
    w(Chunk("one\n"));
    // The client must hand "one" over before the stream ends.
    first_seen.WaitForNotificationWithTimeout(absl::Seconds(5));
    w(Chunk("two\n"));
    for (int i = 0; i < 50 && w(Chunk("more\n")); ++i) absl::SleepFor(absl::Milliseconds(10));
  });
  DockerTransport t(fake.path());
  HttpRequest req;
  req.target = "/events";
  std::string got;
  absl::StatusOr<HttpResponse> r = t.Do(req, [&](absl::string_view c) {
    got.append(c.data(), c.size());
    if (got == "one\n") first_seen.Notify();
    return !absl::StrContains(got, "two");
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(first_seen.HasBeenNotified());
  EXPECT_THAT(got, HasSubstr("one\ntwo\n"));
}

TEST(DockerTransportTest, BodyUntilEofAsForExecStart) {
  FakeDocker fake([](const std::string&, const Writer& w) {
    w("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n");
    w("raw");
    w(" bytes");
  });
  DockerTransport t(fake.path());
  std::string got;
  absl::StatusOr<HttpResponse> r = t.Do(HttpRequest{}, [&](absl::string_view c) {
    got.append(c.data(), c.size());
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(got, "raw bytes");
}

TEST(DockerTransportTest, TimeoutAndCancel) {
  absl::Notification release;
  FakeDocker fake([&](const std::string& req, const Writer& w) {
    if (absl::StrContains(req, "/stream")) w(kChunkedHead);
    release.WaitForNotificationWithTimeout(absl::Seconds(10));
  });
  DockerTransport t(fake.path());
  HttpRequest req;
  req.target = "/slow";
  req.timeout = absl::Milliseconds(200);
  absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> r = t.Do(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  CancelToken cancel;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(150));
    cancel.Cancel();
  });
  req.target = "/stream";
  req.timeout = absl::InfiniteDuration();
  start = absl::Now();
  r = t.Do(
      req, [](absl::string_view) { return true; }, &cancel);
  canceller.join();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  release.Notify();
}

TEST(DockerTransportTest, ConnectFailureIsUnavailable) {
  DockerTransport t(::testing::TempDir() + "/no-such-docker.sock");
  EXPECT_EQ(t.Do(HttpRequest{}).status().code(), absl::StatusCode::kUnavailable);
}

TEST(DockerErrorTest, MapsStatusesAndKeepsDockersMessage) {
  auto err = [](int status, const std::string& body,
                absl::StatusCode conflict = absl::StatusCode::kFailedPrecondition) {
    return DockerError(HttpResponse{status, "application/json", body}, conflict);
  };
  EXPECT_TRUE(err(204, "").ok());
  EXPECT_TRUE(err(304, "").ok());
  absl::Status st = err(404, R"({"message":"No such container: abc"})");
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "No such container: abc");
  EXPECT_EQ(err(409, R"({"message":"Conflict. The container name is already in use"})",
                absl::StatusCode::kAlreadyExists)
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(err(409, R"({"message":"is not running"})").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(err(400, R"({"message":"bad"})").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(err(500, "plain text\n").message(), "plain text");
  EXPECT_EQ(UrlEncode("a b/{\"x\"}"), "a%20b%2F%7B%22x%22%7D");
}

TEST(DockerClientFakeTest, PullErrorInside200CarriesRegistryMessageAndAuthHeader) {
  FakeDocker fake([](const std::string&, const Writer& w) {
    w(kChunkedHead);
    w(Chunk("{\"status\":\"Pulling from photo-view\",\"id\":\"v1.0\"}\r\n"));
    w(
        Chunk("{\"errorDetail\":{\"message\":\"unauthorized: authentication required\"},"
              "\"error\":\"unauthorized: authentication required\"}\r\n"));
    w("0\r\n\r\n");
  });
  DockerClient docker({fake.path()});
  absl::Status st = docker.PullImage("127.0.0.1:5000/photo-view", "v1.0",
                                     RegistryAuth{"admin", "pw", "127.0.0.1:5000"});
  EXPECT_EQ(st.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(st.message(), "unauthorized: authentication required");
  std::string req = fake.requests().at(0);
  EXPECT_THAT(req, HasSubstr("POST /v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fphoto-view"
                             "&tag=v1.0 HTTP/1.1"));
  size_t h = req.find("X-Registry-Auth: ");
  ASSERT_NE(h, std::string::npos);
  std::string value = req.substr(h + 17, req.find("\r\n", h) - h - 17);
  std::string decoded;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(value, &decoded));
  EXPECT_EQ(Json::parse(decoded)["username"], "admin");
}

TEST(DockerClientFakeTest, LogsDemultiplexAndErrors) {
  FakeDocker fake([](const std::string& req, const Writer& w) {
    if (absl::StrContains(req, "/containers/gone/")) {
      w(Json404("No such container: gone"));
    } else if (absl::StrContains(req, "/json ")) {
      std::string body = R"({"Config":{"Tty":false}})";
      w(absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
    } else {
      w(kChunkedHead);
      std::string frames =
          std::string("\1\0\0\0\0\0\0\3out", 11) + std::string("\2\0\0\0\0\0\0\3err", 11);
      w(Chunk(frames.substr(0, 5)));
      w(Chunk(frames.substr(5)));
      w("0\r\n\r\n");
    }
  });
  DockerClient docker({fake.path()});
  std::string out, err;
  LogOptions opts;
  opts.tail = 10;
  absl::Status st = docker.Logs("c1", opts, [&](int stream, absl::string_view d) {
    (stream == 1 ? out : err).append(d.data(), d.size());
    return true;
  });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(out, "out");
  EXPECT_EQ(err, "err");
  EXPECT_THAT(fake.requests().at(1), HasSubstr("/containers/c1/logs?stdout=1&stderr=1&follow=0"
                                               "&timestamps=0&tail=10 "));
  st = docker.Logs("gone", opts, [](int, absl::string_view) { return true; });
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(st.message(), "No such container: gone");
}

}  // namespace
}  // namespace mk::kubelet
