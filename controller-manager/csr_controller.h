#pragma once

// The certificate controllers of Kubernetes' controller-manager in one: csrapproving
// (auto-approves node client certificates asked for with a bootstrap token or by the node
// itself, and kubelet serving certificates whose names the Node publishes — the rules are in
// csr_policy.h) and csrsigning (signs approved requests of the kubelet and kube-apiserver-client
// signers with the cluster CA given by --cluster-signing-cert-file/--cluster-signing-key-file,
// for at most --cluster-signing-duration). Without a CA only the approver runs.
// Queue keys are CSR names.

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/api_client.h"
#include "common/informer.h"
#include "common/pki.h"
#include "common/work_queue.h"
#include "controller-manager/controller_util.h"

namespace mk::controller_manager {

struct CsrControllerOptions {
  pki::CertAndKey signing_ca;  // empty: approve only
  // kubernetes.io/kubelet-serving requests (--cluster-signing-kubelet-serving-cert-file);
  // empty: signing_ca signs them too.
  pki::CertAndKey kubelet_serving_ca;
  absl::Duration signing_duration = absl::Hours(24 * 365);
  Clock* clock = nullptr;
};

class CsrController {
 public:
  CsrController(ApiClient* client, Informer* csr_informer, Informer* node_informer,
                CsrControllerOptions opts);
  ~CsrController();

  void Run(int workers);
  void Shutdown();
  absl::Status Sync(const std::string& name);

 private:
  absl::Status Approve(const api::CertificateSigningRequest& csr, const std::string& message);
  absl::Status Sign(const api::CertificateSigningRequest& csr);

  ApiClient* const client_;
  Informer* const csrs_;
  Informer* const nodes_;
  const CsrControllerOptions opts_;
  Clock* const clock_;
  WorkQueue queue_;
  Workers workers_;
};

}  // namespace mk::controller_manager
