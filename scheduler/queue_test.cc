#include "scheduler/queue.h"

#include <atomic>
#include <thread>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace mk::scheduler {
namespace {

std::shared_ptr<const api::Pod> P(const std::string& name, int32_t priority) {
  api::Pod p = testutil::Pod(name);
  p.mutable_spec()->set_priority(priority);
  return std::make_shared<api::Pod>(p);
}

class QueueTest : public ::testing::Test {
 protected:
  QueueOptions Opts() {
    QueueOptions o;
    o.clock = &clock_;
    return o;
  }
  std::string PopName(SchedulingQueue* q, QueuedPod* qp = nullptr) {
    QueuedPod tmp;
    if (!qp) qp = &tmp;
    if (!q->Pop(qp)) return "";
    return qp->pod->metadata().name();
  }
  FakeClock clock_;
};

TEST_F(QueueTest, HighestPriorityFirstThenFifo) {
  SchedulingQueue q(Opts());
  q.Add(P("low", 1));
  q.Add(P("high-1", 100));
  q.Add(P("mid", 50));
  q.Add(P("high-2", 100));
  EXPECT_EQ(PopName(&q), "high-1");
  EXPECT_EQ(PopName(&q), "high-2");
  EXPECT_EQ(PopName(&q), "mid");
  EXPECT_EQ(PopName(&q), "low");
  EXPECT_EQ(q.NumActive(), 0u);
}

TEST_F(QueueTest, AddIsDeduplicated) {
  SchedulingQueue q(Opts());
  q.Add(P("a", 0));
  q.Add(P("a", 0));
  EXPECT_EQ(q.NumActive(), 1u);
}

TEST_F(QueueTest, UnschedulableWaitsForAnEventThenBackoff) {
  SchedulingQueue q(Opts());
  q.Add(P("a", 0));
  QueuedPod qp;
  ASSERT_EQ(PopName(&q, &qp), "a");
  q.AddUnschedulable(qp);
  EXPECT_EQ(q.NumUnschedulable(), 1u);
  // No event: nothing to pop even after the back-off passes (no busy polling).
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(q.NumActive(), 0u);
  // An event moves it; its 1 s back-off has expired, so it is active at once.
  q.MoveAllToActiveOrBackoff();
  EXPECT_EQ(q.NumActive(), 1u);
  ASSERT_EQ(PopName(&q, &qp), "a");
  EXPECT_EQ(qp.attempts, 2);
  // Second failure: an event right away puts it in back-off for 2 s.
  q.AddUnschedulable(qp);
  q.MoveAllToActiveOrBackoff();
  EXPECT_EQ(q.NumBackoff(), 1u);
  std::thread popper([&] { EXPECT_EQ(PopName(&q), "a"); });
  ASSERT_TRUE(clock_.BlockUntilWaiters(1));
  clock_.Advance(absl::Milliseconds(1999));
  EXPECT_EQ(q.NumBackoff(), 1u);
  clock_.Advance(absl::Milliseconds(1));
  popper.join();
}

TEST_F(QueueTest, EventDuringAttemptIsNotLost) {
  SchedulingQueue q(Opts());
  q.Add(P("a", 0));
  QueuedPod qp;
  ASSERT_EQ(PopName(&q, &qp), "a");
  q.MoveAllToActiveOrBackoff();  // e.g. a node was added while we were deciding
  q.AddUnschedulable(qp);
  EXPECT_EQ(q.NumUnschedulable(), 0u);
  EXPECT_EQ(q.NumBackoff(), 1u);
}

TEST_F(QueueTest, SpecUpdateRequeuesStatusUpdateDoesNot) {
  SchedulingQueue q(Opts());
  q.Add(P("a", 0));
  QueuedPod qp;
  ASSERT_EQ(PopName(&q, &qp), "a");
  q.AddUnschedulable(qp);
  clock_.Advance(absl::Seconds(2));
  q.Update(P("a", 0), /*requeue=*/false);
  EXPECT_EQ(q.NumUnschedulable(), 1u);
  q.Update(P("a", 0), /*requeue=*/true);
  EXPECT_EQ(q.NumActive(), 1u);
}

TEST_F(QueueTest, BackoffGrowsToTheCap) {
  QueueOptions o = Opts();
  o.max_backoff = absl::Seconds(4);
  SchedulingQueue q(o);
  q.Add(P("a", 0));
  QueuedPod qp;
  ASSERT_EQ(PopName(&q, &qp), "a");
  for (int attempt = 1; attempt <= 4; ++attempt) {
    q.AddBackoff(qp);
    std::atomic<bool> popped{false};
    std::thread popper([&] {
      EXPECT_EQ(PopName(&q, &qp), "a");
      popped = true;
    });
    absl::Duration want = std::min(absl::Seconds(1 << (attempt - 1)), absl::Seconds(4));
    ASSERT_TRUE(clock_.BlockUntilWaiters(1));
    clock_.Advance(want - absl::Milliseconds(1));
    absl::SleepFor(absl::Milliseconds(20));
    EXPECT_FALSE(popped) << attempt;
    clock_.Advance(absl::Milliseconds(1));
    popper.join();
  }
}

TEST_F(QueueTest, DeleteAndClose) {
  SchedulingQueue q(Opts());
  q.Add(P("a", 0));
  q.Delete("default/a");
  EXPECT_FALSE(q.Contains("default/a"));
  std::thread popper([&] {
    QueuedPod qp;
    EXPECT_FALSE(q.Pop(&qp));
  });
  q.Close();
  popper.join();
}

TEST_F(QueueTest, LongUnschedulablePodsAreRetried) {
  QueueOptions o = Opts();
  o.unschedulable_timeout = absl::Seconds(60);
  SchedulingQueue q(o);
  q.Add(P("a", 0));
  QueuedPod qp;
  ASSERT_EQ(PopName(&q, &qp), "a");
  q.AddUnschedulable(qp);
  std::atomic<bool> done{false};
  std::thread popper([&] {
    EXPECT_EQ(PopName(&q), "a");
    done = true;
  });
  for (int i = 0; i < 6 && !done; ++i) {
    if (clock_.BlockUntilWaiters(1, absl::Seconds(1))) clock_.Advance(absl::Seconds(30));
  }
  popper.join();
}

}  // namespace
}  // namespace mk::scheduler
