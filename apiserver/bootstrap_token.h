#pragma once

// Bootstrap tokens, as Kubernetes' bootstrap token authenticator: a bearer token
// "<id>.<secret>" ([a-z0-9]{6}.[a-z0-9]{16}) is valid while the Secret
// kube-system/bootstrap-token-<id> of type bootstrap.kubernetes.io/token exists with
// token-secret = <secret>, usage-bootstrap-authentication = "true" and an expiration (RFC 3339)
// not yet passed. The user is system:bootstrap:<id> in system:bootstrappers plus the
// secret's auth-extra-groups (each must start with "system:bootstrappers:"). A node joins
// with one (kubelet --bootstrap-kubeconfig) and may then only submit and read CSRs.

#include <functional>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "api.pb.h"
#include "apiserver/auth_types.h"

namespace mk::apiserver {

class Registry;

inline constexpr char kBootstrapTokenSecretType[] = "bootstrap.kubernetes.io/token";
inline constexpr char kBootstrapTokenSecretPrefix[] = "bootstrap-token-";

// The token's id and secret when it has the bootstrap token shape.
bool ParseBootstrapToken(const std::string& token, std::string* id, std::string* secret);

// The user `secret` (the Secret object) admits for the token parts, or nullopt.
std::optional<UserInfo> BootstrapTokenUser(const api::Secret& secret, const std::string& id,
                                           const std::string& token_secret, absl::Time now);

// Looks bearer tokens up in `registry` (nullopt: not a valid bootstrap token).
using TokenLookup = std::function<std::optional<UserInfo>(const std::string& token)>;
TokenLookup BootstrapTokenLookup(Registry* registry);

}  // namespace mk::apiserver
