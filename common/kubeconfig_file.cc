#include "common/kubeconfig_file.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/manifest.h"
#include "common/pki.h"
#include "common/yaml_printer.h"

namespace mk {

const Json* KubeconfigNamed(const Json& raw, const char* list, const std::string& name,
                            const char* field) {
  if (!raw.contains(list) || !raw[list].is_array()) return nullptr;
  for (const Json& e : raw[list]) {
    if (e.is_object() && e.value("name", "") == name && e.contains(field) && e[field].is_object()) {
      return &e[field];
    }
  }
  return nullptr;
}

std::string KubeconfigStr(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

namespace {

const Json* Named(const Json& raw, const char* list, const std::string& name, const char* field) {
  return KubeconfigNamed(raw, list, name, field);
}
std::string Str(const Json& j, const char* key) { return KubeconfigStr(j, key); }

// The value of `key`-data (base64) or the contents of the file `key` names.
absl::StatusOr<std::string> DataOrFile(const Json& j, const std::string& key,
                                       const std::string& dir) {
  std::string data = Str(j, (key + "-data").c_str());
  if (!data.empty()) {
    std::string out;
    if (!absl::Base64Unescape(data, &out)) {
      return absl::InvalidArgumentError(absl::StrCat(key, "-data is not valid base64"));
    }
    return out;
  }
  std::string file = Str(j, key.c_str());
  if (file.empty()) return std::string();
  if (file[0] != '/') file = absl::StrCat(dir, "/", file);
  return pki::ReadFile(file);
}

}  // namespace

std::string RenderKubeconfig(const KubeconfigNames& names, const KubeconfigCredentials& creds) {
  std::string context =
      names.context.empty() ? absl::StrCat(names.user, "@", names.cluster) : names.context;
  Json cluster = {{"server", creds.server}};
  if (!creds.ca_pem.empty())
    cluster["certificate-authority-data"] = absl::Base64Escape(creds.ca_pem);
  if (creds.insecure) cluster["insecure-skip-tls-verify"] = true;
  if (!creds.grpc_server.empty()) {
    cluster["extensions"] = Json::array(
        {{{"name", kGrpcExtensionName}, {"extension", {{"server", creds.grpc_server}}}}});
  }
  Json user = Json::object();
  if (!creds.cert_pem.empty()) user["client-certificate-data"] = absl::Base64Escape(creds.cert_pem);
  if (!creds.key_pem.empty()) user["client-key-data"] = absl::Base64Escape(creds.key_pem);
  if (!creds.token.empty()) user["token"] = creds.token;
  Json doc = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters", Json::array({{{"name", names.cluster}, {"cluster", cluster}}})},
      {"users", Json::array({{{"name", names.user}, {"user", user}}})},
      {"contexts",
       Json::array(
           {{{"name", context}, {"context", {{"cluster", names.cluster}, {"user", names.user}}}}})},
      {"current-context", context},
      {"preferences", Json::object()},
  };
  return ToYaml(doc);
}

absl::StatusOr<KubeconfigCredentials> LoadKubeconfigCredentials(const std::string& path,
                                                                const std::string& context) {
  absl::StatusOr<std::string> text = pki::ReadFile(path);
  if (!text.ok()) return text.status();
  auto docs = ParseManifests(*text);
  if (!docs.ok() || docs->empty() || !(*docs)[0].is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error loading config file \"", path,
                     "\": ", docs.ok() ? "not a kubeconfig" : docs.status().message()));
  }
  const Json& raw = (*docs)[0];
  std::string name = context.empty() ? Str(raw, "current-context") : context;
  const Json* ctx = Named(raw, "contexts", name, "context");
  if (ctx == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": context \"", name, "\" was not found"));
  }
  std::string dir =
      path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
  if (dir.empty()) dir = ".";
  KubeconfigCredentials creds;
  if (const Json* cl = Named(raw, "clusters", Str(*ctx, "cluster"), "cluster")) {
    creds.server = Str(*cl, "server");
    absl::StatusOr<std::string> ca = DataOrFile(*cl, "certificate-authority", dir);
    if (!ca.ok()) return ca.status();
    creds.ca_pem = *std::move(ca);
    creds.insecure = cl->contains("insecure-skip-tls-verify") &&
                     (*cl)["insecure-skip-tls-verify"].is_boolean() &&
                     (*cl)["insecure-skip-tls-verify"].get<bool>();
    if (cl->contains("extensions") && (*cl)["extensions"].is_array()) {
      for (const Json& e : (*cl)["extensions"]) {
        if (e.is_object() && e.value("name", "") == kGrpcExtensionName && e.contains("extension") &&
            e["extension"].is_object()) {
          creds.grpc_server = Str(e["extension"], "server");
        }
      }
    }
  }
  if (const Json* user = Named(raw, "users", Str(*ctx, "user"), "user")) {
    creds.token = Str(*user, "token");
    absl::StatusOr<std::string> cert = DataOrFile(*user, "client-certificate", dir);
    if (!cert.ok()) return cert.status();
    creds.cert_pem = *std::move(cert);
    absl::StatusOr<std::string> key = DataOrFile(*user, "client-key", dir);
    if (!key.ok()) return key.status();
    creds.key_pem = *std::move(key);
  }
  return creds;
}

}  // namespace mk
