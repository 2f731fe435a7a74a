#pragma once

// metrics.k8s.io/v1beta1, served the way metrics-server serves it: on each request the
// apiserver asks the kubelets of the Ready nodes for their usage (`/stats/summary`, in
// parallel, bounded by a timeout) and answers NodeMetrics / PodMetrics lists. Nothing is
// stored. Paths: /apis/metrics.k8s.io/v1beta1/nodes[/NAME],
// /apis/metrics.k8s.io/v1beta1/[namespaces/NS/]pods[/NAME] (labelSelector on pods).

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "apiserver/registry.h"
#include "common/json.h"
#include "common/kubelet_stats.h"

namespace mk::apiserver {

class MetricsApi {
 public:
  using Fetcher = std::function<absl::StatusOr<StatsSummary>(const api::Node&)>;
  // Asks the kubelets with FetchSummary over HTTPS with `kubelet`'s credentials, 3 s timeout.
  MetricsApi(Registry* registry, KubeletClientConfig kubelet);
  MetricsApi(Registry* registry, Fetcher fetch);

  // True when `path` belongs to the metrics API; then *out is the response (or an error).
  bool Handle(const std::string& path, const std::string& label_selector,
              absl::StatusOr<Json>* out);

  static Json Discovery();  // GET /apis/metrics.k8s.io/v1beta1

 private:
  std::vector<StatsSummary> Collect(const std::string& only_node);

  Registry* registry_;
  Fetcher fetch_;
};

}  // namespace mk::apiserver
