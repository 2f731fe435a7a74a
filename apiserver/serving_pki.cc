#include "apiserver/serving_pki.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "apiserver/auth_types.h"
#include "common/kubeconfig_file.h"
#include "common/log.h"

namespace mk::apiserver {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

absl::Status MakeDir(const std::string& path, int mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
    return absl::InternalError(absl::StrCat("creating ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<pki::CertAndKey> ReadPair(const std::string& cert_path,
                                         const std::string& key_path) {
  absl::StatusOr<std::string> cert = pki::ReadFile(cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = pki::ReadFile(key_path);
  if (!key.ok()) return key.status();
  if (absl::Status s = pki::CheckKeyMatchesCert(*cert, *key); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_path, " and ", key_path, ": ", s.message()));
  }
  return pki::CertAndKey{*std::move(cert), *std::move(key)};
}

absl::Status WritePair(const std::string& base, const pki::CertAndKey& pair) {
  if (absl::Status s = pki::WriteFileAtomic(base + ".key", pair.key_pem, 0600); !s.ok()) return s;
  return pki::WriteFileAtomic(base + ".crt", pair.cert_pem, 0644);
}

bool IsIp(const std::string& s) {
  return !s.empty() && (s.find(':') != std::string::npos ||
                        s.find_first_not_of("0123456789.") == std::string::npos);
}

std::string Hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

// The client certificate `name` (pki/<name>.crt/.key), issued when missing or expiring.
absl::StatusOr<pki::CertAndKey> ClientPair(const std::string& pki_dir, const std::string& name,
                                           const pki::CertAndKey& ca, const std::string& user,
                                           const std::vector<std::string>& groups) {
  std::string base = absl::StrCat(pki_dir, "/", name);
  if (Exists(base + ".crt") && Exists(base + ".key")) {
    absl::StatusOr<pki::CertAndKey> pair = ReadPair(base + ".crt", base + ".key");
    if (pair.ok() && pki::VerifyCert(pair->cert_pem, ca.cert_pem, pki::Usage::kClient,
                                     absl::Now() + absl::Hours(24))
                         .ok()) {
      return pair;
    }
    MK_LOG(W) << "reissuing " << base << ".crt: "
              << (pair.ok() ? "expires within a day or not signed by the CA"
                            : std::string(pair.status().message()));
  }
  absl::StatusOr<pki::CertAndKey> pair = pki::IssueClientCert(ca, user, groups);
  if (!pair.ok()) return pair.status();
  if (absl::Status s = WritePair(base, *pair); !s.ok()) return s;
  return pair;
}

// pki/kubelet-serving-ca.{crt,key}: the CA of kubelet serving certificates, created next to
// the cluster CA when the apiserver owns that one.
absl::StatusOr<pki::CertAndKey> LoadOrCreateKubeletServingCa(const std::string& pki_dir) {
  const std::string base = pki_dir + "/kubelet-serving-ca";
  if (Exists(base + ".crt") || Exists(base + ".key")) {
    return ReadPair(base + ".crt", base + ".key");
  }
  absl::StatusOr<pki::CertAndKey> ca = pki::CreateCa("mk-kubelet-serving-ca");
  if (!ca.ok()) return ca.status();
  if (absl::Status s = WritePair(base, *ca); !s.ok()) return s;
  MK_LOG(I) << "created the kubelet serving CA in " << base << ".crt";
  return ca;
}

// The apiserver's client certificate for kubelets and the CA it verifies them with.
absl::Status LoadKubeletClient(const ServingPkiOptions& opts, const std::string& pki_dir,
                               ServingPki* out) {
  if (!out->ca.key_pem.empty()) {
    absl::StatusOr<pki::CertAndKey> ca = LoadOrCreateKubeletServingCa(pki_dir);
    if (!ca.ok()) return ca.status();
    out->kubelet_serving_ca = *std::move(ca);
  }
  if (!opts.kubelet_ca_file.empty()) {
    absl::StatusOr<std::string> ca = pki::ReadFile(opts.kubelet_ca_file);
    if (!ca.ok()) return ca.status();
    out->kubelet_ca_pem = *std::move(ca);
  } else if (!out->kubelet_serving_ca.cert_pem.empty()) {
    out->kubelet_ca_pem = out->kubelet_serving_ca.cert_pem;
  } else {
    out->kubelet_ca_pem = out->ca.cert_pem;
  }
  if (!opts.kubelet_client_cert_file.empty() || !opts.kubelet_client_key_file.empty()) {
    if (opts.kubelet_client_cert_file.empty() || opts.kubelet_client_key_file.empty()) {
      return absl::InvalidArgumentError(
          "--kubelet-client-certificate and --kubelet-client-key go together");
    }
    absl::StatusOr<pki::CertAndKey> pair =
        ReadPair(opts.kubelet_client_cert_file, opts.kubelet_client_key_file);
    if (!pair.ok()) return pair.status();
    out->kubelet_client = *std::move(pair);
    return absl::OkStatus();
  }
  if (out->ca.key_pem.empty()) {
    MK_LOG(W) << "no --kubelet-client-certificate and the CA is external: pods/log and the "
                 "metrics API cannot reach kubelets";
    return absl::OkStatus();
  }
  absl::StatusOr<pki::CertAndKey> pair = ClientPair(pki_dir, "apiserver-kubelet-client", out->ca,
                                                    kApiserverKubeletClientUser, {kMastersGroup});
  if (!pair.ok()) return pair.status();
  out->kubelet_client = *std::move(pair);
  return absl::OkStatus();
}

// The serving certificate: the given files, or pki/apiserver.{crt,key} (issued when missing,
// expiring or lacking a wanted SAN).
absl::StatusOr<pki::CertAndKey> LoadServingCert(const ServingPkiOptions& opts,
                                                const std::string& dir, const pki::CertAndKey& ca) {
  if (!opts.tls_cert_file.empty() || !opts.tls_key_file.empty()) {
    if (opts.tls_cert_file.empty() || opts.tls_key_file.empty()) {
      return absl::InvalidArgumentError("--tls-cert-file and --tls-private-key-file go together");
    }
    return ReadPair(opts.tls_cert_file, opts.tls_key_file);
  }
  if (ca.key_pem.empty()) {
    return absl::InvalidArgumentError(
        "with --client-ca-file, also give --tls-cert-file and --tls-private-key-file");
  }
  std::vector<std::string> dns = {"localhost", "kubernetes", "kubernetes.default"};
  std::vector<std::string> ips = {"127.0.0.1"};
  std::vector<std::string> wanted = opts.extra_sans;
  if (std::string h = Hostname(); !h.empty()) wanted.push_back(h);
  if (!opts.listen_host.empty() && opts.listen_host != "0.0.0.0" && opts.listen_host != "::") {
    wanted.push_back(opts.listen_host);
  }
  for (const std::string& san : wanted) {
    std::vector<std::string>& list = IsIp(san) ? ips : dns;
    if (!san.empty() && std::find(list.begin(), list.end(), san) == list.end()) {
      list.push_back(san);
    }
  }
  std::string base = dir + "/apiserver";
  if (Exists(base + ".crt") && Exists(base + ".key")) {
    absl::StatusOr<pki::CertAndKey> pair = ReadPair(base + ".crt", base + ".key");
    if (!pair.ok()) return pair.status();
    absl::StatusOr<pki::CertInfo> info = pki::ParseCert(pair->cert_pem);
    bool covers = info.ok() && pki::VerifyCert(pair->cert_pem, ca.cert_pem, pki::Usage::kServer,
                                               absl::Now() + absl::Hours(24))
                                   .ok();
    for (const std::string& d : dns) {
      covers = covers && std::count(info->dns_names.begin(), info->dns_names.end(), d) > 0;
    }
    for (const std::string& ip : ips) {
      covers = covers && std::count(info->ips.begin(), info->ips.end(), ip) > 0;
    }
    if (covers) return pair;
    MK_LOG(I) << "reissuing " << base << ".crt: a wanted SAN is missing or it expires soon";
  }
  absl::StatusOr<pki::CertAndKey> serving = pki::IssueServingCert(ca, "kube-apiserver", dns, ips);
  if (!serving.ok()) return serving.status();
  if (absl::Status s = WritePair(base, *serving); !s.ok()) return s;
  return serving;
}

}  // namespace

absl::StatusOr<ServingPki> LoadOrCreateServingPki(const ServingPkiOptions& opts) {
  std::string dir = absl::StrCat(opts.data_dir, "/pki");
  if (absl::Status s = MakeDir(opts.data_dir, 0700); !s.ok()) return s;
  if (absl::Status s = MakeDir(dir, 0700); !s.ok()) return s;
  ServingPki out;
  // The CA.
  if (!opts.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = pki::ReadFile(opts.client_ca_file);
    if (!ca.ok()) return ca.status();
    out.client_ca_pem = *std::move(ca);
    out.ca.cert_pem = out.client_ca_pem;
  } else if (Exists(dir + "/ca.crt") || Exists(dir + "/ca.key")) {
    absl::StatusOr<pki::CertAndKey> ca = ReadPair(dir + "/ca.crt", dir + "/ca.key");
    if (!ca.ok()) return ca.status();
    out.ca = *std::move(ca);
    out.client_ca_pem = out.ca.cert_pem;
  } else {
    absl::StatusOr<pki::CertAndKey> ca = pki::CreateCa("mk-ca");
    if (!ca.ok()) return ca.status();
    if (absl::Status s = WritePair(dir + "/ca", *ca); !s.ok()) return s;
    MK_LOG(I) << "created the cluster CA in " << dir << "/ca.crt";
    out.ca = *std::move(ca);
    out.client_ca_pem = out.ca.cert_pem;
  }
  absl::StatusOr<pki::CertAndKey> serving = LoadServingCert(opts, dir, out.ca);
  if (!serving.ok()) return serving.status();
  out.serving = *std::move(serving);
  if (absl::Status s = LoadKubeletClient(opts, dir, &out); !s.ok()) return s;
  return out;
}

absl::Status WriteKubeconfigs(const std::string& data_dir, const ServingPki& pki,
                              const std::string& rest_host, int rest_port,
                              const std::string& grpc_host, int grpc_port) {
  auto hostport = [](std::string host, int port) {
    if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") host = "127.0.0.1";
    if (host.find(':') != std::string::npos && host[0] != '[') host = "[" + host + "]";
    return absl::StrCat(host, ":", port);
  };
  if (pki.ca.key_pem.empty()) {
    return absl::FailedPreconditionError(
        "the CA is external (--client-ca-file): no kubeconfigs are written");
  }
  struct Identity {
    const char* file;
    const char* user;
    std::vector<std::string> groups;
  };
  const Identity ids[] = {
      {"admin", "kubernetes-admin", {kMastersGroup}},
      {"scheduler", kSchedulerUser, {}},
      {"controller-manager", kControllerManagerUser, {}},
  };
  std::string pki_dir = absl::StrCat(data_dir, "/pki");
  for (const Identity& id : ids) {
    absl::StatusOr<pki::CertAndKey> pair = ClientPair(pki_dir, id.file, pki.ca, id.user, id.groups);
    if (!pair.ok()) return pair.status();
    KubeconfigCredentials creds;
    creds.server = absl::StrCat("https://", hostport(rest_host, rest_port));
    creds.grpc_server = hostport(grpc_host, grpc_port);
    creds.ca_pem = pki.ca.cert_pem;
    creds.cert_pem = pair->cert_pem;
    creds.key_pem = pair->key_pem;
    KubeconfigNames names;
    names.user = id.user;
    std::string text = RenderKubeconfig(names, creds);
    std::string path = absl::StrCat(data_dir, "/", id.file, ".kubeconfig");
    absl::StatusOr<std::string> old = pki::ReadFile(path);
    if (old.ok() && *old == text) continue;
    if (absl::Status s = pki::WriteFileAtomic(path, text, 0600); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace mk::apiserver
