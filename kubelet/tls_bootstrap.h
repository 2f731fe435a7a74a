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

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

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

// Waits for the CSR `name` to be signed and returns the certificate PEM (exposed for the
// kubelet's serving certificate, which is requested the same way).
absl::StatusOr<std::string> WaitForCertificate(ApiClient* client, const std::string& name,
                                               const BootstrapOptions& opts);

}  // namespace mk::kubelet
