#include "kubelet/server_tls.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace mk::kubelet {

absl::StatusOr<pki::CertAndKey> ServingCert(const ServingCertOptions& opts) {
  if (opts.cert_file.empty() || opts.key_file.empty()) {
    return absl::FailedPreconditionError(
        "the kubelet serves HTTPS only: give both --tls-cert-file and --tls-private-key-file "
        "(mk-kubeconfig --serving-cert-out FILE --serving-key-out FILE --san <node IP>), or "
        "neither to request a serving certificate by a CSR");
  }
  absl::StatusOr<std::string> cert = pki::ReadFile(opts.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = pki::ReadFile(opts.key_file);
  if (!key.ok()) return key.status();
  if (absl::Status s = pki::CheckKeyMatchesCert(*cert, *key); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(opts.cert_file, " and ", opts.key_file, ": ", s.message()));
  }
  absl::StatusOr<pki::CertInfo> info = pki::ParseCert(*cert);
  if (!info.ok()) return info.status();
  if (!opts.node_ip.empty() &&
      std::find(info->ips.begin(), info->ips.end(), opts.node_ip) == info->ips.end()) {
    MK_LOG(W) << opts.cert_file << " does not name the node IP " << opts.node_ip
              << ": the apiserver will refuse this kubelet's certificate";
  }
  return pki::CertAndKey{*std::move(cert), *std::move(key)};
}

absl::StatusOr<std::string> ClientCa(const std::string& client_ca_file,
                                     const std::string& kubeconfig_ca_pem) {
  if (!client_ca_file.empty()) return pki::ReadFile(client_ca_file);
  if (kubeconfig_ca_pem.empty()) {
    return absl::FailedPreconditionError(
        "no CA for client certificates: give --client-ca-file, or a kubeconfig with a "
        "certificate-authority");
  }
  return kubeconfig_ca_pem;
}

}  // namespace mk::kubelet
