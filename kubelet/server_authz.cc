#include "kubelet/server_authz.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mk::kubelet {
namespace {

constexpr char kMastersGroup[] = "system:masters";
constexpr char kControllerManagerUser[] = "system:kube-controller-manager";

// Kubernetes' isSubpath: `path` itself or anything below it.
bool IsSubpath(const std::string& path, absl::string_view dir) {
  return path == dir || absl::StartsWith(path, absl::StrCat(dir, "/"));
}

std::string Verb(const std::string& method) {
  if (method == "GET" || method == "HEAD") return "get";
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

}  // namespace

std::string KubeletSubresource(const std::string& path) {
  if (IsSubpath(path, "/stats")) return "stats";
  if (IsSubpath(path, "/logs") || IsSubpath(path, "/containerLogs")) return "log";
  return "proxy";
}

absl::Status AuthorizeKubeletRequest(const std::string& user,
                                     const std::vector<std::string>& groups,
                                     const std::string& method, const std::string& path) {
  if (user == kApiserverKubeletClientUser ||
      std::find(groups.begin(), groups.end(), kMastersGroup) != groups.end()) {
    return absl::OkStatus();
  }
  if (user == kControllerManagerUser && method == "GET" && path == "/stats/summary") {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat("Forbidden (user=", user, ", verb=", Verb(method),
                                                  ", resource=nodes, subresource(s)=[",
                                                  KubeletSubresource(path), "])"));
}

}  // namespace mk::kubelet
