#pragma once

// Time as an injectable dependency so back-offs, delays and leases are testable.
//   Clock::Real()  — the wall clock (absl::Now / absl::SleepFor).
//   FakeClock      — time moves only when a test calls Advance(); sleepers and timed waits
//                    wake when fake time reaches their deadline.
//
// Timed waits go through Clock::AwaitWithDeadline so a component can wait "until `cond` or
// until the clock says `deadline`" on its own mutex, with either clock.
//
// Thread-safe. Clock::Real() lives forever; a FakeClock must outlive its users.

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mk {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  virtual void SleepFor(absl::Duration d) = 0;
  // With `mu` held: waits until `cond` holds or Now() >= `deadline`. Returns `cond`'s value.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;

  // The process-wide real clock.
  static Clock* Real();
};

class FakeClock : public Clock {
 public:
  // Starts at a fixed, recognisable time (2030-01-01T00:00:00Z) unless told otherwise.
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1893456000));

  absl::Time Now() override;
  // Blocks (in real time) until another thread advances fake time by `d`.
  void SleepFor(absl::Duration d) override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  void Advance(absl::Duration d);
  void SetTime(absl::Time t);

  // Threads currently blocked in SleepFor or AwaitWithDeadline with a finite deadline.
  int NumWaiters() const;
  // Waits (real time, up to `timeout`) until at least `n` threads are waiting on this clock.
  bool BlockUntilWaiters(int n, absl::Duration timeout = absl::Seconds(10));

 private:
  std::atomic<int64_t> now_ns_;
  std::atomic<int> waiters_{0};
  mutable absl::Mutex mu_;  // wakes SleepFor callers on Advance
};

}  // namespace mk
