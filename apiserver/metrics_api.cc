#include "apiserver/metrics_api.h"

#include <algorithm>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "common/log.h"
#include "common/object.h"
#include "common/selectors.h"

namespace mk::apiserver {
namespace {

constexpr char kPrefix[] = "/apis/metrics.k8s.io/v1beta1";

Json List(const char* kind, Json items) {
  return Json{{"kind", kind},
              {"apiVersion", "metrics.k8s.io/v1beta1"},
              {"metadata", Json::object()},
              {"items", std::move(items)}};
}

bool NodeReady(const api::Node& n) {
  for (const auto& c : n.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

absl::Status MetricsNotFound(const std::string& resource, const std::string& name) {
  return NotFoundError(absl::StrCat(resource, ".metrics.k8s.io"), name);
}

}  // namespace

MetricsApi::MetricsApi(Registry* registry, KubeletClientConfig kubelet)
    : MetricsApi(registry, [kubelet = std::move(kubelet)](const api::Node& n) {
        return FetchSummary(n, kubelet, absl::Seconds(3));
      }) {}

MetricsApi::MetricsApi(Registry* registry, Fetcher fetch)
    : registry_(registry), fetch_(std::move(fetch)) {}

Json MetricsApi::Discovery() {
  Json verbs = {"get", "list"};
  return Json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", "metrics.k8s.io/v1beta1"},
              {"resources",
               {{{"name", "nodes"},
                 {"singularName", ""},
                 {"namespaced", false},
                 {"kind", "NodeMetrics"},
                 {"verbs", verbs}},
                {{"name", "pods"},
                 {"singularName", ""},
                 {"namespaced", true},
                 {"kind", "PodMetrics"},
                 {"verbs", verbs}}}}};
}

std::vector<StatsSummary> MetricsApi::Collect(const std::string& only_node) {
  absl::StatusOr<ObjectList> nodes = registry_->List(*FindResource("nodes"), "", ListOptions());
  std::vector<const api::Node*> targets;
  if (nodes.ok()) {
    for (const ObjectPtr& o : nodes->items) {
      const auto& n = static_cast<const api::Node&>(*o);
      if (!only_node.empty() && n.metadata().name() != only_node) continue;
      if (NodeReady(n)) targets.push_back(&n);
    }
  }
  std::vector<absl::StatusOr<StatsSummary>> results(targets.size(),
                                                    absl::UnknownError("not fetched"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([this, &results, &targets, i] { results[i] = fetch_(*targets[i]); });
  }
  for (auto& t : threads) t.join();
  std::vector<StatsSummary> out;
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i].ok()) {
      if (results[i]->node_name.empty()) results[i]->node_name = targets[i]->metadata().name();
      out.push_back(std::move(*results[i]));
    } else {
      MK_VLOG(2) << "metrics: " << results[i].status();
    }
  }
  return out;
}

bool MetricsApi::Handle(const std::string& path, const std::string& label_selector,
                        absl::StatusOr<Json>* out) {
  if (!absl::StartsWith(path, kPrefix)) return false;
  std::vector<std::string> parts =
      absl::StrSplit(path.substr(sizeof(kPrefix) - 1), '/', absl::SkipEmpty());
  if (parts.empty()) {
    *out = Discovery();
    return true;
  }
  std::string now = mk::FormatTime(absl::Now());
  if (parts[0] == "nodes" && parts.size() <= 2) {
    std::string name = parts.size() == 2 ? parts[1] : "";
    Json items = Json::array();
    absl::StatusOr<LabelSelector> sel = LabelSelector::Parse(label_selector);
    if (!sel.ok()) {
      *out = BadRequestError(sel.status().message());
      return true;
    }
    for (const StatsSummary& s : Collect(name)) {
      if (!label_selector.empty()) {
        absl::StatusOr<ObjectPtr> n = registry_->Get(*FindResource("nodes"), "", s.node_name);
        if (!n.ok() || !sel->Matches(Meta(**n).labels())) continue;
      }
      items.push_back(NodeMetricsJson(s, now));
    }
    if (!name.empty()) {
      *out = items.empty() ? absl::StatusOr<Json>(MetricsNotFound("nodes", name))
                           : absl::StatusOr<Json>(items[0]);
    } else {
      *out = List("NodeMetricsList", std::move(items));
    }
    return true;
  }
  std::string ns, name;
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "namespaces") {
    ns = parts[1];
    i = 2;
  }
  if (parts.size() <= i || parts[i] != "pods" || parts.size() > i + 2) {
    *out = NotFoundError("metrics.k8s.io", path);
    return true;
  }
  if (parts.size() == i + 2) name = parts[i + 1];
  absl::StatusOr<LabelSelector> sel = LabelSelector::Parse(label_selector);
  if (!sel.ok()) {
    *out = BadRequestError(sel.status().message());
    return true;
  }
  // Only pods that exist now (a summary may still list one being torn down).
  absl::StatusOr<ObjectList> pods = registry_->List(*FindResource("pods"), ns, ListOptions());
  std::map<std::pair<std::string, std::string>, const api::Pod*> live;
  if (pods.ok()) {
    for (const ObjectPtr& o : pods->items) {
      const auto& p = static_cast<const api::Pod&>(*o);
      live[{p.metadata().namespace_(), p.metadata().name()}] = &p;
    }
  }
  Json items = Json::array();
  for (const StatsSummary& s : Collect("")) {
    for (const PodUsage& pu : s.pods) {
      if (!ns.empty() && pu.namespace_ != ns) continue;
      if (!name.empty() && pu.name != name) continue;
      auto it = live.find({pu.namespace_, pu.name});
      if (it == live.end()) continue;
      if (!sel->Matches(it->second->metadata().labels())) continue;
      items.push_back(PodMetricsJson(s, pu, now));
    }
  }
  std::sort(items.begin(), items.end(), [](const Json& a, const Json& b) {
    return std::make_pair(a["metadata"]["namespace"].get<std::string>(),
                          a["metadata"]["name"].get<std::string>()) <
           std::make_pair(b["metadata"]["namespace"].get<std::string>(),
                          b["metadata"]["name"].get<std::string>());
  });
  if (!name.empty()) {
    *out = items.empty() ? absl::StatusOr<Json>(MetricsNotFound("pods", name))
                         : absl::StatusOr<Json>(items[0]);
  } else {
    *out = List("PodMetricsList", std::move(items));
  }
  return true;
}

}  // namespace mk::apiserver
