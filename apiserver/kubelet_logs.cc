#include "apiserver/kubelet_logs.h"

#include <httplib.h>

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api.pb.h"
#include "common/api_error.h"

namespace mk::apiserver {

absl::Status KubeletLogs::StreamLogs(const std::string& ns, const std::string& pod_name,
                                     const std::string& query,
                                     const std::function<void()>& start,
                                     const std::function<bool(const std::string&)>& write) {
  absl::StatusOr<ObjectPtr> obj = registry_->Get(*FindResource("pods"), ns, pod_name);
  if (!obj.ok()) return obj.status();
  const auto& pod = static_cast<const api::Pod&>(**obj);
  std::map<std::string, std::string> params;
  for (absl::string_view kv : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    params[p.first] = p.second;
  }
  std::string container = params["container"];
  if (container.empty()) {
    if (pod.spec().containers_size() != 1) {
      std::string names;
      for (const auto& c : pod.spec().containers()) absl::StrAppend(&names, " ", c.name());
      return BadRequestError(absl::StrCat("a container name must be specified for pod ", pod_name,
                                          ", choose one of: [", names.substr(1), "]"));
    }
    container = pod.spec().containers(0).name();
  }
  if (pod.spec().node_name().empty()) {
    return BadRequestError(absl::StrCat("pod ", pod_name, " is not scheduled to a node yet"));
  }
  absl::StatusOr<ObjectPtr> nobj =
      registry_->Get(*FindResource("nodes"), "", pod.spec().node_name());
  if (!nobj.ok()) return nobj.status();
  const auto& node = static_cast<const api::Node&>(**nobj);
  std::string host = "127.0.0.1";
  for (const auto& a : node.status().addresses()) {
    if (a.type() == "InternalIP") host = a.address();
  }
  int port = node.status().daemon_endpoints().kubelet_endpoint().port();
  if (port == 0) return absl::UnavailableError("the node's kubelet publishes no endpoint");
  std::string path = absl::StrCat("/containerLogs/", ns, "/", pod_name, "/", container, "?", query);
  httplib::Client client(host, port);
  client.set_read_timeout(24 * 3600, 0);
  std::string error_body;
  int status = 0;
  auto res = client.Get(
      path.c_str(),
      [&](const httplib::Response& r) {
        status = r.status;
        if (status == 200) start();
        return true;
      },
      [&](const char* data, size_t len) {
        if (status != 200) {
          error_body.append(data, len);
          return true;
        }
        return write(std::string(data, len));
      });
  if (status != 0 && status != 200) {
    return BadRequestError(error_body.empty() ? absl::StrCat("kubelet answered ", status)
                                              : error_body);
  }
  if (!res && status == 0) {
    return absl::UnavailableError(absl::StrCat("cannot reach the kubelet of node ",
                                               pod.spec().node_name(), " at ", host, ":", port));
  }
  return absl::OkStatus();
}

}  // namespace mk::apiserver
