#pragma once

// The scheduling queue, after kube-scheduler's PriorityQueue:
//  - active: pods ready to be tried, highest spec.priority first, then first queued;
//  - backoff: pods that failed, waiting out 1 s doubling per attempt up to 10 s;
//  - unschedulable: pods that failed and wait for a cluster event (node added or changed,
//    pod deleted) that may make them fit; MoveAllToActiveOrBackoff moves them on such an
//    event (to backoff if their back-off has not expired). Pods parked longer than
//    `unschedulable_timeout` are retried anyway.
// A failure reported for a pod whose attempt started before the latest move request goes
// to backoff rather than unschedulable, so an event during the attempt is not lost.
//
// Pop blocks until a pod is active (promoting expired back-offs on the clock). Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/clock.h"

namespace mk::scheduler {

struct QueueOptions {
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration unschedulable_timeout = absl::Minutes(5);
  Clock* clock = nullptr;  // nullptr: Clock::Real()
};

struct QueuedPod {
  std::shared_ptr<const api::Pod> pod;
  std::string key;
  int attempts = 0;
  int64_t cycle = 0;  // the scheduling cycle Pop handed it out in
};

class SchedulingQueue {
 public:
  explicit SchedulingQueue(QueueOptions opts = {});

  // A new pending pod (or one seen again): active unless already queued.
  void Add(std::shared_ptr<const api::Pod> pod);
  // A pending pod changed. `requeue`: its spec or labels changed, so retry it now if it
  // was waiting as unschedulable; otherwise just keep the newer object.
  void Update(std::shared_ptr<const api::Pod> pod, bool requeue);
  void Delete(const std::string& key);
  // Blocks for the next pod; false once Close() was called.
  bool Pop(QueuedPod* out);
  // After a failed attempt of `qp` (from Pop).
  void AddUnschedulable(const QueuedPod& qp);
  // After a transient error (e.g. a failed binding): retry after back-off.
  void AddBackoff(const QueuedPod& qp);
  // The attempt is over (bound): forget the pod.
  void Done(const std::string& key);
  // A cluster event that may make unschedulable pods fit.
  void MoveAllToActiveOrBackoff();
  void Close();

  size_t NumActive() const;
  size_t NumBackoff() const;
  size_t NumUnschedulable() const;
  bool Contains(const std::string& key) const;

 private:
  enum class Where { kActive, kBackoff, kUnschedulable, kInFlight };
  struct Entry {
    QueuedPod qp;
    Where where = Where::kActive;
    int32_t priority = 0;
    int64_t seq = 0;  // order of (re)activation
    absl::Time backoff_until;
    absl::Time unschedulable_since;
    bool pending_update = false;  // updated while in flight
  };
  using ActiveKey = std::tuple<int32_t, int64_t, std::string>;  // -priority, seq, key
  using BackoffKey = std::tuple<absl::Time, std::string>;

  void ActivateLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BackoffLocked(Entry* e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveFromSetsLocked(const Entry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Duration BackoffFor(int attempts) const;

  const QueueOptions opts_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  std::set<ActiveKey> active_ ABSL_GUARDED_BY(mu_);
  std::set<BackoffKey> backoff_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> unschedulable_ ABSL_GUARDED_BY(mu_);
  int64_t wake_ ABSL_GUARDED_BY(mu_) = 0;  // bumped when Pop should re-evaluate
  absl::Time last_flush_ ABSL_GUARDED_BY(mu_);
  int64_t seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t cycle_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t move_request_cycle_ ABSL_GUARDED_BY(mu_) = -1;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mk::scheduler
