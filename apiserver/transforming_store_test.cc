#include "apiserver/transforming_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "apiserver/memory_store.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

const std::string kKey32 = absl::Base64Escape(std::string(32, 'q'));

EncryptionConfig AesConfig() {
  auto c = ParseEncryptionConfig(
      "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
      "  - resources: [secrets]\n    providers:\n      - aesgcm:\n          keys:\n"
      "            - name: key1\n              secret: " +
      kKey32 + "\n");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

TEST(TransformingStoreTest, EncryptsConfiguredResourcesOnly) {
  MemoryStore raw;
  TransformingStore store(&raw, AesConfig());
  const std::string secret_key = "/registry/secrets/default/db";
  const std::string pod_key = "/registry/pods/default/p";
  int64_t after = store.CurrentRevision();
  auto watch = store.Watch("/registry/secrets/", after);
  ASSERT_TRUE(watch.ok());
  ASSERT_TRUE(store.Create(secret_key, "secret-bytes").ok());
  ASSERT_TRUE(store.Create(pod_key, "pod-bytes").ok());
  auto rev = store.Update(secret_key, "secret-bytes-2", 0);
  ASSERT_TRUE(rev.ok());

  // Underneath: ciphertext for secrets, plaintext for pods.
  EXPECT_TRUE(absl::StartsWith(raw.Get(secret_key)->value, "k8s:enc:aesgcm:v1:key1:"));
  EXPECT_FALSE(absl::StrContains(raw.Get(secret_key)->value, "secret-bytes"));
  EXPECT_EQ(raw.Get(pod_key)->value, "pod-bytes");

  // Through the transforming store: plaintext everywhere.
  EXPECT_EQ(store.Get(secret_key)->value, "secret-bytes-2");
  EXPECT_EQ(store.GetForUpdate(secret_key)->value, "secret-bytes-2");
  int64_t list_rev = 0;
  auto kvs = store.List("/registry/secrets/", &list_rev);
  ASSERT_EQ(kvs.size(), 1u);
  EXPECT_EQ(kvs[0].value, "secret-bytes-2");
  StoreEvent ev;
  ASSERT_EQ((*watch)->Next(absl::Seconds(5), &ev), StoreWatch::Result::kEvent);
  EXPECT_EQ(ev.value, "secret-bytes");
  ASSERT_EQ((*watch)->Next(absl::Seconds(5), &ev), StoreWatch::Result::kEvent);
  EXPECT_EQ(ev.value, "secret-bytes-2");
  EXPECT_EQ(ev.prev_value, "secret-bytes");
  ASSERT_TRUE(store.Delete(secret_key, 0).ok());
  ASSERT_EQ((*watch)->Next(absl::Seconds(5), &ev), StoreWatch::Result::kEvent);
  EXPECT_EQ(ev.type, StoreEvent::kDeleted);
  EXPECT_EQ(ev.value, "secret-bytes-2");
}

TEST(TransformingStoreTest, UndecryptableValuesAreErrors) {
  MemoryStore raw;
  ASSERT_TRUE(raw.Create("/registry/secrets/default/old",
                         "k8s:enc:aesgcm:v1:gone:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
                  .ok());
  TransformingStore store(&raw, AesConfig());
  auto kv = store.Get("/registry/secrets/default/old");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.status().code(), absl::StatusCode::kInternal);
  int64_t rev = 0;
  auto kvs = store.List("/registry/secrets/", &rev);
  ASSERT_EQ(kvs.size(), 1u);
  EXPECT_EQ(kvs[0].value, "\xff");  // fails to parse as protobuf: reported as corrupt
}

}  // namespace
}  // namespace mk::apiserver
