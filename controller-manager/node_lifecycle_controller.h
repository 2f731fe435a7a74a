#pragma once

// Node lifecycle, after Kubernetes' pkg/controller/nodelifecycle and its taint manager:
//  - health: a node is heard from when its Lease (kube-node-lease/<node>) renewTime or its
//    Ready condition's lastHeartbeatTime changes, timed on the local clock when the change is
//    observed (so clock skew does not matter). Silent for longer than the grace period: its
//    conditions become Unknown (reason NodeStatusUnknown, "Kubelet stopped posting node
//    status.").
//  - taints: Ready=Unknown → node.kubernetes.io/unreachable, Ready=False →
//    node.kubernetes.io/not-ready, each with effects NoExecute and NoSchedule; Ready=True
//    removes them (the kubelet's next status write brings it back).
//  - eviction: a pod on a node with NoExecute taints is deleted at once if it does not
//    tolerate one of them, otherwise when the shortest tolerationSeconds of the matching
//    tolerations has passed since the taint was added (TaintManagerEviction event).
// MonitorOnce() is one pass over all nodes; Run() calls it every monitor period.

#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "common/event_recorder.h"
#include "common/informer.h"

namespace mk::controller_manager {

struct NodeLifecycleOptions {
  absl::Duration grace_period = absl::Seconds(40);   // --node-monitor-grace-period
  absl::Duration monitor_period = absl::Seconds(5);  // --node-monitor-period
  Clock* clock = nullptr;
};

inline constexpr char kTaintUnreachable[] = "node.kubernetes.io/unreachable";
inline constexpr char kTaintNotReady[] = "node.kubernetes.io/not-ready";

// Whether `t` tolerates `taint` (Kubernetes' ToleratesTaint).
bool Tolerates(const api::Toleration& t, const api::Taint& taint);

class NodeLifecycleController {
 public:
  NodeLifecycleController(ApiClient* client, Informer* node_informer, Informer* lease_informer,
                          Informer* pod_informer, EventRecorder* recorder,
                          NodeLifecycleOptions opts = {});
  ~NodeLifecycleController();

  void Run();
  void Shutdown();
  // One pass: health, taints, evictions. Returns the first error (the pass goes on).
  absl::Status MonitorOnce();

 private:
  struct Health {
    std::string lease_renew;
    std::string ready_heartbeat;
    absl::Time probe;
  };
  absl::Status MonitorNode(const api::Node& node, absl::Time now);
  absl::Status MarkUnknown(const std::string& name, absl::Time now);
  absl::Status SyncTaints(const std::string& name);
  absl::Status EvictPods(const api::Node& node, absl::Time now);

  ApiClient* const client_;
  Informer* const node_informer_;
  Informer* const lease_informer_;
  Informer* const pod_informer_;
  EventRecorder* const recorder_;
  const NodeLifecycleOptions opts_;
  Clock* const clock_;
  std::map<std::string, Health> health_;  // MonitorOnce's thread only

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mk::controller_manager
