#include "common/redact.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "api.pb.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

constexpr char kCanary[] = "canary-s3cr3t-value";

std::string B64(const std::string& s) { return absl::Base64Escape(s); }

void ExpectClean(const std::string& out) {
  EXPECT_FALSE(absl::StrContains(out, kCanary)) << out;
  EXPECT_FALSE(absl::StrContains(out, B64(kCanary))) << out;
}

TEST(RedactJsonTest, SecretDataAndStringData) {
  Json s = {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", "db"}, {"namespace", "default"}}},
            {"data", {{"password", B64(kCanary)}, {"user", B64("admin")}}},
            {"stringData", {{"extra", kCanary}}},
            {"type", "Opaque"}};
  Json r = RedactJson(s);
  ExpectClean(r.dump());
  EXPECT_EQ(r["data"]["password"], kRedacted);
  EXPECT_EQ(r["data"]["user"], kRedacted);
  EXPECT_EQ(r["stringData"]["extra"], kRedacted);
  // Keys, metadata and type stay readable.
  EXPECT_EQ(r["metadata"]["name"], "db");
  EXPECT_EQ(r["type"], "Opaque");
  EXPECT_EQ(r["data"].size(), 2u);
}

TEST(RedactJsonTest, LastAppliedAnnotationOfASecret) {
  Json applied = {{"kind", "Secret"}, {"stringData", {{"k", kCanary}}}};
  Json s = {
      {"kind", "Secret"},
      {"metadata",
       {{"name", "db"},
        {"annotations",
         {{"kubectl.kubernetes.io/last-applied-configuration", applied.dump()}, {"team", "a"}}}}},
      {"data", {{"k", B64(kCanary)}}}};
  Json r = RedactJson(s);
  ExpectClean(r.dump());
  EXPECT_EQ(r["metadata"]["annotations"]["team"], "a");
  // Also in a patch on a secrets path (kubectl apply sends one).
  Json patch = {{"metadata", s["metadata"]}};
  ExpectClean(RedactBody(patch.dump(), "/api/v1/namespaces/default/secrets/db"));
}

TEST(RedactJsonTest, NonObjectDataIsRedactedWhole) {
  Json s = {{"kind", "Secret"}, {"data", kCanary}};
  EXPECT_EQ(RedactJson(s)["data"], kRedacted);
}

TEST(RedactJsonTest, ListItemsWithoutKind) {
  Json list = {
      {"apiVersion", "v1"},
      {"kind", "SecretList"},
      {"items", Json::array({{{"metadata", {{"name", "a"}}}, {"data", {{"k", kCanary}}}},
                             {{"metadata", {{"name", "b"}}}, {"stringData", {{"k", kCanary}}}}})}};
  Json r = RedactJson(list);
  ExpectClean(r.dump());
  EXPECT_EQ(r["items"][1]["metadata"]["name"], "b");
}

TEST(RedactJsonTest, NestedSecretsInWatchEventsAndOtherLists) {
  Json ev = {{"type", "ADDED"}, {"object", {{"kind", "Secret"}, {"data", {{"k", B64(kCanary)}}}}}};
  ExpectClean(RedactJson(ev).dump());
  Json mixed = {{"kind", "List"},
                {"items", Json::array({{{"kind", "Secret"}, {"data", {{"k", kCanary}}}},
                                       {{"kind", "ConfigMap"}, {"data", {{"k", "visible"}}}}})}};
  Json r = RedactJson(mixed);
  ExpectClean(r.dump());
  EXPECT_EQ(r["items"][1]["data"]["k"], "visible");  // only Secrets lose their data
}

TEST(RedactJsonTest, SecretContextForBodiesWithoutKind) {
  Json patch = {{"data", {{"dbkey", B64(kCanary)}}}};
  EXPECT_TRUE(absl::StrContains(RedactJson(patch).dump(), B64(kCanary)));
  ExpectClean(RedactJson(patch, /*secret=*/true).dump());
}

TEST(RedactJsonTest, CredentialKeysAnywhere) {
  Json docker = {{"auths",
                  {{"127.0.0.1:5000",
                    {{"username", "admin"}, {"password", kCanary}, {"auth", B64(kCanary)}}}}}};
  Json r = RedactJson(docker);
  ExpectClean(r.dump());
  EXPECT_EQ(r["auths"]["127.0.0.1:5000"]["username"], "admin");
  Json other = {{"metadata", {{"annotations", {{".dockerconfigjson", kCanary}}}}},
                {"identitytoken", kCanary},
                {"registrytoken", kCanary},
                {"Token", kCanary}};
  ExpectClean(RedactJson(other).dump());
}

TEST(RedactJsonTest, BearerTokensInsideStrings) {
  Json ev = {{"kind", "Event"}, {"message", std::string("failed with Bearer ") + kCanary}};
  Json r = RedactJson(ev);
  ExpectClean(r.dump());
  EXPECT_EQ(r["message"], "failed with Bearer <redacted>");
}

TEST(RedactBodyTest, JsonBody) {
  std::string body = Json({{"kind", "Secret"}, {"data", {{"k", B64(kCanary)}}}}).dump();
  ExpectClean(RedactBody(body));
}

TEST(RedactBodyTest, MergePatchOnSecretPath) {
  std::string body = Json({{"stringData", {{"k", kCanary}}}}).dump();
  ExpectClean(RedactBody(body, "/api/v1/namespaces/default/secrets/db"));
  ExpectClean(RedactBody(body, "/api/v1/namespaces/default/secrets/db?fieldManager=x"));
  EXPECT_TRUE(
      absl::StrContains(RedactBody(body, "/api/v1/namespaces/default/configmaps/db"), kCanary));
}

TEST(RedactBodyTest, WatchStreamLines) {
  std::string body =
      Json({{"type", "ADDED"}, {"object", {{"kind", "Secret"}, {"data", {{"k", kCanary}}}}}})
          .dump() +
      "\n" +
      Json({{"type", "MODIFIED"}, {"object", {{"kind", "Secret"}, {"data", {{"k", kCanary}}}}}})
          .dump() +
      "\n";
  std::string r = RedactBody(body, "/api/v1/secrets?watch=1");
  ExpectClean(r);
  EXPECT_TRUE(absl::StrContains(r, "MODIFIED"));
}

TEST(RedactBodyTest, NonJsonOnSecretPathIsRedactedWhole) {
  std::string yaml = std::string("kind: Secret\nstringData:\n  k: ") + kCanary + "\n";
  ExpectClean(RedactBody(yaml, "/api/v1/namespaces/default/secrets"));
  ExpectClean(RedactBody(yaml, "/api/v1/namespaces/default/pods"));  // says Secret
  EXPECT_EQ(RedactBody("plain text", "/api/v1/pods"), "plain text");
}

TEST(RedactBodyTest, TruncatesAfterRedactingAtV8) {
  Json big = {{"kind", "ConfigMap"}, {"data", {{"k", std::string(5000, 'x')}}}};
  std::string v8 = BodyForLog(big.dump(), "", 8);
  EXPECT_LT(v8.size(), 1200u);
  EXPECT_TRUE(absl::StrContains(v8, "[truncated")) << v8;
  EXPECT_GT(BodyForLog(big.dump(), "", 9).size(), 5000u);
  Json s = {{"kind", "Secret"}, {"data", {{"k", std::string(3000, 'y') + kCanary}}}};
  ExpectClean(BodyForLog(s.dump(), "", 8));
  ExpectClean(BodyForLog(s.dump(), "", 10));
}

TEST(RedactHeaderTest, CredentialHeaders) {
  EXPECT_EQ(RedactHeader("Authorization", std::string("Bearer ") + kCanary), "Bearer <redacted>");
  EXPECT_EQ(RedactHeader("authorization", std::string("Basic ") + B64(kCanary)),
            "Basic <redacted>");
  EXPECT_EQ(RedactHeader("Authorization", kCanary), kRedacted);
  EXPECT_EQ(RedactHeader("X-Registry-Auth", B64(kCanary)), kRedacted);
  EXPECT_EQ(RedactHeader("Cookie", kCanary), kRedacted);
  EXPECT_EQ(RedactHeader("Accept", "application/json"), "application/json");
}

TEST(RedactTextTest, BearerAndBasic) {
  std::string t = std::string("curl -H 'Authorization: Bearer ") + kCanary + "' and basic " +
                  B64(kCanary) + " end";
  std::string r = RedactText(t);
  ExpectClean(r);
  EXPECT_TRUE(absl::StrContains(r, "Bearer <redacted>' and basic <redacted> end")) << r;
  EXPECT_EQ(RedactText("nothing here"), "nothing here");
  EXPECT_EQ(RedactText("Bearer"), "Bearer");
  // Docker's own message stays readable (the e2e registry test looks for it).
  EXPECT_EQ(RedactText("Head \"http://r/v2/x\": no basic auth credentials"),
            "Head \"http://r/v2/x\": no basic auth credentials");
  EXPECT_EQ(RedactText("Basic YWRtaW46YWRtaW4="), "Basic <redacted>");
  EXPECT_EQ(RedactText("bearer abcdefghijklmnopqrstuvwxyz"), "bearer <redacted>");
}

TEST(RedactMessageTest, ProtobufSecret) {
  api::Secret s;
  s.set_kind("Secret");
  s.mutable_metadata()->set_name("db");
  (*s.mutable_data())["password"] = kCanary;
  (*s.mutable_string_data())["x"] = kCanary;
  std::string r = RedactMessage(s);
  ExpectClean(r);
  EXPECT_TRUE(absl::StrContains(r, "\"password\":\"<redacted>\"")) << r;
}

TEST(IsSecretPathTest, Paths) {
  EXPECT_TRUE(IsSecretPath("/api/v1/secrets"));
  EXPECT_TRUE(IsSecretPath("/api/v1/namespaces/a/secrets/b"));
  EXPECT_TRUE(IsSecretPath("/api/v1/namespaces/a/secrets?watch=true"));
  EXPECT_FALSE(IsSecretPath("/api/v1/namespaces/secrets/pods/x"));  // namespace named secrets
  EXPECT_FALSE(IsSecretPath("/apis/apps/v1/replicasets"));
}

}  // namespace
}  // namespace mk
