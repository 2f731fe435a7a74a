#pragma once

// Kubelet TLS bootstrap, as Kubernetes' --bootstrap-kubeconfig: when the kubeconfig at
// `kubeconfig_path` is missing or its client certificate is unusable (unparsable, expired,
// not yet valid), the kubelet connects with the bootstrap kubeconfig (a bootstrap token),
// generates an ECDSA key, submits a CertificateSigningRequest for system:node:<node> in
// system:nodes to the kubernetes.io/kube-apiserver-client-kubelet signer, waits for the
// controller-manager to approve and sign it, and writes a kubeconfig with the certificate and
// key embedded (mode 0600) at `kubeconfig_path`, with the bootstrap kubeconfig's servers and CA.
// Denied or failed requests are errors.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pki.h"

namespace mk {
class ApiClient;
}

namespace mk::kubelet {

struct BootstrapOptions {
  std::string kubeconfig_path;
  std::string bootstrap_kubeconfig_path;
  std::string node_name;
  std::string apiserver_override;  // --apiserver, "" for the kubeconfig's gRPC address
  absl::Duration timeout = absl::Minutes(15);
  absl::Duration poll = absl::Milliseconds(500);
  std::function<bool()> stopped;  // true when the kubelet is asked to stop
};

// OK when `kubeconfig_path` holds (or now holds) a usable node credential.
absl::Status EnsureNodeCredentials(const BootstrapOptions& opts);

// One certificate by a CSR: a new key, a CertificateSigningRequest for `user` in `groups`
// (with the given names) to `signer`, submitted with `client`, then waiting for it to be
// signed (Denied/Failed are errors). Shared by the client bootstrap and the serving
// certificate (kubelet/serving_cert.h).
struct CertificateRequest {
  std::string generate_name;  // "node-csr-", "csr-"
  std::string signer;
  std::vector<std::string> usages;
  std::string user;
  std::vector<std::string> groups;
  std::vector<std::string> dns_names, ips;
  std::string log_prefix;  // "bootstrap: "
};
absl::StatusOr<pki::CertAndKey> RequestCertificate(ApiClient* client, const CertificateRequest& req,
                                                   const BootstrapOptions& opts);

}  // namespace mk::kubelet
