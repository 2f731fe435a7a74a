#include "common/pki.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CreateCa("mk-ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
  }
  CertAndKey ca_;
};

TEST_F(PkiTest, CaIsSelfSignedForTenYears) {
  auto info = ParseCert(ca_.cert_pem);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->common_name, "mk-ca");
  EXPECT_TRUE(info->is_ca);
  EXPECT_GT(info->not_after - absl::Now(), absl::Hours(24 * 3649));
  EXPECT_LT(info->not_before, absl::Now());
  EXPECT_TRUE(CheckKeyMatchesCert(ca_.cert_pem, ca_.key_pem).ok());
  EXPECT_THAT(ca_.key_pem, HasSubstr("BEGIN PRIVATE KEY"));
}

TEST_F(PkiTest, ServingCertHasSansAndVerifiesAsServerOnly) {
  auto cert =
      IssueServingCert(ca_, "kube-apiserver", {"localhost", "node-a"}, {"127.0.0.1", "::1"});
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto info = ParseCert(cert->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "kube-apiserver");
  EXPECT_FALSE(info->is_ca);
  EXPECT_THAT(info->dns_names, ElementsAre("localhost", "node-a"));
  EXPECT_THAT(info->ips, ElementsAre("127.0.0.1", "::1"));
  EXPECT_TRUE(VerifyCert(cert->cert_pem, ca_.cert_pem, Usage::kServer).ok());
  // serverAuth only: not usable as a client certificate.
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyCert(cert->cert_pem, ca_.cert_pem, Usage::kClient)));
  EXPECT_TRUE(CheckKeyMatchesCert(cert->cert_pem, cert->key_pem).ok());
  EXPECT_FALSE(CheckKeyMatchesCert(cert->cert_pem, ca_.key_pem).ok());
}

TEST_F(PkiTest, BadIpSanIsRejected) {
  auto cert = IssueServingCert(ca_, "x", {}, {"not-an-ip"});
  EXPECT_TRUE(absl::IsInvalidArgument(cert.status())) << cert.status();
}

TEST_F(PkiTest, ServingCertCanNameOrganizations) {
  CertOptions opts;
  opts.organizations = {"system:nodes"};
  auto cert = IssueServingCert(ca_, "system:node:n1", {}, {"10.0.0.7"}, opts);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto info = ParseCert(cert->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "system:node:n1");
  EXPECT_THAT(info->organizations, ElementsAre("system:nodes"));
  EXPECT_TRUE(VerifyCert(cert->cert_pem, ca_.cert_pem, Usage::kServer).ok());
}

TEST_F(PkiTest, ClientCertCarriesUserAndGroups) {
  auto cert = IssueClientCert(ca_, "kubernetes-admin", {"system:masters", "devs"});
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto info = ParseCert(cert->cert_pem);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "kubernetes-admin");
  EXPECT_THAT(info->organizations, UnorderedElementsAre("system:masters", "devs"));
  EXPECT_TRUE(VerifyCert(cert->cert_pem, ca_.cert_pem, Usage::kClient).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyCert(cert->cert_pem, ca_.cert_pem, Usage::kServer)));
}

TEST_F(PkiTest, CertFromAnotherCaIsRejected) {
  auto other = CreateCa("other-ca");
  ASSERT_TRUE(other.ok());
  auto cert = IssueClientCert(*other, "mallory", {"system:masters"});
  ASSERT_TRUE(cert.ok());
  absl::Status s = VerifyCert(cert->cert_pem, ca_.cert_pem, Usage::kClient);
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  EXPECT_THAT(s.message(), HasSubstr("unable to get local issuer certificate"));
  // A bundle holding both CAs accepts it.
  EXPECT_TRUE(VerifyCert(cert->cert_pem, ca_.cert_pem + other->cert_pem, Usage::kClient).ok());
}

TEST_F(PkiTest, ExpiryIsChecked) {
  CertOptions opts;
  opts.not_before = absl::Now() - absl::Hours(48);
  opts.validity = absl::Hours(24);
  auto cert = IssueClientCert(ca_, "old", {}, opts);
  ASSERT_TRUE(cert.ok());
  absl::Status s = VerifyCert(cert->cert_pem, ca_.cert_pem, Usage::kClient);
  EXPECT_TRUE(absl::IsUnauthenticated(s));
  EXPECT_THAT(s.message(), HasSubstr("expired"));
  // A current certificate passes now and fails once `now` is past its notAfter.
  opts.not_before = absl::Now() - absl::Minutes(1);
  opts.validity = absl::Hours(2);
  auto current = IssueClientCert(ca_, "current", {}, opts);
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(VerifyCert(current->cert_pem, ca_.cert_pem, Usage::kClient).ok());
  EXPECT_FALSE(
      VerifyCert(current->cert_pem, ca_.cert_pem, Usage::kClient, absl::Now() + absl::Hours(3))
          .ok());
  // Not yet valid.
  opts.not_before = absl::Now() + absl::Hours(1);
  auto future = IssueClientCert(ca_, "future", {}, opts);
  ASSERT_TRUE(future.ok());
  EXPECT_THAT(VerifyCert(future->cert_pem, ca_.cert_pem, Usage::kClient).message(),
              HasSubstr("not yet valid"));
}

TEST_F(PkiTest, SignCsrKeepsSubjectAndChoosesUsage) {
  auto key = GenerateKey();
  ASSERT_TRUE(key.ok());
  auto csr = CreateCsr(*key, "system:node:n1", {"system:nodes"});
  ASSERT_TRUE(csr.ok()) << csr.status();
  EXPECT_THAT(*csr, HasSubstr("BEGIN CERTIFICATE REQUEST"));
  auto cert = SignCsr(ca_, *csr, Usage::kClient);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto info = ParseCert(*cert);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->common_name, "system:node:n1");
  EXPECT_THAT(info->organizations, ElementsAre("system:nodes"));
  EXPECT_TRUE(VerifyCert(*cert, ca_.cert_pem, Usage::kClient).ok());
  EXPECT_FALSE(VerifyCert(*cert, ca_.cert_pem, Usage::kServer).ok());
  EXPECT_TRUE(CheckKeyMatchesCert(*cert, *key).ok());
}

TEST_F(PkiTest, SignCsrRejectsGarbageAndTamperedRequests) {
  EXPECT_TRUE(absl::IsInvalidArgument(SignCsr(ca_, "hello", Usage::kClient).status()));
  auto key = GenerateKey();
  ASSERT_TRUE(key.ok());
  auto csr = CreateCsr(*key, "alice", {});
  ASSERT_TRUE(csr.ok());
  // Flip one character inside the base64 body: the signature no longer verifies (or the
  // DER no longer parses); either way nothing is signed.
  std::string bad = *csr;
  size_t pos = bad.find('\n') + 40;
  bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(SignCsr(ca_, bad, Usage::kClient).ok());
}

TEST_F(PkiTest, CsrCarriesSubjectAltNamesToTheServingCertificate) {
  auto key = GenerateKey();
  ASSERT_TRUE(key.ok());
  auto csr = CreateCsr(*key, "system:node:n1", {"system:nodes"}, {"n1", "n1.lan"}, {"10.0.0.7"});
  ASSERT_TRUE(csr.ok()) << csr.status();
  auto info = ParseCsr(*csr);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->common_name, "system:node:n1");
  EXPECT_THAT(info->organizations, ElementsAre("system:nodes"));
  EXPECT_THAT(info->dns_names, ElementsAre("n1", "n1.lan"));
  EXPECT_THAT(info->ips, ElementsAre("10.0.0.7"));
  EXPECT_FALSE(info->other_sans);
  auto cert = SignCsr(ca_, *csr, Usage::kServer);
  ASSERT_TRUE(cert.ok()) << cert.status();
  auto ci = ParseCert(*cert);
  ASSERT_TRUE(ci.ok());
  EXPECT_THAT(ci->ips, ElementsAre("10.0.0.7"));
  EXPECT_TRUE(VerifyCert(*cert, ca_.cert_pem, Usage::kServer).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ParseCsr("nope").status()));
}

TEST_F(PkiTest, GarbageIsNotACertificate) {
  EXPECT_FALSE(ParseCert("nope").ok());
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyCert("nope", ca_.cert_pem, Usage::kClient)));
  EXPECT_TRUE(absl::IsFailedPrecondition(VerifyCert(ca_.cert_pem, "", Usage::kClient)));
}

TEST(PkiFiles, WriteFileAtomicSetsModeAndRoundTrips) {
  char tmpl[] = "/tmp/mk-pki-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/ca.key";
  mode_t old = umask(0);
  ASSERT_TRUE(WriteFileAtomic(path, "secret", 0600).ok());
  umask(old);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = ReadFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "secret");
  EXPECT_TRUE(absl::IsNotFound(ReadFile(path + ".missing").status()));
  unlink(path.c_str());
  rmdir(tmpl);
}

}  // namespace
}  // namespace mk::pki
