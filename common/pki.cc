#include "common/pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mk::pki {
namespace {

struct Free {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
  void operator()(X509_NAME* p) const { X509_NAME_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(STACK_OF(X509_EXTENSION) * p) const {
    sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free);
  }
  void operator()(ASN1_STRING* p) const { ASN1_STRING_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, Free>;

// The OpenSSL error queue as text (and cleared), for error messages.
std::string SslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

absl::Status Fail(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", SslError()));
}

Ptr<BIO> MemBio(const std::string& s) {
  return Ptr<BIO>(BIO_new_mem_buf(s.data(), static_cast<int>(s.size())));
}

std::string BioString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

absl::StatusOr<Ptr<X509>> LoadCert(const std::string& pem) {
  Ptr<BIO> bio = MemBio(pem);
  Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  return cert;
}

absl::StatusOr<Ptr<EVP_PKEY>> LoadKey(const std::string& pem) {
  Ptr<BIO> bio = MemBio(pem);
  Ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return absl::InvalidArgumentError("no PEM private key found");
  }
  return key;
}

absl::StatusOr<Ptr<EVP_PKEY>> NewKey() {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return Fail("generating an ECDSA P-256 key");
  return key;
}

std::string KeyPem(EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return BioString(bio.get());
}

std::string CertPem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return BioString(bio.get());
}

// A subject with CN = common_name and one O per organization.
Ptr<X509_NAME> Subject(const std::string& common_name, const std::vector<std::string>& orgs) {
  Ptr<X509_NAME> name(X509_NAME_new());
  for (const std::string& o : orgs) {
    X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return name;
}

absl::Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) {
    return Fail(absl::StrCat("adding extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

absl::Status SetValidity(X509* cert, const CertOptions& opts) {
  absl::Time nb =
      opts.not_before == absl::InfinitePast() ? absl::Now() - absl::Minutes(5) : opts.not_before;
  absl::Time na = nb + opts.validity;
  if (!ASN1_TIME_set(X509_getm_notBefore(cert), absl::ToTimeT(nb)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert), absl::ToTimeT(na))) {
    return Fail("setting the validity");
  }
  return absl::OkStatus();
}

absl::Status SetRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Fail("random serial");
  bytes[0] &= 0x7f;  // positive
  Ptr<BIGNUM> bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) {
    return Fail("random serial");
  }
  return absl::OkStatus();
}

const char* ExtKeyUsage(Usage usage) {
  switch (usage) {
    case Usage::kServer:
      return "serverAuth";
    case Usage::kClient:
      return "clientAuth";
    case Usage::kServerAndClient:
      return "serverAuth,clientAuth";
  }
  return "clientAuth";
}

bool IsIp(const std::string& s) {
  Ptr<ASN1_OCTET_STRING> ip(a2i_IPADDRESS(s.c_str()));
  return ip != nullptr;
}

// Builds and signs a leaf certificate for `pubkey` with `subject`, issued by `ca`.
absl::StatusOr<std::string> SignLeaf(const CertAndKey& ca, EVP_PKEY* pubkey,
                                     const X509_NAME* subject, Usage usage,
                                     const std::vector<std::string>& dns_names,
                                     const std::vector<std::string>& ips, const CertOptions& opts) {
  absl::StatusOr<Ptr<X509>> ca_cert = LoadCert(ca.cert_pem);
  if (!ca_cert.ok()) return ca_cert.status();
  absl::StatusOr<Ptr<EVP_PKEY>> ca_key = LoadKey(ca.key_pem);
  if (!ca_key.ok()) return ca_key.status();
  Ptr<X509> cert(X509_new());
  X509_set_version(cert.get(), 2);
  if (absl::Status s = SetRandomSerial(cert.get()); !s.ok()) return s;
  if (absl::Status s = SetValidity(cert.get(), opts); !s.ok()) return s;
  X509_set_subject_name(cert.get(), const_cast<X509_NAME*>(subject));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert->get()));
  X509_set_pubkey(cert.get(), pubkey);
  X509* issuer = ca_cert->get();
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
           {NID_ext_key_usage, ExtKeyUsage(usage)},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"}}) {
    if (absl::Status s = AddExt(cert.get(), issuer, nid, value); !s.ok()) return s;
  }
  if (!dns_names.empty() || !ips.empty()) {
    std::string san;
    for (const std::string& d : dns_names) absl::StrAppend(&san, san.empty() ? "" : ",", "DNS:", d);
    for (const std::string& ip : ips) {
      if (!IsIp(ip)) return absl::InvalidArgumentError(absl::StrCat("not an IP address: ", ip));
      absl::StrAppend(&san, san.empty() ? "" : ",", "IP:", ip);
    }
    if (absl::Status s = AddExt(cert.get(), issuer, NID_subject_alt_name, san); !s.ok()) return s;
  }
  if (X509_sign(cert.get(), ca_key->get(), EVP_sha256()) == 0) return Fail("signing");
  return CertPem(cert.get());
}

absl::StatusOr<CertAndKey> IssueWithNewKey(const CertAndKey& ca, const X509_NAME* subject,
                                           Usage usage, const std::vector<std::string>& dns,
                                           const std::vector<std::string>& ips,
                                           const CertOptions& opts) {
  absl::StatusOr<Ptr<EVP_PKEY>> key = NewKey();
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> cert = SignLeaf(ca, key->get(), subject, usage, dns, ips, opts);
  if (!cert.ok()) return cert.status();
  return CertAndKey{*std::move(cert), KeyPem(key->get())};
}

std::string Utf8(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  if (n < 0) return "";
  std::string r(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  return r;
}

// An iPAddress SAN as text (inet_ntop form: "127.0.0.1", "::1").
std::string IpText(const ASN1_OCTET_STRING* ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  int len = ASN1_STRING_length(ip);
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  if (len == 4) inet_ntop(AF_INET, data, buf, sizeof(buf));
  if (len == 16) inet_ntop(AF_INET6, data, buf, sizeof(buf));
  return buf;
}

absl::Time AsnTime(const ASN1_TIME* t) {
  struct tm tm = {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

}  // namespace

absl::StatusOr<std::string> GenerateKey() {
  absl::StatusOr<Ptr<EVP_PKEY>> key = NewKey();
  if (!key.ok()) return key.status();
  return KeyPem(key->get());
}

absl::StatusOr<CertAndKey> CreateCa(const std::string& common_name, absl::Duration validity) {
  absl::StatusOr<Ptr<EVP_PKEY>> key = NewKey();
  if (!key.ok()) return key.status();
  Ptr<X509> cert(X509_new());
  X509_set_version(cert.get(), 2);
  if (absl::Status s = SetRandomSerial(cert.get()); !s.ok()) return s;
  CertOptions opts;
  opts.validity = validity;
  if (absl::Status s = SetValidity(cert.get(), opts); !s.ok()) return s;
  Ptr<X509_NAME> name = Subject(common_name, {});
  X509_set_subject_name(cert.get(), name.get());
  X509_set_issuer_name(cert.get(), name.get());
  X509_set_pubkey(cert.get(), key->get());
  for (const auto& [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:TRUE"},
           {NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status s = AddExt(cert.get(), cert.get(), nid, value); !s.ok()) return s;
  }
  if (X509_sign(cert.get(), key->get(), EVP_sha256()) == 0) return Fail("self-signing the CA");
  return CertAndKey{CertPem(cert.get()), KeyPem(key->get())};
}

absl::StatusOr<CertAndKey> IssueServingCert(const CertAndKey& ca, const std::string& common_name,
                                            const std::vector<std::string>& dns_names,
                                            const std::vector<std::string>& ips, CertOptions opts) {
  Ptr<X509_NAME> name = Subject(common_name, opts.organizations);
  return IssueWithNewKey(ca, name.get(), Usage::kServer, dns_names, ips, opts);
}

absl::StatusOr<CertAndKey> IssueClientCert(const CertAndKey& ca, const std::string& user,
                                           const std::vector<std::string>& groups,
                                           CertOptions opts) {
  if (user.empty()) return absl::InvalidArgumentError("a client certificate needs a user name");
  Ptr<X509_NAME> name = Subject(user, groups);
  return IssueWithNewKey(ca, name.get(), Usage::kClient, {}, {}, opts);
}

absl::StatusOr<std::string> CreateCsr(const std::string& key_pem, const std::string& user,
                                      const std::vector<std::string>& groups,
                                      const std::vector<std::string>& dns_names,
                                      const std::vector<std::string>& ips) {
  absl::StatusOr<Ptr<EVP_PKEY>> key = LoadKey(key_pem);
  if (!key.ok()) return key.status();
  Ptr<X509_REQ> req(X509_REQ_new());
  X509_REQ_set_version(req.get(), 0);
  Ptr<X509_NAME> name = Subject(user, groups);
  X509_REQ_set_subject_name(req.get(), name.get());
  X509_REQ_set_pubkey(req.get(), key->get());
  if (!dns_names.empty() || !ips.empty()) {
    std::vector<std::string> sans;
    for (const std::string& d : dns_names) sans.push_back("DNS:" + d);
    for (const std::string& ip : ips) sans.push_back("IP:" + ip);
    std::string value = absl::StrJoin(sans, ",");
    Ptr<STACK_OF(X509_EXTENSION)> exts(sk_X509_EXTENSION_new_null());
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, value.c_str());
    if (ext == nullptr) return Fail("subjectAltName " + value);
    sk_X509_EXTENSION_push(exts.get(), ext);
    if (X509_REQ_add_extensions(req.get(), exts.get()) != 1) return Fail("CSR extensions");
  }
  if (X509_REQ_sign(req.get(), key->get(), EVP_sha256()) == 0) return Fail("signing the CSR");
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), req.get());
  return BioString(bio.get());
}

namespace {

// A PEM CSR whose self-signature verifies, its public key and what it asks for.
struct LoadedCsr {
  Ptr<X509_REQ> req;
  Ptr<EVP_PKEY> pub;
  CsrInfo info;
};

absl::StatusOr<LoadedCsr> LoadCsr(const std::string& csr_pem) {
  Ptr<BIO> bio = MemBio(csr_pem);
  LoadedCsr out;
  out.req.reset(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  if (!out.req) {
    ERR_clear_error();
    return absl::InvalidArgumentError("no PEM certificate request found");
  }
  out.pub.reset(X509_REQ_get_pubkey(out.req.get()));
  if (!out.pub || X509_REQ_verify(out.req.get(), out.pub.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the certificate request's signature does not verify");
  }
  const X509_NAME* subject = X509_REQ_get_subject_name(out.req.get());
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    std::string v = Utf8(X509_NAME_ENTRY_get_data(e));
    if (nid == NID_commonName) out.info.common_name = v;
    if (nid == NID_organizationName) out.info.organizations.push_back(v);
  }
  Ptr<STACK_OF(X509_EXTENSION)> exts(X509_REQ_get_extensions(out.req.get()));
  if (exts) {
    Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
        X509V3_get_d2i(exts.get(), NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
      const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
      if (n->type == GEN_DNS) {
        out.info.dns_names.push_back(Utf8(n->d.dNSName));
      } else if (n->type == GEN_IPADD) {
        out.info.ips.push_back(IpText(n->d.iPAddress));
      } else {
        out.info.other_sans = true;
      }
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<CsrInfo> ParseCsr(const std::string& csr_pem) {
  absl::StatusOr<LoadedCsr> csr = LoadCsr(csr_pem);
  if (!csr.ok()) return csr.status();
  return std::move(csr->info);
}

absl::StatusOr<std::string> SignCsr(const CertAndKey& ca, const std::string& csr_pem, Usage usage,
                                    CertOptions opts) {
  absl::StatusOr<LoadedCsr> csr = LoadCsr(csr_pem);
  if (!csr.ok()) return csr.status();
  if (csr->info.common_name.empty()) {
    return absl::InvalidArgumentError("the certificate request has no common name");
  }
  return SignLeaf(ca, csr->pub.get(), X509_REQ_get_subject_name(csr->req.get()), usage,
                  csr->info.dns_names, csr->info.ips, opts);
}

absl::StatusOr<CertInfo> ParseCert(const std::string& cert_pem) {
  absl::StatusOr<Ptr<X509>> cert = LoadCert(cert_pem);
  if (!cert.ok()) return cert.status();
  CertInfo info;
  const X509_NAME* subject = X509_get_subject_name(cert->get());
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    std::string v = Utf8(X509_NAME_ENTRY_get_data(e));
    if (nid == NID_commonName) info.common_name = v;
    if (nid == NID_organizationName) info.organizations.push_back(v);
  }
  Ptr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert->get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names.get(), i);
    if (n->type == GEN_DNS) {
      info.dns_names.push_back(Utf8(n->d.dNSName));
    } else if (n->type == GEN_IPADD) {
      info.ips.push_back(IpText(n->d.iPAddress));
    }
  }
  info.not_before = AsnTime(X509_get0_notBefore(cert->get()));
  info.not_after = AsnTime(X509_get0_notAfter(cert->get()));
  info.is_ca = X509_check_ca(cert->get()) > 0;
  return info;
}

absl::Status VerifyCert(const std::string& cert_pem, const std::string& ca_bundle_pem, Usage usage,
                        absl::Time now) {
  absl::StatusOr<Ptr<X509>> cert = LoadCert(cert_pem);
  if (!cert.ok()) return absl::UnauthenticatedError(cert.status().message());
  Ptr<X509_STORE> store(X509_STORE_new());
  Ptr<BIO> bio = MemBio(ca_bundle_pem);
  int cas = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
    ++cas;
  }
  ERR_clear_error();
  if (cas == 0) return absl::FailedPreconditionError("no CA certificate to verify against");
  Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!X509_STORE_CTX_init(ctx.get(), store.get(), cert->get(), nullptr)) {
    return Fail("verifying a certificate");
  }
  X509_STORE_CTX_set_purpose(
      ctx.get(), usage == Usage::kServer ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT);
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return absl::UnauthenticatedError(
        absl::StrCat("certificate rejected: ", X509_verify_cert_error_string(err)));
  }
  return absl::OkStatus();
}

absl::Status CheckKeyMatchesCert(const std::string& cert_pem, const std::string& key_pem) {
  absl::StatusOr<Ptr<X509>> cert = LoadCert(cert_pem);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<Ptr<EVP_PKEY>> key = LoadKey(key_pem);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key does not match the certificate");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status WriteFileAtomic(const std::string& path, const std::string& content, int mode) {
  std::string tmp = absl::StrCat(path, ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return absl::InternalError(absl::StrCat("creating ", tmp, ": ", strerror(errno)));
  ::fchmod(fd, static_cast<mode_t>(mode));  // O_CREAT's mode is masked by the umask
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("writing ", tmp, ": ", strerror(e)));
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::InternalError(absl::StrCat("writing ", tmp, ": ", strerror(errno)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("renaming ", tmp, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace mk::pki
