#include "kubelet/credentials.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"

namespace mk::kubelet {
namespace {

std::vector<std::string> Users(const std::vector<RegistryAuth>& auths) {
  std::vector<std::string> out;
  for (const auto& a : auths) out.push_back(a.username);
  return out;
}

using V = std::vector<std::string>;

TEST(CredentialsTest, DockerConfigJsonWithAuthOverride) {
  DockerKeyring keyring;
  std::string auth = absl::Base64Escape("admin:s3cr:et");
  ASSERT_TRUE(keyring
                  .AddDockerConfigJson(R"({"auths":{"mydomain:5000":{"username":"ignored",)"
                                       R"("password":"ignored","email":"e@x","auth":")" +
                                       auth + R"("}}})")
                  .ok());
  std::vector<RegistryAuth> got = keyring.Lookup("mydomain:5000/photo-view:v2.0");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].username, "admin");
  EXPECT_EQ(got[0].password, "s3cr:et");
  EXPECT_EQ(got[0].server_address, "mydomain:5000");
  // Port must be equal.
  EXPECT_TRUE(keyring.Lookup("mydomain/photo-view").empty());
  EXPECT_TRUE(keyring.Lookup("mydomain:5001/photo-view").empty());
  EXPECT_TRUE(keyring.Lookup("busybox").empty());
}

TEST(CredentialsTest, UsernamePasswordWithoutAuth) {
  DockerKeyring keyring;
  ASSERT_TRUE(
      keyring.AddDockerConfigJson(R"({"auths":{"127.0.0.1:5000":{"username":"u","password":"p"}}})")
          .ok());
  auto got = keyring.Lookup("127.0.0.1:5000/busybox:1");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].password, "p");
  EXPECT_TRUE(keyring.Lookup("127.0.0.2:5000/busybox:1").empty());
}

TEST(CredentialsTest, LegacyDockercfgAndSchemesAndSuffixes) {
  DockerKeyring keyring;
  ASSERT_TRUE(keyring
                  .AddDockerCfg(R"({"https://registry.example.com/v2/":{"username":"a",)"
                                R"("password":"x"},"http://other.example.com:8443/v1/":)"
                                R"({"username":"b","password":"y"}})")
                  .ok());
  EXPECT_EQ(Users(keyring.Lookup("registry.example.com/team/app:1")), V{"a"});
  EXPECT_EQ(Users(keyring.Lookup("other.example.com:8443/app")), V{"b"});
  EXPECT_TRUE(keyring.Lookup("other.example.com/app").empty());
}

TEST(CredentialsTest, GlobsAndMostSpecificFirst) {
  DockerKeyring keyring;
  ASSERT_TRUE(
      keyring
          .AddDockerConfigJson(R"({"auths":{)"
                               R"("*.example.com":{"username":"glob","password":"1"},)"
                               R"("r.example.com":{"username":"host","password":"2"},)"
                               R"("r.example.com/team":{"username":"team","password":"3"},)"
                               R"("r.example.com/team/app":{"username":"app","password":"4"},)"
                               R"("r?.example.com":{"username":"q","password":"5"})"
                               R"(}})")
          .ok());
  EXPECT_EQ(Users(keyring.Lookup("r.example.com/team/app:1")), (V{"app", "team", "host", "glob"}));
  EXPECT_EQ(Users(keyring.Lookup("r.example.com/other")), (V{"host", "glob"}));
  EXPECT_EQ(Users(keyring.Lookup("r2.example.com/x")), (V{"q", "glob"}));
  // The glob matches one part only: a.b.example.com has one more part.
  EXPECT_TRUE(keyring.Lookup("a.b.example.com/x").empty());
  EXPECT_TRUE(keyring.Lookup("example.com/x").empty());
}

TEST(CredentialsTest, DockerHubFallsBackToIndexDockerIo) {
  DockerKeyring keyring;
  ASSERT_TRUE(keyring
                  .AddDockerConfigJson(R"({"auths":{"https://index.docker.io/v1/":)"
                                       R"({"username":"hub","password":"h"}}})")
                  .ok());
  EXPECT_EQ(Users(keyring.Lookup("busybox")), V{"hub"});
  EXPECT_EQ(Users(keyring.Lookup("polinux/stress:latest")), V{"hub"});
  EXPECT_EQ(Users(keyring.Lookup("docker.io/library/nginx")), V{"hub"});
  EXPECT_TRUE(keyring.Lookup("quay.io/x/y").empty());
  EXPECT_TRUE(keyring.Lookup("localhost:5000/x").empty());

  DockerKeyring plain;
  ASSERT_TRUE(plain.AddDockerConfigJson(R"({"auths":{"docker.io":{"username":"d"}}})").ok());
  EXPECT_EQ(Users(plain.Lookup("busybox")), V{"d"});
}

TEST(CredentialsTest, MalformedInputAddsNothingAndHidesSecrets) {
  DockerKeyring keyring;
  EXPECT_FALSE(keyring.AddDockerConfigJson("not json").ok());
  EXPECT_FALSE(keyring.AddDockerConfigJson(R"({"mydomain:5000":{}})").ok());  // no "auths"
  absl::Status st = keyring.AddDockerConfigJson(
      R"({"auths":{"ok.io":{"username":"u"},"bad.io":{"auth":"%%%topsecret"}}})");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().find("topsecret"), absl::string_view::npos);
  st = keyring.AddDockerConfigJson(R"({"auths":{"bad.io":{"auth":")" +
                                   absl::Base64Escape("nocolonsecret") + "\"}}}");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.message().find("nocolonsecret"), absl::string_view::npos);
  EXPECT_TRUE(keyring.empty());
}

TEST(CredentialsTest, Helpers) {
  EXPECT_EQ(NormalizeRegistryKey("https://Host.io:5000/v2/"), "host.io:5000");
  EXPECT_EQ(NormalizeRegistryKey("host.io/ns/"), "host.io/ns/");
  EXPECT_EQ(NormalizeRegistryKey("http://host.io/v1/ns"), "host.io/ns");
  EXPECT_TRUE(RegistryKeyMatches("*.io:5000", "a.io:5000/x"));
  EXPECT_FALSE(RegistryKeyMatches("*.io:5000", "a.io/x"));
  EXPECT_TRUE(GlobMatch("[a-c]x", "bx"));
  EXPECT_FALSE(GlobMatch("[!a-c]x", "bx"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b?d", "axxxbcd"));
  EXPECT_FALSE(GlobMatch("a*b?d", "axxxbd"));
}

}  // namespace
}  // namespace mk::kubelet

namespace mk::kubelet {
namespace {

// Found by fuzz/credentials_fuzz: the recursive matcher took ~len(text)^stars.
TEST(GlobMatchTest, ManyStarsStayLinear) {
  std::string pattern(24, '*');
  pattern += 'b';
  EXPECT_FALSE(GlobMatch(pattern, std::string(24, 'a')));
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*c", std::string(2000, 'a')));
  EXPECT_TRUE(GlobMatch("*a*b", std::string(2000, 'a') + "b"));
  EXPECT_TRUE(GlobMatch("a[b-d]?\\*", "ac9*"));
  EXPECT_FALSE(GlobMatch("a[!b-d]", "ac"));
  EXPECT_FALSE(GlobMatch("[abc", "a"));
}

}  // namespace
}  // namespace mk::kubelet
