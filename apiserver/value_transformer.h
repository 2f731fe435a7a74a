#pragma once

// Encryption at rest: the transformation of stored values, as Kubernetes' apiserver does it
// (k8s.io/apiserver/pkg/storage/value). A transformer holds an ordered list of providers:
// the first one encodes every write; reads pick the provider by the value's prefix, so
// values written with an older key (or in plaintext, when `identity` is listed) still read
// after a key rotation.
//
// Providers:
//  - aesgcm: AES-GCM (128/192/256-bit keys by length) through OpenSSL EVP. Stored value =
//    "k8s:enc:aesgcm:v1:<keyname>:" + 12-byte random nonce + ciphertext + 16-byte tag. The
//    storage key ("/registry/secrets/ns/name") is the additional authenticated data, so a
//    value copied to another key does not decrypt.
//  - identity: the value itself, no prefix. As a read provider it accepts any value that
//    no other provider's prefix claims.
// Errors never contain values or key material.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mk::apiserver {

class ValueProvider {
 public:
  virtual ~ValueProvider() = default;
  // The prefix marking values this provider wrote ("" for identity).
  virtual const std::string& prefix() const = 0;
  // `plain` → stored value including prefix(); `context` is authenticated (the store key).
  virtual absl::StatusOr<std::string> Encrypt(absl::string_view plain,
                                              absl::string_view context) const = 0;
  // Stored value without prefix() → plain.
  virtual absl::StatusOr<std::string> Decrypt(absl::string_view payload,
                                              absl::string_view context) const = 0;
};

// `key` must be 16, 24 or 32 bytes (InvalidArgument otherwise); `name` must not contain ':'.
absl::StatusOr<std::unique_ptr<ValueProvider>> NewAesGcmProvider(const std::string& name,
                                                                 const std::string& key);
std::unique_ptr<ValueProvider> NewIdentityProvider();

class ValueTransformer {
 public:
  explicit ValueTransformer(std::vector<std::unique_ptr<ValueProvider>> providers);

  // Encodes with the first provider.
  absl::StatusOr<std::string> ToStorage(absl::string_view plain, absl::string_view key) const;
  // Decodes with the provider whose prefix the value carries (the longest match; identity
  // last). Internal error when none matches or decryption fails.
  absl::StatusOr<std::string> FromStorage(absl::string_view stored, absl::string_view key) const;

 private:
  std::vector<std::unique_ptr<ValueProvider>> providers_;
};

}  // namespace mk::apiserver
