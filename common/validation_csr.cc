// Validation of certificates.k8s.io/v1 CertificateSigningRequests, as Kubernetes'
// pkg/apis/certificates/validation: the request must be a PEM CSR whose signature verifies,
// the signer name "<domain>/<path>", the usages known key usages; an Approved and a Denied
// condition exclude each other and neither can be removed; a certificate only on an approved
// request, and never replaced.

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api.pb.h"
#include "common/pki.h"
#include "common/validation.h"
#include "common/validation_internal.h"

namespace mk {
namespace validation_internal {
namespace {

const std::vector<std::string>& KnownUsages() {
  static const auto* kUsages = new std::vector<std::string>{"signing",
                                                            "digital signature",
                                                            "content commitment",
                                                            "key encipherment",
                                                            "key agreement",
                                                            "data encipherment",
                                                            "cert sign",
                                                            "crl sign",
                                                            "encipher only",
                                                            "decipher only",
                                                            "any",
                                                            "server auth",
                                                            "client auth",
                                                            "code signing",
                                                            "email protection",
                                                            "s/mime",
                                                            "ipsec end system",
                                                            "ipsec tunnel",
                                                            "ipsec user",
                                                            "timestamping",
                                                            "ocsp signing",
                                                            "microsoft sgc",
                                                            "netscape sgc"};
  return *kUsages;
}

bool HasCondition(const api::CertificateSigningRequest& csr, const std::string& type) {
  for (const auto& c : csr.status().conditions()) {
    if (c.type() == type) return true;
  }
  return false;
}

void ValidateSignerName(const std::string& signer, Errors* e) {
  const std::string path = "spec.signerName";
  if (signer.empty()) {
    Required(e, path);
    return;
  }
  size_t slash = signer.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == signer.size()) {
    Invalid(e, path, Q(signer),
            "must be a fully qualified domain and path of the form 'example.com/signer-name'");
    return;
  }
  if (signer.size() > 571) TooLong(e, path, 571);
}

}  // namespace

void ValidateCsr(const api::CertificateSigningRequest& csr, Errors* e) {
  Append(e, ValidateObjectMeta(csr.metadata(), false, true));
  const api::CertificateSigningRequestSpec& s = csr.spec();
  if (s.request().empty()) {
    Required(e, "spec.request");
  } else if (absl::StatusOr<pki::CsrInfo> info = pki::ParseCsr(s.request()); !info.ok()) {
    Invalid(e, "spec.request", "[]byte{...}", std::string(info.status().message()));
  }
  ValidateSignerName(s.signer_name(), e);
  if (s.usages().empty()) Required(e, "spec.usages");
  std::set<std::string> seen;
  for (int i = 0; i < s.usages_size(); ++i) {
    const std::string path = absl::StrCat("spec.usages[", i, "]");
    OneOf(e, path, s.usages(i), KnownUsages());
    if (!seen.insert(s.usages(i)).second) Duplicate(e, path, s.usages(i));
  }
  if (s.has_expiration_seconds() && s.expiration_seconds() < 600) {
    Invalid(e, "spec.expirationSeconds", absl::StrCat(s.expiration_seconds()),
            "may not specify a duration less than 600 seconds (10 minutes)");
  }
  std::set<std::string> types;
  for (int i = 0; i < csr.status().conditions_size(); ++i) {
    const auto& c = csr.status().conditions(i);
    const std::string path = absl::StrCat("status.conditions[", i, "]");
    if (c.type().empty()) Required(e, path + ".type");
    if ((c.type() == "Approved" || c.type() == "Denied" || c.type() == "Failed") &&
        !types.insert(c.type()).second) {
      Duplicate(e, path + ".type", c.type());
    }
    if (c.type() == "Approved" || c.type() == "Denied") {
      OneOf(e, path + ".status", c.status(), {"True"});
    } else {
      OneOf(e, path + ".status", c.status(), {"True", "False", "Unknown"});
    }
  }
  if (types.count("Approved") != 0 && types.count("Denied") != 0) {
    Invalid(e, "status.conditions", "[]certificates.CertificateSigningRequestCondition{...}",
            "Approved and Denied conditions are mutually exclusive");
  }
  const std::string& cert = csr.status().certificate();
  if (!cert.empty()) {
    if (types.count("Approved") == 0 || types.count("Denied") != 0 || types.count("Failed") != 0) {
      Forbidden(e, "status.certificate", "only allowed on an approved request that has not failed");
    } else if (!pki::ParseCert(cert).ok()) {
      Invalid(e, "status.certificate", "<certificate data>", "must contain a PEM certificate");
    }
  }
}

void ValidateCsrUpdate(const api::CertificateSigningRequest& o,
                       const api::CertificateSigningRequest& n, Errors* e) {
  if (o.spec().SerializeAsString() != n.spec().SerializeAsString()) {
    Forbidden(e, "spec", "updates to a certificate signing request's spec are forbidden");
  }
  for (const char* type : {"Approved", "Denied"}) {
    if (HasCondition(o, type) && !HasCondition(n, type)) {
      Forbidden(e, "status.conditions",
                absl::StrCat("updates may not remove a condition of type \"", type, "\""));
    }
  }
  if (!o.status().certificate().empty() && o.status().certificate() != n.status().certificate()) {
    Forbidden(e, "status.certificate", "updates may not modify existing certificate content");
  }
}

}  // namespace validation_internal
}  // namespace mk
