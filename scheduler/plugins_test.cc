#include "scheduler/plugins.h"

#include "gtest/gtest.h"
#include "scheduler/test_util.h"

namespace mk::scheduler {
namespace {

using namespace testutil;  // NOLINT

api::NodeSelectorRequirement Req(const std::string& key, const std::string& op,
                                 std::vector<std::string> values = {}) {
  api::NodeSelectorRequirement r;
  r.set_key(key);
  r.set_operator_(op);
  for (auto& v : values) r.add_values(v);
  return r;
}

bool MatchesTerm(const api::Node& n, std::vector<api::NodeSelectorRequirement> reqs) {
  api::NodeSelectorTerm t;
  for (auto& r : reqs) *t.add_match_expressions() = r;
  return NodeMatchesSelectorTerm(t, n);
}

TEST(NodeAffinity, Operators) {
  api::Node n = Node("n", "4", "8Gi", {{"zone", "a"}, {"cores", "16"}});
  EXPECT_TRUE(MatchesTerm(n, {Req("zone", "In", {"a", "b"})}));
  EXPECT_FALSE(MatchesTerm(n, {Req("zone", "In", {"b"})}));
  EXPECT_TRUE(MatchesTerm(n, {Req("zone", "NotIn", {"b"})}));
  EXPECT_TRUE(MatchesTerm(n, {Req("missing", "NotIn", {"b"})}));
  EXPECT_TRUE(MatchesTerm(n, {Req("zone", "Exists")}));
  EXPECT_TRUE(MatchesTerm(n, {Req("missing", "DoesNotExist")}));
  EXPECT_FALSE(MatchesTerm(n, {Req("zone", "DoesNotExist")}));
  EXPECT_TRUE(MatchesTerm(n, {Req("cores", "Gt", {"8"})}));
  EXPECT_FALSE(MatchesTerm(n, {Req("cores", "Gt", {"16"})}));
  EXPECT_TRUE(MatchesTerm(n, {Req("cores", "Lt", {"17"})}));
  EXPECT_FALSE(MatchesTerm(n, {Req("zone", "Gt", {"1"})}));  // not an integer
  EXPECT_FALSE(MatchesTerm(n, {Req("missing", "Lt", {"1"})}));
  EXPECT_FALSE(MatchesTerm(n, {Req("zone", "In", {"a"}), Req("cores", "Lt", {"2"})}));  // AND
  EXPECT_FALSE(MatchesTerm(n, {}));  // an empty term matches nothing
  api::NodeSelectorTerm by_name;
  *by_name.add_match_fields() = Req("metadata.name", "In", {"n"});
  EXPECT_TRUE(NodeMatchesSelectorTerm(by_name, n));
}

TEST(NodeAffinity, NodeSelectorAndTermsAreOred) {
  NodeInfo node = MakeNodeInfo(Node("n", "4", "8Gi", {{"server", "webap"}}));
  api::Pod p = Pod("p");
  (*p.mutable_spec()->mutable_node_selector())["server"] = "webap";
  EXPECT_TRUE(FilterNodeAffinity(*Info(p), node, nullptr));
  (*p.mutable_spec()->mutable_node_selector())["server"] = "db";
  Diagnosis d;
  d.want_detail = true;
  EXPECT_FALSE(FilterNodeAffinity(*Info(p), node, &d));
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0], "node(s) didn't match Pod's node affinity/selector");
  EXPECT_EQ(d.details[0], "nodeSelector server=db (node has server=webap)");
  EXPECT_TRUE(d.unresolvable);

  api::Pod q = Pod("q");
  auto* req = q.mutable_spec()
                  ->mutable_affinity()
                  ->mutable_node_affinity()
                  ->mutable_required_during_scheduling_ignored_during_execution();
  *req->add_node_selector_terms()->add_match_expressions() = Req("server", "In", {"x"});
  EXPECT_FALSE(FilterNodeAffinity(*Info(q), node, nullptr));
  *req->add_node_selector_terms()->add_match_expressions() = Req("server", "In", {"webap"});
  EXPECT_TRUE(FilterNodeAffinity(*Info(q), node, nullptr));
}

TEST(Taints, NoScheduleNoExecuteAndTolerations) {
  api::Node n = Node("n");
  api::Taint* t = n.mutable_spec()->add_taints();
  t->set_key("dedicated");
  t->set_value("gpu");
  t->set_effect("NoSchedule");
  NodeInfo node = MakeNodeInfo(n);
  api::Pod p = Pod("p");
  Diagnosis d;
  EXPECT_FALSE(FilterTaints(*Info(p), node, &d));
  EXPECT_EQ(d.reasons[0], "node(s) had untolerated taint {dedicated: gpu}");

  api::Toleration* tol = p.mutable_spec()->add_tolerations();
  tol->set_key("dedicated");
  tol->set_operator_("Equal");
  tol->set_value("cpu");
  EXPECT_FALSE(FilterTaints(*Info(p), node, nullptr));  // wrong value
  tol->set_value("gpu");
  EXPECT_TRUE(FilterTaints(*Info(p), node, nullptr));
  tol->set_effect("NoExecute");
  EXPECT_FALSE(FilterTaints(*Info(p), node, nullptr));  // wrong effect
  tol->clear_effect();
  tol->clear_value();
  tol->set_operator_("Exists");
  EXPECT_TRUE(FilterTaints(*Info(p), node, nullptr));
  api::Toleration all;
  all.set_operator_("Exists");
  EXPECT_TRUE(TolerationTolerates(all, *t));

  // PreferNoSchedule never filters; it only scores.
  t->set_effect("PreferNoSchedule");
  NodeInfo soft = MakeNodeInfo(n);
  EXPECT_TRUE(FilterTaints(*Info(Pod("x")), soft, nullptr));
  EXPECT_EQ(ScoreTaintRaw(*Info(Pod("x")), soft), 1);
  std::vector<int64_t> scores = {1, 0};
  NormalizeMax(&scores, true);
  EXPECT_EQ(scores, (std::vector<int64_t>{0, 100}));
}

TEST(Resources, RequestsNotUsageAndDetails) {
  NodeInfo node = MakeNodeInfo(Node("n", "1", "1Gi"));
  node.AddPod(Info(Bound(Pod("a", "600m", "900Mi"), "n")));
  EXPECT_TRUE(FilterResources(*Info(Pod("fits", "400m", "100Mi")), node, {}, nullptr));
  Diagnosis d;
  d.want_detail = true;
  EXPECT_FALSE(FilterResources(*Info(Pod("big", "500m", "300Mi")), node, {}, &d));
  ASSERT_EQ(d.reasons.size(), 2u);
  EXPECT_EQ(d.reasons[0], "Insufficient cpu");
  EXPECT_EQ(d.reasons[1], "Insufficient memory");
  EXPECT_EQ(d.details[0], "Insufficient cpu: requested 500m, free 400m");
  EXPECT_EQ(d.details[1], "Insufficient memory: requested 300Mi, free 124Mi");
  EXPECT_FALSE(d.unresolvable);
  // Pods without requests always fit resource-wise (but count against pods).
  EXPECT_TRUE(FilterResources(*Info(Pod("none")), node, {}, nullptr));
  node.allocatable.pods = 1;
  Diagnosis d2;
  EXPECT_FALSE(FilterResources(*Info(Pod("none")), node, {}, &d2));
  EXPECT_EQ(d2.reasons[0], "Too many pods");
  // Reserved (nominated) requests count.
  node.allocatable.pods = 110;
  EXPECT_FALSE(FilterResources(*Info(Pod("fits", "400m")), node, {100, 0, 1}, nullptr));
  // RemovePod gives the room back.
  EXPECT_TRUE(node.RemovePod("default/a"));
  EXPECT_EQ(node.requested.milli_cpu, 0);
  EXPECT_EQ(node.requested.pods, 0);
}

TEST(Resources, InitContainersTakeTheMax) {
  api::Pod p = Pod("p", "100m", "100Mi");
  api::Container* init = p.mutable_spec()->add_init_containers();
  (*init->mutable_resources()->mutable_requests())["cpu"] = "500m";
  auto info = Info(p);
  EXPECT_EQ(info->requests.milli_cpu, 500);
  EXPECT_EQ(info->requests.memory, 100 << 20);
  auto none = Info(Pod("none"));
  EXPECT_EQ(none->requests.milli_cpu, 0);
  EXPECT_EQ(none->nonzero_requests.milli_cpu, kDefaultMilliCpuRequest);
}

TEST(HostPorts, ConflictsBySameProtocolAndAddress) {
  auto with_port = [](const std::string& name, int port, const std::string& ip,
                      const std::string& proto) {
    api::Pod p = Pod(name);
    api::ContainerPort* cp = p.mutable_spec()->mutable_containers(0)->add_ports();
    cp->set_container_port(80);
    cp->set_host_port(port);
    cp->set_host_ip(ip);
    cp->set_protocol(proto);
    return p;
  };
  NodeInfo node = MakeNodeInfo(Node("n"));
  node.AddPod(Info(Bound(with_port("a", 8080, "10.0.0.1", "TCP"), "n")));
  EXPECT_FALSE(FilterHostPorts(*Info(with_port("b", 8080, "", "TCP")), node, nullptr));
  EXPECT_FALSE(FilterHostPorts(*Info(with_port("b", 8080, "10.0.0.1", "TCP")), node, nullptr));
  EXPECT_TRUE(FilterHostPorts(*Info(with_port("b", 8080, "10.0.0.2", "TCP")), node, nullptr));
  EXPECT_TRUE(FilterHostPorts(*Info(with_port("b", 8080, "", "UDP")), node, nullptr));
  EXPECT_TRUE(FilterHostPorts(*Info(with_port("b", 8081, "", "TCP")), node, nullptr));
}

TEST(NodeState, CordonAndNotReady) {
  api::Node n = Node("n");
  n.mutable_spec()->set_unschedulable(true);
  NodeInfo cordoned = MakeNodeInfo(n);
  Diagnosis d;
  EXPECT_FALSE(FilterNodeUnschedulable(*Info(Pod("p")), cordoned, &d));
  EXPECT_EQ(d.reasons[0], "node(s) were unschedulable");
  api::Pod tolerant = Pod("t");
  api::Toleration* tol = tolerant.mutable_spec()->add_tolerations();
  tol->set_key("node.kubernetes.io/unschedulable");
  tol->set_operator_("Exists");
  tol->set_effect("NoSchedule");
  EXPECT_TRUE(FilterNodeUnschedulable(*Info(tolerant), cordoned, nullptr));

  api::Node nr = Node("nr");
  nr.mutable_status()->mutable_conditions(0)->set_status("Unknown");
  NodeInfo not_ready = MakeNodeInfo(nr);
  Diagnosis d2;
  EXPECT_FALSE(FilterNodeReady(*Info(Pod("p")), not_ready, &d2));
  EXPECT_EQ(d2.reasons[0], "node(s) were not ready");

  api::Pod named = Pod("named");
  named.mutable_spec()->set_node_name("other");
  EXPECT_FALSE(FilterNodeName(*Info(named), MakeNodeInfo(Node("n")), nullptr));
}

api::PodAffinityTerm Term(const std::string& app, const std::string& key) {
  api::PodAffinityTerm t;
  (*t.mutable_label_selector()->mutable_match_labels())["app"] = app;
  t.set_topology_key(key);
  return t;
}

TEST(PodAffinity, RequiredAffinityAndAntiAffinityByTopology) {
  NodeInfo a1 = MakeNodeInfo(Node("a1", "4", "8Gi", {{"zone", "a"}}));
  NodeInfo a2 = MakeNodeInfo(Node("a2", "4", "8Gi", {{"zone", "a"}}));
  NodeInfo b1 = MakeNodeInfo(Node("b1", "4", "8Gi", {{"zone", "b"}}));
  a1.AddPod(Info(Bound(Pod("db", "", "", {{"app", "db"}}), "a1")));
  std::vector<NodeInfo*> nodes = {&a1, &a2, &b1};

  api::Pod web = Pod("web", "", "", {{"app", "web"}});
  *web.mutable_spec()
       ->mutable_affinity()
       ->mutable_pod_affinity()
       ->add_required_during_scheduling_ignored_during_execution() = Term("db", "zone");
  auto info = Info(web);
  CycleState s = PreFilter(*info, nodes);
  EXPECT_TRUE(FilterPodAffinity(s, *info, a1, nullptr));
  EXPECT_TRUE(FilterPodAffinity(s, *info, a2, nullptr));  // same zone
  Diagnosis d;
  EXPECT_FALSE(FilterPodAffinity(s, *info, b1, &d));
  EXPECT_EQ(d.reasons[0], "node(s) didn't match pod affinity rules");

  api::Pod lonely = Pod("lonely", "", "", {{"app", "db"}});
  *lonely.mutable_spec()
       ->mutable_affinity()
       ->mutable_pod_anti_affinity()
       ->add_required_during_scheduling_ignored_during_execution() = Term("db", "zone");
  auto li = Info(lonely);
  CycleState ls = PreFilter(*li, nodes);
  Diagnosis d2;
  EXPECT_FALSE(FilterPodAffinity(ls, *li, a2, &d2));
  EXPECT_EQ(d2.reasons[0], "node(s) didn't match pod anti-affinity rules");
  EXPECT_TRUE(FilterPodAffinity(ls, *li, b1, nullptr));

  // An existing pod's anti-affinity keeps matching pods out of its domain.
  b1.AddPod(Info(Bound(lonely, "b1")));
  auto plain_db = Info(Pod("db2", "", "", {{"app", "db"}}));
  CycleState es = PreFilter(*plain_db, nodes);
  Diagnosis d3;
  EXPECT_FALSE(FilterPodAffinity(es, *plain_db, b1, &d3));
  EXPECT_EQ(d3.reasons[0], "node(s) didn't satisfy existing pods anti-affinity rules");
  EXPECT_TRUE(FilterPodAffinity(es, *plain_db, a2, nullptr));
}

TEST(PodAffinity, FirstPodOfSelfSelectingGroupMayGoAnywhere) {
  NodeInfo n = MakeNodeInfo(Node("n", "4", "8Gi", {{"zone", "a"}}));
  api::Pod p = Pod("first", "", "", {{"app", "cache"}});
  *p.mutable_spec()
       ->mutable_affinity()
       ->mutable_pod_affinity()
       ->add_required_during_scheduling_ignored_during_execution() = Term("cache", "zone");
  auto info = Info(p);
  CycleState s = PreFilter(*info, {&n});
  EXPECT_TRUE(FilterPodAffinity(s, *info, n, nullptr));
}

TEST(PodAffinity, NamespacesListEmptyAndLabelledNamespaceSelectors) {
  auto pod_in = [](const std::string& ns) {
    api::Pod p;
    p.mutable_metadata()->set_namespace_(ns);
    (*p.mutable_metadata()->mutable_labels())["app"] = "db";
    return p;
  };
  auto term_pod = [](api::PodAffinityTerm t) {
    (*t.mutable_label_selector()->mutable_match_labels())["app"] = "db";
    t.set_topology_key("zone");
    auto p = std::make_shared<api::Pod>();
    p->mutable_metadata()->set_namespace_("default");
    *p->mutable_spec()
         ->mutable_affinity()
         ->mutable_pod_affinity()
         ->add_required_during_scheduling_ignored_during_execution() = t;
    return NewPodInfo(p);
  };
  google::protobuf::Map<std::string, std::string> data_labels;
  data_labels["tier"] = "data";
  NamespaceLabelsFn labels = [&](const std::string& ns) {
    return ns == "data-ns" ? &data_labels : nullptr;
  };
  // No namespaces, no selector: the pod's own namespace.
  auto own = term_pod(api::PodAffinityTerm());
  EXPECT_TRUE(TermMatches(own->required_affinity[0], pod_in("default"), labels));
  EXPECT_FALSE(TermMatches(own->required_affinity[0], pod_in("data-ns"), labels));
  // An empty namespaceSelector: every namespace.
  api::PodAffinityTerm all;
  all.mutable_namespace_selector();
  auto every = term_pod(all);
  EXPECT_TRUE(TermMatches(every->required_affinity[0], pod_in("anything"), labels));
  // tier=data: only namespaces with that label, plus an explicit list.
  api::PodAffinityTerm sel;
  (*sel.mutable_namespace_selector()->mutable_match_labels())["tier"] = "data";
  sel.add_namespaces("listed");
  auto by_label = term_pod(sel);
  const AffinityTerm& t = by_label->required_affinity[0];
  EXPECT_TRUE(TermMatches(t, pod_in("data-ns"), labels));
  EXPECT_TRUE(TermMatches(t, pod_in("listed"), labels));
  EXPECT_FALSE(TermMatches(t, pod_in("default"), labels));
  EXPECT_FALSE(TermMatches(t, pod_in("data-ns")));  // labels unknown: no match
}

TEST(Scores, LeastAllocatedAndBalanced) {
  NodeInfo empty = MakeNodeInfo(Node("e", "4", "4Gi"));
  NodeInfo busy = MakeNodeInfo(Node("b", "4", "4Gi"));
  busy.AddPod(Info(Bound(Pod("x", "2", "2Gi"), "b")));
  auto p = Info(Pod("p", "1", "1Gi"));
  EXPECT_EQ(ScoreLeastAllocated(*p, empty), 75);
  EXPECT_EQ(ScoreLeastAllocated(*p, busy), 25);
  EXPECT_EQ(ScoreBalancedAllocation(*p, empty), 100);
  auto skewed = Info(Pod("s", "2", "100Mi"));
  EXPECT_LT(ScoreBalancedAllocation(*skewed, empty), 100);
  std::vector<int64_t> v = {-5, 0, 5};
  NormalizeMinMax(&v);
  EXPECT_EQ(v, (std::vector<int64_t>{0, 50, 100}));
}

}  // namespace
}  // namespace mk::scheduler
