#pragma once

// The ReplicaSet controller, after Kubernetes' pkg/controller/replicaset:
//  - claims pods by label: adopts matching orphans (adds a controller ownerReference after a
//    fresh read of the ReplicaSet confirms it still exists and is not being deleted) and
//    releases owned pods whose labels stopped matching;
//  - creates pods (generateName "<rs>-", the template's labels/annotations/spec, a controller
//    ownerReference) or deletes the least valuable ones (unscheduled, then pending, then not
//    ready, then newest) to reach spec.replicas;
//  - guards every create/delete with Expectations so a cache that lags its own writes never
//    makes it act twice;
//  - writes status (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas,
//    observedGeneration) and Events SuccessfulCreate / SuccessfulDelete (FailedCreate /
//    FailedDelete on errors).
// Template changes only affect pods created afterwards.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "common/event_recorder.h"
#include "common/informer.h"
#include "common/work_queue.h"
#include "controller-manager/controller_util.h"
#include "controller-manager/expectations.h"

namespace mk::controller_manager {

struct ReplicaSetControllerOptions {
  int burst_replicas = 500;  // at most this many creates/deletes per sync
  Clock* clock = nullptr;
};

class ReplicaSetController {
 public:
  // Registers handlers on the informers (call before they start).
  ReplicaSetController(ApiClient* client, Informer* rs_informer, Informer* pod_informer,
                       EventRecorder* recorder, ReplicaSetControllerOptions opts = {});
  ~ReplicaSetController();

  void Run(int workers);
  void Shutdown();

  // One reconcile of "ns/name" (what the workers call).
  absl::Status Sync(const std::string& key);

  WorkQueue* queue() { return &queue_; }
  Expectations* expectations() { return &expectations_; }

  // Orders pods from least to most valuable (the first ones are deleted first).
  static void SortForDeletion(std::vector<std::shared_ptr<const api::Pod>>* pods);

 private:
  void AddPod(const api::Pod& pod);
  void UpdatePod(const api::Pod& old_pod, const api::Pod& pod);
  void DeletePod(const api::Pod& pod);
  // The ReplicaSet a controller ref points to, if it is in the cache with that uid.
  std::shared_ptr<const api::ReplicaSet> ResolveRef(const std::string& ns,
                                                    const api::OwnerReference& ref);
  void EnqueueMatching(const api::Pod& pod);
  void Enqueue(const api::ReplicaSet& rs);

  absl::Status ClaimPods(const api::ReplicaSet& rs,
                         std::vector<std::shared_ptr<const api::Pod>>* claimed);
  absl::Status ManageReplicas(const api::ReplicaSet& rs,
                              const std::vector<std::shared_ptr<const api::Pod>>& pods);
  absl::Status UpdateStatus(const api::ReplicaSet& rs, const api::ReplicaSetStatus& status);
  api::ReplicaSetStatus CalculateStatus(const api::ReplicaSet& rs,
                                        const std::vector<std::shared_ptr<const api::Pod>>& pods);

  ApiClient* const client_;
  Informer* const rs_informer_;
  Informer* const pod_informer_;
  EventRecorder* const recorder_;
  const ReplicaSetControllerOptions opts_;
  Clock* const clock_;
  WorkQueue queue_;
  Expectations expectations_;
  Workers workers_;
};

}  // namespace mk::controller_manager
