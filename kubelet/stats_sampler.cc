#include "kubelet/stats_sampler.h"

#include <utility>

#include "common/log.h"
#include "common/object.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {
namespace {

int64_t IntAt(const Json& j, std::initializer_list<const char*> path) {
  const Json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return 0;
    cur = &(*cur)[k];
  }
  return cur->is_number() ? cur->get<int64_t>() : 0;
}

std::string Label(const Json& container, const char* key) {
  if (!container.contains("Labels") || !container["Labels"].is_object()) return "";
  return container["Labels"].value(key, "");
}

}  // namespace

StatsSampler::StatsSampler(std::string node_name, ListFn list, StatsFn stats, absl::Duration period)
    : node_(std::move(node_name)),
      list_(std::move(list)),
      stats_(std::move(stats)),
      period_(period) {
  summary_.node_name = node_;
  summary_.time = absl::Now();
  summary_.window = period_;
}

StatsSampler::~StatsSampler() { Shutdown(); }

void StatsSampler::Start() {
  thread_ = std::thread([this] {
    do {
      SampleOnce();
    } while (!stop_.WaitForNotificationWithTimeout(period_));
  });
}

void StatsSampler::Shutdown() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

int64_t StatsSampler::WorkingSet(const Json& stats) {
  int64_t usage = IntAt(stats, {"memory_stats", "usage"});
  // cgroup v1 reports total_inactive_file, v2 inactive_file (cAdvisor's working set).
  int64_t inactive = IntAt(stats, {"memory_stats", "stats", "total_inactive_file"});
  if (inactive == 0) inactive = IntAt(stats, {"memory_stats", "stats", "inactive_file"});
  return inactive < usage ? usage - inactive : usage;
}

void StatsSampler::SampleOnce() {
  absl::StatusOr<Json> containers = list_();
  if (!containers.ok() || !containers->is_array()) {
    MK_VLOG(2) << "stats: listing containers: "
               << (containers.ok() ? "not an array" : containers.status().ToString());
    return;
  }
  StatsSummary next;
  next.node_name = node_;
  next.time = absl::Now();
  next.window = period_;
  std::map<std::pair<std::string, std::string>, size_t> pod_index;
  std::map<std::string, Previous> seen;
  for (const Json& c : *containers) {
    if (!c.is_object() || Label(c, kLabelNode) != node_) continue;
    if (!Label(c, kLabelSandbox).empty() || Label(c, kLabelContainerName).empty()) continue;
    std::string id = c.value("Id", "");
    absl::StatusOr<Json> st = stats_(id);
    if (!st.ok()) continue;
    int64_t cpu_total = IntAt(*st, {"cpu_stats", "cpu_usage", "total_usage"});
    absl::Time read = ParseTime(st->value("read", ""));
    if (read == absl::InfinitePast()) read = next.time;
    seen[id] = {cpu_total, read};
    auto prev = previous_.find(id);
    if (prev == previous_.end() || read <= prev->second.read ||
        cpu_total < prev->second.cpu_total_ns) {
      continue;  // a first sample: a rate needs two
    }
    double secs = absl::ToDoubleSeconds(read - prev->second.read);
    ContainerUsage u;
    u.name = Label(c, kLabelContainerName);
    u.cpu_nano_cores =
        static_cast<int64_t>(static_cast<double>(cpu_total - prev->second.cpu_total_ns) / secs);
    u.memory_working_set_bytes = WorkingSet(*st);
    auto key = std::make_pair(Label(c, kLabelPodNamespace), Label(c, kLabelPodName));
    auto [it, inserted] = pod_index.emplace(key, next.pods.size());
    if (inserted) next.pods.push_back({key.first, key.second, Label(c, kLabelPodUid), {}});
    next.pods[it->second].containers.push_back(u);
    next.node_cpu_nano_cores += u.cpu_nano_cores;
    next.node_memory_working_set_bytes += u.memory_working_set_bytes;
  }
  previous_ = std::move(seen);
  absl::MutexLock l(&mu_);
  summary_ = std::move(next);
}

StatsSummary StatsSampler::Summary() const {
  absl::MutexLock l(&mu_);
  return summary_;
}

}  // namespace mk::kubelet
