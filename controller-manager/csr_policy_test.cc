#include "controller-manager/csr_policy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mk::controller_manager {
namespace {

struct CsrSpec {
  std::string signer = kKubeletClientSigner;
  std::string cn = "system:node:n1";
  std::vector<std::string> orgs = {"system:nodes"};
  std::vector<std::string> dns, ips;
  std::vector<std::string> usages = {"digital signature", "key encipherment", "client auth"};
  std::string requester = "system:bootstrap:abcdef";
  std::vector<std::string> groups = {"system:bootstrappers", "system:authenticated"};
};

api::CertificateSigningRequest Make(const CsrSpec& s) {
  auto key = pki::GenerateKey();
  auto req = pki::CreateCsr(*key, s.cn, s.orgs, s.dns, s.ips);
  EXPECT_TRUE(req.ok()) << req.status();
  api::CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name("csr");
  csr.mutable_spec()->set_request(*req);
  csr.mutable_spec()->set_signer_name(s.signer);
  for (const auto& u : s.usages) csr.mutable_spec()->add_usages(u);
  csr.mutable_spec()->set_username(s.requester);
  for (const auto& g : s.groups) csr.mutable_spec()->add_groups(g);
  return csr;
}

api::Node NodeWith(const std::string& name, const std::string& ip) {
  api::Node n;
  n.mutable_metadata()->set_name(name);
  auto* a = n.mutable_status()->add_addresses();
  a->set_type("InternalIP");
  a->set_address(ip);
  auto* h = n.mutable_status()->add_addresses();
  h->set_type("Hostname");
  h->set_address("host-1");
  return n;
}

TEST(CsrPolicyTest, BootstrapTokensAndNodesThemselvesGetNodeClientCertificates) {
  EXPECT_NE(AutoApprovalReason(Make({}), nullptr), "");
  CsrSpec renew;
  renew.requester = "system:node:n1";
  renew.groups = {"system:nodes", "system:authenticated"};
  EXPECT_NE(AutoApprovalReason(Make(renew), nullptr), "");
  CsrSpec other_node = renew;
  other_node.requester = "system:node:n2";  // n2 asking for n1's identity
  EXPECT_EQ(AutoApprovalReason(Make(other_node), nullptr), "");
  CsrSpec user;
  user.requester = "alice";
  user.groups = {"system:authenticated"};
  EXPECT_EQ(AutoApprovalReason(Make(user), nullptr), "");
}

TEST(CsrPolicyTest, NodeClientSubjectsAndUsagesAreStrict) {
  std::vector<CsrSpec> bad(6);
  bad[0].orgs = {"system:nodes", "system:masters"};
  bad[1].orgs = {"system:masters"};
  bad[2].cn = "kubernetes-admin";
  bad[3].cn = "system:node:";
  bad[4].ips = {"10.0.0.1"};
  bad[5].usages = {"digital signature", "key encipherment", "client auth", "server auth"};
  for (size_t i = 0; i < bad.size(); ++i) {
    auto csr = Make(bad[i]);
    EXPECT_EQ(AutoApprovalReason(csr, nullptr), "") << i;
    EXPECT_TRUE(absl::IsInvalidArgument(PlanSigning(csr, absl::Hours(1)).status())) << i;
  }
  CsrSpec no_client_auth;
  no_client_auth.usages = {"digital signature"};
  EXPECT_EQ(AutoApprovalReason(Make(no_client_auth), nullptr), "");
}

TEST(CsrPolicyTest, ServingCertificatesNeedTheNodesOwnAddresses) {
  CsrSpec s;
  s.signer = kKubeletServingSigner;
  s.usages = {"digital signature", "key encipherment", "server auth"};
  s.requester = "system:node:n1";
  s.groups = {"system:nodes", "system:authenticated"};
  s.ips = {"10.0.0.5"};
  s.dns = {"n1", "host-1"};
  api::Node node = NodeWith("n1", "10.0.0.5");
  EXPECT_NE(AutoApprovalReason(Make(s), &node), "");
  EXPECT_EQ(AutoApprovalReason(Make(s), nullptr), "");  // no Node yet: wait
  CsrSpec foreign_ip = s;
  foreign_ip.ips = {"10.0.0.6"};
  EXPECT_EQ(AutoApprovalReason(Make(foreign_ip), &node), "");
  CsrSpec foreign_dns = s;
  foreign_dns.dns = {"apiserver.example"};
  EXPECT_EQ(AutoApprovalReason(Make(foreign_dns), &node), "");
  CsrSpec by_bootstrapper = s;
  by_bootstrapper.requester = "system:bootstrap:abcdef";
  by_bootstrapper.groups = {"system:bootstrappers"};
  EXPECT_EQ(AutoApprovalReason(Make(by_bootstrapper), &node), "");
  auto plan = PlanSigning(Make(s), absl::Hours(24));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->usage, pki::Usage::kServer);
}

TEST(CsrPolicyTest, SigningValidityAndForeignSigners) {
  api::CertificateSigningRequest csr = Make({});
  auto plan = PlanSigning(csr, absl::Hours(24));
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->usage, pki::Usage::kClient);
  EXPECT_EQ(plan->validity, absl::Hours(24));
  csr.mutable_spec()->set_expiration_seconds(3600);
  EXPECT_EQ(PlanSigning(csr, absl::Hours(24))->validity, absl::Hours(1));
  CsrSpec other;
  other.signer = "example.com/my-signer";
  EXPECT_TRUE(absl::IsFailedPrecondition(PlanSigning(Make(other), absl::Hours(1)).status()));
  EXPECT_EQ(AutoApprovalReason(Make(other), nullptr), "");
}

TEST(CsrPolicyTest, DecisionsFromConditions) {
  api::CertificateSigningRequest csr = Make({});
  EXPECT_FALSE(IsApproved(csr));
  auto* c = csr.mutable_status()->add_conditions();
  c->set_type("Approved");
  c->set_status("True");
  EXPECT_TRUE(IsApproved(csr));
  EXPECT_FALSE(IsFinished(csr));
  auto* f = csr.mutable_status()->add_conditions();
  f->set_type("Failed");
  f->set_status("True");
  EXPECT_FALSE(IsApproved(csr));
  EXPECT_TRUE(IsFinished(csr));
}

}  // namespace
}  // namespace mk::controller_manager
