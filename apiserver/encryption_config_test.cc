#include "apiserver/encryption_config.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

const std::string kKey32 = absl::Base64Escape(std::string(32, 'q'));

std::string Config(const std::string& providers, const std::string& resources = "[secrets]") {
  return absl::StrCat(
      "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
      "  - resources: ",
      resources, "\n    providers:\n", providers);
}

std::string AesProvider(const std::string& name, const std::string& secret) {
  return absl::StrCat("      - aesgcm:\n          keys:\n            - name: ", name,
                      "\n              secret: ", secret, "\n");
}

std::string ErrorOf(const std::string& text) {
  auto c = ParseEncryptionConfig(text);
  EXPECT_FALSE(c.ok());
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(EncryptionConfigTest, KubernetesFormat) {
  auto c = ParseEncryptionConfig(Config(AesProvider("key1", kKey32) + "      - identity: {}\n",
                                        "[secrets, replicasets.apps]"));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->size(), 2u);
  const ValueTransformer& t = *c->at("secrets");
  auto stored = t.ToStorage("x", "/registry/secrets/a/b");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(absl::StartsWith(*stored, "k8s:enc:aesgcm:v1:key1:"));
  EXPECT_EQ(*t.FromStorage("plain", "/registry/secrets/a/b"), "plain");  // identity listed
  EXPECT_TRUE(c->count("replicasets"));
}

TEST(EncryptionConfigTest, ErrorsNameFieldAndExpectationButNotTheKey) {
  std::string short_key = absl::Base64Escape("0123456");
  std::string e = ErrorOf(Config(AesProvider("key1", short_key)));
  EXPECT_EQ(e,
            "resources[0].providers[0].aesgcm.keys[0].secret: expected base64 of a 16, 24 or 32 "
            "byte key, got 7 bytes");
  EXPECT_FALSE(absl::StrContains(e, short_key));
  e = ErrorOf(Config(AesProvider("key1", "not*base64")));
  EXPECT_TRUE(absl::StrContains(e, "keys[0].secret: expected base64")) << e;
  EXPECT_FALSE(absl::StrContains(e, "not*base64"));
  EXPECT_EQ(ErrorOf(Config("      - aescbc:\n          keys: []\n")),
            "resources[0].providers[0].aescbc: provider not supported by mk (supported: aesgcm, "
            "identity)");
  EXPECT_EQ(ErrorOf(Config("      - identity: {}\n", "[sekrets]")),
            "resources[0].resources[0]: unknown resource \"sekrets\" (expected a resource such as "
            "\"secrets\")");
  EXPECT_EQ(ErrorOf(Config("      - aesgcm:\n          keys: []\n")),
            "resources[0].providers[0].aesgcm.keys: expected a non-empty list");
  EXPECT_EQ(ErrorOf("apiVersion: v1\nkind: EncryptionConfiguration\nresources: []\n"),
            "apiVersion: expected \"apiserver.config.k8s.io/v1\"");
  EXPECT_EQ(ErrorOf("apiVersion: apiserver.config.k8s.io/v1\nkind: Config\n"),
            "kind: expected \"EncryptionConfiguration\"");
  EXPECT_EQ(ErrorOf("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"),
            "resources: required (a non-empty list)");
  EXPECT_TRUE(
      absl::StrContains(ErrorOf(Config(AesProvider("key1", kKey32) + AesProvider("key1", kKey32))),
                        "providers[1].aesgcm.keys[0].name: duplicate key name \"key1\""));
  EXPECT_EQ(ErrorOf(Config("      - identity: {}\n        aesgcm: {}\n")),
            "resources[0].providers[0]: expected an object with exactly one provider (aesgcm or "
            "identity)");
}

TEST(EncryptionConfigTest, LoadNamesTheFile) {
  auto c = LoadEncryptionConfig("/nonexistent/enc.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "/nonexistent/enc.yaml")) << c.status();
}

}  // namespace
}  // namespace mk::apiserver
