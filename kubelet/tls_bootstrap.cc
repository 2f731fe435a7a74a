#include "kubelet/tls_bootstrap.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/kubeconfig_file.h"
#include "common/log.h"
#include "common/pki.h"

namespace mk::kubelet {
namespace {

constexpr char kNodeUserPrefix[] = "system:node:";

// The kubeconfig holds a client certificate valid now and for more than a minute.
bool UsableCredentials(const std::string& path) {
  absl::StatusOr<KubeconfigCredentials> creds = LoadKubeconfigCredentials(path);
  if (!creds.ok() || creds->cert_pem.empty() || creds->key_pem.empty()) return false;
  absl::StatusOr<pki::CertInfo> info = pki::ParseCert(creds->cert_pem);
  if (!info.ok()) return false;
  absl::Time now = absl::Now();
  return info->not_before <= now && info->not_after > now + absl::Minutes(1) &&
         pki::CheckKeyMatchesCert(creds->cert_pem, creds->key_pem).ok();
}

// Waits for the CSR `name` to be signed; its certificate PEM.
absl::StatusOr<std::string> WaitForCertificate(ApiClient* client, const std::string& name,
                                               const BootstrapOptions& opts) {
  absl::Time deadline = absl::Now() + opts.timeout;
  bool told = false;
  while (absl::Now() < deadline) {
    if (opts.stopped && opts.stopped()) return absl::CancelledError("stopping");
    absl::StatusOr<api::CertificateSigningRequest> csr =
        client->GetAs<api::CertificateSigningRequest>("certificatesigningrequests", "", name);
    if (!csr.ok()) return csr.status();
    for (const auto& c : csr->status().conditions()) {
      if ((c.type() == "Denied" || c.type() == "Failed") && c.status() == "True") {
        return absl::PermissionDeniedError(absl::StrCat("certificate signing request ", name, " ",
                                                        c.type(), ": ", c.reason(), " ",
                                                        c.message()));
      }
    }
    if (!csr->status().certificate().empty()) return csr->status().certificate();
    if (!told) {
      MK_LOG(I) << "waiting for certificate signing request " << name
                << " to be approved and signed";
      told = true;
    }
    std::this_thread::sleep_for(absl::ToChronoMilliseconds(opts.poll));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("certificate signing request ", name, " was not signed in time"));
}

}  // namespace

absl::StatusOr<pki::CertAndKey> RequestCertificate(ApiClient* client, const CertificateRequest& req,
                                                   const BootstrapOptions& opts) {
  absl::StatusOr<std::string> key = pki::GenerateKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> request =
      pki::CreateCsr(*key, req.user, req.groups, req.dns_names, req.ips);
  if (!request.ok()) return request.status();
  api::CertificateSigningRequest csr;
  csr.set_api_version("certificates.k8s.io/v1");
  csr.set_kind("CertificateSigningRequest");
  csr.mutable_metadata()->set_generate_name(req.generate_name);
  csr.mutable_spec()->set_request(*request);
  csr.mutable_spec()->set_signer_name(req.signer);
  for (const std::string& u : req.usages) csr.mutable_spec()->add_usages(u);
  absl::StatusOr<ObjectPtr> created = client->Create("certificatesigningrequests", "", csr);
  if (!created.ok()) {
    return absl::Status(created.status().code(),
                        absl::StrCat("submitting a certificate signing request to ", req.signer,
                                     ": ", created.status().message()));
  }
  const std::string name =
      static_cast<const api::CertificateSigningRequest&>(**created).metadata().name();
  MK_LOG(I) << req.log_prefix << "submitted certificate signing request " << name << " for "
            << req.user << " (" << req.signer << ")";
  absl::StatusOr<std::string> cert = WaitForCertificate(client, name, opts);
  if (!cert.ok()) return cert.status();
  if (absl::Status s = pki::CheckKeyMatchesCert(*cert, *key); !s.ok()) return s;
  return pki::CertAndKey{*std::move(cert), *std::move(key)};
}

absl::Status EnsureNodeCredentials(const BootstrapOptions& opts) {
  if (UsableCredentials(opts.kubeconfig_path)) return absl::OkStatus();
  if (opts.bootstrap_kubeconfig_path.empty()) return absl::OkStatus();  // the caller reports
  absl::StatusOr<KubeconfigCredentials> boot =
      LoadKubeconfigCredentials(opts.bootstrap_kubeconfig_path);
  if (!boot.ok()) return boot.status();
  absl::StatusOr<std::unique_ptr<ApiClient>> client =
      NewGrpcApiClientFromKubeconfig(opts.bootstrap_kubeconfig_path, opts.apiserver_override);
  if (!client.ok()) return client.status();

  const std::string user = kNodeUserPrefix + opts.node_name;
  absl::StatusOr<pki::CertAndKey> pair =
      RequestCertificate(client->get(),
                         {"node-csr-",
                          "kubernetes.io/kube-apiserver-client-kubelet",
                          {"digital signature", "key encipherment", "client auth"},
                          user,
                          {"system:nodes"},
                          {},
                          {},
                          "bootstrap: "},
                         opts);
  if (!pair.ok()) return pair.status();

  KubeconfigNames names;
  names.user = user;
  KubeconfigCredentials creds;
  creds.server = boot->server;
  creds.grpc_server = boot->grpc_server;
  creds.ca_pem = boot->ca_pem;
  creds.cert_pem = pair->cert_pem;
  creds.key_pem = pair->key_pem;
  if (absl::Status s =
          pki::WriteFileAtomic(opts.kubeconfig_path, RenderKubeconfig(names, creds), 0600);
      !s.ok()) {
    return s;
  }
  MK_LOG(I) << "bootstrap: wrote " << opts.kubeconfig_path << " (" << user << ")";
  return absl::OkStatus();
}

}  // namespace mk::kubelet
