#include "common/https.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"

namespace mk {
namespace {

// The verify result of the last server certificate a NewHttpsClient client judged on this
// thread (a handshake runs on the thread that sends the request), and the address it was
// checked against.
thread_local int t_verify_error = X509_V_OK;
thread_local std::string t_verify_host;

int RecordVerifyResult(int ok, X509_STORE_CTX* store) {
  t_verify_error = ok ? X509_V_OK : X509_STORE_CTX_get_error(store);
  if (!ok) {
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(store);
    char* ip = X509_VERIFY_PARAM_get1_ip_asc(param);
    const char* host = X509_VERIFY_PARAM_get0_host(param, 0);
    t_verify_host = ip != nullptr ? ip : host != nullptr ? host : "";
    OPENSSL_free(ip);
  }
  return ok;
}

bool IsIpAddress(const std::string& host) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
  ASN1_OCTET_STRING_free(ip);
  return ip != nullptr;
}

}  // namespace

bool UseCertAndKey(SSL_CTX& ctx, const std::string& cert_pem, const std::string& key_pem) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  bool ok = leaf != nullptr && SSL_CTX_use_certificate(&ctx, leaf) == 1;
  X509_free(leaf);
  while (ok) {
    X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_CTX_add_extra_chain_cert(&ctx, extra) != 1) {  // takes ownership on success
      X509_free(extra);
      ok = false;
    }
  }
  BIO_free(bio);
  bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ok = ok && key != nullptr && SSL_CTX_use_PrivateKey(&ctx, key) == 1 &&
       SSL_CTX_check_private_key(&ctx) == 1;
  EVP_PKEY_free(key);
  ERR_clear_error();  // the end of the PEM chain leaves a "no start line" error queued
  return ok;
}

bool TrustCerts(SSL_CTX& ctx, const std::string& ca_pem) {
  X509_STORE* store = SSL_CTX_get_cert_store(&ctx);
  BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
  int added = 0;
  while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, ca) == 1) ++added;
    X509_free(ca);
  }
  BIO_free(bio);
  ERR_clear_error();
  return added > 0;
}

bool RequireClientCerts(SSL_CTX& ctx, const std::string& cert_pem, const std::string& key_pem,
                        const std::string& client_ca_pem) {
  return UseCertAndKey(ctx, cert_pem, key_pem) && RequireClientCertsFrom(ctx, client_ca_pem);
}

bool RequireClientCertsFrom(SSL_CTX& ctx, const std::string& client_ca_pem) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(&ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!TrustCerts(ctx, client_ca_pem)) return false;
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  // Session resumption with client verification needs a session id context.
  static const unsigned char kSessionContext[] = "mk";
  SSL_CTX_set_session_id_context(&ctx, kSessionContext, sizeof(kSessionContext) - 1);
  return true;
}

std::string PeerCertPem(const httplib::Request& req) {
  if (req.ssl == nullptr) return "";
  X509* cert = SSL_get1_peer_certificate(req.ssl);
  if (cert == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

std::unique_ptr<httplib::SSLClient> NewHttpsClient(const std::string& host, int port,
                                                   const TlsClientConfig& config) {
  auto client = std::make_unique<httplib::SSLClient>(host, port);
  SSL_CTX* ctx = client->ssl_context();
  if (ctx != nullptr) {
    if (!config.cert_pem.empty()) UseCertAndKey(*ctx, config.cert_pem, config.key_pem);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    TrustCerts(*ctx, config.ca_pem);
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
    if (IsIpAddress(host)) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, RecordVerifyResult);
    ERR_clear_error();
  }
  client->enable_server_certificate_verification(false);  // OpenSSL verifies (see the header)
  client->set_tcp_nodelay(true);
  t_verify_error = X509_V_OK;
  return client;
}

std::string ServerCertError() {
  switch (t_verify_error) {
    case X509_V_OK:
      return "";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return "x509: certificate signed by unknown authority";
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return absl::StrCat("x509: certificate is not valid for ", t_verify_host);
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "x509: certificate has expired or is not yet valid";
    case X509_V_ERR_INVALID_PURPOSE:
      return "x509: certificate specifies an incompatible key usage";
    default:
      return absl::StrCat("x509: ", X509_verify_cert_error_string(t_verify_error));
  }
}

}  // namespace mk
