#include "controller-manager/hpa_controller.h"

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/object.h"
#include "common/quantity.h"
#include "common/selectors.h"

namespace mk::controller_manager {

struct HpaController::Outcome {
  int32_t current = 0;
  int32_t desired = 0;
  bool have_metric = false;
  HpaRecommendation metric;
  bool rescaled = false;
  std::string able_reason = "ReadyForNewScale", able_message;
  bool active = true;
  std::string active_reason = "ValidMetricFound", active_message;
  std::string limited_reason = "DesiredWithinRange", limited_message;
};

namespace {

const char* ScaleResource(const api::CrossVersionObjectReference& ref) {
  if (ref.kind() == "ReplicaSet") return "replicasets";
  return nullptr;
}

HpaPod ToHpaPod(const api::Pod& pod, const std::map<std::string, int64_t>& usage) {
  HpaPod p;
  p.name = pod.metadata().name();
  p.deleting_or_failed =
      !pod.metadata().deletion_timestamp().empty() || pod.status().phase() == "Failed";
  p.pending = pod.status().phase() == "Pending" || pod.status().phase().empty();
  p.unready = !IsPodReady(pod);
  for (const api::Container& c : pod.spec().containers()) {
    auto it = c.resources().requests().find("cpu");
    if (it == c.resources().requests().end()) {
      p.missing_request = true;
      continue;
    }
    absl::StatusOr<Quantity> q = ParseQuantity(it->second);
    if (q.ok()) p.cpu_request_milli += q->MilliValue();
  }
  auto u = usage.find(KeyFor(pod.metadata().namespace_(), pod.metadata().name()));
  if (u != usage.end()) {
    p.has_metric = true;
    p.cpu_usage_milli = u->second;
  }
  return p;
}

void SetCondition(api::HorizontalPodAutoscalerStatus* st, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& msg,
                  const std::string& now) {
  for (api::HorizontalPodAutoscalerCondition& c : *st->mutable_conditions()) {
    if (c.type() != type) continue;
    if (c.status() != status) c.set_last_transition_time(now);
    c.set_status(status);
    c.set_reason(reason);
    c.set_message(msg);
    return;
  }
  api::HorizontalPodAutoscalerCondition* c = st->add_conditions();
  c->set_type(type);
  c->set_status(status);
  c->set_reason(reason);
  c->set_message(msg);
  c->set_last_transition_time(now);
}

}  // namespace

HpaController::HpaController(ApiClient* client, Informer* hpa_informer, Informer* pod_informer,
                             Informer* node_informer, EventRecorder* recorder,
                             HpaControllerOptions opts)
    : client_(client),
      hpa_informer_(hpa_informer),
      pod_informer_(pod_informer),
      node_informer_(node_informer),
      recorder_(recorder),
      opts_(std::move(opts)),
      clock_(opts_.clock != nullptr ? opts_.clock : Clock::Real()),
      queue_(WorkQueueOptions{absl::Milliseconds(5), absl::Seconds(60), clock_}),
      workers_(
          &queue_, [this](const std::string& key) { return Sync(key); }, "hpa") {
  if (!opts_.fetch_summary) {
    opts_.fetch_summary = [kubelet = opts_.kubelet](const api::Node& n) {
      return FetchSummary(n, kubelet, absl::Seconds(3));
    };
  }
  EventHandlers h;
  h.on_add = [this](const google::protobuf::Message& m) {
    queue_.Add(KeyFor(Meta(m).namespace_(), Meta(m).name()));
  };
  h.on_update = [this](const google::protobuf::Message& old_obj,
                       const google::protobuf::Message& m) {
    // Our own status writes come back as updates: only spec changes resync at once.
    const auto& a = static_cast<const api::HorizontalPodAutoscaler&>(old_obj);
    const auto& b = static_cast<const api::HorizontalPodAutoscaler&>(m);
    if (a.spec().SerializeAsString() != b.spec().SerializeAsString()) {
      queue_.Add(KeyFor(Meta(m).namespace_(), Meta(m).name()));
    }
  };
  h.on_delete = [this](const google::protobuf::Message& m) {
    std::string key = KeyFor(Meta(m).namespace_(), Meta(m).name());
    absl::MutexLock l(&mu_);
    stabilizers_.erase(key);
  };
  hpa_informer_->AddHandlers(std::move(h));
}

HpaController::~HpaController() { Shutdown(); }

void HpaController::Run(int workers) { workers_.Start(workers); }

void HpaController::Shutdown() { workers_.Stop(); }

std::map<std::string, int64_t> HpaController::PodCpuMilli(
    const std::vector<std::shared_ptr<const api::Pod>>& pods) {
  std::set<std::string> node_names;
  for (const auto& p : pods) {
    if (!p->spec().node_name().empty()) node_names.insert(p->spec().node_name());
  }
  std::vector<std::shared_ptr<const api::Node>> nodes;
  for (const std::string& n : node_names) {
    auto node = node_informer_->GetAs<api::Node>(n);
    if (node != nullptr) nodes.push_back(node);
  }
  std::vector<absl::StatusOr<StatsSummary>> results(nodes.size(),
                                                    absl::UnknownError("not fetched"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < nodes.size(); ++i) {
    threads.emplace_back(
        [this, &results, &nodes, i] { results[i] = opts_.fetch_summary(*nodes[i]); });
  }
  for (auto& t : threads) t.join();
  std::map<std::string, int64_t> usage;
  for (const auto& r : results) {
    if (!r.ok()) {
      MK_VLOG(2) << "hpa: " << r.status();
      continue;
    }
    for (const PodUsage& pu : r->pods) {
      int64_t nano = 0;
      for (const ContainerUsage& c : pu.containers) nano += c.cpu_nano_cores;
      usage[KeyFor(pu.namespace_, pu.name)] = (nano + 999999) / 1000000;
    }
  }
  return usage;
}

absl::Status HpaController::Sync(const std::string& key) {
  auto hpa = hpa_informer_->GetAs<api::HorizontalPodAutoscaler>(key);
  if (hpa == nullptr) return absl::OkStatus();
  std::string ns, name;
  SplitKey(key, &ns, &name);
  const api::HorizontalPodAutoscalerSpec& spec = hpa->spec();
  const api::CrossVersionObjectReference& ref = spec.scale_target_ref();
  Outcome out;
  absl::Time now = clock_->Now();
  std::string target = absl::StrCat(ref.kind(), "/", ref.name());

  const char* resource = ScaleResource(ref);
  absl::StatusOr<ObjectPtr> scale_obj =
      resource != nullptr ? client_->Get(resource, ns, ref.name(), "scale")
                          : absl::StatusOr<ObjectPtr>(absl::InvalidArgumentError(
                                absl::StrCat("unsupported scale target kind ", ref.kind())));
  if (!scale_obj.ok()) {
    std::string msg = absl::StrCat(
        "the HPA controller was unable to get the target's current "
        "scale: ",
        scale_obj.status().message());
    recorder_->Event(*hpa, "Warning", "FailedGetScale", msg);
    out.able_reason = "FailedGetScale";
    out.able_message = msg;
    out.active = false;
    out.active_reason = "FailedGetScale";
    out.current = hpa->status().current_replicas();
    out.desired = hpa->status().desired_replicas();
    absl::Status s = WriteStatus(*hpa, out);
    queue_.AddAfter(key, opts_.sync_period);
    return s;
  }
  api::Scale scale = static_cast<const api::Scale&>(**scale_obj);
  out.current = scale.spec().replicas();
  int32_t min = spec.has_min_replicas() ? spec.min_replicas() : 1;
  int32_t max = spec.max_replicas();

  absl::optional<int32_t> target_pct = CpuTargetUtilization(spec);
  int32_t recommendation = out.current;
  if (out.current == 0 && min > 0) {
    out.active = false;
    out.active_reason = "ScalingDisabled";
    out.active_message = "scaling is disabled since the replica count of the target is zero";
    out.desired = 0;
  } else if (!target_pct) {
    out.active = false;
    out.active_reason = "FailedGetResourceMetric";
    out.active_message = "no cpu utilization target: mk's HPA scales on CPU utilization";
    out.desired = out.current;
  } else {
    absl::StatusOr<LabelSelector> sel = LabelSelector::Parse(scale.status().selector());
    std::vector<std::shared_ptr<const api::Pod>> pods;
    if (sel.ok()) {
      for (const auto& p : pod_informer_->ListAs<api::Pod>()) {
        if (p->metadata().namespace_() == ns && sel->Matches(p->metadata().labels())) {
          pods.push_back(p);
        }
      }
    }
    std::map<std::string, int64_t> usage = PodCpuMilli(pods);
    std::vector<HpaPod> hpa_pods;
    for (const auto& p : pods) hpa_pods.push_back(ToHpaPod(*p, usage));
    absl::StatusOr<HpaRecommendation> rec =
        CalcCpuReplicas(out.current, *target_pct, hpa_pods, kHpaTolerance);
    if (!rec.ok()) {
      std::string msg =
          absl::StrCat("failed to get cpu utilization: unable to get metrics for resource cpu: ",
                       rec.status().message());
      recorder_->Event(*hpa, "Warning", "FailedGetResourceMetric", msg);
      out.active = false;
      out.active_reason = "FailedGetResourceMetric";
      out.active_message = absl::StrCat("the HPA was unable to compute the replica count: ", msg);
      out.desired = out.current;
    } else {
      out.have_metric = true;
      out.metric = *rec;
      recommendation = rec->replicas;
      out.active_message = absl::StrCat(
          "the HPA was able to successfully calculate a replica count from cpu resource "
          "utilization (percentage of request)");
      absl::Duration window = opts_.downscale_stabilization;
      if (spec.behavior().scale_down().has_stabilization_window_seconds()) {
        window = absl::Seconds(spec.behavior().scale_down().stabilization_window_seconds());
      }
      absl::Duration up_window = absl::ZeroDuration();
      if (spec.behavior().scale_up().has_stabilization_window_seconds()) {
        up_window = absl::Seconds(spec.behavior().scale_up().stabilization_window_seconds());
      }
      int32_t stabilized;
      {
        absl::MutexLock l(&mu_);
        auto it = stabilizers_.try_emplace(key, window, up_window).first;
        stabilized = it->second.Stabilize(now, recommendation, out.current);
      }
      std::string limit;
      out.desired = BoundReplicas(stabilized, out.current, min, max, &limit);
      if (limit == "TooManyReplicas") {
        out.limited_reason = limit;
        out.limited_message = "the desired replica count is more than the maximum replica count";
      } else if (limit == "TooFewReplicas") {
        out.limited_reason = limit;
        out.limited_message = "the desired replica count is less than the minimum replica count";
      } else if (limit == "ScaleUpLimit") {
        out.limited_reason = limit;
        out.limited_message =
            "the desired replica count is increasing faster than the maximum "
            "scale rate";
      } else {
        out.limited_message = "the desired count is within the acceptable range";
      }
      if (out.desired < out.current && stabilized != recommendation) {
        out.able_reason = "ScaleDownStabilized";
        out.able_message =
            "recent recommendations were higher than current one, applying the highest recent "
            "recommendation";
      }
    }
  }

  if (out.active && out.desired != out.current) {
    api::Scale next = scale;
    next.mutable_spec()->set_replicas(out.desired);
    absl::StatusOr<ObjectPtr> r = client_->Update(resource, ns, next, "scale");
    if (!r.ok()) {
      std::string msg = absl::StrCat("New size: ", out.desired, "; error: ", r.status().message());
      recorder_->Event(*hpa, "Warning", "FailedRescale", msg);
      out.able_reason = "FailedUpdateScale";
      out.able_message = msg;
      out.desired = out.current;
    } else {
      std::string why = out.desired > out.current
                            ? "cpu resource utilization (percentage of request) above target"
                            : "All metrics below target";
      recorder_->Event(*hpa, "Normal", "SuccessfulRescale",
                       absl::StrCat("New size: ", out.desired, "; reason: ", why));
      out.rescaled = true;
      out.able_reason = "SucceededRescale";
      out.able_message =
          absl::StrCat("the HPA controller was able to update the target scale to ", out.desired);
      MK_LOG(I) << "hpa " << key << ": " << target << " " << out.current << " -> " << out.desired;
    }
  }
  if (out.able_message.empty()) {
    out.able_message = "the HPA controller was able to get the target's current scale";
  }
  absl::Status s = WriteStatus(*hpa, out);
  queue_.AddAfter(key, opts_.sync_period);
  return s;
}

absl::Status HpaController::WriteStatus(const api::HorizontalPodAutoscaler& hpa,
                                        const Outcome& out) {
  api::HorizontalPodAutoscaler next = hpa;
  api::HorizontalPodAutoscalerStatus* st = next.mutable_status();
  std::string now = mk::FormatTime(clock_->Now());
  st->set_observed_generation(hpa.metadata().generation());
  st->set_current_replicas(out.current);
  st->set_desired_replicas(out.desired);
  if (out.rescaled) st->set_last_scale_time(now);
  st->clear_current_metrics();
  if (out.have_metric) {
    api::MetricStatus* m = st->add_current_metrics();
    m->set_type("Resource");
    m->mutable_resource()->set_name("cpu");
    m->mutable_resource()->mutable_current()->set_average_utilization(out.metric.utilization);
    m->mutable_resource()->mutable_current()->set_average_value(
        absl::StrCat(out.metric.average_usage_milli, "m"));
    if (hpa.spec().metrics_size() == 0 && hpa.spec().has_target_cpu_utilization_percentage()) {
      st->set_current_cpu_utilization_percentage(out.metric.utilization);
    }
  }
  bool able = out.able_reason != "FailedGetScale" && out.able_reason != "FailedUpdateScale";
  SetCondition(st, "AbleToScale", able ? "True" : "False", out.able_reason, out.able_message, now);
  SetCondition(st, "ScalingActive", out.active ? "True" : "False", out.active_reason,
               out.active_message, now);
  if (out.active) {
    SetCondition(st, "ScalingLimited",
                 out.limited_reason == "DesiredWithinRange" ? "False" : "True", out.limited_reason,
                 out.limited_message, now);
  }
  if (next.status().SerializeAsString() == hpa.status().SerializeAsString()) {
    return absl::OkStatus();
  }
  const std::string& ns = hpa.metadata().namespace_();
  absl::StatusOr<ObjectPtr> r = client_->Update("horizontalpodautoscalers", ns, next, "status");
  if (absl::IsAborted(r.status())) {
    // Our cache lags our own last status write: put the status on the current object.
    absl::StatusOr<api::HorizontalPodAutoscaler> cur = client_->GetAs<api::HorizontalPodAutoscaler>(
        "horizontalpodautoscalers", ns, hpa.metadata().name());
    if (!cur.ok()) return cur.status();
    *cur->mutable_status() = next.status();
    r = client_->Update("horizontalpodautoscalers", ns, *cur, "status");
  }
  return r.ok() ? absl::OkStatus() : r.status();
}

}  // namespace mk::controller_manager
