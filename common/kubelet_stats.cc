#include "common/kubelet_stats.h"

#include "absl/strings/str_cat.h"
#include "common/object.h"

namespace mk {
namespace {

Json Usage(int64_t cpu_nano, int64_t mem_bytes) {
  return Json{{"cpu", absl::StrCat(cpu_nano, "n")},
              {"memory", absl::StrCat(mem_bytes / 1024, "Ki")}};
}

std::string WindowString(absl::Duration d) { return absl::StrCat(absl::ToInt64Seconds(d), "s"); }

int64_t Int(const Json& j, const char* a, const char* b) {
  if (!j.is_object() || !j.contains(a) || !j[a].is_object()) return 0;
  const Json& x = j[a];
  if (!x.contains(b) || !x[b].is_number()) return 0;
  return x[b].get<int64_t>();
}

}  // namespace

Json SummaryToJson(const StatsSummary& s) {
  std::string t = mk::FormatTime(s.time);
  Json pods = Json::array();
  for (const PodUsage& p : s.pods) {
    Json cs = Json::array();
    int64_t cpu = 0, mem = 0;
    for (const ContainerUsage& c : p.containers) {
      cs.push_back({{"name", c.name},
                    {"cpu", {{"time", t}, {"usageNanoCores", c.cpu_nano_cores}}},
                    {"memory", {{"time", t}, {"workingSetBytes", c.memory_working_set_bytes}}}});
      cpu += c.cpu_nano_cores;
      mem += c.memory_working_set_bytes;
    }
    pods.push_back({{"podRef", {{"name", p.name}, {"namespace", p.namespace_}, {"uid", p.uid}}},
                    {"cpu", {{"time", t}, {"usageNanoCores", cpu}}},
                    {"memory", {{"time", t}, {"workingSetBytes", mem}}},
                    {"containers", std::move(cs)}});
  }
  return Json{{"node",
               {{"nodeName", s.node_name},
                {"cpu", {{"time", t}, {"usageNanoCores", s.node_cpu_nano_cores}}},
                {"memory", {{"time", t}, {"workingSetBytes", s.node_memory_working_set_bytes}}}}},
              {"window", WindowString(s.window)},
              {"pods", std::move(pods)}};
}

absl::StatusOr<StatsSummary> SummaryFromJson(const Json& j) {
  if (!j.is_object() || !j.contains("node") || !j["node"].is_object()) {
    return absl::InvalidArgumentError("stats summary: missing node");
  }
  StatsSummary s;
  const Json& node = j["node"];
  s.node_name = node.value("nodeName", "");
  s.node_cpu_nano_cores = Int(node, "cpu", "usageNanoCores");
  s.node_memory_working_set_bytes = Int(node, "memory", "workingSetBytes");
  s.time = absl::Now();
  if (node.contains("cpu") && node["cpu"].is_object() && node["cpu"].contains("time") &&
      node["cpu"]["time"].is_string()) {
    absl::Time t = ParseTime(node["cpu"]["time"].get<std::string>());
    if (t != absl::InfinitePast()) s.time = t;
  }
  if (j.contains("pods") && j["pods"].is_array()) {
    for (const Json& p : j["pods"]) {
      if (!p.is_object() || !p.contains("podRef") || !p["podRef"].is_object()) continue;
      PodUsage pu;
      pu.name = p["podRef"].value("name", "");
      pu.namespace_ = p["podRef"].value("namespace", "");
      pu.uid = p["podRef"].value("uid", "");
      if (p.contains("containers") && p["containers"].is_array()) {
        for (const Json& c : p["containers"]) {
          if (!c.is_object()) continue;
          pu.containers.push_back({c.value("name", ""), Int(c, "cpu", "usageNanoCores"),
                                   Int(c, "memory", "workingSetBytes")});
        }
      }
      s.pods.push_back(std::move(pu));
    }
  }
  return s;
}

absl::StatusOr<StatsSummary> FetchSummary(const api::Node& node, const KubeletClientConfig& config,
                                          absl::Duration timeout) {
  absl::StatusOr<KubeletConnection> conn = ConnectKubelet(node, config, timeout, timeout);
  if (!conn.ok()) return conn.status();
  auto res = conn->http->Get("/stats/summary");
  if (!res) return KubeletRequestError(*conn, res.error());
  if (res->status != 200) {
    return absl::UnavailableError(absl::StrCat("kubelet of node ", node.metadata().name(),
                                               " answered ", res->status, ": ", res->body));
  }
  Json j = Json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::UnavailableError("kubelet stats: not JSON");
  return SummaryFromJson(j);
}

Json NodeMetricsJson(const StatsSummary& s, const std::string& creation_time) {
  return Json{
      {"kind", "NodeMetrics"},
      {"apiVersion", "metrics.k8s.io/v1beta1"},
      {"metadata",
       {{"name", s.node_name}, {"creationTimestamp", creation_time}, {"labels", Json::object()}}},
      {"timestamp", mk::FormatTime(s.time)},
      {"window", WindowString(s.window)},
      {"usage", Usage(s.node_cpu_nano_cores, s.node_memory_working_set_bytes)}};
}

Json PodMetricsJson(const StatsSummary& s, const PodUsage& pod, const std::string& creation_time) {
  Json cs = Json::array();
  for (const ContainerUsage& c : pod.containers) {
    cs.push_back(
        {{"name", c.name}, {"usage", Usage(c.cpu_nano_cores, c.memory_working_set_bytes)}});
  }
  return Json{
      {"kind", "PodMetrics"},
      {"apiVersion", "metrics.k8s.io/v1beta1"},
      {"metadata",
       {{"name", pod.name}, {"namespace", pod.namespace_}, {"creationTimestamp", creation_time}}},
      {"timestamp", mk::FormatTime(s.time)},
      {"window", WindowString(s.window)},
      {"containers", std::move(cs)}};
}

}  // namespace mk
