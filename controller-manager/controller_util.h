#pragma once

// Pieces shared by the controllers: a pool of workers draining a WorkQueue into a reconcile
// function, owner-reference helpers and pod predicates.

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "api.pb.h"
#include "common/work_queue.h"
#include "google/protobuf/message.h"

namespace mk::controller_manager {

// Runs `workers` threads: Get a key, reconcile it, Forget on success or AddRateLimited on
// failure, Done. Stop() shuts the queue down and joins.
class Workers {
 public:
  Workers(WorkQueue* queue, std::function<absl::Status(const std::string&)> reconcile,
          std::string name);
  ~Workers();
  void Start(int workers);
  void Stop();

 private:
  WorkQueue* const queue_;
  const std::function<absl::Status(const std::string&)> reconcile_;
  const std::string name_;
  std::vector<std::thread> threads_;
};

// The ownerReference with controller=true, or nullptr.
const api::OwnerReference* ControllerRef(const api::ObjectMeta& meta);
// "ns/name" (or "name" when ns is empty).
std::string KeyFor(const std::string& ns, const std::string& name);
// Splits "ns/name"; cluster-scoped keys give ns "".
void SplitKey(const std::string& key, std::string* ns, std::string* name);

bool IsPodActive(const api::Pod& pod);  // not Succeeded/Failed, not being deleted
bool IsPodReady(const api::Pod& pod);
// When the pod's Ready condition last became True (InfinitePast if unknown).
absl::Time PodReadySince(const api::Pod& pod);

}  // namespace mk::controller_manager
