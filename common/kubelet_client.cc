#include "common/kubelet_client.h"

#include "absl/strings/str_cat.h"

namespace mk {
namespace {

void SetTimeout(absl::Duration d, const std::function<void(time_t, time_t)>& set) {
  int64_t us = absl::ToInt64Microseconds(d);
  set(us / 1000000, us % 1000000);
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> KubeletEndpoint(const api::Node& node) {
  std::string host = "127.0.0.1";
  for (const auto& a : node.status().addresses()) {
    if (a.type() == "InternalIP") host = a.address();
  }
  int port = node.status().daemon_endpoints().kubelet_endpoint().port();
  if (port == 0) {
    return absl::UnavailableError(
        absl::StrCat("node ", node.metadata().name(), " publishes no kubelet endpoint"));
  }
  return std::make_pair(host, port);
}

absl::StatusOr<KubeletConnection> ConnectKubelet(const api::Node& node,
                                                 const KubeletClientConfig& config,
                                                 absl::Duration connect_timeout,
                                                 absl::Duration read_timeout) {
  absl::StatusOr<std::pair<std::string, int>> ep = KubeletEndpoint(node);
  if (!ep.ok()) return ep.status();
  if (config.cert_pem.empty()) {
    return absl::UnavailableError(
        absl::StrCat("no client certificate for kubelets: cannot ask the kubelet of node ",
                     node.metadata().name()));
  }
  KubeletConnection conn;
  conn.node = node.metadata().name();
  conn.host = ep->first;
  conn.port = ep->second;
  conn.http = NewHttpsClient(conn.host, conn.port, config);
  SetTimeout(connect_timeout,
             [&](time_t s, time_t us) { conn.http->set_connection_timeout(s, us); });
  SetTimeout(read_timeout, [&](time_t s, time_t us) { conn.http->set_read_timeout(s, us); });
  return conn;
}

absl::Status KubeletRequestError(const KubeletConnection& conn, httplib::Error error) {
  std::string where =
      absl::StrCat("the kubelet of node ", conn.node, " at ", conn.host, ":", conn.port);
  if (error == httplib::Error::SSLConnection) {
    std::string cert_error = ServerCertError();
    if (!cert_error.empty()) {
      return absl::UnavailableError(
          absl::StrCat("TLS verification of ", where, " failed: ", cert_error));
    }
    return absl::UnavailableError(absl::StrCat("cannot reach ", where, ": TLS handshake failed"));
  }
  if (error == httplib::Error::Read || error == httplib::Error::Write) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach ", where,
                     ": the connection closed before an answer (a kubelet closes it when it "
                     "does not trust the client certificate)"));
  }
  return absl::UnavailableError(absl::StrCat("cannot reach ", where));
}

}  // namespace mk
