#pragma once

// mkctl's REST client: Kubernetes paths, JSON bodies, errors rebuilt from the server's
// Status objects (mk::FromApiStatus), streaming GETs for logs and watches.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "common/resources.h"

namespace httplib {
enum class Error;
class ClientImpl;
struct Response;
}  // namespace httplib

namespace mk::kubectl {

struct ClientOptions {
  std::string server;  // "https://127.0.0.1:6443"
  std::string token;
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
  // In-memory PEM (kubeconfig *-data); used when set, else the files above.
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;  // secret
  bool insecure = false;
  int verbosity = 0;
  int timeout_seconds = 0;           // 0: no request timeout
  std::ostream* log = nullptr;       // where -v output goes
  std::ostream* warnings = nullptr;  // where the server's Warning headers are printed
};

using Query = std::vector<std::pair<std::string, std::string>>;

// "/api/v1/namespaces/ns/pods/name/sub" (ns ignored for cluster-scoped; "" = all).
std::string ResourcePath(const ResourceInfo& r, const std::string& ns, const std::string& name = "",
                         const std::string& sub = "");
// path + "?k=v&..." with values percent-encoded; empty values are skipped.
std::string WithQuery(const std::string& path, const Query& query);
std::string PercentEncode(const std::string& s);

// True when `status` is a connection failure (printed without "error: ").
bool IsConnectionError(const absl::Status& status);

class Client {
 public:
  explicit Client(ClientOptions opts);
  ~Client();

  const std::string& server() const { return opts_.server; }

  absl::StatusOr<Json> Get(const std::string& path);
  absl::StatusOr<Json> Post(const std::string& path, const Json& body);
  absl::StatusOr<Json> Put(const std::string& path, const Json& body);
  absl::StatusOr<Json> Patch(const std::string& path, const std::string& body,
                             const std::string& content_type);
  absl::StatusOr<Json> Delete(const std::string& path, const Json& body);

  // GET whose body is passed on as it arrives; `on_data` returns false to stop.
  absl::Status Stream(const std::string& path,
                      const std::function<bool(const char*, size_t)>& on_data);
  // A watch: one JSON event per line; `on_event` returns false to stop.
  absl::Status Watch(const std::string& path, const std::function<bool(const Json&)>& on_event);

 private:
  absl::StatusOr<Json> Do(const std::string& method, const std::string& path,
                          const std::string& body, const std::string& content_type);
  std::unique_ptr<httplib::ClientImpl> NewHttp(bool streaming) const;
  absl::Status ErrorFrom(int status, const std::string& body) const;
  absl::Status ConnectionError(const std::string& detail) const;
  static std::string ErrorDetail(httplib::Error error);
  // Prints each `Warning: 299 - "text"` header as kubectl does: "Warning: text".
  void PrintWarnings(const httplib::Response& res) const;

  ClientOptions opts_;
  std::unique_ptr<httplib::ClientImpl> http_;
};

}  // namespace mk::kubectl
