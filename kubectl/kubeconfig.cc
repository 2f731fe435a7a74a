#include "kubectl/kubeconfig.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/kubeconfig_file.h"
#include "common/manifest.h"

namespace mk::kubectl {
namespace {

const Json* Named(const Json& raw, const char* list, const std::string& name, const char* field) {
  return KubeconfigNamed(raw, list, name, field);
}

std::string Str(const Json& j, const char* key) { return KubeconfigStr(j, key); }

// A *-data field: base64 of PEM text.
absl::Status Data(const Json& j, const char* key, const std::string& path, std::string* out) {
  std::string b64 = Str(j, key);
  if (b64.empty()) return absl::OkStatus();
  if (!absl::Base64Unescape(b64, out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config file \"", path, "\": ", key, " is not base64"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string DefaultKubeconfigPath() {
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "", "/.mk/config");
}

absl::StatusOr<Kubeconfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  Kubeconfig kc;
  kc.path = path;
  std::ifstream in(path);
  if (!in) return kc;
  std::stringstream ss;
  ss << in.rdbuf();
  auto docs = ParseManifests(ss.str());
  if (!docs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config file \"", path, "\": ", docs.status().message()));
  }
  kc.loaded = true;
  if (docs->empty()) return kc;
  kc.raw = (*docs)[0];
  if (!kc.raw.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config file \"", path, "\": not a kubeconfig"));
  }
  kc.context = context.empty() ? Str(kc.raw, "current-context") : context;
  if (kc.context.empty()) return kc;
  const Json* ctx = Named(kc.raw, "contexts", kc.context, "context");
  if (ctx == nullptr) {
    if (!context.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("context was not found for specified context: ", context));
    }
    return kc;
  }
  kc.cluster = Str(*ctx, "cluster");
  kc.ns = Str(*ctx, "namespace");
  if (const Json* cl = Named(kc.raw, "clusters", kc.cluster, "cluster")) {
    kc.server = Str(*cl, "server");
    kc.ca_file = Str(*cl, "certificate-authority");
    if (absl::Status s = Data(*cl, "certificate-authority-data", path, &kc.ca_pem); !s.ok()) {
      return s;
    }
    kc.insecure = cl->contains("insecure-skip-tls-verify") &&
                  (*cl)["insecure-skip-tls-verify"].is_boolean() &&
                  (*cl)["insecure-skip-tls-verify"].get<bool>();
  }
  if (const Json* user = Named(kc.raw, "users", Str(*ctx, "user"), "user")) {
    kc.token = Str(*user, "token");
    kc.client_cert_file = Str(*user, "client-certificate");
    kc.client_key_file = Str(*user, "client-key");
    if (absl::Status s = Data(*user, "client-certificate-data", path, &kc.client_cert_pem);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = Data(*user, "client-key-data", path, &kc.client_key_pem); !s.ok()) {
      return s;
    }
  }
  return kc;
}

}  // namespace mk::kubectl
