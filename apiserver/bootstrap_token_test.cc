#include "apiserver/bootstrap_token.h"

#include "absl/time/clock.h"
#include "common/object.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

api::Secret TokenSecret(absl::Time expiration) {
  api::Secret s;
  s.mutable_metadata()->set_name("bootstrap-token-abcdef");
  s.mutable_metadata()->set_namespace_("kube-system");
  s.set_type(kBootstrapTokenSecretType);
  auto& d = *s.mutable_data();
  d["token-id"] = "abcdef";
  d["token-secret"] = "0123456789abcdef";
  d["usage-bootstrap-authentication"] = "true";
  d["expiration"] = mk::FormatTime(expiration);
  d["auth-extra-groups"] = "system:bootstrappers:mk:default-node-token";
  return s;
}

TEST(BootstrapTokenTest, TokenShape) {
  std::string id, secret;
  EXPECT_TRUE(ParseBootstrapToken("abcdef.0123456789abcdef", &id, &secret));
  EXPECT_EQ(id, "abcdef");
  EXPECT_EQ(secret, "0123456789abcdef");
  for (const char* bad :
       {"abcdef0123456789abcdef", "ABCDEF.0123456789abcdef", "abcde.0123456789abcdefg",
        "abcdef.0123456789abcde", "", "abcdef.0123456789abcd-f"}) {
    EXPECT_FALSE(ParseBootstrapToken(bad, &id, &secret)) << bad;
  }
}

TEST(BootstrapTokenTest, ValidTokenGivesTheBootstrapUser) {
  absl::Time now = absl::Now();
  auto user =
      BootstrapTokenUser(TokenSecret(now + absl::Hours(1)), "abcdef", "0123456789abcdef", now);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->name, "system:bootstrap:abcdef");
  EXPECT_EQ(user->groups, (std::vector<std::string>{"system:bootstrappers",
                                                    "system:bootstrappers:mk:default-node-token"}));
}

TEST(BootstrapTokenTest, EveryConditionIsChecked) {
  absl::Time now = absl::Now();
  const api::Secret good = TokenSecret(now + absl::Hours(1));
  EXPECT_FALSE(BootstrapTokenUser(good, "abcdef", "0123456789abcdee", now).has_value());
  EXPECT_FALSE(BootstrapTokenUser(good, "abcdeg", "0123456789abcdef", now).has_value());
  EXPECT_FALSE(
      BootstrapTokenUser(good, "abcdef", "0123456789abcdef", now + absl::Hours(2)).has_value());
  api::Secret s = good;
  s.set_type("Opaque");
  EXPECT_FALSE(BootstrapTokenUser(s, "abcdef", "0123456789abcdef", now).has_value());
  s = good;
  s.mutable_data()->erase("usage-bootstrap-authentication");
  EXPECT_FALSE(BootstrapTokenUser(s, "abcdef", "0123456789abcdef", now).has_value());
  s = good;
  (*s.mutable_data())["auth-extra-groups"] = "system:masters";
  EXPECT_FALSE(BootstrapTokenUser(s, "abcdef", "0123456789abcdef", now).has_value());
  s = good;
  (*s.mutable_data())["expiration"] = "soon";
  EXPECT_FALSE(BootstrapTokenUser(s, "abcdef", "0123456789abcdef", now).has_value());
  s = good;
  s.mutable_metadata()->set_deletion_timestamp(mk::FormatTime(now));
  EXPECT_FALSE(BootstrapTokenUser(s, "abcdef", "0123456789abcdef", now).has_value());
  s = good;
  s.mutable_data()->erase("expiration");  // no expiration: valid until deleted
  EXPECT_TRUE(BootstrapTokenUser(s, "abcdef", "0123456789abcdef", now).has_value());
}

}  // namespace
}  // namespace mk::apiserver
