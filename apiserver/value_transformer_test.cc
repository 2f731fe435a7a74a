#include "apiserver/value_transformer.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

constexpr char kKey[] = "/registry/secrets/default/db";
constexpr char kPlain[] = "canary-plaintext-value";

std::unique_ptr<ValueProvider> Aes(const std::string& name, char fill, size_t size = 32) {
  auto p = NewAesGcmProvider(name, std::string(size, fill));
  EXPECT_TRUE(p.ok()) << p.status();
  return std::move(*p);
}

ValueTransformer Make(std::vector<std::unique_ptr<ValueProvider>> ps) {
  return ValueTransformer(std::move(ps));
}

std::vector<std::unique_ptr<ValueProvider>> List(std::unique_ptr<ValueProvider> a,
                                                 std::unique_ptr<ValueProvider> b = nullptr) {
  std::vector<std::unique_ptr<ValueProvider>> v;
  v.push_back(std::move(a));
  if (b) v.push_back(std::move(b));
  return v;
}

TEST(AesGcmTest, RoundTripWithPrefixAndFreshNonce) {
  for (size_t size : {16, 24, 32}) {
    ValueTransformer t = Make(List(Aes("key1", 'k', size)));
    auto a = t.ToStorage(kPlain, kKey);
    auto b = t.ToStorage(kPlain, kKey);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(absl::StartsWith(*a, "k8s:enc:aesgcm:v1:key1:")) << *a;
    EXPECT_FALSE(absl::StrContains(*a, kPlain));
    EXPECT_NE(*a, *b);  // random nonce per write
    EXPECT_EQ(a->size(),
              std::string("k8s:enc:aesgcm:v1:key1:").size() + 12 + sizeof(kPlain) - 1 + 16);
    auto back = t.FromStorage(*a, kKey);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, kPlain);
  }
  ValueTransformer t = Make(List(Aes("key1", 'k')));
  auto empty = t.ToStorage("", kKey);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*t.FromStorage(*empty, kKey), "");
}

TEST(AesGcmTest, BadKeySizesAndNames) {
  EXPECT_FALSE(NewAesGcmProvider("k", std::string(31, 'x')).ok());
  EXPECT_FALSE(NewAesGcmProvider("k", "").ok());
  EXPECT_FALSE(NewAesGcmProvider("a:b", std::string(32, 'x')).ok());
  EXPECT_FALSE(NewAesGcmProvider("", std::string(32, 'x')).ok());
}

TEST(AesGcmTest, WrongKeyWithSameNameFailsCleanly) {
  ValueTransformer writer = Make(List(Aes("key1", 'a')));
  ValueTransformer reader = Make(List(Aes("key1", 'b')));
  auto stored = writer.ToStorage(kPlain, kKey);
  ASSERT_TRUE(stored.ok());
  auto r = reader.FromStorage(*stored, kKey);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "decryption failed")) << r.status();
  EXPECT_FALSE(absl::StrContains(r.status().message(), kPlain));
}

TEST(AesGcmTest, TamperingIsDetected) {
  ValueTransformer t = Make(List(Aes("key1", 'a')));
  auto stored = t.ToStorage(kPlain, kKey);
  ASSERT_TRUE(stored.ok());
  for (size_t i = std::string("k8s:enc:aesgcm:v1:key1:").size(); i < stored->size(); ++i) {
    std::string bad = *stored;
    bad[i] ^= 0x01;
    EXPECT_FALSE(t.FromStorage(bad, kKey).ok()) << "flipped byte " << i;
  }
  EXPECT_FALSE(t.FromStorage(stored->substr(0, stored->size() - 1), kKey).ok());
  EXPECT_FALSE(t.FromStorage("k8s:enc:aesgcm:v1:key1:short", kKey).ok());
  // The storage key is authenticated: a value moved to another object does not decrypt.
  EXPECT_FALSE(t.FromStorage(*stored, "/registry/secrets/default/other").ok());
}

TEST(ValueTransformerTest, RotationFirstProviderWritesAllRead) {
  ValueTransformer old_cfg = Make(List(Aes("key1", 'a')));
  auto v1 = old_cfg.ToStorage(kPlain, kKey);
  ASSERT_TRUE(v1.ok());
  // Rotation step 1: new key first, old key still listed.
  ValueTransformer rotated = Make(List(Aes("key2", 'b'), Aes("key1", 'a')));
  EXPECT_EQ(*rotated.FromStorage(*v1, kKey), kPlain);
  auto v2 = rotated.ToStorage(kPlain, kKey);
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(absl::StartsWith(*v2, "k8s:enc:aesgcm:v1:key2:"));
  // Step 2: old key removed; values rewritten with key2 still read, key1 values do not.
  ValueTransformer only_new = Make(List(Aes("key2", 'b')));
  EXPECT_EQ(*only_new.FromStorage(*v2, kKey), kPlain);
  auto gone = only_new.FromStorage(*v1, kKey);
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(absl::StrContains(gone.status().message(), "no longer configured")) << gone.status();
}

TEST(ValueTransformerTest, IdentityFirstWritesPlaintextAndReadsEncrypted) {
  ValueTransformer enc = Make(List(Aes("key1", 'a')));
  auto encrypted = enc.ToStorage(kPlain, kKey);
  ASSERT_TRUE(encrypted.ok());
  ValueTransformer t = Make(List(NewIdentityProvider(), Aes("key1", 'a')));
  auto plain = t.ToStorage(kPlain, kKey);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, kPlain);  // decryption step of turning encryption off
  EXPECT_EQ(*t.FromStorage(*plain, kKey), kPlain);
  EXPECT_EQ(*t.FromStorage(*encrypted, kKey), kPlain);
}

TEST(ValueTransformerTest, PlaintextNeedsIdentityToRead) {
  ValueTransformer aes_only = Make(List(Aes("key1", 'a')));
  auto r = aes_only.FromStorage(kPlain, kKey);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "identity")) << r.status();
  ValueTransformer with_identity = Make(List(Aes("key1", 'a'), NewIdentityProvider()));
  EXPECT_EQ(*with_identity.FromStorage(kPlain, kKey), kPlain);
  // Identity never hands out ciphertext of a key that is not configured.
  ValueTransformer other = Make(List(Aes("key9", 'z'), NewIdentityProvider()));
  auto stored = aes_only.ToStorage(kPlain, kKey);
  EXPECT_FALSE(other.FromStorage(*stored, kKey).ok());
}

}  // namespace
}  // namespace mk::apiserver
