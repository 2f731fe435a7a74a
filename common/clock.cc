#include "common/clock.h"

#include <cstdint>

namespace mk {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void SleepFor(absl::Duration d) override { absl::SleepFor(d); }
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return mu->AwaitWithDeadline(cond, deadline);
  }
};

// How often a fake-clock waiter blocked on someone else's mutex re-checks fake time. Waiters
// on our own mutex (SleepFor) are woken by Advance directly.
constexpr absl::Duration kFakePoll = absl::Milliseconds(1);

}  // namespace

Clock* Clock::Real() {
  static Clock* const clock = new RealClock();
  return clock;
}

FakeClock::FakeClock(absl::Time start) : now_ns_(absl::ToUnixNanos(start)) {}

absl::Time FakeClock::Now() { return absl::FromUnixNanos(now_ns_.load()); }

void FakeClock::SleepFor(absl::Duration d) {
  int64_t until = absl::ToUnixNanos(Now() + d);
  absl::MutexLock l(&mu_);
  ++waiters_;
  auto due = [this, until] { return now_ns_.load() >= until; };
  mu_.Await(absl::Condition(&due));
  --waiters_;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  if (cond.Eval()) return true;
  if (deadline == absl::InfiniteFuture()) {
    mu->Await(cond);
    return true;
  }
  ++waiters_;
  int64_t until = absl::ToUnixNanos(deadline);
  bool result = false;
  while (true) {
    if (mu->AwaitWithTimeout(cond, kFakePoll)) {
      result = true;
      break;
    }
    if (now_ns_.load() >= until) {
      result = cond.Eval();
      break;
    }
  }
  --waiters_;
  return result;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock l(&mu_);
  now_ns_ += absl::ToInt64Nanoseconds(d);
}

void FakeClock::SetTime(absl::Time t) {
  absl::MutexLock l(&mu_);
  now_ns_ = absl::ToUnixNanos(t);
}

int FakeClock::NumWaiters() const { return waiters_.load(); }

bool FakeClock::BlockUntilWaiters(int n, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (waiters_.load() < n) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Microseconds(200));
  }
  return true;
}

}  // namespace mk
