#pragma once

// The garbage collector, after Kubernetes' pkg/controller/garbagecollector, for the kinds
// that carry ownerReferences here (pods and replicasets as dependents; any kind as owner):
//  - Background: a dependent all of whose owners are gone (NotFound, or a different uid: the
//    owner was recreated) is deleted; dangling references next to live ones are removed.
//    Before deleting, the owner's absence is confirmed with a live GET (never from a cache).
//  - Foreground: an owner with deletionTimestamp and the `foregroundDeletion` finalizer (set
//    by the apiserver for propagationPolicy=Foreground) has its dependents deleted; once none
//    are left the finalizer is removed and the apiserver completes the deletion.
//  - Orphan: the apiserver strips the ownerReferences itself; an owner carrying the `orphan`
//    finalizer (as Kubernetes clients may set) gets its dependents' references removed and
//    then the finalizer.
//
// Queue keys are "<resource>|<ns>/<name>".

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/informer.h"
#include "common/work_queue.h"
#include "controller-manager/controller_util.h"

namespace mk::controller_manager {

class GarbageCollector {
 public:
  // Registers handlers on the informers (call before they start).
  GarbageCollector(ApiClient* client, Informer* rs_informer, Informer* pod_informer,
                   Clock* clock = nullptr);
  ~GarbageCollector();

  void Run(int workers);
  void Shutdown();
  absl::Status Sync(const std::string& key);
  WorkQueue* queue() { return &queue_; }

 private:
  Informer* InformerFor(const std::string& resource);
  void OnChange(const std::string& resource, const google::protobuf::Message& obj);
  void OnDelete(const std::string& resource, const google::protobuf::Message& obj);
  // Objects (from the caches) that have an ownerReference to `uid`, as queue keys.
  std::vector<std::pair<std::string, CachedObject>> Dependents(const std::string& ns,
                                                               const std::string& uid);
  absl::Status SyncOwner(const std::string& resource, const google::protobuf::Message& obj);
  absl::Status SyncDependent(const std::string& resource, const google::protobuf::Message& obj);
  // Whether the owner exists with that uid: 1 yes, 0 no, error if it could not be told.
  absl::StatusOr<bool> OwnerExists(const std::string& ns, const api::OwnerReference& ref,
                                   bool* deleting_foreground);
  absl::Status RemoveFinalizer(const std::string& resource, const google::protobuf::Message& obj,
                               const std::string& finalizer);

  ApiClient* const client_;
  Informer* const rs_informer_;
  Informer* const pod_informer_;
  WorkQueue queue_;
  Workers workers_;
};

}  // namespace mk::controller_manager
