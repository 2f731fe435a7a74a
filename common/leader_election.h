#pragma once

// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does.
// Each candidate loops: try to acquire or renew the lease every retry_period. A lease held
// by someone else is taken only once it has not changed for lease_duration, measured on the
// local clock from when this candidate last saw the record change (clock skew between hosts
// does not matter). Writes use optimistic concurrency: Update with the resourceVersion that
// was read, so of two racing candidates exactly one wins (the other gets 409).
// A leader that cannot renew within renew_deadline stops leading (OnStoppedLeading) and goes
// back to trying. Shutdown() releases the lease (holderIdentity cleared) so another copy
// takes over within one retry period rather than a lease duration.
//
// Callbacks run on the elector's thread, never under its lock; OnStartedLeading must not
// block (start workers on their own threads). Thread-safe; owns one thread.

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/clock.h"

namespace mk {

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name;  // e.g. "mk-scheduler"
  std::string identity;    // empty: DefaultIdentity()
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  Clock* clock = nullptr;  // nullptr: Clock::Real()

  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;  // any holder change
};

// hostname + "_" + random suffix.
std::string DefaultIdentity();

class LeaderElector {
 public:
  LeaderElector(ApiClient* client, LeaderElectionConfig config);
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;
  ~LeaderElector();

  void Start();
  // Stops trying; if leading, releases the lease and calls OnStoppedLeading. Joins.
  void Shutdown();

  bool IsLeader() const;
  std::string identity() const { return config_.identity; }
  // The holder as last observed ("" if none).
  std::string CurrentLeader() const;

 private:
  void Run();
  // One acquire-or-renew attempt; true if we hold the lease afterwards.
  bool TryAcquireOrRenew();
  void Release();
  // Records what we read or wrote; observed_time_ moves only when the record changed.
  void Observe(const api::Lease& lease, absl::Time now);
  void SetLeading(bool leading);
  // Waits `d` on the clock; false if shutting down.
  bool Wait(absl::Duration d);

  ApiClient* const client_;
  LeaderElectionConfig config_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);
  // Only touched by the elector's thread.
  api::Lease observed_;  // the lease as last read or written
  bool have_observed_ = false;
  absl::Time observed_time_;  // local time when `observed_` last changed
  absl::Time last_renew_;     // local time of our last successful renew
  bool lost_ = false;         // the last attempt found another live holder
  std::thread thread_;
  bool started_ = false;
};

}  // namespace mk
