#include "kubelet/credentials.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// The matcher's cases, each checked against the recursive matcher it replaced too.
TEST(GlobMatchTest, Semantics) {
  struct Case {
    const char* pattern;
    const char* text;
    bool want;
  };
  const Case cases[] = {
      // Literals, empty pattern and text; case is not folded here (callers lower-case hosts).
      {"", "", true},
      {"", "a", false},
      {"a", "", false},
      {"abc", "abc", true},
      {"abc", "abd", false},
      {"A", "a", false},
      // '*': any run, including an empty one and one with dots.
      {"*", "", true},
      {"**", "", true},
      {"*", "a.b", true},
      {"a*", "a", true},
      {"*a", "ba", true},
      {"*a", "ab", false},
      {"a*b*c", "abbbc", true},
      {"a*b*c", "acb", false},
      {"*b*b", "abab", true},
      {"*ab", "aab", true},
      {"a*a*a*a*b", "aaaaaaaa", false},
      {"registry-*", "registry-eu", true},
      // '?': exactly one character.
      {"?", "", false},
      {"?", "x", true},
      {"??", "x", false},
      {"*?", "", false},
      {"*?", "a", true},
      {"a*b?d", "axxxbcd", true},
      {"a*b?d", "axxxbd", false},
      // Classes: ranges, negation with '!' or '^', a '-' at the end is literal.
      {"[a-c]x", "bx", true},
      {"[a-c]", "d", false},
      {"[!a-c]", "d", true},
      {"[^a-c]", "d", true},
      {"[^a-c]", "a", false},
      {"[a-]", "-", true},
      {"[*]", "*", true},
      {"[*]", "a", false},
      {"r[0-9][0-9]", "r42", true},
      {"r[0-9][0-9]", "r4x", false},
      {"*[0-9]", "node7", true},
      // Empty and malformed classes: "[]" matches nothing, "[!]" any character, an unclosed
      // '[' nothing (Go's filepath.Match reports ErrBadPattern, Kubernetes no match).
      {"[]", "a", false},
      {"[!]", "a", true},
      {"[]a]", "a]", false},
      {"[abc", "a", false},
      {"*[abc", "xa", false},
      {"*[abc", "", false},
      // '\' escapes the next character; a trailing one is literal.
      {"\\*", "*", true},
      {"\\*", "a", false},
      {"\\?", "?", true},
      {"\\?", "x", false},
      {"a\\", "a\\", true},
      {"a[b-d]?\\*", "ac9*", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.want) << c.pattern << " ~ " << c.text;
  }
}

// fuzz/corpus/credentials/regress-globmatch-exponential: 24 stars against 24 characters took
// ~C(48, 24) calls in the recursive matcher. Now a run of stars costs one step each, and every
// text position one more.
TEST(GlobMatchTest, ManyStarsTakeLinearSteps) {
  size_t steps = 0;
  EXPECT_FALSE(GlobMatch(std::string(24, '*') + "b", std::string(24, 'a'), &steps));
  EXPECT_LE(steps, 2u * (25 + 24));

  std::string pattern = std::string(10000, '*') + "b";
  std::string host(50000, 'a');
  EXPECT_FALSE(GlobMatch(pattern, host, &steps));
  EXPECT_LE(steps, 2u * (pattern.size() + host.size()));
  EXPECT_TRUE(GlobMatch(pattern, host + "b", &steps));
  EXPECT_LE(steps, 2u * (pattern.size() + host.size() + 1));

  // Stars between literals: each '*' is passed once, only the last one backtracks.
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*c", std::string(2000, 'a'), &steps));
  EXPECT_LE(steps, 2u * (18 + 2000));
  EXPECT_TRUE(GlobMatch("*a*b", std::string(2000, 'a') + "b", &steps));
  EXPECT_LE(steps, 2u * (4 + 2001));
}

// The worst case is a '*' followed by a long chunk that almost matches at every position:
// (len(text) + 2) * (len(pattern) + 1) steps at most, including bracket expressions read again
// on every backtrack and an unclosed '[' read to the end
// (fuzz/corpus/credentials/regress-globmatch-long-text: 2 stars, 622 against 1789 bytes).
TEST(GlobMatchTest, WorstCaseIsQuadraticNotWorse) {
  auto bound = [](size_t pattern, size_t text) { return (text + 2) * (pattern + 1); };
  std::string text(3000, 'a');
  const std::string patterns[] = {
      "*" + std::string(500, 'a') + "b",
      "*" + std::string(500, '?') + "b",
      "*[a]*" + std::string(200, 'a') + "[b]",
      "*" + std::string(100, 'a') + "[" + std::string(400, 'x'),
      "*[" + std::string(400, 'x') + "-z]" + std::string(100, '?') + "b",
      std::string(300, '*') + std::string(300, '?') + "[b]",
      "*" + absl::StrJoin(std::vector<std::string>(250, "\\a"), "") + "b",
  };
  for (const std::string& pattern : patterns) {
    size_t steps = 0;
    EXPECT_FALSE(GlobMatch(pattern, text, &steps)) << pattern;
    EXPECT_LE(steps, bound(pattern.size(), text.size())) << pattern;
  }
}

// The reproducer end to end: a pull-secret key of many stars and an image on a long host.
TEST(CredentialsTest, StarKeyAgainstLongHostDoesNotHang) {
  DockerKeyring keyring;
  std::string key = std::string(10000, '*') + "b.io";
  ASSERT_TRUE(keyring.AddDockerCfg(absl::StrCat(R"({")", key, R"(":{"username":"u"}})")).ok());
  std::string host(200, 'a');
  EXPECT_TRUE(keyring.Lookup(host + ".io/x").empty());
  EXPECT_EQ(Users(keyring.Lookup(host + "b.io/x")), V{"u"});
  // Not a reference, and over Docker's 255-byte name limit: no credentials, whatever the keys.
  std::string invalid = std::string(300, 'a') + "b.io/X";
  EXPECT_TRUE(keyring.Lookup(invalid).empty());
  EXPECT_TRUE(keyring.Lookup(std::string(100000, 'a') + "b.io/X").empty());
}

}  // namespace
}  // namespace mk::kubelet
