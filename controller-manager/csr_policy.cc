#include "controller-manager/csr_policy.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mk::controller_manager {
namespace {

constexpr char kNodeUserPrefix[] = "system:node:";

bool HasCondition(const api::CertificateSigningRequest& csr, const char* type) {
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == type && c.status() == "True") return true;
  }
  return false;
}

bool InGroup(const api::CertificateSigningRequest& csr, const std::string& group) {
  const auto& g = csr.spec().groups();
  return std::find(g.begin(), g.end(), group) != g.end();
}

// The usages are within `allowed` and include `required`.
bool UsagesFit(const api::CertificateSigningRequest& csr, const std::set<std::string>& allowed,
               const std::string& required) {
  bool has_required = false;
  for (const std::string& u : csr.spec().usages()) {
    if (allowed.count(u) == 0) return false;
    has_required |= u == required;
  }
  return has_required;
}

// A node subject: CN system:node:<name> (name non-empty), O exactly [system:nodes].
absl::Status CheckNodeSubject(const pki::CsrInfo& info) {
  if (!absl::StartsWith(info.common_name, kNodeUserPrefix) ||
      info.common_name.size() == sizeof(kNodeUserPrefix) - 1) {
    return absl::InvalidArgumentError("the subject's common name must be system:node:<name>");
  }
  if (info.organizations != std::vector<std::string>{"system:nodes"}) {
    return absl::InvalidArgumentError("the subject's organization must be exactly system:nodes");
  }
  if (info.other_sans) return absl::InvalidArgumentError("email and URI names are not allowed");
  return absl::OkStatus();
}

absl::Status CheckKubeletClient(const api::CertificateSigningRequest& csr,
                                const pki::CsrInfo& info) {
  if (absl::Status s = CheckNodeSubject(info); !s.ok()) return s;
  if (!info.dns_names.empty() || !info.ips.empty()) {
    return absl::InvalidArgumentError("a kubelet client certificate has no subjectAltNames");
  }
  if (!UsagesFit(csr, {"digital signature", "key encipherment", "client auth"}, "client auth")) {
    return absl::InvalidArgumentError(
        "usages must be within digital signature, key encipherment, client auth");
  }
  return absl::OkStatus();
}

absl::Status CheckKubeletServing(const api::CertificateSigningRequest& csr,
                                 const pki::CsrInfo& info) {
  if (absl::Status s = CheckNodeSubject(info); !s.ok()) return s;
  if (info.dns_names.empty() && info.ips.empty()) {
    return absl::InvalidArgumentError("a kubelet serving certificate needs a DNS or IP name");
  }
  if (!UsagesFit(csr, {"digital signature", "key encipherment", "server auth"}, "server auth")) {
    return absl::InvalidArgumentError(
        "usages must be within digital signature, key encipherment, server auth");
  }
  return absl::OkStatus();
}

// Every requested name is one the Node object publishes.
bool SansMatchNode(const pki::CsrInfo& info, const api::Node& node) {
  std::set<std::string> ips, dns{node.metadata().name()};
  for (const auto& a : node.status().addresses()) {
    if (a.type() == "InternalIP" || a.type() == "ExternalIP") ips.insert(a.address());
    if (a.type() == "Hostname" || a.type() == "InternalDNS" || a.type() == "ExternalDNS") {
      dns.insert(a.address());
    }
  }
  for (const std::string& ip : info.ips) {
    if (ips.count(ip) == 0) return false;
  }
  for (const std::string& d : info.dns_names) {
    if (dns.count(d) == 0) return false;
  }
  return true;
}

}  // namespace

bool IsApproved(const api::CertificateSigningRequest& csr) {
  return HasCondition(csr, "Approved") && !IsFinished(csr);
}

bool HasDecision(const api::CertificateSigningRequest& csr) {
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == "Approved" || c.type() == "Denied") return true;
  }
  return false;
}

bool IsFinished(const api::CertificateSigningRequest& csr) {
  return HasCondition(csr, "Denied") || HasCondition(csr, "Failed");
}

std::string AutoApprovalReason(const api::CertificateSigningRequest& csr, const api::Node* node) {
  absl::StatusOr<pki::CsrInfo> info = pki::ParseCsr(csr.spec().request());
  if (!info.ok()) return "";
  const std::string& signer = csr.spec().signer_name();
  const std::string& requester = csr.spec().username();
  if (signer == kKubeletClientSigner) {
    if (!CheckKubeletClient(csr, *info).ok()) return "";
    if (InGroup(csr, "system:bootstrappers")) {
      return "Auto approving kubelet client certificate after SubjectAccessReview.";
    }
    if (requester == info->common_name && InGroup(csr, "system:nodes")) {
      return "Auto approving self kubelet client certificate after SubjectAccessReview.";
    }
    return "";
  }
  if (signer == kKubeletServingSigner) {
    if (!CheckKubeletServing(csr, *info).ok()) return "";
    if (requester != info->common_name || !InGroup(csr, "system:nodes")) return "";
    if (node == nullptr || !SansMatchNode(*info, *node)) return "";
    return "Auto approving kubelet serving certificate: its names are the Node's addresses.";
  }
  return "";
}

absl::StatusOr<SigningPlan> PlanSigning(const api::CertificateSigningRequest& csr,
                                        absl::Duration max_validity) {
  const std::string& signer = csr.spec().signer_name();
  if (signer != kKubeletClientSigner && signer != kKubeletServingSigner &&
      signer != kApiserverClientSigner) {
    return absl::FailedPreconditionError(absl::StrCat("signer ", signer, " is not ours"));
  }
  absl::StatusOr<pki::CsrInfo> info = pki::ParseCsr(csr.spec().request());
  if (!info.ok()) return absl::InvalidArgumentError(info.status().message());
  SigningPlan plan{pki::Usage::kClient, max_validity};
  if (signer == kKubeletClientSigner) {
    if (absl::Status s = CheckKubeletClient(csr, *info); !s.ok()) return s;
  } else if (signer == kKubeletServingSigner) {
    if (absl::Status s = CheckKubeletServing(csr, *info); !s.ok()) return s;
    plan.usage = pki::Usage::kServer;
  } else if (!UsagesFit(csr, {"digital signature", "key encipherment", "client auth"},
                        "client auth")) {
    return absl::InvalidArgumentError(
        "usages must be within digital signature, key encipherment, client auth");
  }
  if (csr.spec().has_expiration_seconds()) {
    plan.validity = std::min(plan.validity, absl::Seconds(csr.spec().expiration_seconds()));
  }
  return plan;
}

}  // namespace mk::controller_manager
