#include "apiserver/encryption_config.h"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/manifest.h"
#include "common/resources.h"

namespace mk::apiserver {
namespace {

absl::Status Bad(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

// A required non-empty array at j[field].
absl::StatusOr<const Json*> Array(const Json& j, const char* field, const std::string& path) {
  auto it = j.find(field);
  if (it == j.end()) return Bad(path + field, "required (a non-empty list)");
  if (!it->is_array() || it->empty()) return Bad(path + field, "expected a non-empty list");
  return &*it;
}

absl::StatusOr<std::shared_ptr<const ValueTransformer>> ParseProviders(const Json& list,
                                                                       const std::string& path) {
  std::vector<std::unique_ptr<ValueProvider>> providers;
  std::set<std::string> key_names;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string p = absl::StrCat(path, "[", i, "]");
    const Json& pj = list[i];
    if (!pj.is_object() || pj.size() != 1) {
      return Bad(p, "expected an object with exactly one provider (aesgcm or identity)");
    }
    const std::string& type = pj.begin().key();
    const Json& cfg = pj.begin().value();
    if (type == "identity") {
      providers.push_back(NewIdentityProvider());
      continue;
    }
    if (type != "aesgcm") {
      return Bad(absl::StrCat(p, ".", type),
                 "provider not supported by mk (supported: aesgcm, identity)");
    }
    if (!cfg.is_object()) return Bad(p + ".aesgcm", "expected an object with keys");
    absl::StatusOr<const Json*> keys = Array(cfg, "keys", p + ".aesgcm.");
    if (!keys.ok()) return keys.status();
    for (size_t k = 0; k < (*keys)->size(); ++k) {
      std::string kp = absl::StrCat(p, ".aesgcm.keys[", k, "]");
      const Json& key = (**keys)[k];
      if (!key.is_object()) return Bad(kp, "expected an object with name and secret");
      auto name = key.find("name");
      if (name == key.end() || !name->is_string() || name->get<std::string>().empty()) {
        return Bad(kp + ".name", "required (a non-empty string)");
      }
      std::string n = name->get<std::string>();
      if (absl::StrContains(n, ":")) return Bad(kp + ".name", "must not contain ':'");
      if (!key_names.insert(n).second) {
        return Bad(kp + ".name", absl::StrCat("duplicate key name \"", n, "\""));
      }
      auto secret = key.find("secret");
      if (secret == key.end() || !secret->is_string()) {
        return Bad(kp + ".secret", "required (base64 of a 16, 24 or 32 byte key)");
      }
      std::string raw;
      if (!absl::Base64Unescape(secret->get<std::string>(), &raw)) {
        return Bad(kp + ".secret", "expected base64 of a 16, 24 or 32 byte key: not valid base64");
      }
      if (raw.size() != 16 && raw.size() != 24 && raw.size() != 32) {
        return Bad(kp + ".secret", absl::StrCat("expected base64 of a 16, 24 or 32 byte key, got ",
                                                raw.size(), " bytes"));
      }
      absl::StatusOr<std::unique_ptr<ValueProvider>> prov = NewAesGcmProvider(n, raw);
      if (!prov.ok()) return Bad(kp, prov.status().message());
      providers.push_back(std::move(*prov));
    }
  }
  return std::make_shared<const ValueTransformer>(std::move(providers));
}

}  // namespace

absl::StatusOr<EncryptionConfig> ParseEncryptionConfig(absl::string_view text) {
  absl::StatusOr<std::vector<Json>> docs = ParseManifests(text);
  if (!docs.ok()) return Bad("(file)", docs.status().message());
  if (docs->size() != 1 || !(*docs)[0].is_object()) {
    return Bad("(file)", "expected one EncryptionConfiguration object");
  }
  const Json& j = (*docs)[0];
  auto api_version = j.find("apiVersion");
  if (api_version == j.end() || *api_version != "apiserver.config.k8s.io/v1") {
    return Bad("apiVersion", "expected \"apiserver.config.k8s.io/v1\"");
  }
  auto kind = j.find("kind");
  if (kind == j.end() || *kind != "EncryptionConfiguration") {
    return Bad("kind", "expected \"EncryptionConfiguration\"");
  }
  absl::StatusOr<const Json*> resources = Array(j, "resources", "");
  if (!resources.ok()) return resources.status();
  EncryptionConfig out;
  for (size_t i = 0; i < (*resources)->size(); ++i) {
    std::string p = absl::StrCat("resources[", i, "]");
    const Json& entry = (**resources)[i];
    if (!entry.is_object()) return Bad(p, "expected an object with resources and providers");
    absl::StatusOr<const Json*> names = Array(entry, "resources", p + ".");
    if (!names.ok()) return names.status();
    absl::StatusOr<const Json*> providers = Array(entry, "providers", p + ".");
    if (!providers.ok()) return providers.status();
    absl::StatusOr<std::shared_ptr<const ValueTransformer>> t =
        ParseProviders(**providers, p + ".providers");
    if (!t.ok()) return t.status();
    for (size_t r = 0; r < (*names)->size(); ++r) {
      std::string rp = absl::StrCat(p, ".resources[", r, "]");
      const Json& name = (**names)[r];
      if (!name.is_string()) return Bad(rp, "expected a resource name such as \"secrets\"");
      std::string full = name.get<std::string>();
      std::string plural = full.substr(0, full.find('.'));
      std::string group =
          full.find('.') == std::string::npos ? "" : full.substr(full.find('.') + 1);
      const ResourceInfo* info = FindResource(plural);
      if (info == nullptr || info->name != plural || (!group.empty() && group != info->group)) {
        return Bad(rp, absl::StrCat("unknown resource \"", full,
                                    "\" (expected a resource such as \"secrets\")"));
      }
      // As in Kubernetes, the first entry naming a resource wins.
      out.emplace(plural, *t);
    }
  }
  return out;
}

absl::StatusOr<EncryptionConfig> LoadEncryptionConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(
        absl::StrCat("encryption provider config ", path, ": cannot read the file"));
  std::stringstream ss;
  ss << in.rdbuf();
  absl::StatusOr<EncryptionConfig> c = ParseEncryptionConfig(ss.str());
  if (!c.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("encryption provider config ", path, ": ", c.status().message()));
  }
  return c;
}

}  // namespace mk::apiserver
