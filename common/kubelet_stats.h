#pragma once

// Resource usage as the kubelet reports it (`GET /stats/summary`, the shape of Kubernetes'
// stats/v1alpha1 Summary, usage fields only) and its conversion to the metrics.k8s.io/v1beta1
// objects (NodeMetrics, PodMetrics) that `mkctl top` and the HPA controller read. The
// apiserver serves the metrics API by asking the kubelets (as metrics-server does); the
// controller-manager's HPA reads the same figures.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/json.h"
#include "common/kubelet_client.h"

namespace mk {

struct ContainerUsage {
  std::string name;
  int64_t cpu_nano_cores = 0;
  int64_t memory_working_set_bytes = 0;
};

struct PodUsage {
  std::string namespace_, name, uid;
  std::vector<ContainerUsage> containers;
};

struct StatsSummary {
  std::string node_name;
  absl::Time time;
  absl::Duration window = absl::Seconds(10);
  int64_t node_cpu_nano_cores = 0;
  int64_t node_memory_working_set_bytes = 0;
  std::vector<PodUsage> pods;
};

Json SummaryToJson(const StatsSummary& s);
absl::StatusOr<StatsSummary> SummaryFromJson(const Json& j);

// GET /stats/summary from the node's kubelet over HTTPS with `config`'s client certificate
// (common/kubelet_client.h); `timeout` bounds the connect and each read.
absl::StatusOr<StatsSummary> FetchSummary(const api::Node& node, const KubeletClientConfig& config,
                                          absl::Duration timeout);

// metrics.k8s.io/v1beta1 objects. CPU in nanocores ("123456n") and memory in Ki, as
// metrics-server writes them.
Json NodeMetricsJson(const StatsSummary& s, const std::string& creation_time);
Json PodMetricsJson(const StatsSummary& s, const PodUsage& pod, const std::string& creation_time);

}  // namespace mk
