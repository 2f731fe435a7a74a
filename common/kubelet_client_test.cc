// FetchSummary over HTTPS against an in-process TLS "kubelet": the client certificate reaches
// the server, and the kubelet's serving certificate is refused unless it chains to the given
// CA and names the node's InternalIP (an IP SAN that does not match is refused).

#include <httplib.h>

#include <csignal>
#include <thread>

#include "common/kubelet_stats.h"
#include "common/pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

using ::testing::HasSubstr;

constexpr char kSummary[] = R"({"node":{"nodeName":"n1","cpu":{"usageNanoCores":5}}})";

pki::CertAndKey Must(absl::StatusOr<pki::CertAndKey> v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : pki::CertAndKey{};
}

// A TLS server on 127.0.0.1 serving /stats/summary with `serving`, requiring a client
// certificate from `client_ca`; remembers the last client's certificate.
class TlsKubelet {
 public:
  TlsKubelet(const pki::CertAndKey& serving, const std::string& client_ca)
      : server_([&](SSL_CTX& ctx) {
          return RequireClientCerts(ctx, serving.cert_pem, serving.key_pem, client_ca);
        }) {
    server_.Get("/stats/summary", [this](const httplib::Request& req, httplib::Response& res) {
      peer_cert_ = PeerCertPem(req);
      res.set_content(kSummary, "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();  // stop() before that is lost
  }
  ~TlsKubelet() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  const std::string& peer_cert() const { return peer_cert_; }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
  std::string peer_cert_;
};

class KubeletClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // a refused client may write to a closed connection
    ca_ = Must(pki::CreateCa("test-ca"));
    other_ca_ = Must(pki::CreateCa("other-ca"));
    client_ = Must(pki::IssueClientCert(ca_, "kube-apiserver-kubelet-client", {"system:masters"}));
    config_ = {ca_.cert_pem, client_.cert_pem, client_.key_pem};
  }
  api::Node Node(int port, const std::string& ip = "127.0.0.1") {
    api::Node n;
    n.mutable_metadata()->set_name("n1");
    auto* a = n.mutable_status()->add_addresses();
    a->set_type("InternalIP");
    a->set_address(ip);
    n.mutable_status()->mutable_daemon_endpoints()->mutable_kubelet_endpoint()->set_port(port);
    return n;
  }
  pki::CertAndKey Serving(const pki::CertAndKey& ca, const std::string& ip) {
    return Must(pki::IssueServingCert(ca, "system:node:n1", {"localhost"}, {ip}));
  }

  pki::CertAndKey ca_, other_ca_, client_;
  KubeletClientConfig config_;
};

TEST_F(KubeletClientTest, FetchesWithTheClientCertificate) {
  TlsKubelet kubelet(Serving(ca_, "127.0.0.1"), ca_.cert_pem);
  absl::StatusOr<StatsSummary> s = FetchSummary(Node(kubelet.port()), config_, absl::Seconds(5));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->node_name, "n1");
  EXPECT_EQ(s->node_cpu_nano_cores, 5);
  absl::StatusOr<pki::CertInfo> peer = pki::ParseCert(kubelet.peer_cert());
  ASSERT_TRUE(peer.ok()) << peer.status();
  EXPECT_EQ(peer->common_name, "kube-apiserver-kubelet-client");
}

TEST_F(KubeletClientTest, RefusesAServingCertificateFromAnotherCa) {
  TlsKubelet kubelet(Serving(other_ca_, "127.0.0.1"), ca_.cert_pem);
  absl::StatusOr<StatsSummary> s = FetchSummary(Node(kubelet.port()), config_, absl::Seconds(5));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsUnavailable(s.status()));
  EXPECT_EQ(s.status().message(),
            absl::StrCat("TLS verification of the kubelet of node n1 at 127.0.0.1:", kubelet.port(),
                         " failed: x509: certificate signed by unknown authority"));
  EXPECT_TRUE(kubelet.peer_cert().empty());
}

TEST_F(KubeletClientTest, RefusesAServingCertificateWithoutTheNodeIp) {
  TlsKubelet kubelet(Serving(ca_, "10.0.0.7"), ca_.cert_pem);
  absl::StatusOr<StatsSummary> s = FetchSummary(Node(kubelet.port()), config_, absl::Seconds(5));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(),
              HasSubstr("failed: x509: certificate is not valid for 127.0.0.1"));
  EXPECT_TRUE(kubelet.peer_cert().empty());
}

TEST_F(KubeletClientTest, RefusesAClientCertificateForTheServer) {
  // A client certificate (clientAuth only) is no serving certificate.
  TlsKubelet kubelet(Must(pki::IssueClientCert(ca_, "127.0.0.1", {})), ca_.cert_pem);
  absl::StatusOr<StatsSummary> s = FetchSummary(Node(kubelet.port()), config_, absl::Seconds(5));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("failed: x509: "));
}

TEST_F(KubeletClientTest, TheKubeletRefusesAClientFromAnotherCa) {
  TlsKubelet kubelet(Serving(ca_, "127.0.0.1"), ca_.cert_pem);
  pki::CertAndKey stranger = Must(pki::IssueClientCert(other_ca_, "kube-apiserver", {}));
  KubeletClientConfig config{ca_.cert_pem, stranger.cert_pem, stranger.key_pem};
  absl::StatusOr<StatsSummary> s = FetchSummary(Node(kubelet.port()), config, absl::Seconds(5));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("cannot reach the kubelet of node n1 at 127.0.0.1:"));
  EXPECT_TRUE(kubelet.peer_cert().empty());
}

TEST_F(KubeletClientTest, UnreachableAndMisconfigured) {
  int port = 0;
  {
    TlsKubelet gone(Serving(ca_, "127.0.0.1"), ca_.cert_pem);
    port = gone.port();
  }
  absl::StatusOr<StatsSummary> s = FetchSummary(Node(port), config_, absl::Seconds(5));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            absl::StrCat("cannot reach the kubelet of node n1 at 127.0.0.1:", port));
  s = FetchSummary(Node(port), KubeletClientConfig{ca_.cert_pem, "", ""}, absl::Seconds(5));
  EXPECT_THAT(s.status().message(), HasSubstr("no client certificate for kubelets"));
  s = FetchSummary(Node(0), config_, absl::Seconds(5));
  EXPECT_EQ(s.status().message(), "node n1 publishes no kubelet endpoint");
}

}  // namespace
}  // namespace mk
