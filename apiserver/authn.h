#pragma once

// Authentication: who is asking, as Kubernetes' union authenticator decides it, in order:
//   1. a client certificate that verifies against the client CA → name = CN,
//      groups = O's + system:authenticated;
//   2. a bearer token listed in the token file (--token-auth-file, Kubernetes' static token
//      CSV: token,user,uid[,"group1,group2"]) → that user and groups + system:authenticated;
//   3. a bootstrap token (apiserver/bootstrap_token.h), when a lookup is set;
//   4. nothing presented → system:anonymous in system:unauthenticated.
// Credentials that are presented but do not verify (a certificate from another CA, an expired
// one, an unknown token) are an error (401), never a fall-back to anonymous.
//
// Thread-safe; verified certificates are cached by their PEM text until they expire.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apiserver/auth_types.h"

namespace mk::apiserver {

class Authenticator {
 public:
  // `client_ca_pem`: the CA bundle client certificates must chain to. `token_file`: "" for
  // none. Errors for an unreadable or malformed token file.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(std::string client_ca_pem,
                                                               const std::string& token_file);

  // `cert_pem`: the peer's certificate as the TLS layer saw it ("" when none was sent);
  // `authorization`: the Authorization header / metadata value ("" when none).
  // Unauthenticated (message "Unauthorized") for bad credentials.
  absl::StatusOr<UserInfo> Authenticate(const std::string& cert_pem,
                                        const std::string& authorization) const;

  static bool IsAnonymous(const UserInfo& user) { return user.name == kAnonymousUser; }

  // Bearer tokens not in the token file go to `lookup` (--enable-bootstrap-token-auth).
  // Before serving: not synchronised.
  void set_bootstrap_lookup(std::function<std::optional<UserInfo>(const std::string&)> lookup) {
    bootstrap_lookup_ = std::move(lookup);
  }

  // Parses token-file text; exposed for tests.
  static absl::StatusOr<absl::flat_hash_map<std::string, UserInfo>> ParseTokenFile(
      const std::string& text);

 private:
  Authenticator(std::string client_ca_pem, absl::flat_hash_map<std::string, UserInfo> tokens)
      : client_ca_pem_(std::move(client_ca_pem)), tokens_(std::move(tokens)) {}

  absl::StatusOr<UserInfo> FromCertificate(const std::string& cert_pem) const;

  struct CachedCert {
    UserInfo user;
    absl::Time not_after;
  };
  const std::string client_ca_pem_;
  const absl::flat_hash_map<std::string, UserInfo> tokens_;  // token → user (secret keys)
  std::function<std::optional<UserInfo>(const std::string&)> bootstrap_lookup_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, CachedCert> cert_cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mk::apiserver
