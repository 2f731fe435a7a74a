#include "apiserver/discovery.h"

#include <map>
#include <set>
#include <vector>

#include "common/resources.h"

namespace mk::apiserver {
namespace {

// The versions served per group (HPAs are served as autoscaling/v2 and v1).
std::map<std::string, std::vector<std::string>> GroupVersions() {
  std::map<std::string, std::vector<std::string>> out;
  for (const ResourceInfo& r : AllResources()) {
    if (r.group.empty()) continue;
    auto& v = out[r.group];
    if (v.empty()) v.push_back(r.version);
    if (r.group == "autoscaling") v = {"v2", "v1"};
  }
  return out;
}

bool Serves(const ResourceInfo& r, const std::string& group, const std::string& version) {
  if (r.group != group) return false;
  if (r.version == version) return true;
  return r.group == "autoscaling" && version == "v1";
}

}  // namespace

Json ApiVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

Json ApiGroupList() {
  Json groups = Json::array();
  for (const auto& [group, versions] : GroupVersions()) {
    Json vs = Json::array();
    for (const std::string& v : versions) {
      vs.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
    }
    groups.push_back({{"name", group}, {"versions", vs}, {"preferredVersion", vs[0]}});
  }
  // Served by apiserver/metrics_api.cc from the kubelets' figures (as metrics-server does).
  Json metrics = {{"groupVersion", "metrics.k8s.io/v1beta1"}, {"version", "v1beta1"}};
  groups.push_back(
      {{"name", "metrics.k8s.io"}, {"versions", {metrics}}, {"preferredVersion", metrics}});
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

absl::optional<Json> ApiResourceList(const std::string& group, const std::string& version) {
  Json resources = Json::array();
  for (const ResourceInfo& r : AllResources()) {
    if (!Serves(r, group, version)) continue;
    Json verbs = {"create", "delete", "deletecollection", "get",
                  "list",   "patch",  "update",           "watch"};
    Json res = {{"name", r.name},
                {"singularName", r.singular},
                {"namespaced", r.namespaced},
                {"kind", r.kind},
                {"verbs", verbs}};
    if (!r.short_names.empty()) res["shortNames"] = r.short_names;
    if (r.name == "pods" || r.name == "replicasets") res["categories"] = {"all"};
    resources.push_back(res);
    for (const std::string& sub : r.subresources) {
      Json sverbs = sub == "binding" ? Json{"create"}
                    : sub == "log"   ? Json{"get"}
                                     : Json{"get", "patch", "update"};
      std::string kind = sub == "scale" ? "Scale" : sub == "binding" ? "Binding" : r.kind;
      resources.push_back({{"name", r.name + "/" + sub},
                           {"singularName", ""},
                           {"namespaced", r.namespaced},
                           {"kind", kind},
                           {"verbs", sverbs}});
    }
  }
  if (resources.empty()) return absl::nullopt;
  std::string gv = group.empty() ? version : group + "/" + version;
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", gv},
              {"resources", resources}};
}

Json VersionInfo() {
  return {{"major", "1"},         {"minor", "32"},           {"gitVersion", kGitVersion},
          {"gitCommit", "mk"},    {"gitTreeState", "clean"}, {"buildDate", "2026-11-28T00:00:00Z"},
          {"goVersion", "c++17"}, {"compiler", "gcc"},       {"platform", "linux/amd64"}};
}

}  // namespace mk::apiserver
