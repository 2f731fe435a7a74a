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
  absl::StatusOr<std::string> key = pki::GenerateKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> request =
      pki::CreateCsr(*key, "system:node:" + req.node_name, {"system:nodes"}, Sorted(req.dns_names),
                     Sorted(req.ips));
  if (!request.ok()) return request.status();
  api::CertificateSigningRequest csr;
  csr.set_api_version("certificates.k8s.io/v1");
  csr.set_kind("CertificateSigningRequest");
  csr.mutable_metadata()->set_generate_name("csr-");
  csr.mutable_spec()->set_request(*request);
  csr.mutable_spec()->set_signer_name("kubernetes.io/kubelet-serving");
  for (const char* u : {"digital signature", "key encipherment", "server auth"}) {
    csr.mutable_spec()->add_usages(u);
  }
  absl::StatusOr<ObjectPtr> created = client->Create("certificatesigningrequests", "", csr);
  if (!created.ok()) return created.status();
  const std::string name =
      static_cast<const api::CertificateSigningRequest&>(**created).metadata().name();
  MK_LOG(I) << "requested a serving certificate: certificatesigningrequest " << name;
  absl::StatusOr<std::string> cert = WaitForCertificate(client, name, opts);
  if (!cert.ok()) return cert.status();
  if (absl::Status s = pki::CheckKeyMatchesCert(*cert, *key); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(req.dir, ec);
  if (absl::Status s = pki::WriteFileAtomic(req.dir + "/kubelet-server.key", *key, 0600); !s.ok()) {
    return s;
  }
  if (absl::Status s = pki::WriteFileAtomic(req.dir + "/kubelet-server.crt", *cert, 0644);
      !s.ok()) {
    return s;
  }
  return pki::CertAndKey{*cert, *key};
}

}  // namespace mk::kubelet
