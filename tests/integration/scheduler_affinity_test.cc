// mk-scheduler end to end: node affinity (In, Gt), pod anti-affinity spreading replicas
// across nodes, pod affinity by zone, taints and tolerations (NoSchedule, PreferNoSchedule).

#include <set>

#include "tests/integration/scheduler_harness.h"

namespace mk::testing {
namespace {

using ::testing::HasSubstr;

api::PodAffinityTerm Term(const std::string& app, const std::string& topology_key) {
  api::PodAffinityTerm t;
  (*t.mutable_label_selector()->mutable_match_labels())["app"] = app;
  t.set_topology_key(topology_key);
  return t;
}

TEST_F(SchedulerTest, RequiredNodeAffinityInAndGt) {
  CreateNode(MakeNode("small", "4", "4Gi", {{"cores", "4"}, {"zone", "a"}}));
  CreateNode(MakeNode("large", "4", "4Gi", {{"cores", "32"}, {"zone", "a"}}));
  CreateNode(MakeNode("other", "4", "4Gi", {{"cores", "64"}, {"zone", "b"}}));
  api::Pod p = MakePod("hpc");
  api::NodeSelectorTerm* term = p.mutable_spec()
                                    ->mutable_affinity()
                                    ->mutable_node_affinity()
                                    ->mutable_required_during_scheduling_ignored_during_execution()
                                    ->add_node_selector_terms();
  api::NodeSelectorRequirement* zone = term->add_match_expressions();
  zone->set_key("zone");
  zone->set_operator_("In");
  zone->add_values("a");
  api::NodeSelectorRequirement* cores = term->add_match_expressions();
  cores->set_key("cores");
  cores->set_operator_("Gt");
  cores->add_values("8");
  CreatePod(p);
  ASSERT_TRUE(WaitBound("hpc"));
  EXPECT_EQ(NodeOf("hpc"), "large");
}

TEST_F(SchedulerTest, PreferredNodeAffinityWins) {
  CreateNode(MakeNode("n1", "4", "4Gi"));
  CreateNode(MakeNode("n2", "4", "4Gi", {{"gpu", "yes"}}));
  CreateNode(MakeNode("n3", "4", "4Gi"));
  for (int i = 0; i < 3; ++i) {
    api::Pod p = MakePod("pref-" + std::to_string(i), "100m", "100Mi");
    api::PreferredSchedulingTerm* t =
        p.mutable_spec()
            ->mutable_affinity()
            ->mutable_node_affinity()
            ->add_preferred_during_scheduling_ignored_during_execution();
    t->set_weight(100);
    api::NodeSelectorRequirement* r = t->mutable_preference()->add_match_expressions();
    r->set_key("gpu");
    r->set_operator_("Exists");
    CreatePod(p);
    ASSERT_TRUE(WaitBound(p.metadata().name()));
    EXPECT_EQ(NodeOf(p.metadata().name()), "n2");
  }
}

TEST_F(SchedulerTest, AntiAffinitySpreadsReplicasAcrossNodes) {
  for (const char* n : {"node-1", "node-2", "node-3"}) CreateNode(MakeNode(n, "8", "8Gi"));
  auto replica = [&](int i) {
    api::Pod p = MakePod("web-" + std::to_string(i), "100m", "64Mi", {{"app", "web"}});
    *p.mutable_spec()
         ->mutable_affinity()
         ->mutable_pod_anti_affinity()
         ->add_required_during_scheduling_ignored_during_execution() =
        Term("web", "kubernetes.io/hostname");
    return p;
  };
  for (int i = 0; i < 3; ++i) CreatePod(replica(i));
  std::set<std::string> nodes;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(WaitBound("web-" + std::to_string(i)));
    nodes.insert(NodeOf("web-" + std::to_string(i)));
  }
  EXPECT_EQ(nodes.size(), 3u);  // one per node
  CreatePod(replica(3));
  ExpectUnschedulable("web-3",
                      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
  // A pod without the label is not affected by the replicas' anti-affinity.
  CreatePod(MakePod("other", "100m", "64Mi"));
  EXPECT_TRUE(WaitBound("other"));
}

TEST_F(SchedulerTest, PodAffinityFollowsZone) {
  CreateNode(MakeNode("a1", "8", "8Gi", {{"topology.kubernetes.io/zone", "a"}}));
  CreateNode(MakeNode("a2", "8", "8Gi", {{"topology.kubernetes.io/zone", "a"}}));
  CreateNode(MakeNode("b1", "8", "8Gi", {{"topology.kubernetes.io/zone", "b"}}));
  CreateNode(MakeNode("b2", "8", "8Gi", {{"topology.kubernetes.io/zone", "b"}}));
  api::Pod db = MakePod("db", "100m", "64Mi", {{"app", "db"}});
  (*db.mutable_spec()->mutable_node_selector())["kubernetes.io/hostname"] = "b2";
  CreatePod(db);
  ASSERT_TRUE(WaitBound("db"));
  for (int i = 0; i < 4; ++i) {
    api::Pod p = MakePod("cache-" + std::to_string(i), "100m", "64Mi", {{"app", "cache"}});
    *p.mutable_spec()
         ->mutable_affinity()
         ->mutable_pod_affinity()
         ->add_required_during_scheduling_ignored_during_execution() =
        Term("db", "topology.kubernetes.io/zone");
    CreatePod(p);
    ASSERT_TRUE(WaitBound(p.metadata().name()));
    std::string node = NodeOf(p.metadata().name());
    EXPECT_TRUE(node == "b1" || node == "b2") << node;
  }
  // Affinity to a pod that exists nowhere: pending, with Kubernetes' reason.
  api::Pod lonely = MakePod("lonely", "100m", "64Mi");
  *lonely.mutable_spec()
       ->mutable_affinity()
       ->mutable_pod_affinity()
       ->add_required_during_scheduling_ignored_during_execution() =
      Term("nothing", "topology.kubernetes.io/zone");
  CreatePod(lonely);
  ExpectUnschedulable("lonely",
                      "0/4 nodes are available: 4 node(s) didn't match pod affinity rules.");
}

TEST_F(SchedulerTest, PodAffinityNamespaceSelectorFollowsNamespaceLabels) {
  CreateNode(MakeNode("a1", "8", "8Gi", {{"topology.kubernetes.io/zone", "a"}}));
  CreateNode(MakeNode("b1", "8", "8Gi", {{"topology.kubernetes.io/zone", "b"}}));
  for (const char* ns : {"team-x", "team-y"}) {
    api::Namespace n;
    n.mutable_metadata()->set_name(ns);
    ASSERT_TRUE(client_->Create("namespaces", "", n).ok());
  }
  api::Pod db = MakePod("db", "100m", "64Mi", {{"app", "db"}});
  (*db.mutable_spec()->mutable_node_selector())["kubernetes.io/hostname"] = "b1";
  CreatePod(db, "team-y");
  ASSERT_TRUE(WaitFor([&] {
    auto p = client_->GetAs<api::Pod>("pods", "team-y", "db");
    return p.ok() && !p->spec().node_name().empty();
  }));
  // Affinity to app=db pods in namespaces labelled tier=data: none yet (team-y has no label).
  api::Pod cache = MakePod("cache", "100m", "64Mi");
  api::PodAffinityTerm t = Term("db", "topology.kubernetes.io/zone");
  (*t.mutable_namespace_selector()->mutable_match_labels())["tier"] = "data";
  *cache.mutable_spec()
       ->mutable_affinity()
       ->mutable_pod_affinity()
       ->add_required_during_scheduling_ignored_during_execution() = t;
  CreatePod(cache);
  ExpectUnschedulable("cache",
                      "0/2 nodes are available: 2 node(s) didn't match pod affinity rules.");
  // Labelling the namespace makes its db pod count: the cache pod follows it to zone b.
  auto ns = client_->GetAs<api::Namespace>("namespaces", "", "team-y");
  ASSERT_TRUE(ns.ok());
  (*ns->mutable_metadata()->mutable_labels())["tier"] = "data";
  ASSERT_TRUE(client_->Update("namespaces", "", *ns).ok());
  ASSERT_TRUE(WaitBound("cache"));
  EXPECT_EQ(NodeOf("cache"), "b1");
}

TEST_F(SchedulerTest, TaintsAndTolerations) {
  api::Node tainted = MakeNode("gpu-node", "8", "8Gi");
  api::Taint* t = tainted.mutable_spec()->add_taints();
  t->set_key("dedicated");
  t->set_value("gpu");
  t->set_effect("NoSchedule");
  CreateNode(tainted);
  CreatePod(MakePod("plain"));
  ExpectUnschedulable("plain",
                      "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.");

  api::Pod tolerant = MakePod("tolerant");
  api::Toleration* tol = tolerant.mutable_spec()->add_tolerations();
  tol->set_key("dedicated");
  tol->set_operator_("Equal");
  tol->set_value("gpu");
  tol->set_effect("NoSchedule");
  CreatePod(tolerant);
  ASSERT_TRUE(WaitBound("tolerant"));
  EXPECT_EQ(NodeOf("tolerant"), "gpu-node");

  // PreferNoSchedule only scores: with an untainted node available, pods go there.
  api::Node soft = MakeNode("soft", "8", "8Gi");
  api::Taint* st = soft.mutable_spec()->add_taints();
  st->set_key("spot");
  st->set_effect("PreferNoSchedule");
  CreateNode(soft);
  CreateNode(MakeNode("clean", "8", "8Gi"));
  ASSERT_TRUE(WaitBound("plain"));  // the new nodes requeue it
  EXPECT_EQ(NodeOf("plain"), "clean");
  for (int i = 0; i < 3; ++i) {
    CreatePod(MakePod("soft-" + std::to_string(i), "100m", "64Mi"));
    ASSERT_TRUE(WaitBound("soft-" + std::to_string(i)));
    EXPECT_EQ(NodeOf("soft-" + std::to_string(i)), "clean");
  }
}

}  // namespace
}  // namespace mk::testing
