#pragma once

// The TLS credentials of the kubelet's HTTPS server (kubelet/log_server.h): the serving
// certificate it presents and the CA whose client certificates it accepts. There is no
// plaintext fallback: without a serving certificate the kubelet does not start.

#include <string>

#include "absl/status/statusor.h"
#include "common/pki.h"

namespace mk::kubelet {

struct ServingCertOptions {
  std::string cert_file;  // --tls-cert-file
  std::string key_file;   // --tls-private-key-file
  std::string node_ip;    // the address the apiserver dials: the certificate should name it
};

// The serving certificate and key: the single place the kubelet obtains them. Today they come
// from --tls-cert-file/--tls-private-key-file (FailedPrecondition without them: issue them
// with `mk-kubeconfig --serving-cert-out`); a certificate that does not name node_ip is used
// with a warning, since the apiserver will refuse it.
absl::StatusOr<pki::CertAndKey> ServingCert(const ServingCertOptions& opts);

// The CA bundle client certificates must chain to: --client-ca-file, else `kubeconfig_ca_pem`
// (the kubeconfig's certificate-authority: the cluster CA).
absl::StatusOr<std::string> ClientCa(const std::string& client_ca_file,
                                     const std::string& kubeconfig_ca_pem);

}  // namespace mk::kubelet
