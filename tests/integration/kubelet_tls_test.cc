// The apiserver → kubelet connection (pods/log, metrics.k8s.io) is authenticated both ways:
// a real mk-apiserver presents its kubelet client certificate
// (pki/apiserver-kubelet-client.crt, or --kubelet-client-certificate) and accepts only a
// kubelet serving certificate from --kubelet-certificate-authority (default: the cluster CA)
// that names the node's InternalIP. The kubelets are in-test HTTPS servers (FakeKubelet);
// the real kubelet's side is tests/e2e/kubelet_tls_test.cc. Also mk-kubeconfig's kubelet
// serving certificates.

#include <httplib.h>
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_kubelet.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

int Mode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

pki::CertAndKey Must(absl::StatusOr<pki::CertAndKey> v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : pki::CertAndKey{};
}

class KubeletTlsTest : public ::testing::Test {
 protected:
  void StartApiserver(std::vector<std::string> flags = {}) {
    server_ = std::make_unique<Apiserver>(dir_.path() + "/data", std::move(flags));
    ASSERT_TRUE(server_->Start()) << server_->log_path();
    ca_ = ClusterCa(*server_);
    ASSERT_FALSE(ca_.key_pem.empty());
    serving_ca_ = KubeletServingCa(*server_);
    ASSERT_FALSE(serving_ca_.key_pem.empty());
  }
  // A kubelet whose serving certificate is signed by `signer` for `ips`, serving a log line.
  std::unique_ptr<FakeKubelet> Kubelet(const pki::CertAndKey& signer,
                                       const std::vector<std::string>& ips) {
    auto k = std::make_unique<FakeKubelet>(signer, ips, ca_.cert_pem);
    k->Get(R"(/containerLogs/([^/]+)/([^/]+)/([^/]+))",
           [](const httplib::Request& req, httplib::Response& res) {
             res.set_content(absl::StrCat("log of ", req.matches[2].str(), "\n"), "text/plain");
           });
    EXPECT_TRUE(k->Start());
    return k;
  }
  CommandResult Mk(const std::vector<std::string>& args, const std::string& in = "") {
    return Mkctl(server_->kubeconfig(), args, in);
  }
  // Node n1 (InternalIP 127.0.0.1, Ready) whose kubelet listens on `port`, and pod "web" on it.
  void NodeAndPod(int port) {
    Json status = {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
                   {"addresses", {{{"type", "InternalIP"}, {"address", "127.0.0.1"}}}},
                   {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", port}}}}}};
    Json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "n1"}}}};
    CommandResult r = Mk({"apply", "-f", "-"}, node.dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Mk({"patch", "node", "n1", "--subresource=status", "--type=merge", "-p",
            Json{{"status", status}}.dump()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    Json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", {{"name", "web"}}},
        {"spec", {{"nodeName", "n1"}, {"containers", {{{"name", "c"}, {"image", "busybox"}}}}}}};
    r = Mk({"apply", "-f", "-"}, pod.dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> server_;
  pki::CertAndKey ca_;          // the cluster CA: client certificates
  pki::CertAndKey serving_ca_;  // the kubelet serving CA
};

TEST_F(KubeletTlsTest, ApiserverPresentsItsKubeletClientCertificate) {
  StartApiserver();
  std::string base = server_->data_dir() + "/pki/apiserver-kubelet-client";
  EXPECT_EQ(Mode(base + ".key"), 0600);
  absl::StatusOr<std::string> cert = pki::ReadFile(base + ".crt");
  ASSERT_TRUE(cert.ok()) << cert.status();
  absl::StatusOr<pki::CertInfo> info = pki::ParseCert(*cert);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "kube-apiserver-kubelet-client");
  EXPECT_THAT(info->organizations, ElementsAre("system:masters"));
  EXPECT_TRUE(pki::VerifyCert(*cert, ca_.cert_pem, pki::Usage::kClient).ok());

  auto kubelet = Kubelet(serving_ca_, {"127.0.0.1"});
  NodeAndPod(kubelet->port());
  CommandResult r = Mk({"logs", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "log of web\n");
  EXPECT_EQ(kubelet->last_client(), "kube-apiserver-kubelet-client");
}

TEST_F(KubeletTlsTest, ClusterCaSignedKubeletsAreNotTrusted) {
  // Kubelet serving certificates have a CA of their own: one from the cluster CA (which a
  // node could use to pass for the apiserver, were the two the same) is refused.
  StartApiserver();
  EXPECT_NE(serving_ca_.cert_pem, ca_.cert_pem);
  EXPECT_EQ(Mode(server_->data_dir() + "/pki/kubelet-serving-ca.key"), 0600);
  auto kubelet = Kubelet(ca_, {"127.0.0.1"});
  NodeAndPod(kubelet->port());
  CommandResult r = Mk({"logs", "web"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("x509: certificate signed by unknown authority"));
  EXPECT_EQ(kubelet->last_client(), "");
}

TEST_F(KubeletTlsTest, RefusesAKubeletWhoseCertificateIsFromAnotherCa) {
  StartApiserver();
  pki::CertAndKey other = Must(pki::CreateCa("other-ca"));
  auto kubelet = Kubelet(other, {"127.0.0.1"});
  NodeAndPod(kubelet->port());
  CommandResult r = Mk({"logs", "web"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err,
              HasSubstr(absl::StrCat(
                  "TLS verification of the kubelet of node n1 at 127.0.0.1:", kubelet->port(),
                  " failed: x509: certificate signed by unknown authority")));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(kubelet->last_client(), "");  // no request reached it
  // The metrics API leaves the node out.
  r = Mk({"top", "node"});
  EXPECT_THAT(r.out, HasSubstr("n1     <unknown>"));
}

TEST_F(KubeletTlsTest, RefusesAKubeletWhoseCertificateLacksTheNodeIp) {
  StartApiserver();
  auto kubelet = Kubelet(serving_ca_, {"10.11.12.13"});
  NodeAndPod(kubelet->port());
  CommandResult r = Mk({"logs", "web"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("failed: x509: certificate is not valid for 127.0.0.1"));
  EXPECT_EQ(kubelet->last_client(), "");
}

TEST_F(KubeletTlsTest, KubeletClientFlags) {
  // A kubelet CA of its own and a client certificate of the operator's choosing.
  pki::CertAndKey kubelet_ca = Must(pki::CreateCa("kubelet-ca"));
  std::string ca_file = dir_.path() + "/kubelet-ca.crt";
  WriteFile(ca_file, kubelet_ca.cert_pem);
  // The client certificate must come from the cluster CA (which the kubelets trust), and the
  // apiserver makes that CA on its first start: start once, issue, restart with the flags.
  StartApiserver();
  pki::CertAndKey client = Must(pki::IssueClientCert(ca_, "custom-kubelet-client", {}));
  WriteFile(dir_.path() + "/client.crt", client.cert_pem);
  WriteFile(dir_.path() + "/client.key", client.key_pem);
  server_->Kill(SIGTERM);
  StartApiserver({"--kubelet-certificate-authority=" + ca_file,
                  "--kubelet-client-certificate=" + dir_.path() + "/client.crt",
                  "--kubelet-client-key=" + dir_.path() + "/client.key"});
  auto kubelet = Kubelet(kubelet_ca, {"127.0.0.1"});
  NodeAndPod(kubelet->port());
  CommandResult r = Mk({"logs", "web"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(kubelet->last_client(), "custom-kubelet-client");
  // A kubelet with a cluster-CA certificate is not trusted now.
  auto cluster_signed = Kubelet(ca_, {"127.0.0.1"});
  NodeAndPod(cluster_signed->port());
  r = Mk({"logs", "web"});
  EXPECT_THAT(r.err, HasSubstr("x509: certificate signed by unknown authority"));
}

TEST_F(KubeletTlsTest, MkKubeconfigIssuesKubeletServingCertificates) {
  StartApiserver();
  Apiserver::KubeletCredentials c =
      server_->IssueKubeletCredentials("n1", dir_.path(), {"10.0.0.7", "n1.example.test"});
  ASSERT_FALSE(c.cert.empty());
  EXPECT_EQ(Mode(c.key), 0600);
  EXPECT_EQ(Mode(c.kubeconfig), 0600);
  absl::StatusOr<std::string> cert = pki::ReadFile(c.cert);
  absl::StatusOr<std::string> key = pki::ReadFile(c.key);
  ASSERT_TRUE(cert.ok() && key.ok());
  EXPECT_TRUE(pki::CheckKeyMatchesCert(*cert, *key).ok());
  absl::StatusOr<pki::CertInfo> info = pki::ParseCert(*cert);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "system:node:n1");
  EXPECT_THAT(info->organizations, ElementsAre("system:nodes"));
  EXPECT_THAT(info->ips, ElementsAre("10.0.0.7"));
  EXPECT_THAT(info->dns_names, ElementsAre("n1.example.test"));
  EXPECT_TRUE(pki::VerifyCert(*cert, serving_ca_.cert_pem, pki::Usage::kServer).ok());
  EXPECT_FALSE(pki::VerifyCert(*cert, serving_ca_.cert_pem, pki::Usage::kClient).ok());
  EXPECT_FALSE(pki::VerifyCert(*cert, ca_.cert_pem, pki::Usage::kServer).ok());
  // Default SANs; only the serving certificate when no --out is given.
  std::string only = dir_.path() + "/only";
  CommandResult r = ::mk::testing::Run(
      {BinPath("mk-kubeconfig"), "--data-dir=" + server_->data_dir(), "--user=system:node:n2",
       "--group=system:nodes", "--serving-cert-out=" + only + ".crt",
       "--serving-key-out=" + only + ".key"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  info = pki::ParseCert(*pki::ReadFile(only + ".crt"));
  ASSERT_TRUE(info.ok());
  EXPECT_THAT(info->ips, ElementsAre("127.0.0.1"));
  EXPECT_THAT(info->dns_names, ElementsAre("localhost"));
  r = ::mk::testing::Run({BinPath("mk-kubeconfig"), "--data-dir=" + server_->data_dir(),
                          "--user=system:node:n2", "--serving-cert-out=" + only + ".crt"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--serving-cert-out needs --serving-key-out"));
}

TEST(KubeletTls, TheKubeletDoesNotStartWithHalfAServingCertificate) {
  // No plaintext fallback: a certificate without its key (or the reverse) is refused before
  // the kubelet needs Docker or the apiserver. With neither it requests one by a CSR
  // (tests/e2e/node_join_test.sh).
  for (const char* flag :
       {"--tls-cert-file=/etc/hostname", "--tls-private-key-file=/etc/hostname"}) {
    CommandResult r = ::mk::testing::Run(
        {BinPath("mk-kubelet"), "--kubeconfig=/nonexistent", "--node-name=n1", flag});
    EXPECT_EQ(r.exit_code, 2) << flag;
    EXPECT_THAT(r.err, HasSubstr("the kubelet serves HTTPS only: give both --tls-cert-file and "
                                 "--tls-private-key-file"))
        << flag;
  }
}

}  // namespace
}  // namespace mk::testing
