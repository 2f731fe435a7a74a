// mk-apiserver as a real process: TLS on both ports, the PKI and kubeconfigs it writes, and
// authentication (client certificates, bearer tokens, anonymous) over REST and gRPC.

#include <httplib.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_client.h"
#include "common/json.h"
#include "common/kubeconfig_file.h"
#include "common/pki.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Mode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = dir_.path() + "/tokens.csv";
    WriteFile(tokens_,
              "good-token,alice,1001,\"devs,system:masters\"\n"
              "weak-token,bob,1002,\"devs\"\n");
    server_ = std::make_unique<Apiserver>(
        dir_.path() + "/data", std::vector<std::string>{"--token-auth-file=" + tokens_,
                                                        "--tls-san=mk.example.test,10.11.12.13"});
    ASSERT_TRUE(server_->Start()) << "see " << server_->log_path();
    ca_ = Slurp(server_->data_dir() + "/pki/ca.crt");
    ASSERT_FALSE(ca_.empty());
  }

  // An HTTPS client that trusts the cluster CA and presents `cert` (if any) and `token`.
  std::unique_ptr<httplib::SSLClient> Client(const pki::CertAndKey* cert = nullptr,
                                             const std::string& token = "") {
    KubeconfigCredentials creds;
    creds.server = server_->url();
    creds.ca_pem = ca_;
    if (cert != nullptr) {
      creds.cert_pem = cert->cert_pem;
      creds.key_pem = cert->key_pem;
    }
    creds.token = token;
    std::string path = absl::StrCat(dir_.path(), "/kc-", ++n_);
    WriteFile(path, RenderKubeconfig({"mk", "u", ""}, creds));
    auto c = NewRestClient(path);
    c->set_read_timeout(10, 0);
    return c;
  }
  std::unique_ptr<ApiClient> Grpc(const pki::CertAndKey* cert = nullptr,
                                  const std::string& token = "") {
    GrpcApiClientOptions o;
    o.timeout = absl::Seconds(5);
    o.ca_pem = ca_;
    if (cert != nullptr) {
      o.cert_pem = cert->cert_pem;
      o.key_pem = cert->key_pem;
    }
    o.token = token;
    return NewGrpcApiClient(server_->grpc_address(), o);
  }
  pki::CertAndKey ClusterCa() { return {ca_, Slurp(server_->data_dir() + "/pki/ca.key")}; }

  TempDir dir_;
  std::string tokens_;
  std::string ca_;
  std::unique_ptr<Apiserver> server_;
  int n_ = 0;
};

void ExpectUnauthorized(const httplib::Result& r, const std::string& what) {
  ASSERT_TRUE(r) << what << ": no response";
  EXPECT_EQ(r->status, 401) << what << ": " << r->body;
  Json body = Json::parse(r->body);
  EXPECT_EQ(body["kind"], "Status") << what;
  EXPECT_EQ(body["message"], "Unauthorized") << what;
  EXPECT_EQ(body["reason"], "Unauthorized") << what;
  EXPECT_EQ(body["code"], 401) << what;
}

TEST_F(TlsTest, AnonymousGets401ExceptOnThePublicPaths) {
  auto anon = Client();
  for (const char* p :
       {"/api/v1/namespaces/default/pods", "/api/v1/namespaces", "/api", "/apis", "/api/v1",
        "/metrics", "/apis/apps/v1/replicasets", "/apis/metrics.k8s.io/v1beta1/nodes"}) {
    ExpectUnauthorized(anon->Get(p), p);
  }
  ExpectUnauthorized(anon->Post("/api/v1/namespaces/default/pods", "{}", "application/json"),
                     "POST pods");
  ExpectUnauthorized(anon->Delete("/api/v1/namespaces/default"), "DELETE namespace");
  for (const char* p : {"/healthz", "/readyz", "/livez", "/version"}) {
    auto r = anon->Get(p);
    ASSERT_TRUE(r) << p;
    EXPECT_EQ(r->status, 200) << p;
  }
  // gRPC: TLS but no credentials.
  absl::Status s = Grpc()->List("pods", "default").status();
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  s = Grpc()->Get("namespaces", "", "default").status();
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
}

TEST_F(TlsTest, AnonymousAuthFalseClosesThePublicPathsToo) {
  server_->Kill(SIGTERM);
  Apiserver closed(server_->data_dir(), {"--anonymous-auth=false"});
  ASSERT_TRUE(closed.Start());
  auto c = NewRestClient(closed.kubeconfig());
  ASSERT_EQ(c->Get("/healthz")->status, 200);  // the admin still may
  KubeconfigCredentials anon_creds;
  anon_creds.server = closed.url();
  anon_creds.ca_pem = ca_;
  WriteFile(dir_.path() + "/anon", RenderKubeconfig({"mk", "u", ""}, anon_creds));
  auto anon = NewRestClient(dir_.path() + "/anon");
  for (const char* p : {"/healthz", "/version"}) ExpectUnauthorized(anon->Get(p), p);
}

TEST_F(TlsTest, ClientCertificatesFromTheClusterCaOnly) {
  pki::CertAndKey ca = ClusterCa();
  // Authenticated but in no role: 403 (authorization), not 401.
  auto dev = pki::IssueClientCert(ca, "carol", {"devs"});
  ASSERT_TRUE(dev.ok());
  auto r = Client(&*dev)->Get("/api/v1/namespaces");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_TRUE(absl::StrContains(Json::parse(r->body)["message"].get<std::string>(),
                                "User \"carol\" cannot list resource \"namespaces\""))
      << r->body;
  EXPECT_TRUE(absl::IsPermissionDenied(Grpc(&*dev)->List("namespaces", "").status()));
  auto good = pki::IssueClientCert(ca, "carol", {"devs", "system:masters"});
  ASSERT_TRUE(good.ok());
  r = Client(&*good)->Get("/api/v1/namespaces");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_TRUE(Grpc(&*good)->List("namespaces", "").ok());

  // (b) the same identity from another CA.
  auto other = pki::CreateCa("mk-ca");  // even the same CA name
  ASSERT_TRUE(other.ok());
  auto foreign = pki::IssueClientCert(*other, "kubernetes-admin", {"system:masters"});
  ASSERT_TRUE(foreign.ok());
  ExpectUnauthorized(Client(&*foreign)->Get("/api/v1/namespaces"), "foreign CA");
  EXPECT_FALSE(Grpc(&*foreign)->List("namespaces", "").ok());

  // (c) expired, from the right CA.
  pki::CertOptions old;
  old.not_before = absl::Now() - absl::Hours(3);
  old.validity = absl::Hours(1);
  auto expired = pki::IssueClientCert(ca, "kubernetes-admin", {"system:masters"}, old);
  ASSERT_TRUE(expired.ok());
  ExpectUnauthorized(Client(&*expired)->Get("/api/v1/namespaces"), "expired");
  EXPECT_FALSE(Grpc(&*expired)->List("namespaces", "").ok());

  // A serving certificate of the cluster CA is not a client certificate.
  auto serving = pki::IssueServingCert(ca, "kubernetes-admin", {"localhost"}, {});
  ASSERT_TRUE(serving.ok());
  ExpectUnauthorized(Client(&*serving)->Get("/api/v1/namespaces"), "serverAuth only");
}

TEST_F(TlsTest, BearerTokensFromTheTokenFile) {
  auto r = Client(nullptr, "good-token")->Get("/api/v1/namespaces/default/pods");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  ExpectUnauthorized(Client(nullptr, "bad-token")->Get("/api/v1/namespaces/default/pods"),
                     "wrong token");
  ExpectUnauthorized(Client(nullptr, "bad-token")->Get("/healthz"), "wrong token, public path");
  EXPECT_TRUE(Grpc(nullptr, "good-token")->List("pods", "default").ok());
  EXPECT_EQ(Client(nullptr, "weak-token")->Get("/api/v1/namespaces/default/pods")->status, 403);
  absl::Status s = Grpc(nullptr, "bad-token")->List("pods", "default").status();
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  // The token never reaches the log.
  EXPECT_FALSE(absl::StrContains(Slurp(server_->log_path()), "good-token"));
  EXPECT_FALSE(absl::StrContains(Slurp(server_->log_path()), "bad-token"));
}

TEST_F(TlsTest, NoPlaintextAndNoTls11) {
  int rest = server_->rest_port();
  int grpc = server_->grpc_port();
  EXPECT_FALSE(PlainHttpAnswers(rest));
  EXPECT_FALSE(PlainHttpAnswers(grpc));
  httplib::Client plain("127.0.0.1", rest);
  plain.set_read_timeout(5, 0);
  auto r = plain.Get("/healthz");
  EXPECT_TRUE(!r || r->status != 200);
  EXPECT_TRUE(TlsHandshake(rest, ca_));
  EXPECT_TRUE(TlsHandshake(rest, ca_, TLS1_2_VERSION));
  EXPECT_TRUE(TlsHandshake(rest, ca_, TLS1_3_VERSION));
  EXPECT_FALSE(TlsHandshake(rest, ca_, TLS1_1_VERSION));
  EXPECT_FALSE(TlsHandshake(rest, ca_, TLS1_VERSION));
  EXPECT_TRUE(TlsHandshake(grpc, ca_, TLS1_2_VERSION, "h2"));
  EXPECT_FALSE(TlsHandshake(grpc, ca_, TLS1_1_VERSION, "h2"));
  // A client that does not trust the cluster CA fails verification.
  auto other = pki::CreateCa("mk-ca");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(TlsHandshake(rest, other->cert_pem));
}

TEST_F(TlsTest, PkiFilesKubeconfigsAndSans) {
  const std::string d = server_->data_dir();
  for (const char* f : {"/pki/ca.key", "/pki/apiserver.key", "/pki/admin.key", "/admin.kubeconfig",
                        "/scheduler.kubeconfig", "/controller-manager.kubeconfig"}) {
    EXPECT_EQ(Mode(d + f), 0600) << f;
  }
  auto info = pki::ParseCert(Slurp(d + "/pki/apiserver.crt"));
  ASSERT_TRUE(info.ok());
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  for (const std::string& dns :
       {std::string("localhost"), std::string(host), std::string("mk.example.test")}) {
    EXPECT_NE(std::find(info->dns_names.begin(), info->dns_names.end(), dns), info->dns_names.end())
        << dns;
  }
  for (const char* ip : {"127.0.0.1", "10.11.12.13"}) {
    EXPECT_NE(std::find(info->ips.begin(), info->ips.end(), ip), info->ips.end()) << ip;
  }
  struct Want {
    const char* name;
    const char* cn;
    std::vector<std::string> orgs;
  };
  for (const Want& w : {Want{"admin", "kubernetes-admin", {"system:masters"}},
                        Want{"scheduler", "system:kube-scheduler", {}},
                        Want{"controller-manager", "system:kube-controller-manager", {}}}) {
    auto kc = LoadKubeconfigCredentials(server_->kubeconfig(w.name));
    ASSERT_TRUE(kc.ok()) << kc.status();
    EXPECT_EQ(kc->server, server_->url());
    EXPECT_EQ(kc->grpc_server, server_->grpc_address());
    EXPECT_EQ(kc->ca_pem, ca_);
    auto ci = pki::ParseCert(kc->cert_pem);
    ASSERT_TRUE(ci.ok());
    EXPECT_EQ(ci->common_name, w.cn);
    EXPECT_EQ(ci->organizations, w.orgs);
    EXPECT_TRUE(pki::VerifyCert(kc->cert_pem, ca_, pki::Usage::kClient).ok());
    EXPECT_TRUE(pki::CheckKeyMatchesCert(kc->cert_pem, kc->key_pem).ok());
  }
  // Standard kubeconfig fields, as kubeadm writes them.
  std::string admin = Slurp(server_->kubeconfig());
  for (const char* field : {"certificate-authority-data:", "client-certificate-data:",
                            "client-key-data:", "name: mk.io/grpc"}) {
    EXPECT_TRUE(absl::StrContains(admin, field)) << field;
  }
}

TEST_F(TlsTest, MkctlAndCurlWithTheAdminCredentials) {
  CommandResult r = Mkctl(server_->kubeconfig(), {"get", "namespaces"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "kube-system")) << r.out;
  // $KUBECONFIG is honoured too.
  r = mk::testing::Run(
      {"/usr/bin/env", "KUBECONFIG=" + server_->kubeconfig(), BinPath("mkctl"), "get", "ns"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A kubeconfig without credentials: 401 from the server, reported as kubectl does.
  KubeconfigCredentials anon;
  anon.server = server_->url();
  anon.ca_pem = ca_;
  WriteFile(dir_.path() + "/anon", RenderKubeconfig({"mk", "u", ""}, anon));
  r = Mkctl(dir_.path() + "/anon", {"get", "pods"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "Unauthorized")) << r.err;

  auto kc = LoadKubeconfigCredentials(server_->kubeconfig());
  ASSERT_TRUE(kc.ok());
  WriteFile(dir_.path() + "/admin.crt", kc->cert_pem);
  WriteFile(dir_.path() + "/admin.key", kc->key_pem);
  std::string url = server_->url() + "/api/v1/namespaces";
  r = mk::testing::Run({"/usr/bin/curl", "-sS", "--cacert", server_->data_dir() + "/pki/ca.crt",
                        "--cert", dir_.path() + "/admin.crt", "--key", dir_.path() + "/admin.key",
                        url});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "\"kube-system\"")) << r.out;
  r = mk::testing::Run(
      {"/usr/bin/curl", "-sS", "--cacert", server_->data_dir() + "/pki/ca.crt", url});
  EXPECT_TRUE(absl::StrContains(r.out, "\"code\":401")) << r.out;
  r = mk::testing::Run(
      {"/usr/bin/curl", "-sS", url});  // the system trust store does not know mk's CA
  EXPECT_NE(r.exit_code, 0);
}

TEST_F(TlsTest, MkctlTrustsOnlyTheKubeconfigsCa) {
  // A kubeconfig naming another CA: refused with kubectl's words, even when the system trust
  // store (SSL_CERT_FILE here) holds the cluster CA — certificate-authority-data replaces the
  // system CAs, as in kubectl.
  auto kc = LoadKubeconfigCredentials(server_->kubeconfig());
  ASSERT_TRUE(kc.ok());
  auto other = pki::CreateCa("other-ca");
  ASSERT_TRUE(other.ok());
  KubeconfigCredentials wrong = *kc;
  wrong.ca_pem = other->cert_pem;
  const std::string path = dir_.path() + "/wrong-ca";
  WriteFile(path, RenderKubeconfig({"mk", "kubernetes-admin", ""}, wrong));
  CommandResult r =
      mk::testing::Run({"/usr/bin/env", "SSL_CERT_FILE=" + server_->data_dir() + "/pki/ca.crt",
                        BinPath("mkctl"), "--kubeconfig", path, "get", "ns"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(
      r.err, "Unable to connect to the server: x509: certificate signed by unknown authority"))
      << r.err;
  r = Mkctl(path, {"--insecure-skip-tls-verify", "get", "ns"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(TlsTest, RestartKeepsTheCaAndRewritesThePorts) {
  const std::string d = server_->data_dir();
  std::string serving = Slurp(d + "/pki/apiserver.crt");
  std::string admin_before = Slurp(server_->kubeconfig());
  auto creds_before = LoadKubeconfigCredentials(server_->kubeconfig());
  ASSERT_TRUE(creds_before.ok());
  server_->Kill(SIGTERM);
  Apiserver again(d);  // ports 0 again: new ports
  ASSERT_TRUE(again.Start()) << again.log_path();
  EXPECT_EQ(Slurp(d + "/pki/ca.crt"), ca_);
  EXPECT_EQ(Slurp(d + "/pki/apiserver.crt"), serving);
  auto creds = LoadKubeconfigCredentials(again.kubeconfig());
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->server, again.url());
  EXPECT_EQ(creds->grpc_server, again.grpc_address());
  EXPECT_EQ(creds->cert_pem, creds_before->cert_pem);  // the same client certificate
  EXPECT_NE(Slurp(again.kubeconfig()), admin_before);
  CommandResult r = Mkctl(again.kubeconfig(), {"get", "ns", "default"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A kubeconfig from the first run, pointed at the new address, still authenticates.
  KubeconfigCredentials old = *creds_before;
  old.server = again.url();
  WriteFile(dir_.path() + "/old", RenderKubeconfig({"mk", "u", ""}, old));
  EXPECT_EQ(NewRestClient(dir_.path() + "/old")->Get("/api/v1/namespaces")->status, 200);
}

TEST_F(TlsTest, KubeconfigsForOtherUsers) {
  std::string path = dir_.path() + "/node.kubeconfig";
  ASSERT_TRUE(server_->IssueKubeconfig("system:node:n1", {"system:nodes"}, path));
  EXPECT_EQ(Mode(path), 0600);
  auto kc = LoadKubeconfigCredentials(path);
  ASSERT_TRUE(kc.ok());
  auto ci = pki::ParseCert(kc->cert_pem);
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->common_name, "system:node:n1");
  EXPECT_EQ(ci->organizations, std::vector<std::string>{"system:nodes"});
  auto client = NewGrpcApiClientFromKubeconfig(path, "");
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->List("nodes", "").ok());
}

}  // namespace
}  // namespace mk::testing

namespace mk::testing {
namespace {

TEST(TlsListen, KubeconfigsNameASpecificListenAddress) {
  TempDir dir;
  // 127.0.0.2 is loopback too; a specific address goes into the SANs and the kubeconfigs.
  Apiserver api(dir.path() + "/data", {"--listen=127.0.0.2:0", "--grpc-listen=127.0.0.2:0"});
  ASSERT_TRUE(api.Start()) << api.log_path();
  auto kc = LoadKubeconfigCredentials(api.kubeconfig());
  ASSERT_TRUE(kc.ok());
  EXPECT_EQ(kc->server, absl::StrCat("https://127.0.0.2:", api.rest_port()));
  EXPECT_EQ(kc->grpc_server, absl::StrCat("127.0.0.2:", api.grpc_port()));
  auto client = NewGrpcApiClientFromKubeconfig(api.kubeconfig(), "");
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->List("namespaces", "").ok());
  CommandResult r = Mkctl(api.kubeconfig(), {"get", "ns", "default"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace mk::testing

namespace mk::testing {
namespace {

TEST(TlsExternalPki, CertificateKeyAndClientCaFromFlags) {
  TempDir dir;
  auto ca = pki::CreateCa("corp-ca");
  ASSERT_TRUE(ca.ok());
  auto serving = pki::IssueServingCert(*ca, "apiserver.corp", {"localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(serving.ok());
  WriteFile(dir.path() + "/ca.crt", ca->cert_pem);
  WriteFile(dir.path() + "/tls.crt", serving->cert_pem);
  WriteFile(dir.path() + "/tls.key", serving->key_pem);
  Apiserver api(dir.path() + "/data", {"--tls-cert-file=" + dir.path() + "/tls.crt",
                                       "--tls-private-key-file=" + dir.path() + "/tls.key",
                                       "--client-ca-file=" + dir.path() + "/ca.crt"});
  ASSERT_TRUE(api.Start()) << api.log_path();
  // It serves the given certificate and creates no CA of its own (so no kubeconfigs either).
  EXPECT_TRUE(TlsHandshake(api.rest_port(), ca->cert_pem));
  EXPECT_TRUE(TlsHandshake(api.grpc_port(), ca->cert_pem, 0, "h2"));
  EXPECT_FALSE(std::ifstream(api.data_dir() + "/pki/ca.key").good());
  EXPECT_FALSE(std::ifstream(api.kubeconfig()).good());
  // Client certificates of the given CA authenticate, over REST and gRPC.
  auto user = pki::IssueClientCert(*ca, "alice", {"devs", "system:masters"});
  ASSERT_TRUE(user.ok());
  KubeconfigCredentials creds;
  creds.server = api.url();
  creds.grpc_server = api.grpc_address();
  creds.ca_pem = ca->cert_pem;
  creds.cert_pem = user->cert_pem;
  creds.key_pem = user->key_pem;
  std::string kc = dir.path() + "/alice.kubeconfig";
  WriteFile(kc, RenderKubeconfig({"corp", "alice", ""}, creds));
  auto r = NewRestClient(kc)->Get("/api/v1/namespaces");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto client = NewGrpcApiClientFromKubeconfig(kc, "");
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->List("namespaces", "").ok());
  // A mismatched key is refused at start-up.
  auto other = pki::IssueServingCert(*ca, "x", {"localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(other.ok());
  WriteFile(dir.path() + "/other.key", other->key_pem);
  Apiserver bad(dir.path() + "/data2", {"--tls-cert-file=" + dir.path() + "/tls.crt",
                                        "--tls-private-key-file=" + dir.path() + "/other.key"});
  EXPECT_FALSE(bad.Start());
}

}  // namespace
}  // namespace mk::testing
