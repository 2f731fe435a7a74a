#pragma once

// ReplicaSet expectations, as Kubernetes' UIDTrackingControllerExpectations: before a
// controller creates N pods or deletes pods P for an owner it records what it expects to
// see; the pod informer lowers the counts as the creations and deletions arrive. While
// expectations are pending the owner is not synced again, so a cache that has not yet seen
// the controller's own writes never makes it create or delete twice. Expectations expire
// after `ttl` (a lost watch event must not wedge the owner forever).
//
// Thread-safe.

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mk::controller_manager {

class Expectations {
 public:
  explicit Expectations(Clock* clock, absl::Duration ttl = absl::Minutes(5));

  // True when nothing is pending for `key` (or the record expired, or there is none).
  bool Satisfied(const std::string& key);
  void ExpectCreations(const std::string& key, int n);
  void ExpectDeletions(const std::string& key, const std::vector<std::string>& pod_keys);
  void CreationObserved(const std::string& key);
  // Lowers the deletion count only if `pod_key` was one we expected to delete.
  void DeletionObserved(const std::string& key, const std::string& pod_key);
  void Delete(const std::string& key);
  // For tests and logs: pending adds and deletes.
  void Pending(const std::string& key, int* adds, int* dels);

 private:
  struct Record {
    int adds = 0;
    absl::flat_hash_set<std::string> dels;
    absl::Time timestamp;
  };
  Clock* const clock_;
  const absl::Duration ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Record> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mk::controller_manager
