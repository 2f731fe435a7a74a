#pragma once

// The apiserver's own PKI in its data dir, created on first start and reused afterwards:
//   pki/ca.crt, ca.key                 the cluster CA (10 years), unless --client-ca-file
//   pki/apiserver.crt, apiserver.key   serving certificate (SANs: localhost, 127.0.0.1, the
//                                      hostname, the listen host, --tls-san), unless
//                                      --tls-cert-file/--tls-private-key-file
//   pki/<name>.crt, <name>.key         client certificates behind the kubeconfigs
//   pki/apiserver-kubelet-client.crt/.key  the apiserver's client certificate for kubelets
//                                      (logs, stats): CN=kube-apiserver-kubelet-client,
//                                      O=system:masters, unless --kubelet-client-certificate
//   pki/kubelet-serving-ca.crt/.key    the CA of kubelets' serving certificates (10 years),
//                                      when the apiserver owns the cluster CA. Separate from
//                                      the cluster CA so that a node's serving certificate (its
//                                      names are the node's own claim) can never pass for the
//                                      apiserver's; the controller-manager signs kubelet-serving
//                                      CSRs with it, `mk-kubeconfig --serving-cert-out` too
//   admin.kubeconfig                   CN=kubernetes-admin, O=system:masters
//   scheduler.kubeconfig               CN=system:kube-scheduler
//   controller-manager.kubeconfig      CN=system:kube-controller-manager
// Keys and kubeconfigs are mode 0600, certificates 0644. Certificates and keys are written
// only when missing (the serving certificate also when it lacks a wanted SAN); kubeconfigs
// are rewritten when their content (the ports) changes.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pki.h"

namespace mk::apiserver {

struct ServingPkiOptions {
  std::string data_dir;
  std::string tls_cert_file;             // --tls-cert-file
  std::string tls_key_file;              // --tls-private-key-file
  std::string client_ca_file;            // --client-ca-file
  std::vector<std::string> extra_sans;   // --tls-san: DNS names or IPs
  std::string listen_host;               // of --listen / --grpc-listen
  std::string kubelet_client_cert_file;  // --kubelet-client-certificate
  std::string kubelet_client_key_file;   // --kubelet-client-key
  std::string kubelet_ca_file;           // --kubelet-certificate-authority
};

struct ServingPki {
  pki::CertAndKey serving;
  std::string client_ca_pem;
  // The cluster CA when the apiserver owns it (no --client-ca-file): signs the kubeconfigs'
  // client certificates. key_pem is empty otherwise.
  pki::CertAndKey ca;
  // What the apiserver presents to kubelets (empty with an external CA and no
  // --kubelet-client-certificate: then it cannot ask them) and the CA their serving
  // certificates must chain to (--kubelet-certificate-authority, default the kubelet serving
  // CA, or the cluster CA when that is external).
  pki::CertAndKey kubelet_client;
  std::string kubelet_ca_pem;
  pki::CertAndKey kubelet_serving_ca;  // empty with an external CA
};

absl::StatusOr<ServingPki> LoadOrCreateServingPki(const ServingPkiOptions& opts);

// Writes the admin, scheduler and controller-manager kubeconfigs into `data_dir` pointing at
// https://<rest_host>:<rest_port> (gRPC <grpc_host>:<grpc_port> in the mk.io/grpc extension);
// a wildcard or empty host (0.0.0.0, ::) becomes 127.0.0.1. FailedPrecondition when the
// apiserver does not own the CA.
absl::Status WriteKubeconfigs(const std::string& data_dir, const ServingPki& pki,
                              const std::string& rest_host, int rest_port,
                              const std::string& grpc_host, int grpc_port);

}  // namespace mk::apiserver
