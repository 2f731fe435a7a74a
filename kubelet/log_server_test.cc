#include "kubelet/log_server.h"

#include <httplib.h>

#include <csignal>

#include "common/clock.h"
#include "common/https.h"
#include "common/pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/fake_runtime.h"

namespace mk::kubelet {
namespace {

using ::testing::HasSubstr;

pki::CertAndKey Must(absl::StatusOr<pki::CertAndKey> v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : pki::CertAndKey{};
}

// A LogServer on 127.0.0.1 with a serving certificate from the test's cluster CA, one
// container "web-0" and a /stats/summary route, as main.cc wires it.
class LogServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // a refused client may write to a closed connection
    ca_ = Must(pki::CreateCa("cluster-ca"));
    other_ca_ = Must(pki::CreateCa("other-ca"));
    runtime_.AddImage("img:1");
    absl::StatusOr<std::string> id = runtime_.CreateContainer("web-0", Json{{"Image", "img:1"}});
    ASSERT_TRUE(id.ok()) << id.status();
    id_ = *id;
    pki::CertOptions opts;
    opts.organizations = {"system:nodes"};
    pki::CertAndKey serving =
        Must(pki::IssueServingCert(ca_, "system:node:a", {"localhost"}, {"127.0.0.1"}, opts));
    server_ = std::make_unique<LogServer>(
        &runtime_,
        [this](const std::string& ns, const std::string& pod, const std::string& container,
               bool previous) {
          asked_ = ns + "/" + pod + "/" + container + (previous ? " previous" : "");
          return previous ? std::string() : id_;
        },
        ServerTls{serving.cert_pem, serving.key_pem, ca_.cert_pem});
    server_->HandleGet("/stats/summary", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{}", "application/json");
    });
    absl::StatusOr<int> port = server_->Start("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.status();
    port_ = *port;
  }
  void TearDown() override { server_->Shutdown(); }

  // A client presenting a certificate for `user` in `groups` from `ca` (the cluster CA when
  // null; no certificate when user is empty).
  std::unique_ptr<httplib::SSLClient> Client(const std::string& user,
                                             const std::vector<std::string>& groups = {},
                                             const pki::CertAndKey* ca = nullptr) {
    TlsClientConfig config{ca_.cert_pem, "", ""};
    if (!user.empty()) {
      pki::CertAndKey cert = Must(pki::IssueClientCert(ca ? *ca : ca_, user, groups));
      config.cert_pem = cert.cert_pem;
      config.key_pem = cert.key_pem;
    }
    auto c = NewHttpsClient("127.0.0.1", port_, config);
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(5, 0);
    return c;
  }

  FakeClock clock_;
  FakeRuntime runtime_{&clock_};
  pki::CertAndKey ca_, other_ca_;
  std::string id_, asked_;
  std::unique_ptr<LogServer> server_;
  int port_ = 0;
};

TEST_F(LogServerTest, ServesContainerLogsAndErrorsToTheApiserver) {
  auto client = Client("kube-apiserver-kubelet-client", {"system:masters"});
  auto res = client->Get("/containerLogs/default/web/main?tailLines=5");
  ASSERT_TRUE(res) << res.error();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "log of web-0\n");
  EXPECT_EQ(asked_, "default/web/main");
  res = client->Get("/containerLogs/default/web/main?previous=true");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("previous terminated container \"main\" in pod \"web\""));
  res = client->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "ok");
  res = client->Get("/stats/summary");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(LogServerTest, ControllerManagerReadsStatsOnly) {
  auto client = Client("system:kube-controller-manager");
  auto res = client->Get("/stats/summary");
  ASSERT_TRUE(res) << res.error();
  EXPECT_EQ(res->status, 200);
  res = client->Get("/containerLogs/default/web/main");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(res->body,
            "Forbidden (user=system:kube-controller-manager, verb=get, resource=nodes, "
            "subresource(s)=[log])");
  EXPECT_EQ(asked_, "");
}

TEST_F(LogServerTest, AnotherNodeIsForbidden) {
  auto client = Client("system:node:b", {"system:nodes"});
  auto res = client->Get("/containerLogs/default/web/main");
  ASSERT_TRUE(res) << res.error();
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(res->body,
            "Forbidden (user=system:node:b, verb=get, resource=nodes, subresource(s)=[log])");
  res = client->Get("/stats/summary");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  res = client->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_EQ(asked_, "");
}

TEST_F(LogServerTest, NoAnswerWithoutAClusterCertificate) {
  // No client certificate: the handshake fails, /healthz included.
  EXPECT_FALSE(Client("")->Get("/healthz"));
  // A certificate from another CA, even with an admin's name and group.
  EXPECT_FALSE(Client("kube-apiserver-kubelet-client", {"system:masters"}, &other_ca_)
                   ->Get("/containerLogs/default/web/main"));
  // Plain HTTP.
  httplib::Client plain("127.0.0.1", port_);
  plain.set_read_timeout(5, 0);
  auto res = plain.Get("/healthz");
  EXPECT_FALSE(res && res->status == 200);
  EXPECT_EQ(asked_, "");
}

TEST(LogServer, RefusesToStartWithoutUsableCredentials) {
  FakeClock clock;
  FakeRuntime runtime(&clock);
  LogServer server(
      &runtime, [](const std::string&, const std::string&, const std::string&, bool) { return ""; },
      ServerTls{"not a certificate", "not a key", ""});
  absl::StatusOr<int> port = server.Start("127.0.0.1", 0);
  EXPECT_TRUE(absl::IsInvalidArgument(port.status())) << port.status();
}

}  // namespace
}  // namespace mk::kubelet
