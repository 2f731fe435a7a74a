#pragma once

// A rate-limited work queue of string keys, after client-go's util/workqueue:
//  - dedup: a key queued twice is processed once; a key is never handed to two workers at
//    once; a key added while a worker holds it is queued again when the worker calls Done.
//  - AddAfter(key, d): queued once `d` has passed on the clock (the earliest wins).
//  - AddRateLimited(key): AddAfter with a per-key exponential delay (5 ms doubling up to
//    1000 s); Forget(key) resets it after a successful reconcile.
//
// Typical worker:
//   std::string key;
//   while (queue.Get(&key)) {
//     absl::Status s = Reconcile(key);
//     if (s.ok()) queue.Forget(key); else queue.AddRateLimited(key);
//     queue.Done(key);
//   }
//
// Thread-safe; owns no threads (delayed keys are promoted by Get and Len).

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mk {

struct WorkQueueOptions {
  absl::Duration base_delay = absl::Milliseconds(5);
  absl::Duration max_delay = absl::Seconds(1000);
  Clock* clock = nullptr;  // nullptr: Clock::Real()
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions opts = {});
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;
  ~WorkQueue();

  void Add(const std::string& key);
  void AddAfter(const std::string& key, absl::Duration delay);
  void AddRateLimited(const std::string& key);
  // Resets the key's failure count (its next AddRateLimited waits base_delay).
  void Forget(const std::string& key);
  int NumRequeues(const std::string& key) const;

  // Blocks until a key is ready; false once ShutDown was called (keys still queued are
  // dropped: consumers are level-triggered and relist on start).
  bool Get(std::string* key);
  void Done(const std::string& key);

  void ShutDown();
  bool ShuttingDown() const;
  // Keys ready to be handed out (not counting delayed or in-flight keys).
  int Len();

 private:
  void AddLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PromoteDueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const WorkQueueOptions opts_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> processing_ ABSL_GUARDED_BY(mu_);
  // Delayed keys: ready time per key and the same ordered by time.
  absl::flat_hash_map<std::string, absl::Time> waiting_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<absl::Time, std::string>> waiting_by_time_ ABSL_GUARDED_BY(mu_);
  uint64_t waiting_version_ ABSL_GUARDED_BY(mu_) = 0;  // bumps when waiting_ changes
  absl::flat_hash_map<std::string, int> failures_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mk
