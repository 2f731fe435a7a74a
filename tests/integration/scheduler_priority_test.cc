// mk-scheduler end to end: priority order of the queue, preemption (nominatedNodeName,
// graceful deletion of the fewest lower-priority victims, Preempted events), and a
// 1,000-pod burst that never overcommits a node.

#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/integration/scheduler_harness.h"

namespace mk::testing {
namespace {

api::Pod WithPriority(api::Pod p, int32_t priority) {
  p.mutable_spec()->set_priority(priority);
  return p;
}

TEST_F(SchedulerTest, HigherPriorityIsScheduledFirst) {
  // No nodes yet: every pod waits as unschedulable; one node with room for one pod then
  // arrives and the queue hands out the highest priority first.
  CreatePod(WithPriority(MakePod("low", "600m"), 10));
  CreatePod(WithPriority(MakePod("high", "600m"), 1000));
  CreatePod(WithPriority(MakePod("mid", "600m"), 100));
  ExpectUnschedulable("low", "no nodes available to schedule pods");
  WaitUnschedulable("high");
  WaitUnschedulable("mid");
  // Let their back-offs expire so the node's arrival moves all three to the active queue.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CreateNode(MakeNode("only", "1", "4Gi"));
  ASSERT_TRUE(WaitBound("high"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(NodeOf("mid").empty());
  EXPECT_TRUE(NodeOf("low").empty());
  ExpectUnschedulable("mid", "0/1 nodes are available: 1 Insufficient cpu.");
}

TEST_F(SchedulerTest, PreemptionEvictsFewestLowerPriorityPods) {
  CreateNode(MakeNode("node-1", "1", "4Gi"));
  CreateNode(MakeNode("node-2", "1", "4Gi"));
  // node-1: two small low pods; node-2: one big low pod (lower total priority sum on node-2).
  api::Pod a = WithPriority(MakePod("small-a", "400m"), 5);
  api::Pod b = WithPriority(MakePod("small-b", "400m"), 5);
  (*a.mutable_spec()->mutable_node_selector())["kubernetes.io/hostname"] = "node-1";
  (*b.mutable_spec()->mutable_node_selector())["kubernetes.io/hostname"] = "node-1";
  api::Pod c = WithPriority(MakePod("big-c", "800m"), 5);
  (*c.mutable_spec()->mutable_node_selector())["kubernetes.io/hostname"] = "node-2";
  for (const api::Pod& p : {a, b, c}) CreatePod(p);
  for (const char* n : {"small-a", "small-b", "big-c"}) ASSERT_TRUE(WaitBound(n));

  // Play the kubelet: finish graceful deletions at once.
  std::atomic<bool> stop{false};
  std::thread kubelet([&] {
    while (!stop) {
      auto pods = client_->ListAs<api::Pod>("pods", "default");
      if (pods.ok()) {
        for (const api::Pod& p : *pods) {
          if (!p.metadata().deletion_timestamp().empty()) {
            DeleteOptions o;
            o.grace_period_seconds = 0;
            (void)client_->Delete("pods", "default", p.metadata().name(), o);
          }
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  CreatePod(WithPriority(MakePod("critical", "700m"), 1000));
  bool bound = WaitBound("critical", 20);
  stop = true;
  kubelet.join();
  ASSERT_TRUE(bound);
  EXPECT_EQ(NodeOf("critical"), "node-2");  // one victim rather than two
  EXPECT_EQ(GetPod("critical").status().nominated_node_name(), "node-2");
  EXPECT_FALSE(client_->Get("pods", "default", "big-c").ok());
  EXPECT_EQ(NodeOf("small-a"), "node-1");
  EXPECT_EQ(NodeOf("small-b"), "node-1");
  ASSERT_TRUE(WaitFor([&] { return !Events("big-c", "Preempted").empty(); }));
  EXPECT_THAT(Events("big-c", "Preempted")[0], ::testing::HasSubstr("on node node-2"));

  // Equal priority never preempts.
  CreatePod(WithPriority(MakePod("peer", "900m"), 5));
  ExpectUnschedulable("peer", "0/2 nodes are available: 2 Insufficient cpu.");
  EXPECT_EQ(NodeOf("small-a"), "node-1");
}

TEST_F(SchedulerTest, BurstOfThousandPodsNeverOvercommits) {
  // 20 nodes × 2 CPU and 100m per pod: room for exactly 400 of the 1,000 pods.
  constexpr int kNodes = 20, kPods = 1000;
  for (int i = 0; i < kNodes; ++i) CreateNode(MakeNode(absl::StrCat("node-", i), "2", "64Gi"));
  std::vector<std::thread> creators;
  for (int t = 0; t < 8; ++t) {
    creators.emplace_back([&, t] {
      for (int i = t; i < kPods; i += 8) {
        auto r =
            client_->Create("pods", "default", MakePod(absl::StrCat("burst-", i), "100m", "10Mi"));
        EXPECT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& th : creators) th.join();
  std::map<std::string, int> per_node;
  int bound = 0;
  auto count = [&] {
    per_node.clear();
    bound = 0;
    auto pods = client_->ListAs<api::Pod>("pods", "default");
    if (!pods.ok()) return;
    for (const api::Pod& p : *pods) {
      if (!p.spec().node_name().empty()) {
        ++bound;
        per_node[p.spec().node_name()]++;
      }
    }
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        count();
        return bound >= 400;
      },
      45))
      << bound;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  count();
  EXPECT_EQ(bound, 400);
  for (const auto& [node, n] : per_node) EXPECT_LE(n, 20) << node;  // 20 × 100m = 2 CPU
  EXPECT_EQ(per_node.size(), static_cast<size_t>(kNodes));
}

}  // namespace
}  // namespace mk::testing
