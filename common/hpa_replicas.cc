#include "common/hpa_replicas.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mk {
namespace {

struct Sums {
  int64_t usage = 0;
  int64_t request = 0;
  int count = 0;
};

double Ratio(const Sums& s, int32_t target) {
  return static_cast<double>(s.usage) / static_cast<double>(s.request) /
         (static_cast<double>(target) / 100.0);
}

}  // namespace

absl::optional<int32_t> CpuTargetUtilization(const api::HorizontalPodAutoscalerSpec& spec) {
  for (const api::MetricSpec& m : spec.metrics()) {
    if (!m.has_resource() || m.resource().name() != "cpu") continue;
    const api::ResourceMetricSource& r = m.resource();
    if (r.target().has_average_utilization()) return r.target().average_utilization();
    if (r.has_target_average_utilization()) return r.target_average_utilization();
  }
  if (spec.metrics_size() == 0 && spec.has_target_cpu_utilization_percentage()) {
    return spec.target_cpu_utilization_percentage();
  }
  return absl::nullopt;
}

absl::StatusOr<HpaRecommendation> CalcCpuReplicas(int32_t current, int32_t target_utilization,
                                                  const std::vector<HpaPod>& pods,
                                                  double tolerance) {
  if (target_utilization <= 0) {
    return absl::InvalidArgumentError("target utilization must be a positive percentage");
  }
  Sums metric;  // pods with metrics and ready
  std::vector<const HpaPod*> missing, unready;
  for (const HpaPod& p : pods) {
    if (p.deleting_or_failed) continue;
    if (p.missing_request) {
      return absl::FailedPreconditionError(
          absl::StrCat("missing request for cpu in container of Pod ", p.name));
    }
    if (p.pending) {
      unready.push_back(&p);
      continue;
    }
    if (!p.has_metric) {
      missing.push_back(&p);
      continue;
    }
    if (p.unready) {
      unready.push_back(&p);
      continue;
    }
    metric.usage += p.cpu_usage_milli;
    metric.request += p.cpu_request_milli;
    ++metric.count;
  }
  if (metric.count == 0 || metric.request == 0) {
    return absl::UnavailableError(
        "did not receive metrics for targeted pods (pods might be unready)");
  }
  HpaRecommendation rec;
  rec.utilization = static_cast<int32_t>(metric.usage * 100 / metric.request);
  rec.average_usage_milli = metric.usage / metric.count;
  double ratio = Ratio(metric, target_utilization);
  bool scale_up = ratio > 1.0;
  if (missing.empty() && (unready.empty() || !scale_up)) {
    if (std::abs(ratio - 1.0) <= tolerance) {
      rec.replicas = current;
      return rec;
    }
    rec.replicas = static_cast<int32_t>(std::ceil(ratio * metric.count));
    return rec;
  }
  // Fill in the pods without figures conservatively: when scaling down, a missing pod is
  // assumed to use its whole request (100 % of it); when scaling up, it uses nothing, and so
  // do pods that are not ready yet.
  Sums filled = metric;
  for (const HpaPod* p : missing) {
    filled.usage += scale_up ? 0 : p->cpu_request_milli;
    filled.request += p->cpu_request_milli;
    ++filled.count;
  }
  if (scale_up) {
    for (const HpaPod* p : unready) {
      filled.request += p->cpu_request_milli;
      ++filled.count;
    }
  }
  double new_ratio = Ratio(filled, target_utilization);
  if (std::abs(new_ratio - 1.0) <= tolerance || (ratio < 1.0 && new_ratio > 1.0) ||
      (ratio > 1.0 && new_ratio < 1.0)) {
    rec.replicas = current;
    return rec;
  }
  int32_t replicas = static_cast<int32_t>(std::ceil(new_ratio * filled.count));
  if ((new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current)) {
    replicas = current;
  }
  rec.replicas = replicas;
  return rec;
}

int32_t BoundReplicas(int32_t desired, int32_t current, int32_t min_replicas, int32_t max_replicas,
                      std::string* reason) {
  reason->clear();
  int32_t up_limit = std::max(2 * current, current + 4);
  int32_t out = desired;
  if (out > up_limit && up_limit < max_replicas) {
    out = up_limit;
    *reason = "ScaleUpLimit";
  }
  if (out > max_replicas) {
    out = max_replicas;
    *reason = "TooManyReplicas";
  }
  if (out < min_replicas) {
    out = min_replicas;
    *reason = "TooFewReplicas";
  }
  return out;
}

int32_t HpaStabilizer::Stabilize(absl::Time now, int32_t recommendation, int32_t current) {
  history_.emplace_back(now, recommendation);
  absl::Duration keep = std::max(down_, up_);
  while (!history_.empty() && history_.front().first < now - keep) history_.pop_front();
  int32_t up_bound = recommendation;    // lowest within the scale-up window
  int32_t down_bound = recommendation;  // highest within the scale-down window
  for (const auto& [t, r] : history_) {
    if (t >= now - up_) up_bound = std::min(up_bound, r);
    if (t >= now - down_) down_bound = std::max(down_bound, r);
  }
  if (recommendation > current) return std::max(current, up_bound);
  if (recommendation < current) return std::min(current, down_bound);
  return current;
}

}  // namespace mk
