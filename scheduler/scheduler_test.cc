// The scheduler engine against FakeApiClient: informers → queue → decision → Bind, events,
// PodScheduled=False and per-node reasons, event-driven retry.

#include "scheduler/scheduler.h"

#include <chrono>
#include <thread>

#include "common/fake_api_client.h"
#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace mk::scheduler {
namespace {

using namespace testutil;  // NOLINT

bool WaitFor(const std::function<bool()>& cond) {
  for (int i = 0; i < 400; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

class SchedulerEngineTest : public ::testing::Test {
 protected:
  void Start() {
    SchedulerOptions o;
    o.seed = 7;
    sched_ = std::make_unique<Scheduler>(&client_, o);
    sched_->StartInformers();
    ASSERT_TRUE(sched_->WaitForSync(absl::Seconds(5)));
    sched_->Run();
  }
  void TearDown() override {
    if (sched_) sched_->Shutdown();
  }
  api::Pod Get(const std::string& name) {
    auto p = client_.GetAs<api::Pod>("pods", "default", name);
    return p.ok() ? *p : api::Pod();
  }
  std::vector<api::Event> Events() {
    auto l = client_.ListAs<api::Event>("events", "default");
    return l.ok() ? *l : std::vector<api::Event>();
  }

  FakeApiClient client_;
  std::unique_ptr<Scheduler> sched_;
};

TEST_F(SchedulerEngineTest, BindsAndRecordsEvent) {
  ASSERT_TRUE(client_.Create("nodes", "", Node("node-1")).ok());
  ASSERT_TRUE(client_.Create("pods", "default", Pod("nginx", "100m")).ok());
  Start();
  ASSERT_TRUE(WaitFor([&] { return Get("nginx").spec().node_name() == "node-1"; }));
  ASSERT_TRUE(WaitFor([&] {
    for (const api::Event& e : Events()) {
      if (e.reason() == "Scheduled" &&
          e.message() == "Successfully assigned default/nginx to node-1") {
        return e.type() == "Normal" && e.source().component() == "default-scheduler";
      }
    }
    return false;
  }));
  ASSERT_TRUE(
      WaitFor([&] { return Get("nginx").metadata().annotations().count(kScoresAnnotation) > 0; }));
  EXPECT_EQ(client_.CountCalls("bind", "pods"), 1);
  EXPECT_EQ(sched_->scheduled(), 1);
}

TEST_F(SchedulerEngineTest, UnschedulableThenNodeArrives) {
  ASSERT_TRUE(client_.Create("nodes", "", Node("small", "1")).ok());
  Start();
  ASSERT_TRUE(client_.Create("pods", "default", Pod("big", "2")).ok());
  ASSERT_TRUE(WaitFor([&] {
    for (const api::Event& e : Events()) {
      if (e.reason() == "FailedScheduling") {
        return e.type() == "Warning" &&
               e.message() == "0/1 nodes are available: 1 Insufficient cpu.";
      }
    }
    return false;
  }));
  ASSERT_TRUE(WaitFor(
      [&] { return Get("big").metadata().annotations().count(kFilterReasonsAnnotation) > 0; }));
  EXPECT_EQ(Get("big").metadata().annotations().at(kFilterReasonsAnnotation),
            "small: Insufficient cpu: requested 2, free 1");
  EXPECT_EQ(sched_->queue()->NumUnschedulable(), 1u);
  int binds = client_.CountCalls("bind");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(client_.CountCalls("bind"), binds);  // no busy retry
  ASSERT_TRUE(client_.Create("nodes", "", Node("large", "4")).ok());
  ASSERT_TRUE(WaitFor([&] { return Get("big").spec().node_name() == "large"; }));
}

TEST_F(SchedulerEngineTest, OtherSchedulersPodsAreIgnored) {
  ASSERT_TRUE(client_.Create("nodes", "", Node("node-1")).ok());
  api::Pod p = Pod("custom");
  p.mutable_spec()->set_scheduler_name("my-scheduler");
  ASSERT_TRUE(client_.Create("pods", "default", p).ok());
  ASSERT_TRUE(client_.Create("pods", "default", Pod("mine")).ok());
  Start();
  ASSERT_TRUE(WaitFor([&] { return !Get("mine").spec().node_name().empty(); }));
  EXPECT_TRUE(Get("custom").spec().node_name().empty());
}

}  // namespace
}  // namespace mk::scheduler

namespace mk::scheduler {
namespace {

TEST_F(SchedulerEngineTest, FinishedPodsGiveTheirRequestsBack) {
  ASSERT_TRUE(client_.Create("nodes", "", testutil::Node("node-1", "1")).ok());
  api::Pod done = testutil::Bound(testutil::Pod("done", "800m"), "node-1");
  ASSERT_TRUE(client_.Create("pods", "default", done).ok());
  Start();
  ASSERT_TRUE(client_.Create("pods", "default", testutil::Pod("next", "800m")).ok());
  ASSERT_TRUE(WaitFor(
      [&] { return Get("next").metadata().annotations().count(kFilterReasonsAnnotation) > 0; }));
  EXPECT_TRUE(Get("next").spec().node_name().empty());
  api::Pod finished = Get("done");
  finished.mutable_status()->set_phase("Succeeded");
  ASSERT_TRUE(client_.Update("pods", "default", finished, "status").ok());
  ASSERT_TRUE(WaitFor([&] { return Get("next").spec().node_name() == "node-1"; }));
}

}  // namespace
}  // namespace mk::scheduler
