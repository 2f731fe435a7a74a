#include "kubelet/serving_cert.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/time/clock.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/log.h"

namespace mk::kubelet {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// The kept pair, when it names exactly the wanted addresses and lasts more than a day.
absl::StatusOr<pki::CertAndKey> LoadKept(const ServingCertRequest& req) {
  absl::StatusOr<std::string> cert = pki::ReadFile(req.dir + "/kubelet-server.crt");
  absl::StatusOr<std::string> key = pki::ReadFile(req.dir + "/kubelet-server.key");
  if (!cert.ok() || !key.ok()) return absl::NotFoundError("no kept serving certificate");
  absl::StatusOr<pki::CertInfo> info = pki::ParseCert(*cert);
  if (!info.ok() || !pki::CheckKeyMatchesCert(*cert, *key).ok()) {
    return absl::NotFoundError("kept serving certificate unusable");
  }
  if (info->common_name != "system:node:" + req.node_name || Sorted(info->ips) != Sorted(req.ips) ||
      Sorted(info->dns_names) != Sorted(req.dns_names) ||
      info->not_after < absl::Now() + absl::Hours(24)) {
    return absl::NotFoundError("kept serving certificate is for other names or expiring");
  }
  return pki::CertAndKey{*cert, *key};
}

}  // namespace

absl::StatusOr<pki::CertAndKey> LoadOrRequestServingCert(ApiClient* client,
                                                         const ServingCertRequest& req,
                                                         const BootstrapOptions& opts) {
  if (absl::StatusOr<pki::CertAndKey> kept = LoadKept(req); kept.ok()) return kept;
  absl::StatusOr<pki::CertAndKey> pair =
      RequestCertificate(client,
                         {"csr-",
                          "kubernetes.io/kubelet-serving",
                          {"digital signature", "key encipherment", "server auth"},
                          "system:node:" + req.node_name,
                          {"system:nodes"},
                          Sorted(req.dns_names),
                          Sorted(req.ips),
                          ""},
                         opts);
  if (!pair.ok()) return pair.status();
  std::error_code ec;
  std::filesystem::create_directories(req.dir, ec);
  if (absl::Status s = pki::WriteFileAtomic(req.dir + "/kubelet-server.key", pair->key_pem, 0600);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = pki::WriteFileAtomic(req.dir + "/kubelet-server.crt", pair->cert_pem, 0644);
      !s.ok()) {
    return s;
  }
  return pair;
}

}  // namespace mk::kubelet
