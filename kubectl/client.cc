#include "kubectl/client.h"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <fstream>
#include <sstream>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/https.h"
#include "common/json_codec.h"
#include "common/manifest.h"
#include "common/redact.h"

namespace mk::kubectl {
namespace {

constexpr char kConnPayload[] = "type.mk/mkctl.connection";

std::string HostPort(const std::string& server) {
  std::string s = server;
  if (size_t p = s.find("://"); p != std::string::npos) s = s.substr(p + 3);
  if (size_t p = s.find('/'); p != std::string::npos) s = s.substr(0, p);
  return s;
}

std::string PemOrFile(const std::string& pem, const std::string& file) {
  if (!pem.empty() || file.empty()) return pem;
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// scheme://host:port → its parts; the port defaults from the scheme.
void SplitServer(const std::string& server, bool* https, std::string* host, int* port) {
  *https = absl::StartsWith(server, "https://");
  std::string hp = HostPort(server);
  *port = *https ? 443 : 80;
  size_t colon = hp.rfind(':');
  size_t bracket = hp.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    *port = std::atoi(hp.c_str() + colon + 1);
    hp = hp.substr(0, colon);
  }
  if (hp.size() > 2 && hp.front() == '[' && hp.back() == ']') hp = hp.substr(1, hp.size() - 2);
  *host = hp;
}

}  // namespace

std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string WithQuery(const std::string& path, const Query& query) {
  std::string out = path;
  char sep = path.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [k, v] : query) {
    if (v.empty()) continue;
    absl::StrAppend(&out, std::string(1, sep), k, "=", PercentEncode(v));
    sep = '&';
  }
  return out;
}

std::string ResourcePath(const ResourceInfo& r, const std::string& ns, const std::string& name,
                         const std::string& sub) {
  std::string p = r.group.empty() ? absl::StrCat("/api/", r.version)
                                  : absl::StrCat("/apis/", r.group, "/", r.version);
  if (r.namespaced && !ns.empty()) absl::StrAppend(&p, "/namespaces/", ns);
  absl::StrAppend(&p, "/", r.name);
  if (!name.empty()) absl::StrAppend(&p, "/", name);
  if (!sub.empty()) absl::StrAppend(&p, "/", sub);
  return p;
}

bool IsConnectionError(const absl::Status& status) {
  return status.GetPayload(kConnPayload).has_value();
}

Client::Client(ClientOptions opts) : opts_(std::move(opts)) { http_ = NewHttp(false); }
Client::~Client() = default;

std::unique_ptr<httplib::ClientImpl> Client::NewHttp(bool streaming) const {
  bool https = false;
  std::string host;
  int port = 0;
  SplitServer(opts_.server, &https, &host, &port);
  std::unique_ptr<httplib::ClientImpl> c;
  const std::string ca_pem = https ? PemOrFile(opts_.ca_pem, opts_.ca_file) : "";
  if (https && !ca_pem.empty() && !opts_.insecure) {
    // As kubectl with certificate-authority(-data): that CA only, never the system's
    // (cpp-httplib's own verification would add them; common/https.h).
    c = NewHttpsClient(host, port,
                       {ca_pem, PemOrFile(opts_.client_cert_pem, opts_.client_cert_file),
                        PemOrFile(opts_.client_key_pem, opts_.client_key_file)});
  } else if (https) {
    std::string cert_pem = PemOrFile(opts_.client_cert_pem, opts_.client_cert_file);
    std::string key_pem = PemOrFile(opts_.client_key_pem, opts_.client_key_file);
    std::unique_ptr<httplib::SSLClient> ssl;
    X509* cert = nullptr;
    EVP_PKEY* key = nullptr;
    if (!cert_pem.empty() && !key_pem.empty()) {
      BIO* b = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
      cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
      BIO_free(b);
      b = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
      key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
      BIO_free(b);
    }
    if (cert != nullptr && key != nullptr) {
      ssl = std::make_unique<httplib::SSLClient>(host, port, cert, key);
    } else {
      ssl = std::make_unique<httplib::SSLClient>(host, port);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    ERR_clear_error();
    ssl->enable_server_certificate_verification(!opts_.insecure);
    c = std::move(ssl);
  } else {
    c = std::make_unique<httplib::ClientImpl>(host, port);
  }
  if (!opts_.token.empty()) c->set_bearer_token_auth(opts_.token);
  c->set_connection_timeout(5, 0);
  if (streaming) {
    c->set_read_timeout(24 * 3600, 0);
  } else {
    int t = opts_.timeout_seconds > 0 ? opts_.timeout_seconds : 60;
    c->set_read_timeout(t, 0);
    c->set_write_timeout(t, 0);
    c->set_keep_alive(true);
  }
  c->set_default_headers({{"User-Agent", "mkctl/v1.30.0 (linux/amd64) mk"}});
  c->set_tcp_nodelay(true);  // a request's TLS records must not wait for delayed ACKs
  return c;
}

// Why a request got no response: the refused server certificate in Go's words when that was
// it (kubectl: "Unable to connect to the server: x509: …"), else cpp-httplib's error name.
std::string Client::ErrorDetail(httplib::Error error) {
  if (std::string why = ServerCertError(); !why.empty()) return why;
  return httplib::to_string(error);
}

absl::Status Client::ConnectionError(const std::string& detail) const {
  std::string msg;
  if (detail == "Connection") {
    msg = absl::StrCat("The connection to the server ", HostPort(opts_.server),
                       " was refused - did you specify the right host or port?");
  } else {
    msg = absl::StrCat("Unable to connect to the server: ", detail);
  }
  absl::Status st = absl::UnavailableError(msg);
  st.SetPayload(kConnPayload, absl::Cord("1"));
  return st;
}

absl::Status Client::ErrorFrom(int status, const std::string& body) const {
  auto j = ParseJsonBody(body);
  if (j.ok() && j->is_object() && j->value("kind", "") == "Status") {
    api::Status s;
    std::vector<FieldError> errs;
    DecodeJsonInto(*j, &s, "", &errs);
    if (s.code() == 0) s.set_code(status);
    return FromApiStatus(s);
  }
  api::Status s;
  s.set_kind("Status");
  s.set_api_version("v1");
  s.set_status("Failure");
  s.set_code(status);
  switch (status) {
    case 404:
      s.set_reason("NotFound");
      s.set_message("the server could not find the requested resource");
      break;
    case 405:
      s.set_reason("MethodNotAllowed");
      s.set_message("the server does not allow this method on the requested resource");
      break;
    case 401:
      s.set_reason("Unauthorized");
      s.set_message("the server has asked for the client to provide credentials");
      break;
    case 403:
      s.set_reason("Forbidden");
      s.set_message(body);
      break;
    default:
      s.set_reason("InternalError");
      s.set_message(absl::StrCat("an error on the server (\"", body,
                                 "\") has prevented the request from succeeding"));
  }
  return FromApiStatus(s);
}

void Client::PrintWarnings(const httplib::Response& res) const {
  if (opts_.warnings == nullptr) return;
  size_t n = res.get_header_value_count("Warning");
  for (size_t i = 0; i < n; ++i) {
    std::string w = res.get_header_value("Warning", i);
    // warn-code SP warn-agent SP "text" (RFC 7234); the agent is "-" from mk and Kubernetes.
    size_t q = w.find('"');
    if (q != std::string::npos && w.size() > q + 1 && w.back() == '"') {
      w = w.substr(q + 1, w.size() - q - 2);
    }
    *opts_.warnings << "Warning: " << w << "\n";
  }
}

absl::StatusOr<Json> Client::Do(const std::string& method, const std::string& path,
                                const std::string& body, const std::string& content_type) {
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers.emplace("Accept", "application/json");
  if (!body.empty()) {
    req.body = body;
    req.headers.emplace("Content-Type", content_type);
  }
  if (opts_.verbosity >= 6 && opts_.log != nullptr) {
    *opts_.log << "I " << method << " " << opts_.server << path << "\n";
  }
  if (opts_.verbosity >= 7 && opts_.log != nullptr) {
    for (const auto& [k, v] : req.headers) {
      *opts_.log << "I     " << k << ": " << RedactHeader(k, v) << "\n";
    }
    if (!opts_.token.empty()) {
      *opts_.log << "I     Authorization: "
                 << RedactHeader("Authorization", "Bearer " + opts_.token) << "\n";
    }
  }
  if (opts_.verbosity >= 8 && opts_.log != nullptr && !body.empty()) {
    *opts_.log << "I Request Body: " << BodyForLog(body, path, opts_.verbosity) << "\n";
  }
  httplib::Result res = http_->send(req);
  if (!res) {
    // One retry on a fresh connection (a kept-alive socket may have been closed).
    http_ = NewHttp(false);
    res = http_->send(req);
    if (!res) return ConnectionError(ErrorDetail(res.error()));
  }
  if (opts_.verbosity >= 6 && opts_.log != nullptr) {
    *opts_.log << "I " << method << " " << opts_.server << path << " " << res->status << "\n";
  }
  if (opts_.verbosity >= 8 && opts_.log != nullptr) {
    *opts_.log << "I Response Body: " << BodyForLog(res->body, path, opts_.verbosity) << "\n";
  }
  PrintWarnings(*res);
  if (res->status < 200 || res->status >= 300) return ErrorFrom(res->status, res->body);
  if (res->body.empty()) return Json::object();
  ManifestLimits limits;
  limits.max_bytes = size_t{1} << 31;
  limits.max_nodes = size_t{1} << 30;
  auto j = ParseJsonBody(res->body, limits);
  if (!j.ok()) {
    return absl::InternalError(
        absl::StrCat("unexpected response from the server: ", j.status().message()));
  }
  return *j;
}

absl::StatusOr<Json> Client::Get(const std::string& path) { return Do("GET", path, "", ""); }
absl::StatusOr<Json> Client::Post(const std::string& path, const Json& body) {
  return Do("POST", path, body.dump(), "application/json");
}
absl::StatusOr<Json> Client::Put(const std::string& path, const Json& body) {
  return Do("PUT", path, body.dump(), "application/json");
}
absl::StatusOr<Json> Client::Patch(const std::string& path, const std::string& body,
                                   const std::string& content_type) {
  return Do("PATCH", path, body, content_type);
}
absl::StatusOr<Json> Client::Delete(const std::string& path, const Json& body) {
  return Do("DELETE", path, body.is_null() ? "" : body.dump(), "application/json");
}

absl::Status Client::Stream(const std::string& path,
                            const std::function<bool(const char*, size_t)>& on_data) {
  auto http = NewHttp(true);
  httplib::Request req;
  req.method = "GET";
  req.path = path;
  int status = 0;
  std::string error_body;
  bool stopped = false;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status < 200 || status >= 300) {
      error_body.append(data, n);
      return true;
    }
    if (!on_data(data, n)) {
      stopped = true;
      return false;
    }
    return true;
  };
  if (opts_.verbosity >= 6 && opts_.log != nullptr) {
    *opts_.log << "I GET " << opts_.server << path << " (stream)\n";
  }
  httplib::Result res = http->send(req);
  if (stopped) return absl::OkStatus();
  if (!res) {
    if (status >= 200 && status < 300) return absl::OkStatus();  // stream ended
    if (status != 0) return ErrorFrom(status, error_body);
    return ConnectionError(ErrorDetail(res.error()));
  }
  if (res->status < 200 || res->status >= 300) {
    return ErrorFrom(res->status, error_body.empty() ? res->body : error_body);
  }
  return absl::OkStatus();
}

absl::Status Client::Watch(const std::string& path,
                           const std::function<bool(const Json&)>& on_event) {
  std::string buf;
  bool keep_going = true;
  absl::Status st = Stream(path, [&](const char* data, size_t n) {
    buf.append(data, n);
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
      ManifestLimits limits;
      limits.max_bytes = size_t{1} << 30;
      limits.max_nodes = size_t{1} << 30;
      auto ev = ParseJsonBody(line, limits);
      if (!ev.ok()) continue;
      if (!on_event(*ev)) {
        keep_going = false;
        return false;
      }
    }
    return true;
  });
  (void)keep_going;
  return st;
}

}  // namespace mk::kubectl
