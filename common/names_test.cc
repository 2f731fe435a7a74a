#include "common/names.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kLabelMsg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr char kSubdomainMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

TEST(NamesTest, Dns1123Label) {
  for (const char* ok : {"a", "my-name", "123-abc", "0", "a1-b2"}) {
    EXPECT_EQ(CheckDns1123Label(ok), "") << ok;
    EXPECT_TRUE(Dns1123LabelErrors(ok).empty()) << ok;
  }
  EXPECT_EQ(CheckDns1123Label(std::string(63, 'a')), "");
  for (const char* bad : {"", "-a", "a-", "My", "a_b", "a b"}) {
    EXPECT_EQ(CheckDns1123Label(bad), kLabelMsg) << bad;
  }
  EXPECT_THAT(Dns1123LabelErrors("a.b"), ElementsAre("must not contain dots"));
  EXPECT_THAT(Dns1123LabelErrors(std::string(64, 'a')),
              ElementsAre("must be no more than 63 characters"));
  EXPECT_THAT(Dns1123LabelErrors(std::string(64, 'A')),
              ElementsAre("must be no more than 63 characters", kLabelMsg));
}

TEST(NamesTest, Dns1123Subdomain) {
  for (const char* ok : {"example.com", "a", "web-1", "a.b.c", "pod.17a8b"}) {
    EXPECT_EQ(CheckDns1123Subdomain(ok), "") << ok;
  }
  // Parts of a subdomain are not limited to 63 characters by the regex (as Kubernetes).
  EXPECT_EQ(CheckDns1123Subdomain(std::string(70, 'a') + ".com"), "");
  EXPECT_EQ(CheckDns1123Subdomain(std::string(253, 'a')), "");
  for (const char* bad : {"", "Example.com", "a..b", ".a", "a.", "a_b", "-a.b", "a.-b"}) {
    EXPECT_EQ(CheckDns1123Subdomain(bad), kSubdomainMsg) << bad;
  }
  EXPECT_THAT(Dns1123SubdomainErrors(std::string(254, 'a')),
              ElementsAre("must be no more than 253 characters"));
}

TEST(NamesTest, QualifiedName) {
  for (const char* ok : {"app", "example.com/app", "a.b/C_d-e.F", "kubernetes.io/hostname",
                         "node-role.kubernetes.io/control-plane"}) {
    EXPECT_TRUE(QualifiedNameErrors(ok).empty()) << ok;
  }
  EXPECT_THAT(QualifiedNameErrors("/a"), ElementsAre("prefix part must be non-empty"));
  EXPECT_THAT(QualifiedNameErrors("a/"),
              ElementsAre("name part must be non-empty", HasSubstr("name part must consist of")));
  EXPECT_THAT(QualifiedNameErrors("a/b/c"),
              ElementsAre(HasSubstr("with an optional DNS subdomain prefix and '/' (e.g. "
                                    "'example.com/MyName')")));
  EXPECT_THAT(QualifiedNameErrors("Bad_Prefix/a"),
              ElementsAre(HasSubstr("prefix part a lowercase RFC 1123 subdomain")));
  EXPECT_THAT(QualifiedNameErrors(std::string(64, 'a')),
              ElementsAre("name part must be no more than 63 characters"));
  EXPECT_THAT(QualifiedNameErrors("-x"), ElementsAre(HasSubstr("name part must consist of")));
}

TEST(NamesTest, LabelValue) {
  EXPECT_TRUE(LabelValueErrors("").empty());
  EXPECT_TRUE(LabelValueErrors("MyValue").empty());
  EXPECT_TRUE(LabelValueErrors("my_value.1-2").empty());
  EXPECT_THAT(LabelValueErrors("_x"),
              ElementsAre(HasSubstr("a valid label must be an empty string or consist of")));
  EXPECT_THAT(LabelValueErrors(std::string(64, 'v')),
              ElementsAre("must be no more than 63 characters"));
}

TEST(NamesTest, GenerateNameSuffix) {
  std::set<std::string> seen;
  const std::string alphabet = "bcdfghjklmnpqrstvwxz2456789";
  for (int i = 0; i < 200; ++i) {
    std::string s = GenerateNameSuffix();
    ASSERT_EQ(s.size(), 5u);
    for (char c : s) EXPECT_NE(alphabet.find(c), std::string::npos) << s;
    seen.insert(s);
  }
  EXPECT_GT(seen.size(), 190u);  // random, not constant
}

TEST(NamesTest, GenerateNameTruncatesBase) {
  std::string n = GenerateName("web-");
  EXPECT_EQ(n.size(), 9u);
  EXPECT_EQ(n.substr(0, 4), "web-");
  std::string long_base(70, 'x');
  std::string g = GenerateName(long_base);
  EXPECT_EQ(g.size(), 63u);
  EXPECT_EQ(g.substr(0, 58), std::string(58, 'x'));
  EXPECT_EQ(CheckDns1123Label(GenerateName(std::string(60, 'a'))), "");
}

}  // namespace
}  // namespace mk
