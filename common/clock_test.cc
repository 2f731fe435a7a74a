#include "common/clock.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace mk {
namespace {

TEST(FakeClockTest, SleepForWakesOnlyWhenAdvanced) {
  FakeClock clock;
  absl::Time start = clock.Now();
  std::atomic<bool> woke{false};
  std::thread t([&] {
    clock.SleepFor(absl::Seconds(10));
    woke = true;
  });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  clock.Advance(absl::Seconds(9));
  absl::SleepFor(absl::Milliseconds(10));
  EXPECT_FALSE(woke.load());
  clock.Advance(absl::Seconds(1));
  t.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.Now() - start, absl::Seconds(10));
  EXPECT_EQ(clock.NumWaiters(), 0);
}

TEST(FakeClockTest, AwaitWithDeadlineReturnsOnConditionOrFakeDeadline) {
  FakeClock clock;
  absl::Mutex mu;
  bool flag = false;
  bool result = true;
  std::thread t([&] {
    absl::MutexLock l(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&flag), clock.Now() + absl::Seconds(5));
  });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  clock.Advance(absl::Seconds(5));
  t.join();
  EXPECT_FALSE(result);

  std::thread t2([&] {
    absl::MutexLock l(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&flag), clock.Now() + absl::Hours(1));
  });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  {
    absl::MutexLock l(&mu);
    flag = true;
  }
  t2.join();
  EXPECT_TRUE(result);
}

TEST(RealClockTest, MovesForward) {
  absl::Time a = Clock::Real()->Now();
  Clock::Real()->SleepFor(absl::Milliseconds(2));
  EXPECT_GE(Clock::Real()->Now() - a, absl::Milliseconds(2));
}

}  // namespace
}  // namespace mk
