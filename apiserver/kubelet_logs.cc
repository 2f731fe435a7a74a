#include "apiserver/kubelet_logs.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api.pb.h"
#include "common/api_error.h"

namespace mk::apiserver {

absl::Status KubeletLogs::StreamLogs(const std::string& ns, const std::string& pod_name,
                                     const std::string& query, const std::function<void()>& start,
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
  absl::StatusOr<KubeletConnection> conn =
      ConnectKubelet(node, kubelet_, absl::Seconds(5), absl::Hours(24));
  if (!conn.ok()) return conn.status();
  std::string path = absl::StrCat("/containerLogs/", ns, "/", pod_name, "/", container, "?", query);
  std::string error_body;
  int status = 0;
  auto res = conn->http->Get(
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
    std::string message =
        error_body.empty() ? absl::StrCat("kubelet answered ", status) : error_body;
    // The kubelet's 403 (its authorization of this apiserver's client certificate) stays 403.
    return status == 403 ? ForbiddenError(message) : BadRequestError(message);
  }
  if (!res && status == 0) return KubeletRequestError(*conn, res.error());
  return absl::OkStatus();
}

}  // namespace mk::apiserver
