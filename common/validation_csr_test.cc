#include <string>

#include "common/pki.h"
#include "common/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

using ::testing::HasSubstr;

api::CertificateSigningRequest Csr() {
  auto key = pki::GenerateKey();
  api::CertificateSigningRequest csr;
  csr.mutable_metadata()->set_name("node-csr-1");
  csr.mutable_spec()->set_request(*pki::CreateCsr(*key, "system:node:n1", {"system:nodes"}));
  csr.mutable_spec()->set_signer_name("kubernetes.io/kube-apiserver-client-kubelet");
  csr.mutable_spec()->add_usages("client auth");
  return csr;
}

void AddCondition(api::CertificateSigningRequest* csr, const std::string& type) {
  auto* c = csr->mutable_status()->add_conditions();
  c->set_type(type);
  c->set_status("True");
}

std::string Errors(const google::protobuf::Message& m) { return FieldErrorsString(Validate(m)); }

TEST(ValidateCsrTest, AValidRequest) { EXPECT_EQ(Errors(Csr()), ""); }

TEST(ValidateCsrTest, SpecFields) {
  api::CertificateSigningRequest csr = Csr();
  csr.mutable_spec()->set_request("not pem");
  csr.mutable_spec()->set_signer_name("no-slash");
  csr.mutable_spec()->add_usages("client auth");
  csr.mutable_spec()->add_usages("flying");
  csr.mutable_spec()->set_expiration_seconds(599);
  std::string e = Errors(csr);
  EXPECT_THAT(e, HasSubstr("spec.request: Invalid value: []byte{...}: no PEM certificate request"));
  EXPECT_THAT(e, HasSubstr("spec.signerName: Invalid value: \"no-slash\""));
  EXPECT_THAT(e, HasSubstr("spec.usages[1]: Duplicate value: \"client auth\""));
  EXPECT_THAT(e, HasSubstr("spec.usages[2]: Unsupported value: \"flying\""));
  EXPECT_THAT(e, HasSubstr("spec.expirationSeconds: Invalid value: 599"));
  api::CertificateSigningRequest empty;
  empty.mutable_metadata()->set_name("x");
  e = Errors(empty);
  EXPECT_THAT(e, HasSubstr("spec.request: Required value"));
  EXPECT_THAT(e, HasSubstr("spec.signerName: Required value"));
  EXPECT_THAT(e, HasSubstr("spec.usages: Required value"));
}

TEST(ValidateCsrTest, ConditionsAndCertificate) {
  api::CertificateSigningRequest csr = Csr();
  AddCondition(&csr, "Approved");
  AddCondition(&csr, "Denied");
  EXPECT_THAT(Errors(csr), HasSubstr("Approved and Denied conditions are mutually exclusive"));
  csr = Csr();
  csr.mutable_status()->set_certificate("-----BEGIN CERTIFICATE-----");
  EXPECT_THAT(Errors(csr), HasSubstr("status.certificate: Forbidden"));
  AddCondition(&csr, "Approved");
  EXPECT_THAT(Errors(csr), HasSubstr("status.certificate: Invalid value"));
}

TEST(ValidateCsrTest, UpdatesKeepSpecDecisionsAndCertificate) {
  api::CertificateSigningRequest old_csr = Csr();
  AddCondition(&old_csr, "Approved");
  old_csr.mutable_status()->set_certificate("cert");
  api::CertificateSigningRequest n = old_csr;
  n.mutable_spec()->set_username("someone-else");
  n.mutable_status()->clear_conditions();
  n.mutable_status()->set_certificate("other");
  std::string e = FieldErrorsString(ValidateUpdate(old_csr, n));
  EXPECT_THAT(e, HasSubstr("spec: Forbidden"));
  EXPECT_THAT(e, HasSubstr("updates may not remove a condition of type \"Approved\""));
  EXPECT_THAT(e, HasSubstr("updates may not modify existing certificate content"));
  EXPECT_EQ(FieldErrorsString(ValidateUpdate(old_csr, old_csr)), "");
}

}  // namespace
}  // namespace mk
