// Request limits of a real mk-apiserver process (REST and gRPC): body size (413 /
// RESOURCE_EXHAUSTED), slowloris connections cut off after --request-read-timeout while other
// clients are served and watches are left alone, concurrent watches per client (429 with
// Retry-After / RESOURCE_EXHAUSTED, and a closed watch frees its slot). After each abuse the
// server must still answer /healthz and a normal create/get.

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "apiserver.grpc.pb.h"
#include "common/json.h"
#include "common/kubeconfig_file.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

constexpr char kPods[] = "/api/v1/namespaces/default/pods";

Json Pod(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox:1"}}}}}}};
}

// A raw TLS connection to the REST port (client certificate from a kubeconfig), for clients
// no HTTP library would be: bytes are sent exactly as the test says, as slowly as it says.
class RawConn {
 public:
  RawConn(int port, const std::string& kubeconfig) {
    std::signal(SIGPIPE, SIG_IGN);  // SSL_write to a connection the server cut off
    ctx_ = SSL_CTX_new(TLS_client_method());
    absl::StatusOr<KubeconfigCredentials> creds = LoadKubeconfigCredentials(kubeconfig, "");
    if (creds.ok() && !creds->cert_pem.empty()) {
      BIO* b = BIO_new_mem_buf(creds->cert_pem.data(), static_cast<int>(creds->cert_pem.size()));
      if (X509* c = PEM_read_bio_X509(b, nullptr, nullptr, nullptr)) {
        SSL_CTX_use_certificate(ctx_, c);
        X509_free(c);
      }
      BIO_free(b);
      b = BIO_new_mem_buf(creds->key_pem.data(), static_cast<int>(creds->key_pem.size()));
      if (EVP_PKEY* k = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr)) {
        SSL_CTX_use_PrivateKey(ctx_, k);
        EVP_PKEY_free(k);
      }
      BIO_free(b);
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);  // the server's cert is not the point
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    connected_ = SSL_connect(ssl_) == 1;
    // Non-blocking from here: reads must never wait on a TLS record that carries no data.
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~RawConn() {
    Close();
    SSL_CTX_free(ctx_);
  }
  void Close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ssl_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }
  bool Send(const std::string& s) {
    if (ssl_ == nullptr) return false;
    size_t off = 0;
    absl::Time deadline = absl::Now() + absl::Seconds(5);
    while (off < s.size() && absl::Now() < deadline) {
      int n = SSL_write(ssl_, s.data() + off, static_cast<int>(s.size() - off));
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      int e = SSL_get_error(ssl_, n);
      if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) return false;
      pollfd p{fd_, POLLOUT | POLLIN, 0};
      poll(&p, 1, 50);
    }
    return off == s.size();
  }
  // True when the server has closed (or reset) the connection: EOF or error on read.
  bool ClosedByServer() { return ReadSome() < 0; }
  // Reads until `needle` arrives or `timeout` passes; everything read so far.
  std::string ReadUntil(const std::string& needle, absl::Duration timeout) {
    absl::Time deadline = absl::Now() + timeout;
    while (!absl::StrContains(received_, needle) && absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      poll(&p, 1, 100);
      if (ReadSome() < 0) break;
    }
    return received_;
  }

 private:
  // Reads what is available: >= 0 bytes read, -1 if the connection is closed or broken.
  int ReadSome() {
    if (ssl_ == nullptr) return -1;
    int total = 0;
    while (true) {
      char buf[4096];
      int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
        total += n;
        continue;
      }
      int e = SSL_get_error(ssl_, n);
      ERR_clear_error();
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return total;
      return -1;  // close_notify, EOF, reset
    }
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

class LimitsTest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> flags) {
    server_ = std::make_unique<Apiserver>(dir_.path() + "/data", std::move(flags));
    ASSERT_TRUE(server_->Start()) << "see " << server_->log_path();
    client_ = NewRestClient(server_->kubeconfig());
    client_->set_read_timeout(10, 0);
    stub_ = api::ApiServer::NewStub(NewGrpcChannel(server_->kubeconfig(), server_->grpc_address()));
  }

  // The server is healthy: /healthz answers and a normal create and get work.
  void ExpectHealthy(const std::string& pod) {
    auto cp = NewRestClient(server_->kubeconfig());
    auto& c = *cp;
    c.set_read_timeout(10, 0);
    auto h = c.Get("/healthz");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    auto r = c.Post(kPods, Pod(pod).dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 201) << r->body;
    auto g = c.Get(absl::StrCat(kPods, "/", pod).c_str());
    ASSERT_TRUE(g);
    EXPECT_EQ(g->status, 200);
  }

  std::string WatchRequest(int timeout_seconds = 60) {
    return absl::StrCat("GET ", kPods, "?watch=true&timeoutSeconds=", timeout_seconds,
                        " HTTP/1.1\r\nHost: x\r\n\r\n");
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> server_;
  std::unique_ptr<httplib::SSLClient> client_;
  std::unique_ptr<api::ApiServer::Stub> stub_;
};

TEST_F(LimitsTest, BodyOverMaxRequestBytesIs413OnRestAndResourceExhaustedOnGrpc) {
  StartServer({"--max-request-bytes=65536"});
  // Just under the limit: accepted (the limit is the flag's, not a fixed smaller one).
  Json ok = Pod("big-but-ok");
  ok["metadata"]["annotations"] = {{"pad", std::string(60000, 'x')}};
  auto r = client_->Post(kPods, ok.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << r->body.substr(0, 300);

  Json big = Pod("too-big");
  big["metadata"]["annotations"] = {{"pad", std::string(70000, 'x')}};
  r = client_->Post(kPods, big.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  Json status = Json::parse(r->body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["code"], 413);
  EXPECT_EQ(status["reason"], "RequestEntityTooLarge");
  EXPECT_EQ(status["message"], "Request entity too large: limit is 65536");
  EXPECT_EQ(client_->Get(absl::StrCat(kPods, "/too-big").c_str())->status, 404);

  // gRPC: the same object as one message.
  api::Pod pod;
  pod.mutable_metadata()->set_name("too-big-grpc");
  (*pod.mutable_metadata()->mutable_annotations())["pad"] = std::string(80000, 'x');
  pod.mutable_spec()->add_containers()->set_name("c");
  pod.mutable_spec()->mutable_containers(0)->set_image("busybox:1");
  api::WriteRequest req;
  req.set_resource("pods");
  req.set_namespace_("default");
  req.set_data(pod.SerializeAsString());
  api::Object out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status s = stub_->Create(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  // A normal-sized object still goes through gRPC.
  (*pod.mutable_metadata()->mutable_annotations())["pad"] = "small";
  pod.mutable_metadata()->set_name("fine-grpc");
  req.set_data(pod.SerializeAsString());
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  s = stub_->Create(&ctx2, req, &out);
  EXPECT_TRUE(s.ok()) << s.error_message();

  ExpectHealthy("after-big");
}

TEST_F(LimitsTest, SlowlorisIsCutOffWhileOthersAreServedAndWatchesStayOpen) {
  StartServer({"--request-read-timeout=2s"});
  // A watch lives longer than the read timeout: it is in its handler, not reading.
  RawConn watch(server_->rest_port(), server_->kubeconfig());
  ASSERT_TRUE(watch.connected());
  ASSERT_TRUE(watch.Send(WatchRequest()));
  EXPECT_TRUE(absl::StrContains(watch.ReadUntil("\r\n\r\n", absl::Seconds(5)), " 200 "));

  // Slow headers: one byte a second (each recv well within the 30 s per-read timeout).
  RawConn slow_headers(server_->rest_port(), server_->kubeconfig());
  ASSERT_TRUE(slow_headers.connected());
  ASSERT_TRUE(slow_headers.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  // Slow body: complete headers, then a promised body that trickles in.
  RawConn slow_body(server_->rest_port(), server_->kubeconfig());
  ASSERT_TRUE(slow_body.connected());
  ASSERT_TRUE(slow_body.Send(absl::StrCat("POST ", kPods,
                                          " HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                          "application/json\r\nContent-Length: 1000\r\n\r\n{")));
  absl::Time start = absl::Now();
  absl::Duration headers_cut = absl::InfiniteDuration(), body_cut = absl::InfiniteDuration();
  int served = 0;
  while (absl::Now() - start < absl::Seconds(10) &&
         (headers_cut == absl::InfiniteDuration() || body_cut == absl::InfiniteDuration())) {
    if (headers_cut == absl::InfiniteDuration()) {
      if (!slow_headers.Send("a") || slow_headers.ClosedByServer()) {
        headers_cut = absl::Now() - start;
      }
    }
    if (body_cut == absl::InfiniteDuration()) {
      if (!slow_body.Send(" ") || slow_body.ClosedByServer()) body_cut = absl::Now() - start;
    }
    // Meanwhile other clients are served promptly.
    absl::Time t0 = absl::Now();
    auto h = client_->Get("/healthz");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200);
    EXPECT_LT(absl::Now() - t0, absl::Seconds(1));
    ++served;
    absl::SleepFor(absl::Seconds(1));
  }
  EXPECT_LE(headers_cut, absl::Seconds(5)) << "slow headers not cut off";
  EXPECT_GE(headers_cut, absl::Seconds(1));
  EXPECT_LE(body_cut, absl::Seconds(5)) << "slow body not cut off";
  EXPECT_GE(served, 2);

  // The watch, open for longer than the read timeout, still delivers.
  ASSERT_EQ(client_->Post(kPods, Pod("seen-by-watch").dump(), "application/json")->status, 201);
  EXPECT_TRUE(
      absl::StrContains(watch.ReadUntil("seen-by-watch", absl::Seconds(5)), "seen-by-watch"));
  EXPECT_FALSE(watch.ClosedByServer());
  ExpectHealthy("after-slowloris");
}

TEST_F(LimitsTest, WatchesPerClientAreCappedAndAClosedWatchFreesItsSlot) {
  StartServer({"--max-watches-per-user=3"});
  std::vector<std::unique_ptr<RawConn>> watches;
  for (int i = 0; i < 3; ++i) {
    watches.push_back(std::make_unique<RawConn>(server_->rest_port(), server_->kubeconfig()));
    ASSERT_TRUE(watches.back()->Send(WatchRequest()));
    ASSERT_TRUE(
        absl::StrContains(watches.back()->ReadUntil("\r\n\r\n", absl::Seconds(5)), "HTTP/1.1 200"))
        << "watch " << i;
  }
  // The fourth, over REST: 429 with Retry-After and a Status body.
  auto r = client_->Get(absl::StrCat(kPods, "?watch=true&timeoutSeconds=5").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  Json status = Json::parse(r->body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "TooManyRequests");
  EXPECT_EQ(status["code"], 429);
  EXPECT_EQ(status["message"], "too many watches from this client (limit is 3)");
  // ... and over gRPC, which shares the client's budget.
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    api::WatchRequest wr;
    wr.set_resource("pods");
    wr.set_namespace_("default");
    auto reader = stub_->Watch(&ctx, wr);
    api::WatchEvent ev;
    EXPECT_FALSE(reader->Read(&ev));
    grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  }
  // Lists and gets are not watches: still served.
  EXPECT_EQ(client_->Get(kPods)->status, 200);

  // Closing a watch frees its slot (the server notices the closed stream on its next write).
  watches.front()->Close();
  watches.erase(watches.begin());
  bool reopened = false;
  absl::Time deadline = absl::Now() + absl::Seconds(15);
  for (int i = 0; !reopened && absl::Now() < deadline; ++i) {
    client_->Post(kPods, Pod(absl::StrCat("nudge-", i)).dump(), "application/json");
    auto again = std::make_unique<RawConn>(server_->rest_port(), server_->kubeconfig());
    ASSERT_TRUE(again->Send(WatchRequest()));
    std::string head = again->ReadUntil("\r\n\r\n", absl::Seconds(5));
    if (absl::StrContains(head, "HTTP/1.1 200")) {
      reopened = true;
      watches.push_back(std::move(again));
    } else {
      EXPECT_TRUE(absl::StrContains(head, "HTTP/1.1 429")) << head;
      absl::SleepFor(absl::Milliseconds(300));
    }
  }
  EXPECT_TRUE(reopened) << "the closed watch's slot was never freed";
  // Full again.
  r = client_->Get(absl::StrCat(kPods, "?watch=true&timeoutSeconds=5").c_str());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);

  // A gRPC watch that ends frees its slot too.
  watches.clear();
  absl::SleepFor(absl::Milliseconds(100));
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientReader<api::WatchEvent>>> readers;
  auto open_grpc = [&]() -> bool {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    api::WatchRequest wr;
    wr.set_resource("pods");
    wr.set_namespace_("default");
    readers.push_back(stub_->Watch(ctxs.back().get(), wr));
    api::WatchEvent ev;
    return readers.back()->Read(&ev);  // the ADDED events of existing pods
  };
  deadline = absl::Now() + absl::Seconds(15);
  int open = 0;
  while (open < 3 && absl::Now() < deadline) {
    client_->Post(kPods,
                  Pod(absl::StrCat("nudge-g", open, "-", absl::ToUnixMillis(absl::Now()))).dump(),
                  "application/json");
    if (open_grpc()) {
      ++open;
    } else {
      readers.back()->Finish();
      readers.pop_back();
      ctxs.pop_back();
      absl::SleepFor(absl::Milliseconds(300));
    }
  }
  ASSERT_EQ(open, 3) << "REST slots not freed after closing the watches";
  EXPECT_FALSE(open_grpc());
  EXPECT_EQ(readers.back()->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  readers.pop_back();
  ctxs.pop_back();
  ctxs.front()->TryCancel();
  readers.front()->Finish();
  bool freed = false;
  deadline = absl::Now() + absl::Seconds(10);
  while (!freed && absl::Now() < deadline) {
    auto again = client_->Get(absl::StrCat(kPods, "?watch=true&timeoutSeconds=1").c_str());
    freed = again && again->status == 200;
    if (!freed) absl::SleepFor(absl::Milliseconds(300));
  }
  EXPECT_TRUE(freed) << "a cancelled gRPC watch's slot was never freed";
  for (auto& c : ctxs) c->TryCancel();
  for (size_t i = 1; i < readers.size(); ++i) readers[i]->Finish();
  ExpectHealthy("after-watches");
}

TEST_F(LimitsTest, RequestsBeyondMaxInflightGet429WatchesAndHealthAreExempt) {
  StartServer({"--max-requests-inflight=1"});
  // A slow request: the metrics API asks the node's "kubelet", a socket that accepts (in the
  // kernel's backlog) and never answers, so the request holds its in-flight slot for the
  // fetch timeout.
  int silent = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(silent, 16), 0);
  socklen_t len = sizeof(a);
  getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len);
  Json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}}}};
  ASSERT_EQ(client_->Post("/api/v1/nodes", node.dump(), "application/json")->status, 201);
  Json status = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata", {{"name", "n1"}}},
                 {"status",
                  {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
                   {"addresses", {{{"type", "InternalIP"}, {"address", "127.0.0.1"}}}},
                   {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", ntohs(a.sin_port)}}}}}}}};
  auto put = client_->Put("/api/v1/nodes/n1/status", status.dump(), "application/json");
  ASSERT_EQ(put->status, 200) << put->body;

  absl::Time t0 = absl::Now();
  std::thread slow([&] {
    auto c = NewRestClient(server_->kubeconfig());
    c->set_read_timeout(20, 0);
    c->Get("/apis/metrics.k8s.io/v1beta1/nodes");
  });
  absl::Cleanup join = [&] { slow.join(); };  // also when an ASSERT below returns early
  absl::SleepFor(absl::Milliseconds(700));
  auto r = client_->Get("/api/v1/namespaces");
  bool slow_still_running = absl::Now() - t0 < absl::Seconds(2);
  ASSERT_TRUE(r);
  EXPECT_TRUE(slow_still_running) << "the slow request ended too soon for this test";
  EXPECT_EQ(r->status, 429) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  Json s = Json::parse(r->body);
  EXPECT_EQ(s["reason"], "TooManyRequests");
  EXPECT_EQ(s["message"], "Too many requests, please try again later.");
  // Health checks and watches are not counted.
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  auto w = client_->Get(absl::StrCat(kPods, "?watch=true&timeoutSeconds=1").c_str());
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, 200);
  std::move(join).Invoke();
  EXPECT_GE(absl::Now() - t0, absl::Seconds(2)) << "the metrics request was not slow";
  close(silent);
  // The slot is free again.
  EXPECT_EQ(client_->Get("/api/v1/namespaces")->status, 200);
  ExpectHealthy("after-inflight");
}

}  // namespace
}  // namespace mk::testing
