#pragma once

// The HorizontalPodAutoscaler's arithmetic for CPU utilisation targets, as Kubernetes'
// replica calculator and HPA controller do it (pkg/controller/podautoscaler): the usage
// ratio with a tolerance, pods that are missing metrics or not yet ready, min/max bounds, the
// scale-up rate limit and the scale-down stabilisation window. Pure logic: the controller
// gathers the inputs (pods, their requests and metrics) and applies the result.

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "api.pb.h"

namespace mk {

// One pod selected by the scale target, as the calculator sees it.
struct HpaPod {
  std::string name;
  int64_t cpu_request_milli = 0;  // sum over the pod's containers
  bool missing_request = false;   // some container has no cpu request
  bool has_metric = false;
  int64_t cpu_usage_milli = 0;      // from metrics (PodMetrics), when has_metric
  bool deleting_or_failed = false;  // ignored entirely
  bool pending = false;             // phase Pending: counted as unready
  bool unready = false;  // not Ready (still starting): counted as unready when scaling up
};

struct HpaRecommendation {
  int32_t replicas = 0;
  // Average utilisation over the pods with metrics, in percent of their requests (what
  // `get hpa` shows as the current value), and the average usage in millicores.
  int32_t utilization = 0;
  int64_t average_usage_milli = 0;
};

inline constexpr double kHpaTolerance = 0.1;

// The CPU utilisation target of an HPA in percent, from whichever spelling it uses:
// autoscaling/v2 `target.averageUtilization`, the v2beta1 `targetAverageUtilization` (kept
// as the user wrote it so `apply` stays idempotent; the apiserver warns about it) or
// autoscaling/v1 `targetCPUUtilizationPercentage`. Absent: no CPU utilisation metric.
absl::optional<int32_t> CpuTargetUtilization(const api::HorizontalPodAutoscalerSpec& spec);

// Desired replicas for `target_utilization` percent; `current` is the scale's replica count.
// Errors (as Kubernetes' messages): no pods with metrics; a pod without a cpu request
// ("missing request for cpu in container ... of Pod ...").
absl::StatusOr<HpaRecommendation> CalcCpuReplicas(int32_t current, int32_t target_utilization,
                                                  const std::vector<HpaPod>& pods,
                                                  double tolerance = kHpaTolerance);

// Min/max bounds and the default autoscaling/v2 scale-up limit (at most double, or +4 pods,
// per period — whichever is larger). Returns the bounded count; `*reason` is the condition
// reason Kubernetes reports (TooFewReplicas, TooManyReplicas, ScaleUpLimit or "").
int32_t BoundReplicas(int32_t desired, int32_t current, int32_t min_replicas, int32_t max_replicas,
                      std::string* reason);

// Kubernetes' stabilisation: recommendations are remembered for the window; a scale-down
// goes only to the highest recommendation within the scale-down window (default 5 min), a
// scale-up only to the lowest within the scale-up window (default 0).
class HpaStabilizer {
 public:
  HpaStabilizer(absl::Duration scale_down_window, absl::Duration scale_up_window)
      : down_(scale_down_window), up_(scale_up_window) {}
  // Records `recommendation` at `now` and returns the stabilised replica count.
  int32_t Stabilize(absl::Time now, int32_t recommendation, int32_t current);

 private:
  absl::Duration down_, up_;
  std::deque<std::pair<absl::Time, int32_t>> history_;
};

}  // namespace mk
