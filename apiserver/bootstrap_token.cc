#include "apiserver/bootstrap_token.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "apiserver/registry.h"
#include "common/resources.h"

namespace mk::apiserver {
namespace {

bool LowerAlnum(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c)) return false;
  }
  return true;
}

std::string Data(const api::Secret& s, const char* key) {
  auto it = s.data().find(key);
  return it == s.data().end() ? "" : it->second;
}

}  // namespace

bool ParseBootstrapToken(const std::string& token, std::string* id, std::string* secret) {
  if (token.size() != 23 || token[6] != '.') return false;
  absl::string_view t(token);
  if (!LowerAlnum(t.substr(0, 6)) || !LowerAlnum(t.substr(7))) return false;
  *id = token.substr(0, 6);
  *secret = token.substr(7);
  return true;
}

std::optional<UserInfo> BootstrapTokenUser(const api::Secret& secret, const std::string& id,
                                           const std::string& token_secret, absl::Time now) {
  if (secret.type() != kBootstrapTokenSecretType) return std::nullopt;
  if (secret.metadata().name() != absl::StrCat(kBootstrapTokenSecretPrefix, id)) {
    return std::nullopt;
  }
  if (!secret.metadata().deletion_timestamp().empty()) return std::nullopt;
  if (Data(secret, "token-id") != id) return std::nullopt;
  const std::string want = Data(secret, "token-secret");
  if (want.size() != token_secret.size() ||
      CRYPTO_memcmp(want.data(), token_secret.data(), want.size()) != 0) {
    return std::nullopt;
  }
  if (Data(secret, "usage-bootstrap-authentication") != "true") return std::nullopt;
  const std::string expiration = Data(secret, "expiration");
  if (!expiration.empty()) {
    absl::Time until;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, expiration, &until, &err) || now >= until) {
      return std::nullopt;
    }
  }
  UserInfo user{absl::StrCat("system:bootstrap:", id), {kBootstrappersGroup}};
  for (absl::string_view g : absl::StrSplit(Data(secret, "auth-extra-groups"), ',')) {
    std::string group(absl::StripAsciiWhitespace(g));
    if (group.empty()) continue;
    // Kubernetes refuses the token when a group is outside system:bootstrappers:.
    if (!absl::StartsWith(group, "system:bootstrappers:")) return std::nullopt;
    user.groups.push_back(std::move(group));
  }
  return user;
}

TokenLookup BootstrapTokenLookup(Registry* registry) {
  return [registry](const std::string& token) -> std::optional<UserInfo> {
    std::string id, token_secret;
    if (!ParseBootstrapToken(token, &id, &token_secret)) return std::nullopt;
    absl::StatusOr<ObjectPtr> obj = registry->Get(*FindResource("secrets"), "kube-system",
                                                  absl::StrCat(kBootstrapTokenSecretPrefix, id));
    if (!obj.ok()) return std::nullopt;
    return BootstrapTokenUser(static_cast<const api::Secret&>(**obj), id, token_secret,
                              absl::Now());
  };
}

}  // namespace mk::apiserver
