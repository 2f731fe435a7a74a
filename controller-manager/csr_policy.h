#pragma once

// Which CertificateSigningRequests the controller-manager approves and signs on its own, as
// Kubernetes' csrapproving and csrsigning controllers (pure functions; the controller is
// csr_controller.h):
//   kubernetes.io/kube-apiserver-client-kubelet: a node client certificate — CN
//     system:node:<name>, O exactly system:nodes, no subjectAltNames, usages within
//     {digital signature, key encipherment, client auth} including client auth. Approved when
//     a bootstrap token asked (system:bootstrappers: node join) or the node itself renews
//     (requester = CN).
//   kubernetes.io/kubelet-serving: the kubelet's serving certificate — the same subject, the
//     requester is that node, usages within {digital signature, key encipherment,
//     server auth} including server auth, IP SANs among the Node's status addresses and DNS
//     SANs among its name and Hostname/DNS addresses. Kubernetes leaves these to the admin
//     or an external approver; mk approves what it can check against the Node object.
//   anything else waits for `mkctl certificate approve|deny`.
// Signing (once approved): those two signers and kubernetes.io/kube-apiserver-client.

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/pki.h"

namespace mk::controller_manager {

inline constexpr char kKubeletClientSigner[] = "kubernetes.io/kube-apiserver-client-kubelet";
inline constexpr char kKubeletServingSigner[] = "kubernetes.io/kubelet-serving";
inline constexpr char kApiserverClientSigner[] = "kubernetes.io/kube-apiserver-client";

bool IsApproved(const api::CertificateSigningRequest& csr);
// Denied or Failed: nothing more happens to it.
bool IsFinished(const api::CertificateSigningRequest& csr);
// Someone approved or denied it (whatever the condition's status).
bool HasDecision(const api::CertificateSigningRequest& csr);

// Why `csr` may be auto-approved ("" when it may not). `node` is the Node named by the CSR's
// common name (nullptr if absent; needed for serving certificates).
std::string AutoApprovalReason(const api::CertificateSigningRequest& csr, const api::Node* node);

// What signing `csr` gives: the certificate usage and validity, or an error when this
// signer does not sign it (FailedPrecondition: not ours, leave it; InvalidArgument: ours but
// refused → a Failed condition).
struct SigningPlan {
  pki::Usage usage;
  absl::Duration validity;
};
absl::StatusOr<SigningPlan> PlanSigning(const api::CertificateSigningRequest& csr,
                                        absl::Duration max_validity);

}  // namespace mk::controller_manager
