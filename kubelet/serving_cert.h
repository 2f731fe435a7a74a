#pragma once

// The kubelet's serving certificate when none is given (--tls-cert-file), as Kubernetes'
// serverTLSBootstrap: a key and a CSR to the kubernetes.io/kubelet-serving signer for
// system:node:<node> in system:nodes with the node's addresses as subjectAltNames, made with
// the node's own credentials. The controller-manager approves it when the names are the
// Node's (controller-manager/csr_policy.h) and signs it with the kubelet-serving CA. The pair
// is kept in <dir>/kubelet-server.{crt,key} and reused while it is valid for more than a day
// and names the same addresses.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pki.h"
#include "kubelet/tls_bootstrap.h"

namespace mk::kubelet {

struct ServingCertRequest {
  std::string node_name;
  std::vector<std::string> ips;        // the node's InternalIP (and others)
  std::vector<std::string> dns_names;  // the node name and hostname
  std::string dir;                     // where the pair is kept (<root-dir>/pki)
};

// The kept pair if still good, else a new one through a CSR (blocks until it is signed,
// `opts.timeout` at most).
absl::StatusOr<pki::CertAndKey> LoadOrRequestServingCert(ApiClient* client,
                                                         const ServingCertRequest& req,
                                                         const BootstrapOptions& opts);

}  // namespace mk::kubelet
