#pragma once

// The HorizontalPodAutoscaler controller (autoscaling/v2, CPU utilisation targets) after
// Kubernetes' pkg/controller/podautoscaler: every sync period it reads the target's `scale`
// subresource, the CPU usage of the target's pods from their nodes' kubelets (the figures the
// metrics API serves), computes the desired count (common/hpa_replicas.h: tolerance,
// missing/unready pods, stabilisation, bounds), rescales through `scale`, and writes status
// (currentReplicas, desiredReplicas, currentMetrics, conditions) and events
// (SuccessfulRescale, FailedGetResourceMetric, FailedGetScale).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "common/event_recorder.h"
#include "common/hpa_replicas.h"
#include "common/informer.h"
#include "common/kubelet_stats.h"
#include "common/work_queue.h"
#include "controller-manager/controller_util.h"

namespace mk::controller_manager {

struct HpaControllerOptions {
  absl::Duration sync_period = absl::Seconds(15);
  // Kubernetes' --horizontal-pod-autoscaler-downscale-stabilization; an HPA's
  // behavior.scaleDown.stabilizationWindowSeconds overrides it.
  absl::Duration downscale_stabilization = absl::Minutes(5);
  Clock* clock = nullptr;
  // The controller-manager's credentials for kubelets (its kubeconfig's CA and client
  // certificate: kubelets let system:kube-controller-manager GET /stats/summary).
  KubeletClientConfig kubelet;
  // Usage per node; default: GET /stats/summary from the node's kubelet with `kubelet`'s
  // credentials (3 s timeout).
  std::function<absl::StatusOr<StatsSummary>(const api::Node&)> fetch_summary;
};

class HpaController {
 public:
  HpaController(ApiClient* client, Informer* hpa_informer, Informer* pod_informer,
                Informer* node_informer, EventRecorder* recorder, HpaControllerOptions opts = {});
  ~HpaController();

  void Run(int workers);
  void Shutdown();
  absl::Status Sync(const std::string& key);
  WorkQueue* queue() { return &queue_; }

 private:
  struct Outcome;
  // CPU usage in millicores of each pod ("ns/name") on the nodes running `pods`.
  std::map<std::string, int64_t> PodCpuMilli(
      const std::vector<std::shared_ptr<const api::Pod>>& pods);
  absl::Status WriteStatus(const api::HorizontalPodAutoscaler& hpa, const Outcome& out);

  ApiClient* const client_;
  Informer* const hpa_informer_;
  Informer* const pod_informer_;
  Informer* const node_informer_;
  EventRecorder* const recorder_;
  HpaControllerOptions opts_;
  Clock* const clock_;
  WorkQueue queue_;
  Workers workers_;
  absl::Mutex mu_;
  std::map<std::string, HpaStabilizer> stabilizers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mk::controller_manager
