#include "kubelet/log_server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/https.h"
#include "common/log.h"
#include "common/pki.h"
#include "kubelet/server_authz.h"

namespace mk::kubelet {
namespace {

bool BoolParam(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return false;
  std::string v = req.get_param_value(name);
  return v.empty() || v == "true" || v == "1";
}

int64_t IntParam(const httplib::Request& req, const char* name, int64_t def) {
  if (!req.has_param(name)) return def;
  int64_t v = def;
  return absl::SimpleAtoi(req.get_param_value(name), &v) ? v : def;
}

// Authorizes the request on its client certificate (kubelet/server_authz.h).
httplib::Server::HandlerResponse Authorize(const httplib::Request& req, httplib::Response& res) {
  absl::StatusOr<pki::CertInfo> client = pki::ParseCert(PeerCertPem(req));
  if (!client.ok()) {  // the handshake requires one: not reached
    res.status = 401;
    res.set_content("Unauthorized", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  }
  absl::Status s =
      AuthorizeKubeletRequest(client->common_name, client->organizations, req.method, req.path);
  if (s.ok()) return httplib::Server::HandlerResponse::Unhandled;
  MK_VLOG(2) << req.method << " " << req.path << ": " << s.message();
  res.status = 403;
  res.set_content(std::string(s.message()), "text/plain");
  return httplib::Server::HandlerResponse::Handled;
}

}  // namespace

// The serving certificate set later (SetServingCert), handed to each handshake by OpenSSL's
// certificate callback; without one the handshake fails.
struct LogServer::CertSlot {
  absl::Mutex mu;
  X509* cert ABSL_GUARDED_BY(mu) = nullptr;
  EVP_PKEY* key ABSL_GUARDED_BY(mu) = nullptr;
  ~CertSlot() {
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  static int Use(SSL* ssl, void* arg) {
    auto* slot = static_cast<CertSlot*>(arg);
    absl::MutexLock l(&slot->mu);
    if (slot->cert == nullptr) return 0;  // no serving certificate yet
    return SSL_use_certificate(ssl, slot->cert) == 1 && SSL_use_PrivateKey(ssl, slot->key) == 1;
  }
};

LogServer::LogServer(ContainerRuntime* runtime, ContainerFinder find, ServerTls tls)
    : runtime_(runtime), find_(std::move(find)), slot_(std::make_unique<CertSlot>()) {
  CertSlot* slot = slot_.get();
  server_ = std::make_unique<httplib::SSLServer>([&tls, slot](SSL_CTX& ctx) {
    // Client certificates are required and verified at the handshake.
    if (!tls.cert_pem.empty()) {
      return RequireClientCerts(ctx, tls.cert_pem, tls.key_pem, tls.client_ca_pem);
    }
    if (!RequireClientCertsFrom(ctx, tls.client_ca_pem)) return false;
    SSL_CTX_set_cert_cb(&ctx, &CertSlot::Use, slot);
    return true;
  });
}

LogServer::~LogServer() { Shutdown(); }

absl::Status LogServer::SetServingCert(const pki::CertAndKey& pair) {
  if (absl::Status s = pki::CheckKeyMatchesCert(pair.cert_pem, pair.key_pem); !s.ok()) return s;
  BIO* bio = BIO_new_mem_buf(pair.cert_pem.data(), static_cast<int>(pair.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(pair.key_pem.data(), static_cast<int>(pair.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr || key == nullptr) {
    X509_free(cert);
    EVP_PKEY_free(key);
    return absl::InvalidArgumentError("cannot load the serving certificate or key (PEM)");
  }
  absl::MutexLock l(&slot_->mu);
  X509_free(slot_->cert);
  EVP_PKEY_free(slot_->key);
  slot_->cert = cert;
  slot_->key = key;
  return absl::OkStatus();
}

void LogServer::HandleGet(const std::string& pattern, Handler handler) {
  server_->Get(pattern, std::move(handler));
}

absl::StatusOr<int> LogServer::Start(const std::string& address, int port) {
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError(
        "cannot use the serving certificate and key or the client CA (PEM)");
  }
  server_->set_tcp_nodelay(true);  // TLS records must not wait for delayed ACKs
  server_->set_pre_routing_handler(Authorize);
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  server_->Get(R"(/containerLogs/([^/]+)/([^/]+)/([^/]+))", [this](const httplib::Request& req,
                                                                   httplib::Response& res) {
    std::string ns = req.matches[1], pod = req.matches[2], container = req.matches[3];
    bool previous = BoolParam(req, "previous");
    std::string id = find_(ns, pod, container, previous);
    if (id.empty()) {
      res.status = 400;
      res.set_content(previous ? absl::StrCat("previous terminated container \"", container,
                                              "\" in pod \"", pod, "\" not found")
                               : absl::StrCat("container \"", container, "\" in pod \"", pod,
                                              "\" is waiting to start: ContainerCreating"),
                      "text/plain");
      return;
    }
    LogOptions opts;
    opts.follow = BoolParam(req, "follow") && !previous;
    opts.timestamps = BoolParam(req, "timestamps");
    opts.tail = IntParam(req, "tailLines", -1);
    opts.limit_bytes = IntParam(req, "limitBytes", 0);
    int64_t since = IntParam(req, "sinceSeconds", 0);
    if (since > 0) opts.since_unix = absl::ToUnixSeconds(absl::Now()) - since;
    ContainerRuntime* rt = runtime_;
    res.set_chunked_content_provider("text/plain", [rt, id, opts](size_t, httplib::DataSink& sink) {
      absl::Status s = rt->Logs(id, opts, [&sink](const std::string& chunk) {
        return sink.write(chunk.data(), chunk.size());
      });
      if (!s.ok()) MK_VLOG(1) << "logs of " << id << ": " << s;
      sink.done();
      return true;
    });
  });
  int bound = port;
  if (port == 0) {
    bound = server_->bind_to_any_port(address.c_str());
    if (bound <= 0) return absl::UnavailableError(absl::StrCat("cannot bind ", address, ":0"));
  } else if (!server_->bind_to_port(address.c_str(), port)) {
    return absl::UnavailableError(absl::StrCat("cannot bind ", address, ":", port));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib's stop() does nothing until the server runs: wait, so Shutdown() always stops.
  while (!server_->is_running()) std::this_thread::yield();
  return bound;
}

void LogServer::Shutdown() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mk::kubelet
