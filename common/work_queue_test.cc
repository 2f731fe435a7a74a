#include "common/work_queue.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace mk {
namespace {

WorkQueueOptions WithClock(Clock* clock) {
  WorkQueueOptions o;
  o.clock = clock;
  return o;
}

TEST(WorkQueueTest, DedupsQueuedKeys) {
  WorkQueue q;
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_EQ(q.Len(), 2);
  std::string k;
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "a");
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "b");
  EXPECT_EQ(q.Len(), 0);
}

TEST(WorkQueueTest, KeyAddedWhileProcessingIsRequeuedAfterDone) {
  WorkQueue q;
  q.Add("a");
  std::string k;
  ASSERT_TRUE(q.Get(&k));
  q.Add("a");  // while a worker holds it
  q.Add("a");
  EXPECT_EQ(q.Len(), 0) << "must not be handed to a second worker";
  q.Done("a");
  EXPECT_EQ(q.Len(), 1);
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "a");
  q.Done("a");
  EXPECT_EQ(q.Len(), 0);
}

TEST(WorkQueueTest, NeverTwoWorkersOnOneKey) {
  WorkQueue q;
  std::atomic<int> active{0}, max_active{0}, processed{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      std::string k;
      while (q.Get(&k)) {
        int n = ++active;
        int m = max_active.load();
        while (n > m && !max_active.compare_exchange_weak(m, n)) {
        }
        absl::SleepFor(absl::Microseconds(200));
        --active;
        ++processed;
        q.Done(k);
      }
    });
  }
  for (int i = 0; i < 200; ++i) q.Add("same");
  absl::SleepFor(absl::Milliseconds(50));
  q.ShutDown();
  for (auto& t : workers) t.join();
  EXPECT_EQ(max_active.load(), 1);
  EXPECT_GE(processed.load(), 1);
}

TEST(WorkQueueTest, GetBlocksUntilAddAndReturnsFalseOnShutdown) {
  WorkQueue q;
  std::string got;
  std::thread t([&] { ASSERT_TRUE(q.Get(&got)); });
  absl::SleepFor(absl::Milliseconds(20));
  q.Add("x");
  t.join();
  EXPECT_EQ(got, "x");
  std::thread t2([&] { EXPECT_FALSE(q.Get(&got)); });
  absl::SleepFor(absl::Milliseconds(20));
  q.ShutDown();
  t2.join();
  EXPECT_TRUE(q.ShuttingDown());
  q.Add("y");  // ignored
  EXPECT_FALSE(q.Get(&got));
}

TEST(WorkQueueTest, AddAfterWaitsForTheClock) {
  FakeClock clock;
  WorkQueue q(WithClock(&clock));
  q.AddAfter("a", absl::Seconds(10));
  q.AddAfter("b", absl::Seconds(5));
  EXPECT_EQ(q.Len(), 0);
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(q.Len(), 1);
  std::string k;
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "b");
  clock.Advance(absl::Seconds(5));
  ASSERT_TRUE(q.Get(&k));
  EXPECT_EQ(k, "a");
}

TEST(WorkQueueTest, AddAfterKeepsTheEarliestTime) {
  FakeClock clock;
  WorkQueue q(WithClock(&clock));
  q.AddAfter("a", absl::Seconds(10));
  q.AddAfter("a", absl::Seconds(2));
  q.AddAfter("a", absl::Seconds(30));
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(q.Len(), 1);
  std::string k;
  ASSERT_TRUE(q.Get(&k));
  q.Done(k);
  clock.Advance(absl::Seconds(60));
  EXPECT_EQ(q.Len(), 0) << "the later AddAfters were merged into the first";
}

TEST(WorkQueueTest, BlockedGetWakesWhenDelayPasses) {
  FakeClock clock;
  WorkQueue q(WithClock(&clock));
  std::string got;
  std::thread t([&] { ASSERT_TRUE(q.Get(&got)); });
  q.AddAfter("later", absl::Seconds(3));
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  clock.Advance(absl::Seconds(1));
  absl::SleepFor(absl::Milliseconds(10));
  EXPECT_TRUE(got.empty());
  clock.Advance(absl::Seconds(2));
  t.join();
  EXPECT_EQ(got, "later");
}

TEST(WorkQueueTest, RateLimitedBacksOffExponentiallyAndForgetResets) {
  FakeClock clock;
  WorkQueue q(WithClock(&clock));
  std::string k;
  // Delays 5, 10, 20, 40 ms.
  for (int i = 0; i < 4; ++i) {
    absl::Duration want = absl::Milliseconds(5) * (1 << i);
    q.AddRateLimited("k");
    EXPECT_EQ(q.NumRequeues("k"), i + 1);
    clock.Advance(want - absl::Milliseconds(1));
    EXPECT_EQ(q.Len(), 0) << "attempt " << i;
    clock.Advance(absl::Milliseconds(1));
    EXPECT_EQ(q.Len(), 1) << "attempt " << i;
    ASSERT_TRUE(q.Get(&k));
    q.Done(k);
  }
  q.Forget("k");
  EXPECT_EQ(q.NumRequeues("k"), 0);
  q.AddRateLimited("k");
  clock.Advance(absl::Milliseconds(5));
  EXPECT_EQ(q.Len(), 1);
}

TEST(WorkQueueTest, RateLimitIsCapped) {
  FakeClock clock;
  WorkQueue q(WithClock(&clock));  // 5 ms doubling, capped at 1000 s
  for (int i = 0; i < 100; ++i) q.AddRateLimited("y");
  std::string k;
  clock.Advance(absl::Seconds(1000));
  ASSERT_EQ(q.Len(), 1);
  ASSERT_TRUE(q.Get(&k));
  q.Done(k);
  q.AddRateLimited("y");  // 101st failure: still 1000 s, not overflowed
  clock.Advance(absl::Seconds(999));
  EXPECT_EQ(q.Len(), 0);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(q.Len(), 1);
}

}  // namespace
}  // namespace mk
