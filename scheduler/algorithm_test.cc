#include "scheduler/algorithm.h"

#include <set>

#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace mk::scheduler {
namespace {

using namespace testutil;  // NOLINT

TEST(FitError, KubernetesSummaryFormat) {
  EXPECT_EQ(FitErrorMessage(3, {{"node(s) didn't match Pod's node affinity/selector", 1},
                                {"Insufficient memory", 2}}),
            "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 "
            "Insufficient memory.");
  EXPECT_EQ(FitErrorMessage(2, {{"Insufficient cpu", 2}, {"Insufficient memory", 2}}),
            "0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory.");
}

TEST(NumFeasible, AdaptivePercentage) {
  EXPECT_EQ(NumFeasibleNodesToFind(50), 50);
  EXPECT_EQ(NumFeasibleNodesToFind(100), 100);
  EXPECT_EQ(NumFeasibleNodesToFind(1000), 420);
  EXPECT_EQ(NumFeasibleNodesToFind(5000), 500);
}

TEST(Algorithm, PicksLeastAllocatedAndAssumesPreventOvercommit) {
  Cache cache;
  cache.AddOrUpdateNode(std::make_shared<api::Node>(Node("n1", "1", "4Gi")));
  cache.AddOrUpdateNode(std::make_shared<api::Node>(Node("n2", "1", "4Gi")));
  cache.AddOrUpdatePod(std::make_shared<api::Pod>(Bound(Pod("x", "500m"), "n1")));
  Algorithm algo(&cache, 1);
  auto p = Info(Pod("p", "400m"));
  ScheduleResult r = algo.Schedule(*p);
  EXPECT_EQ(r.node, "n2");
  EXPECT_EQ(r.feasible, 2);
  cache.AssumePod(p, r.node);
  // n1 has 500m free, n2 600m: 700m fits on neither.
  ScheduleResult r2 = algo.Schedule(*Info(Pod("q", "700m")));
  EXPECT_EQ(r2.node, "");
  EXPECT_EQ(r2.message, "0/2 nodes are available: 2 Insufficient cpu.");
  ASSERT_EQ(r2.node_reasons.size(), 2u);
  EXPECT_EQ(r2.node_reasons[0], "n1: Insufficient cpu: requested 700m, free 500m");
  EXPECT_EQ(r2.preemption_candidates.size(), 2u);
  cache.ForgetPod("default/p");
  EXPECT_EQ(algo.Schedule(*Info(Pod("q", "700m"))).node, "n2");
}

TEST(Algorithm, NoNodes) {
  Cache cache;
  Algorithm algo(&cache, 1);
  EXPECT_EQ(algo.Schedule(*Info(Pod("p"))).message, "no nodes available to schedule pods");
}

TEST(Algorithm, TiesAreBrokenAtRandom) {
  Cache cache;
  for (int i = 0; i < 4; ++i) {
    cache.AddOrUpdateNode(std::make_shared<api::Node>(Node("n" + std::to_string(i))));
  }
  Algorithm algo(&cache, 42);
  std::set<std::string> chosen;
  for (int i = 0; i < 64; ++i) chosen.insert(algo.Schedule(*Info(Pod("p"))).node);
  EXPECT_EQ(chosen.size(), 4u);
}

TEST(Algorithm, ReasonsAreCapped) {
  Cache cache;
  for (int i = 0; i < 30; ++i) {
    cache.AddOrUpdateNode(std::make_shared<api::Node>(Node("n" + std::to_string(100 + i), "1")));
  }
  Algorithm algo(&cache, 1);
  ScheduleResult r = algo.Schedule(*Info(Pod("p", "2")));
  ASSERT_EQ(r.node_reasons.size(), static_cast<size_t>(Algorithm::kMaxNodeReasons + 1));
  EXPECT_EQ(r.node_reasons.back(), "and 10 more");
  EXPECT_EQ(r.message, "0/30 nodes are available: 30 Insufficient cpu.");
}

TEST(Algorithm, LargeClustersStopEarlyAndRotate) {
  Cache cache;
  for (int i = 0; i < 1000; ++i) {
    cache.AddOrUpdateNode(std::make_shared<api::Node>(Node("n" + std::to_string(1000 + i))));
  }
  Algorithm algo(&cache, 1);
  ScheduleResult r = algo.Schedule(*Info(Pod("p")));
  EXPECT_EQ(r.evaluated, 420);
  EXPECT_EQ(r.feasible, 420);
}

TEST(Preemption, FewestAndLowestVictims) {
  Cache cache;
  cache.AddOrUpdateNode(std::make_shared<api::Node>(Node("n1", "1")));
  cache.AddOrUpdateNode(std::make_shared<api::Node>(Node("n2", "1")));
  auto low = [](const std::string& name, const std::string& cpu, const std::string& node,
                int32_t prio) {
    api::Pod p = Bound(Pod(name, cpu), node);
    p.mutable_spec()->set_priority(prio);
    return std::make_shared<api::Pod>(p);
  };
  cache.AddOrUpdatePod(low("a", "400m", "n1", 5));
  cache.AddOrUpdatePod(low("b", "400m", "n1", 5));
  cache.AddOrUpdatePod(low("c", "800m", "n2", 5));
  Algorithm algo(&cache, 1);
  api::Pod hp = Pod("hp", "700m");
  hp.mutable_spec()->set_priority(100);
  auto info = Info(hp);
  ScheduleResult r = algo.Schedule(*info);
  ASSERT_EQ(r.node, "");
  PreemptionResult pr;
  ASSERT_TRUE(algo.Preempt(*info, r, &pr));
  EXPECT_EQ(pr.node, "n2");
  ASSERT_EQ(pr.victims.size(), 1u);
  EXPECT_EQ(pr.victims[0]->key, "default/c");

  // Reprieve: only what is needed is evicted.
  api::Pod small = Pod("small", "300m");
  small.mutable_spec()->set_priority(100);
  auto si = Info(small);
  cache.AddOrUpdatePod(low("d", "100m", "n2", 1));  // n2 now 900m used
  ScheduleResult r2 = algo.Schedule(*si);
  ASSERT_EQ(r2.node, "");
  ASSERT_TRUE(algo.Preempt(*si, r2, &pr));
  ASSERT_EQ(pr.victims.size(), 1u);
  EXPECT_EQ(pr.node, "n1");  // one 400m victim of priority 5 on n1 vs c (5) on n2: tie → n1

  // Nominated requests are reserved against lower-priority pods.
  cache.SetNominated(info, "n2");
  cache.RemovePod("default/c");
  cache.RemovePod("default/d");
  api::Pod lowp = Pod("lowp", "500m");
  EXPECT_EQ(algo.Schedule(*Info(lowp)).node, "");
  EXPECT_EQ(algo.Schedule(*info).node, "n2");

  // preemptionPolicy Never.
  api::Pod never = Pod("never", "900m");
  never.mutable_spec()->set_priority(1000);
  never.mutable_spec()->set_preemption_policy("Never");
  auto ni = Info(never);
  EXPECT_FALSE(algo.Preempt(*ni, algo.Schedule(*ni), &pr));
}

}  // namespace
}  // namespace mk::scheduler

namespace mk::scheduler {
namespace {

TEST(LabelIndex, PreFilterWithIndexEqualsFullScan) {
  using namespace testutil;  // NOLINT
  Cache cache;
  for (int i = 0; i < 6; ++i) {
    cache.AddOrUpdateNode(std::make_shared<api::Node>(
        Node("n" + std::to_string(i), "4", "8Gi", {{"zone", std::to_string(i % 3)}})));
  }
  for (int i = 0; i < 30; ++i) {
    api::Pod p = Bound(Pod("p" + std::to_string(i), "", "", {{"app", std::to_string(i % 4)}}),
                       "n" + std::to_string(i % 6));
    cache.AddOrUpdatePod(std::make_shared<api::Pod>(p));
  }
  cache.RemovePod("default/p0");
  cache.AssumePod(Info(Bound(Pod("extra", "", "", {{"app", "1"}}), "n5")), "n5");
  api::Pod in = Pod("in", "", "", {{"app", "1"}});
  auto* anti = in.mutable_spec()->mutable_affinity()->mutable_pod_anti_affinity();
  auto* pref = anti->add_preferred_during_scheduling_ignored_during_execution();
  pref->set_weight(10);
  (*pref->mutable_pod_affinity_term()->mutable_label_selector()->mutable_match_labels())["app"] =
      "1";
  pref->mutable_pod_affinity_term()->set_topology_key("zone");
  auto* req = in.mutable_spec()
                  ->mutable_affinity()
                  ->mutable_pod_affinity()
                  ->add_required_during_scheduling_ignored_during_execution();
  (*req->mutable_label_selector()->mutable_match_labels())["app"] = "2";
  req->set_topology_key("zone");
  auto info = Info(in);
  CycleState full = PreFilter(*info, cache.Nodes());
  CycleState indexed = PreFilter(*info, cache.Nodes(), &cache);
  EXPECT_EQ(full.preferred_scores, indexed.preferred_scores);
  EXPECT_EQ(full.affinity_counts, indexed.affinity_counts);
  EXPECT_EQ(full.affinity_matches_total, indexed.affinity_matches_total);
  EXPECT_FALSE(indexed.preferred_scores.empty());
}

}  // namespace
}  // namespace mk::scheduler
