// Node join by TLS bootstrap through real daemons: a bootstrap token Secret, the kubelet's
// bootstrap code (kubelet/tls_bootstrap.h) against a real mk-apiserver and a real
// mk-controller-manager that approves and signs with the cluster CA; what a bootstrap token
// may and may not do; which requests the approver leaves alone and the signer refuses;
// `mkctl certificate approve|deny` and `get csr`.

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/json_codec.h"
#include "common/kubeconfig_file.h"
#include "common/object.h"
#include "common/pki.h"
#include "gtest/gtest.h"
#include "kubelet/tls_bootstrap.h"
#include "tests/integration/controller_harness.h"

namespace mk::testing {
namespace {

constexpr char kTokenId[] = "abcdef";
constexpr char kTokenSecret[] = "0123456789abcdef";
constexpr char kCsrs[] = "certificatesigningrequests";

class CsrBootstrapTest : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    if (HasFatalFailure()) return;
    const std::string pki = api_->data_dir() + "/pki";
    StartCm(0, {"--cluster-signing-cert-file", pki + "/ca.crt", "--cluster-signing-key-file",
                pki + "/ca.key", "--cluster-signing-duration", "720h"});
    auto ca = pki::ReadFile(pki + "/ca.crt");
    ASSERT_TRUE(ca.ok());
    ca_pem_ = *ca;
  }

  // The Secret kube-system/bootstrap-token-<id>, as kubeadm token create writes it.
  void CreateToken(const std::string& id, const std::string& secret,
                   absl::Time expiration = absl::Now() + absl::Hours(1), bool usage = true) {
    api::Secret s;
    s.mutable_metadata()->set_name(absl::StrCat("bootstrap-token-", id));
    s.set_type("bootstrap.kubernetes.io/token");
    auto& d = *s.mutable_data();
    d["token-id"] = id;
    d["token-secret"] = secret;
    d["expiration"] = mk::FormatTime(expiration);
    if (usage) d["usage-bootstrap-authentication"] = "true";
    d["auth-extra-groups"] = "system:bootstrappers:mk:default-node-token";
    auto r = client_->Create("secrets", "kube-system", s);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  // A kubeconfig with the admin kubeconfig's servers and CA and `token` as its credential.
  std::string TokenKubeconfig(const std::string& token) {
    auto admin = LoadKubeconfigCredentials(api_->kubeconfig());
    EXPECT_TRUE(admin.ok());
    KubeconfigCredentials creds;
    creds.server = admin->server;
    creds.grpc_server = admin->grpc_server;
    creds.ca_pem = admin->ca_pem;
    creds.token = token;
    KubeconfigNames names;
    names.user = "kubelet-bootstrap";
    std::string path = absl::StrCat(dir_.path(), "/bootstrap-", token.substr(0, 6), ".kubeconfig");
    WriteFile(path, RenderKubeconfig(names, creds));
    return path;
  }

  std::unique_ptr<ApiClient> ClientFor(const std::string& kubeconfig) {
    auto c = NewGrpcApiClientFromKubeconfig(kubeconfig, "");
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  api::CertificateSigningRequest NodeClientCsr(const std::string& name, const std::string& cn,
                                               const std::vector<std::string>& orgs) {
    auto key = pki::GenerateKey();
    auto req = pki::CreateCsr(*key, cn, orgs);
    EXPECT_TRUE(req.ok());
    api::CertificateSigningRequest csr;
    csr.mutable_metadata()->set_name(name);
    csr.mutable_spec()->set_request(*req);
    csr.mutable_spec()->set_signer_name("kubernetes.io/kube-apiserver-client-kubelet");
    for (const char* u : {"digital signature", "key encipherment", "client auth"}) {
      csr.mutable_spec()->add_usages(u);
    }
    return csr;
  }

  api::CertificateSigningRequest GetCsr(const std::string& name) {
    auto r = client_->GetAs<api::CertificateSigningRequest>(kCsrs, "", name);
    return r.ok() ? *r : api::CertificateSigningRequest();
  }

  static bool Has(const api::CertificateSigningRequest& csr, const std::string& type) {
    for (const auto& c : csr.status().conditions()) {
      if (c.type() == type) return true;
    }
    return false;
  }

  std::string ca_pem_;
};

TEST_F(CsrBootstrapTest, KubeletJoinsWithABootstrapTokenAndGetsItsOwnIdentity) {
  CreateToken(kTokenId, kTokenSecret);
  kubelet::BootstrapOptions opts;
  opts.kubeconfig_path = dir_.path() + "/node-a.kubeconfig";
  opts.bootstrap_kubeconfig_path = TokenKubeconfig(absl::StrCat(kTokenId, ".", kTokenSecret));
  opts.node_name = "node-a";
  opts.timeout = absl::Seconds(30);
  ASSERT_TRUE(kubelet::EnsureNodeCredentials(opts).ok());

  auto creds = LoadKubeconfigCredentials(opts.kubeconfig_path);
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_TRUE(creds->token.empty());
  auto info = pki::ParseCert(creds->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "system:node:node-a");
  EXPECT_EQ(info->organizations, std::vector<std::string>{"system:nodes"});
  EXPECT_TRUE(pki::VerifyCert(creds->cert_pem, ca_pem_, pki::Usage::kClient).ok());
  EXPECT_FALSE(pki::VerifyCert(creds->cert_pem, ca_pem_, pki::Usage::kServer).ok());
  // --cluster-signing-duration 720h caps the validity.
  EXPECT_LE(info->not_after - absl::Now(), absl::Hours(720) + absl::Minutes(1));
  EXPECT_GT(info->not_after - absl::Now(), absl::Hours(719));

  // The new credential is node-a's: it registers its own Node, and nothing beyond.
  auto node_client = ClientFor(opts.kubeconfig_path);
  ASSERT_NE(node_client, nullptr);
  api::Node node;
  node.mutable_metadata()->set_name("node-a");
  EXPECT_TRUE(node_client->Create("nodes", "", node).ok());
  node.mutable_metadata()->set_name("node-b");
  EXPECT_TRUE(absl::IsPermissionDenied(node_client->Create("nodes", "", node).status()));
  EXPECT_TRUE(absl::IsPermissionDenied(node_client->List("secrets", "default").status()));

  // The request as kubectl shows it; a second start reuses the credential (no new CSR).
  auto csrs = client_->ListAs<api::CertificateSigningRequest>(kCsrs, "");
  ASSERT_TRUE(csrs.ok());
  ASSERT_EQ(csrs->size(), 1u);
  const api::CertificateSigningRequest& csr = (*csrs)[0];
  EXPECT_TRUE(absl::StartsWith(csr.metadata().name(), "node-csr-"));
  EXPECT_EQ(csr.spec().username(), "system:bootstrap:abcdef");
  CommandResult get = Kubectl({"get", "csr"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(absl::StrContains(get.out, "SIGNERNAME")) << get.out;
  EXPECT_TRUE(absl::StrContains(get.out, "kubernetes.io/kube-apiserver-client-kubelet")) << get.out;
  EXPECT_TRUE(absl::StrContains(get.out, "system:bootstrap:abcdef")) << get.out;
  EXPECT_TRUE(absl::StrContains(get.out, "Approved,Issued")) << get.out;
  ASSERT_TRUE(kubelet::EnsureNodeCredentials(opts).ok());
  EXPECT_EQ(client_->ListAs<api::CertificateSigningRequest>(kCsrs, "")->size(), 1u);
}

TEST_F(CsrBootstrapTest, BootstrapTokensAreCheckedAndMayOnlyRequestCertificates) {
  CreateToken(kTokenId, kTokenSecret);
  CreateToken("expird", kTokenSecret, absl::Now() - absl::Minutes(1));
  CreateToken("nouse1", kTokenSecret, absl::Now() + absl::Hours(1), /*usage=*/false);
  for (const std::string& bad :
       {absl::StrCat(kTokenId, ".", "0123456789abcdeX"),
        absl::StrCat(kTokenId, ".ffffffffffffffff"), absl::StrCat("expird.", kTokenSecret),
        absl::StrCat("nouse1.", kTokenSecret), absl::StrCat("zzzzzz.", kTokenSecret)}) {
    auto c = ClientFor(TokenKubeconfig(bad));
    ASSERT_NE(c, nullptr);
    EXPECT_TRUE(absl::IsUnauthenticated(c->List(kCsrs, "").status())) << bad;
  }
  auto boot = ClientFor(TokenKubeconfig(absl::StrCat(kTokenId, ".", kTokenSecret)));
  ASSERT_NE(boot, nullptr);
  EXPECT_TRUE(boot->List(kCsrs, "").ok());
  EXPECT_TRUE(absl::IsPermissionDenied(boot->List("pods", "default").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(boot->List("nodes", "").status()));
  EXPECT_TRUE(absl::IsPermissionDenied(
      boot->Get("secrets", "kube-system", "bootstrap-token-abcdef").status()));
  // The requester fields are the apiserver's to set; the bootstrapper cannot approve.
  api::CertificateSigningRequest csr = NodeClientCsr("spoof", "system:node:n1", {"system:nodes"});
  csr.mutable_spec()->set_username("kubernetes-admin");
  csr.mutable_spec()->add_groups("system:masters");
  auto made = boot->CreateAs<api::CertificateSigningRequest>(kCsrs, "", csr);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->spec().username(), "system:bootstrap:abcdef");
  EXPECT_EQ(std::vector<std::string>(made->spec().groups().begin(), made->spec().groups().end()),
            (std::vector<std::string>{"system:bootstrappers",
                                      "system:bootstrappers:mk:default-node-token",
                                      "system:authenticated"}));
  auto* cond = made->mutable_status()->add_conditions();
  cond->set_type("Approved");
  cond->set_status("True");
  EXPECT_TRUE(absl::IsPermissionDenied(boot->Update(kCsrs, "", *made, "approval").status()));
  // Deleting the token Secret revokes it.
  ASSERT_TRUE(client_->Delete("secrets", "kube-system", "bootstrap-token-abcdef").ok());
  EXPECT_TRUE(absl::IsUnauthenticated(boot->List(kCsrs, "").status()));
}

TEST_F(CsrBootstrapTest, ApproverAndSignerRefuseWhatANodeMayNotHave) {
  CreateToken(kTokenId, kTokenSecret);
  auto boot = ClientFor(TokenKubeconfig(absl::StrCat(kTokenId, ".", kTokenSecret)));
  ASSERT_NE(boot, nullptr);
  // A bootstrap token asking for a cluster-admin identity, then an ordinary node request.
  ASSERT_TRUE(
      boot->Create(kCsrs, "", NodeClientCsr("masters", "system:node:evil", {"system:masters"}))
          .ok());
  ASSERT_TRUE(
      boot->Create(kCsrs, "", NodeClientCsr("admin-cn", "kubernetes-admin", {"system:nodes"}))
          .ok());
  ASSERT_TRUE(
      boot->Create(kCsrs, "", NodeClientCsr("good", "system:node:n1", {"system:nodes"})).ok());
  ASSERT_TRUE(WaitFor([&] { return !GetCsr("good").status().certificate().empty(); }))
      << GetCsr("good").DebugString();
  // The controller handled the earlier ones first (one worker, queue order) and left them.
  for (const char* name : {"masters", "admin-cn"}) {
    EXPECT_EQ(GetCsr(name).status().conditions_size(), 0) << name;
  }
  // An admin approving one anyway: the signer refuses it (Failed), no certificate.
  CommandResult ok = Kubectl({"certificate", "approve", "masters"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "certificatesigningrequest.certificates.k8s.io/masters approved\n");
  ASSERT_TRUE(WaitFor([&] { return Has(GetCsr("masters"), "Failed"); }));
  api::CertificateSigningRequest failed = GetCsr("masters");
  EXPECT_TRUE(failed.status().certificate().empty());
  EXPECT_EQ(failed.status().conditions(1).reason(), "SignerValidationFailure");
  // deny, then approve without --force is refused.
  CommandResult deny = Kubectl({"certificate", "deny", "csr/admin-cn"});
  EXPECT_EQ(deny.exit_code, 0) << deny.err;
  EXPECT_TRUE(Has(GetCsr("admin-cn"), "Denied"));
  CommandResult again = Kubectl({"certificate", "approve", "admin-cn"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(again.err, "is already Denied")) << again.err;
  CommandResult get = Kubectl({"get", "csr", "admin-cn", "masters"});
  EXPECT_TRUE(absl::StrContains(get.out, "Denied")) << get.out;
  EXPECT_TRUE(absl::StrContains(get.out, "Approved,Failed")) << get.out;
  // A decision cannot be taken back.
  api::CertificateSigningRequest denied = GetCsr("admin-cn");
  denied.mutable_status()->clear_conditions();
  EXPECT_TRUE(absl::IsInvalidArgument(client_->Update(kCsrs, "", denied, "approval").status()));
}

TEST_F(CsrBootstrapTest, MalformedRequestsAreRejectedWithFieldPaths) {
  api::CertificateSigningRequest csr = NodeClientCsr("bad", "system:node:n1", {"system:nodes"});
  csr.mutable_spec()->set_request("-----BEGIN CERTIFICATE REQUEST-----\nnope\n");
  csr.mutable_spec()->clear_signer_name();
  csr.mutable_spec()->add_usages("world domination");
  csr.mutable_spec()->set_expiration_seconds(60);
  csr.set_api_version("certificates.k8s.io/v1");
  csr.set_kind("CertificateSigningRequest");
  WriteFile(dir_.path() + "/bad.json", EncodeJson(csr).dump());
  CommandResult r = Kubectl({"create", "-f", dir_.path() + "/bad.json"});
  EXPECT_NE(r.exit_code, 0);
  for (const char* want :
       {"spec.request: Invalid value", "spec.signerName: Required value",
        "spec.usages[3]: Unsupported value: \"world domination\"",
        "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600"}) {
    EXPECT_TRUE(absl::StrContains(r.err, want)) << want << "\n" << r.err;
  }
  EXPECT_TRUE(client_->ListAs<api::CertificateSigningRequest>(kCsrs, "")->empty());
}

}  // namespace
}  // namespace mk::testing
