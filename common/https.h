#pragma once

// TLS for cpp-httplib servers and clients whose credentials are PEM in memory (common/pki.h):
// a certificate chain and key in an OpenSSL context, CA bundles to trust, the client
// certificate of a request, and HTTPS clients that trust exactly the CA bundle they are given.
// Its own library (mk_https) so that mk_common stays free of httplib and libssl.
//
// Thread-safe: free functions; ServerCertError() is per thread.

#include <openssl/ssl.h>

#include <memory>
#include <string>

namespace httplib {
class SSLClient;
struct Request;
}  // namespace httplib

namespace mk {

// What an HTTPS client presents and whom it trusts.
struct TlsClientConfig {
  std::string ca_pem;    // the only CAs the server's certificate may chain to
  std::string cert_pem;  // client certificate ("": none)
  std::string key_pem;   // its key: secret
};

// Loads `cert_pem` (the leaf, then any intermediates) and its key into `ctx`, with TLS 1.2 at
// least and neither compression nor renegotiation. False when either does not load or the
// key is not the certificate's.
bool UseCertAndKey(SSL_CTX& ctx, const std::string& cert_pem, const std::string& key_pem);

// Adds every certificate in `ca_pem` to the trust store of `ctx`; false when it holds none.
bool TrustCerts(SSL_CTX& ctx, const std::string& ca_pem);

// A server context that requires every client to present a certificate chaining to
// `client_ca_pem` at the handshake (the kubelet's server): UseCertAndKey + TrustCerts +
// SSL_VERIFY_PEER|SSL_VERIFY_FAIL_IF_NO_PEER_CERT. False when something does not load.
bool RequireClientCerts(SSL_CTX& ctx, const std::string& cert_pem, const std::string& key_pem,
                        const std::string& client_ca_pem);
// The same without a certificate of its own (TLS 1.2 at least, client certificates from
// `client_ca_pem` required), for a server whose certificate comes later through
// SSL_CTX_set_cert_cb (the kubelet waiting for its serving certificate).
bool RequireClientCertsFrom(SSL_CTX& ctx, const std::string& client_ca_pem);

// The client certificate of the request's TLS connection, PEM ("" when there is none).
std::string PeerCertPem(const httplib::Request& req);

// An HTTPS client for host:port (an IP address or a DNS name) that presents the config's
// client certificate and accepts only a server certificate that chains to config.ca_pem,
// names `host` in its subject alternative names and allows serverAuth. cpp-httplib's own
// verification is off: it would also trust the system's CAs (it adds the default verify
// paths to any store it is given); OpenSSL checks the chain, the SAN and the usage during the
// handshake instead. TLS 1.2 at least, TCP_NODELAY. A refused server certificate fails the
// request with httplib::Error::SSLConnection; ServerCertError() then says why. The process
// must ignore SIGPIPE: a server that refuses the client certificate may close the connection
// while the request is being written (TLS 1.3 reports the refusal after the handshake), and
// OpenSSL writes to the socket without MSG_NOSIGNAL.
std::unique_ptr<httplib::SSLClient> NewHttpsClient(const std::string& host, int port,
                                                   const TlsClientConfig& config);

// Why the last handshake of a NewHttpsClient client on this thread refused the server's
// certificate, worded as Go's crypto/x509 does ("x509: certificate signed by unknown
// authority", "x509: certificate is not valid for 10.0.0.7"); "" when it accepted it.
std::string ServerCertError();

}  // namespace mk
