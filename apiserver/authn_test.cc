#include "apiserver/authn.h"

#include <cstdio>

#include "common/pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class AuthnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = pki::CreateCa("ca");
    ASSERT_TRUE(ca.ok());
    ca_ = *ca;
    char path[] = "/tmp/mk-tokens-XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    token_file_ = path;
    ASSERT_TRUE(pki::WriteFileAtomic(token_file_,
                                     "s3cret,alice,1001,\"dev,ops\"\n"
                                     "\n"
                                     "other-token,bob,1002\n",
                                     0600)
                    .ok());
    auto a = Authenticator::Create(ca_.cert_pem, token_file_);
    ASSERT_TRUE(a.ok()) << a.status();
    authn_ = *std::move(a);
  }
  void TearDown() override { std::remove(token_file_.c_str()); }

  pki::CertAndKey ca_;
  std::string token_file_;
  std::unique_ptr<Authenticator> authn_;
};

TEST_F(AuthnTest, ClientCertificateGivesCnAndOrganizations) {
  auto cert = pki::IssueClientCert(ca_, "kubernetes-admin", {"system:masters"});
  ASSERT_TRUE(cert.ok());
  auto user = authn_->Authenticate(cert->cert_pem, "");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->name, "kubernetes-admin");
  EXPECT_THAT(user->groups, ElementsAre("system:masters", "system:authenticated"));
  // Cached: the same answer again.
  auto again = authn_->Authenticate(cert->cert_pem, "");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name, "kubernetes-admin");
}

TEST_F(AuthnTest, ForeignOrExpiredCertificateIsUnauthorized) {
  auto other = pki::CreateCa("other");
  ASSERT_TRUE(other.ok());
  auto foreign = pki::IssueClientCert(*other, "mallory", {"system:masters"});
  ASSERT_TRUE(foreign.ok());
  auto u = authn_->Authenticate(foreign->cert_pem, "");
  EXPECT_TRUE(absl::IsUnauthenticated(u.status())) << u.status();
  EXPECT_EQ(u.status().message(), "Unauthorized");
  pki::CertOptions old;
  old.not_before = absl::Now() - absl::Hours(2);
  old.validity = absl::Hours(1);
  auto expired = pki::IssueClientCert(ca_, "old", {}, old);
  ASSERT_TRUE(expired.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(authn_->Authenticate(expired->cert_pem, "").status()));
  // A serving certificate is not a client certificate.
  auto serving = pki::IssueServingCert(ca_, "x", {"localhost"}, {});
  ASSERT_TRUE(serving.ok());
  EXPECT_TRUE(absl::IsUnauthenticated(authn_->Authenticate(serving->cert_pem, "").status()));
  // A bad certificate with a good token: the token decides (union authenticator).
  auto tok = authn_->Authenticate(foreign->cert_pem, "Bearer s3cret");
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->name, "alice");
}

TEST_F(AuthnTest, BearerTokensFromTheFile) {
  auto alice = authn_->Authenticate("", "Bearer s3cret");
  ASSERT_TRUE(alice.ok()) << alice.status();
  EXPECT_EQ(alice->name, "alice");
  EXPECT_THAT(alice->groups, ElementsAre("dev", "ops", "system:authenticated"));
  auto bob = authn_->Authenticate("", "bearer other-token");
  ASSERT_TRUE(bob.ok());
  EXPECT_EQ(bob->name, "bob");
  EXPECT_THAT(bob->groups, ElementsAre("system:authenticated"));
  EXPECT_TRUE(absl::IsUnauthenticated(authn_->Authenticate("", "Bearer wrong").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(authn_->Authenticate("", "Bearer s3cret2").status()));
}

TEST_F(AuthnTest, NothingPresentedIsAnonymous) {
  auto anon = authn_->Authenticate("", "");
  ASSERT_TRUE(anon.ok());
  EXPECT_EQ(anon->name, "system:anonymous");
  EXPECT_THAT(anon->groups, ElementsAre("system:unauthenticated"));
  EXPECT_TRUE(Authenticator::IsAnonymous(*anon));
  // Basic auth is not a mk authenticator: ignored, so anonymous.
  EXPECT_TRUE(Authenticator::IsAnonymous(*authn_->Authenticate("", "Basic YTpi")));
}

TEST(TokenFile, CsvQuotingAndErrors) {
  auto t = Authenticator::ParseTokenFile("t1,u1,1,\"a,b\"\nt2,\"u,2\",2,c\n");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->at("t1").groups, UnorderedElementsAre("a", "b", "system:authenticated"));
  EXPECT_EQ(t->at("t2").name, "u,2");
  EXPECT_FALSE(Authenticator::ParseTokenFile("t1,u1\n").ok());
  EXPECT_FALSE(Authenticator::ParseTokenFile("t1,u1,1,\"a\n").ok());
  EXPECT_FALSE(Authenticator::ParseTokenFile("t1,u1,1\nt1,u2,2\n").ok());
  // Errors name the line, never the token.
  auto bad = Authenticator::ParseTokenFile("ok,u,1\nsupersecret,u2\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("supersecret"), std::string::npos);
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(Authenticator::Create("", "/nonexistent/tokens.csv").ok());
}

}  // namespace
}  // namespace mk::apiserver
