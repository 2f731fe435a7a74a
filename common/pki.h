#pragma once

// The cluster's PKI with OpenSSL: a self-signed CA, serving certificates (SANs: DNS names and
// IP addresses), client certificates whose subject is the identity (CN = user name,
// O = groups, as Kubernetes reads them), CSR signing (kubelet TLS bootstrap), PEM loading
// and verification against a CA. Keys are ECDSA P-256. Everything travels as PEM strings;
// private keys are secrets and never logged.
//
// Thread-safe: free functions without shared state.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mk::pki {

struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;  // secret
};

// What a certificate may be used for (extendedKeyUsage).
enum class Usage { kServer, kClient, kServerAndClient };

struct CertOptions {
  // Validity window. not_before defaults to a little before now so that peers whose clocks
  // lag slightly accept a fresh certificate.
  absl::Time not_before = absl::InfinitePast();  // InfinitePast: now - 5 minutes
  absl::Duration validity = absl::Hours(24 * 365);
  // Subject O of a serving certificate (a kubelet's: system:nodes); client certificates take
  // their groups as an argument instead.
  std::vector<std::string> organizations;
};

inline constexpr absl::Duration kCaValidity = absl::Hours(24 * 3650);  // 10 years

// A new ECDSA P-256 private key, PKCS#8 PEM.
absl::StatusOr<std::string> GenerateKey();

// A self-signed CA (CN = common_name, basicConstraints CA:TRUE, keyCertSign|cRLSign).
absl::StatusOr<CertAndKey> CreateCa(const std::string& common_name,
                                    absl::Duration validity = kCaValidity);

// A serving certificate signed by `ca`. `ips` are textual IPv4/IPv6 addresses.
absl::StatusOr<CertAndKey> IssueServingCert(const CertAndKey& ca, const std::string& common_name,
                                            const std::vector<std::string>& dns_names,
                                            const std::vector<std::string>& ips,
                                            CertOptions opts = {});

// A client certificate signed by `ca`: CN = user, one O per group, EKU clientAuth.
absl::StatusOr<CertAndKey> IssueClientCert(const CertAndKey& ca, const std::string& user,
                                           const std::vector<std::string>& groups,
                                           CertOptions opts = {});

// A PEM certificate signing request for `key_pem` with CN = user and O = groups, asking for
// the given DNS/IP subjectAltNames (a kubelet's serving certificate).
absl::StatusOr<std::string> CreateCsr(const std::string& key_pem, const std::string& user,
                                      const std::vector<std::string>& groups,
                                      const std::vector<std::string>& dns_names = {},
                                      const std::vector<std::string>& ips = {});

// What a CSR asks for, once its self-signature verified (InvalidArgument otherwise).
struct CsrInfo {
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  std::vector<std::string> ips;
  bool other_sans = false;  // email, URI, … subjectAltNames
};
absl::StatusOr<CsrInfo> ParseCsr(const std::string& csr_pem);

// Signs a PEM CSR with `ca`: its signature must verify; the subject (CN, O) and any
// DNS/IP SANs it requests are copied; usage and validity are the signer's choice, never the
// requester's. Returns the certificate PEM.
absl::StatusOr<std::string> SignCsr(const CertAndKey& ca, const std::string& csr_pem, Usage usage,
                                    CertOptions opts = {});

struct CertInfo {
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> dns_names;
  std::vector<std::string> ips;
  absl::Time not_before;
  absl::Time not_after;
  bool is_ca = false;
};

// Parses the first certificate of a PEM string.
absl::StatusOr<CertInfo> ParseCert(const std::string& cert_pem);

// Verifies that the first certificate in `cert_pem` chains to one of the certificates in
// `ca_bundle_pem`, is valid at `now` and allows `usage` (kClient: clientAuth; kServer:
// serverAuth). Unauthenticated with OpenSSL's reason on failure.
absl::Status VerifyCert(const std::string& cert_pem, const std::string& ca_bundle_pem, Usage usage,
                        absl::Time now = absl::Now());

// Checks that `key_pem` is the private key of `cert_pem`.
absl::Status CheckKeyMatchesCert(const std::string& cert_pem, const std::string& key_pem);

// Files: reads a whole file; writes atomically (temp file + rename) with `mode`.
absl::StatusOr<std::string> ReadFile(const std::string& path);
absl::Status WriteFileAtomic(const std::string& path, const std::string& content, int mode);

}  // namespace mk::pki
