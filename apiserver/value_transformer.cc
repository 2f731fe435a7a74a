#include "apiserver/value_transformer.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mk::apiserver {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const EVP_CIPHER* GcmCipher(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}

class AesGcmProvider : public ValueProvider {
 public:
  AesGcmProvider(const std::string& name, std::string key)
      : name_(name), key_(std::move(key)), prefix_(absl::StrCat("k8s:enc:aesgcm:v1:", name, ":")) {}

  const std::string& prefix() const override { return prefix_; }

  absl::StatusOr<std::string> Encrypt(absl::string_view plain,
                                      absl::string_view context) const override {
    unsigned char nonce[kNonceSize];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
      return absl::InternalError("aesgcm: no randomness for the nonce");
    }
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    std::string out = prefix_;
    out.append(reinterpret_cast<const char*>(nonce), kNonceSize);
    size_t body = out.size();
    out.resize(body + plain.size() + kTagSize);
    auto* dst = reinterpret_cast<unsigned char*>(out.data() + body);
    int n = 0;
    int fin = 0;
    bool ok =
        ctx && EVP_EncryptInit_ex(ctx.get(), GcmCipher(key_.size()), nullptr, nullptr, nullptr) &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) &&
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr,
                           reinterpret_cast<const unsigned char*>(key_.data()), nonce) &&
        EVP_EncryptUpdate(ctx.get(), nullptr, &n,
                          reinterpret_cast<const unsigned char*>(context.data()),
                          static_cast<int>(context.size())) &&
        EVP_EncryptUpdate(ctx.get(), dst, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size())) &&
        EVP_EncryptFinal_ex(ctx.get(), dst + n, &fin) &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + plain.size());
    if (!ok || static_cast<size_t>(n + fin) != plain.size()) {
      return absl::InternalError(absl::StrCat("aesgcm key ", name_, ": encryption failed"));
    }
    return out;
  }

  absl::StatusOr<std::string> Decrypt(absl::string_view payload,
                                      absl::string_view context) const override {
    if (payload.size() < kNonceSize + kTagSize) {
      return absl::InternalError(absl::StrCat("aesgcm key ", name_, ": value too short"));
    }
    const auto* nonce = reinterpret_cast<const unsigned char*>(payload.data());
    size_t clen = payload.size() - kNonceSize - kTagSize;
    const auto* cipher = nonce + kNonceSize;
    std::string tag(payload.substr(kNonceSize + clen));
    std::string out(clen, '\0');
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    int fin = 0;
    bool ok = ctx &&
              EVP_DecryptInit_ex(ctx.get(), GcmCipher(key_.size()), nullptr, nullptr, nullptr) &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) &&
              EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr,
                                 reinterpret_cast<const unsigned char*>(key_.data()), nonce) &&
              EVP_DecryptUpdate(ctx.get(), nullptr, &n,
                                reinterpret_cast<const unsigned char*>(context.data()),
                                static_cast<int>(context.size())) &&
              EVP_DecryptUpdate(ctx.get(), dst, &n, cipher, static_cast<int>(clen)) &&
              EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) &&
              EVP_DecryptFinal_ex(ctx.get(), dst + n, &fin) > 0;
    if (!ok) {
      return absl::InternalError(absl::StrCat(
          "aesgcm key ", name_, ": decryption failed (wrong key, or the value was modified)"));
    }
    return out;
  }

 private:
  const std::string name_;
  const std::string key_;
  const std::string prefix_;
};

class IdentityProvider : public ValueProvider {
 public:
  const std::string& prefix() const override { return prefix_; }
  absl::StatusOr<std::string> Encrypt(absl::string_view plain, absl::string_view) const override {
    return std::string(plain);
  }
  absl::StatusOr<std::string> Decrypt(absl::string_view payload, absl::string_view) const override {
    return std::string(payload);
  }

 private:
  const std::string prefix_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ValueProvider>> NewAesGcmProvider(const std::string& name,
                                                                 const std::string& key) {
  if (GcmCipher(key.size()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("aesgcm key ", name, ": must be 16, 24 or 32 bytes, got ", key.size()));
  }
  if (name.empty() || absl::StrContains(name, ":")) {
    return absl::InvalidArgumentError("aesgcm key name must be non-empty and contain no ':'");
  }
  return std::unique_ptr<ValueProvider>(new AesGcmProvider(name, key));
}

std::unique_ptr<ValueProvider> NewIdentityProvider() {
  return std::make_unique<IdentityProvider>();
}

ValueTransformer::ValueTransformer(std::vector<std::unique_ptr<ValueProvider>> providers)
    : providers_(std::move(providers)) {}

absl::StatusOr<std::string> ValueTransformer::ToStorage(absl::string_view plain,
                                                        absl::string_view key) const {
  if (providers_.empty()) return std::string(plain);
  return providers_.front()->Encrypt(plain, key);
}

absl::StatusOr<std::string> ValueTransformer::FromStorage(absl::string_view stored,
                                                          absl::string_view key) const {
  const ValueProvider* best = nullptr;
  bool encrypted = absl::StartsWith(stored, "k8s:enc:");
  for (const auto& p : providers_) {
    if (!absl::StartsWith(stored, p->prefix())) continue;
    if (encrypted && p->prefix().empty()) continue;  // identity never returns ciphertext
    if (best == nullptr || p->prefix().size() > best->prefix().size()) best = p.get();
  }
  if (best == nullptr) {
    return absl::InternalError(
        absl::StrCat("no configured encryption provider can read the value at ", key,
                     encrypted ? " (written with a key no longer configured)"
                               : " (stored unencrypted; add the identity provider)"));
  }
  absl::StatusOr<std::string> plain = best->Decrypt(stored.substr(best->prefix().size()), key);
  if (!plain.ok()) {
    return absl::InternalError(absl::StrCat("reading ", key, ": ", plain.status().message()));
  }
  return plain;
}

}  // namespace mk::apiserver
