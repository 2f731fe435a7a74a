#pragma once

// Per-key exponential back-off as the kubelet's CrashLoopBackOff and ImagePullBackOff use it
// (client-go's flowcontrol.Backoff): the first failure is retried at once; each retry then
// waits twice as long as the previous one (10 s, 20 s, 40 s … capped at 300 s). A key that
// has not needed a retry for `reset_after` (10 min) starts over.
//
// Usage, when a container needs a restart after finishing at `finished_at`:
//   if (b.RemainingSince(key, finished_at, now) > 0) → wait;
//   else → restart, then b.Next(key, finished_at, now).
// Image pulls use RemainingSinceUpdate(key, now) (measured from the last failure).
//
// Not thread-safe: each pod worker owns its own.

#include <map>
#include <string>

#include "absl/time/time.h"

namespace mk::kubelet {

class Backoff {
 public:
  explicit Backoff(absl::Duration initial = absl::Seconds(10),
                   absl::Duration max = absl::Seconds(300),
                   absl::Duration reset_after = absl::Minutes(10));

  // Records a retry at `now` for a failure at `event_time`: the wait doubles, or starts at
  // `initial` when the key is new or `event_time` is over `reset_after` past the last retry
  // (the container ran that long).
  void Next(const std::string& key, absl::Time event_time, absl::Time now);
  // Time left before a retry of a failure at `event_time` may happen (zero: retry now).
  absl::Duration RemainingSince(const std::string& key, absl::Time event_time,
                                absl::Time now) const;
  // Time left measured from the last Next() (image pulls).
  absl::Duration RemainingSinceUpdate(const std::string& key, absl::Time now) const;
  // The current back-off duration for `key` (zero if none).
  absl::Duration Get(const std::string& key) const;
  void Reset(const std::string& key);
  // Drops keys whose prefix is `prefix` (a pod going away).
  void ForgetPrefix(const std::string& prefix);

 private:
  struct Entry {
    absl::Duration duration;
    absl::Time last_update;
  };
  bool Expired(const Entry& e, absl::Time event_time) const;

  const absl::Duration initial_, max_, reset_after_;
  std::map<std::string, Entry> entries_;
};

// Go's time.Duration formatting for whole seconds, as Kubernetes' messages print back-offs:
// "10s", "1m20s", "5m0s".
std::string GoDuration(absl::Duration d);

}  // namespace mk::kubelet
