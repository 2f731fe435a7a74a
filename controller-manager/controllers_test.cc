#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "common/event_recorder.h"
#include "common/fake_api_client.h"
#include "common/informer.h"
#include "common/object.h"
#include "controller-manager/expectations.h"
#include "controller-manager/garbage_collector.h"
#include "controller-manager/node_lifecycle_controller.h"
#include "controller-manager/replicaset_controller.h"
#include "gtest/gtest.h"

namespace mk::controller_manager {
namespace {

InformerOptions IO(const std::string& resource, const std::string& ns = "") {
  InformerOptions o;
  o.resource = resource;
  o.ns = ns;
  return o;
}

bool WaitFor(const std::function<bool()>& cond, int ms = 5000) {
  for (int i = 0; i < ms / 10; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

api::ReplicaSet MakeRs(const std::string& name, int replicas) {
  api::ReplicaSet rs;
  rs.mutable_metadata()->set_name(name);
  rs.mutable_metadata()->set_namespace_("default");
  rs.mutable_spec()->set_replicas(replicas);
  (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = name;
  (*rs.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = name;
  rs.mutable_spec()->mutable_template_()->mutable_spec()->add_containers()->set_name("c");
  return rs;
}

api::Pod MakePod(const std::string& name, const std::string& app) {
  api::Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("default");
  (*p.mutable_metadata()->mutable_labels())["app"] = app;
  return p;
}

TEST(ExpectationsTest, PendingUntilObservedOrExpired) {
  FakeClock clock;
  Expectations e(&clock, absl::Minutes(5));
  EXPECT_TRUE(e.Satisfied("ns/rs"));
  e.ExpectCreations("ns/rs", 2);
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  e.CreationObserved("ns/rs");
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  e.CreationObserved("ns/rs");
  EXPECT_TRUE(e.Satisfied("ns/rs"));
  e.ExpectDeletions("ns/rs", {"ns/a", "ns/b"});
  e.DeletionObserved("ns/rs", "ns/other");  // not ours: no effect
  e.DeletionObserved("ns/rs", "ns/a");
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  clock.Advance(absl::Minutes(6));
  EXPECT_TRUE(e.Satisfied("ns/rs"));
}

TEST(SortForDeletionTest, LeastValuableFirst) {
  auto mk = [](const std::string& name, const std::string& node, const std::string& phase,
               bool ready, int64_t created) {
    api::Pod p = MakePod(name, "x");
    p.mutable_spec()->set_node_name(node);
    p.mutable_status()->set_phase(phase);
    if (ready) {
      auto* c = p.mutable_status()->add_conditions();
      c->set_type("Ready");
      c->set_status("True");
    }
    p.mutable_metadata()->set_creation_timestamp(mk::FormatTime(absl::FromUnixSeconds(created)));
    return std::make_shared<const api::Pod>(p);
  };
  std::vector<std::shared_ptr<const api::Pod>> pods = {
      mk("ready-old", "n", "Running", true, 100), mk("ready-new", "n", "Running", true, 200),
      mk("notready", "n", "Running", false, 100), mk("pending", "n", "Pending", false, 100),
      mk("unscheduled", "", "Pending", false, 50)};
  ReplicaSetController::SortForDeletion(&pods);
  std::vector<std::string> names;
  for (const auto& p : pods) names.push_back(p->metadata().name());
  EXPECT_EQ(names, (std::vector<std::string>{"unscheduled", "pending", "notready", "ready-new",
                                             "ready-old"}));
}

TEST(TolerationTest, Matches) {
  api::Taint taint;
  taint.set_key(kTaintUnreachable);
  taint.set_effect("NoExecute");
  api::Toleration t;
  t.set_key(kTaintUnreachable);
  t.set_operator_("Exists");
  t.set_effect("NoExecute");
  EXPECT_TRUE(Tolerates(t, taint));
  t.set_effect("NoSchedule");
  EXPECT_FALSE(Tolerates(t, taint));
  api::Toleration all;
  all.set_operator_("Exists");
  EXPECT_TRUE(Tolerates(all, taint));
  api::Toleration eq;
  eq.set_key(kTaintUnreachable);
  eq.set_value("x");
  EXPECT_FALSE(Tolerates(eq, taint));
}

class ReplicaSetControllerTest : public ::testing::Test {
 protected:
  ReplicaSetControllerTest()
      : rs_inf_(&api_, IO("replicasets")),
        pod_inf_(&api_, IO("pods")),
        recorder_(&api_, "replicaset-controller", ""),
        ctl_(&api_, &rs_inf_, &pod_inf_, &recorder_) {}
  void SetUp() override {
    rs_inf_.Start();
    pod_inf_.Start();
    ASSERT_TRUE(rs_inf_.WaitForSync(absl::Seconds(5)));
    ASSERT_TRUE(pod_inf_.WaitForSync(absl::Seconds(5)));
  }
  void TearDown() override {
    ctl_.Shutdown();
    rs_inf_.Shutdown();
    pod_inf_.Shutdown();
    recorder_.Shutdown();
  }
  int OwnedBy(const std::string& uid) {
    auto pods = api_.ListAs<api::Pod>("pods", "default");
    int n = 0;
    for (const auto& p : *pods) {
      for (const auto& r : p.metadata().owner_references()) n += r.uid() == uid;
    }
    return n;
  }

  FakeApiClient api_;
  Informer rs_inf_, pod_inf_;
  EventRecorder recorder_;
  ReplicaSetController ctl_;
};

TEST_F(ReplicaSetControllerTest, CreatesOnceWhileCacheLags) {
  auto rs = api_.CreateAs<api::ReplicaSet>("replicasets", "default", MakeRs("web", 3));
  ASSERT_TRUE(rs.ok());
  ASSERT_TRUE(WaitFor([&] { return rs_inf_.Get("default/web") != nullptr; }));
  ASSERT_TRUE(ctl_.Sync("default/web").ok());
  EXPECT_EQ(api_.CountCalls("create", "pods"), 3);
  // Whatever the pod cache has seen, a second sync does not create again.
  ASSERT_TRUE(ctl_.Sync("default/web").ok());
  EXPECT_EQ(api_.CountCalls("create", "pods"), 3);
  EXPECT_EQ(OwnedBy(rs->metadata().uid()), 3);
}

TEST_F(ReplicaSetControllerTest, AdoptsReleasesAndScalesDown) {
  ASSERT_TRUE(api_.Create("pods", "default", MakePod("orphan", "web")).ok());
  ASSERT_TRUE(api_.Create("pods", "default", MakePod("other", "db")).ok());
  // The controller sees pods through its informer: let it see the orphan first (otherwise it
  // rightly creates two pods and deletes the surplus later, as Kubernetes' would).
  ASSERT_TRUE(WaitFor([&] { return pod_inf_.Get("default/orphan") != nullptr; }));
  api_.ClearCalls();
  auto rs = api_.CreateAs<api::ReplicaSet>("replicasets", "default", MakeRs("web", 2));
  ASSERT_TRUE(rs.ok());
  ctl_.Run(2);
  ASSERT_TRUE(WaitFor([&] { return OwnedBy(rs->metadata().uid()) == 2; }));
  EXPECT_EQ(api_.CountCalls("create", "pods"), 1);
  auto orphan = api_.GetAs<api::Pod>("pods", "default", "orphan");
  ASSERT_EQ(orphan->metadata().owner_references_size(), 1);
  EXPECT_TRUE(orphan->metadata().owner_references(0).controller());
  // Release: the label no longer matches.
  (*orphan->mutable_metadata()->mutable_labels())["app"] = "debug";
  ASSERT_TRUE(api_.Update("pods", "default", *orphan).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto p = api_.GetAs<api::Pod>("pods", "default", "orphan");
    return p->metadata().owner_references_size() == 0 && OwnedBy(rs->metadata().uid()) == 2;
  }));
  // Scale down to 0.
  // (The controller writes the status meanwhile: retry on conflict, as a client must.)
  ASSERT_TRUE(WaitFor([&] {
    auto cur = api_.GetAs<api::ReplicaSet>("replicasets", "default", "web");
    cur->mutable_spec()->set_replicas(0);
    return api_.Update("replicasets", "default", *cur).ok();
  }));
  ASSERT_TRUE(WaitFor([&] { return OwnedBy(rs->metadata().uid()) == 0; }));
  ASSERT_TRUE(WaitFor([&] {
    auto r = api_.GetAs<api::ReplicaSet>("replicasets", "default", "web");
    return r->status().replicas() == 0 && r->status().observed_generation() > 0;
  }));
}

TEST(GarbageCollectorTest, DeletesDependentsOfDeletedOwner) {
  FakeApiClient api;
  Informer rs_inf(&api, IO("replicasets")), pod_inf(&api, IO("pods"));
  GarbageCollector gc(&api, &rs_inf, &pod_inf);
  rs_inf.Start();
  pod_inf.Start();
  ASSERT_TRUE(rs_inf.WaitForSync(absl::Seconds(5)) && pod_inf.WaitForSync(absl::Seconds(5)));
  gc.Run(1);
  auto rs = api.CreateAs<api::ReplicaSet>("replicasets", "default", MakeRs("web", 1));
  api::Pod owned = MakePod("owned", "web");
  api::OwnerReference* ref = owned.mutable_metadata()->add_owner_references();
  ref->set_api_version("apps/v1");
  ref->set_kind("ReplicaSet");
  ref->set_name("web");
  ref->set_uid(rs->metadata().uid());
  ref->set_controller(true);
  ASSERT_TRUE(api.Create("pods", "default", owned).ok());
  ASSERT_TRUE(api.Create("pods", "default", MakePod("free", "web")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(api.Get("pods", "default", "owned").ok());
  ASSERT_TRUE(api.Delete("replicasets", "default", "web").ok());
  EXPECT_TRUE(
      WaitFor([&] { return absl::IsNotFound(api.Get("pods", "default", "owned").status()); }));
  EXPECT_TRUE(api.Get("pods", "default", "free").ok());
  gc.Shutdown();
  rs_inf.Shutdown();
  pod_inf.Shutdown();
}

TEST(NodeLifecycleTest, TaintsSilentNodeEvictsAfterTolerationAndUntaints) {
  FakeApiClient api;
  FakeClock clock;
  Informer nodes(&api, IO("nodes"));
  Informer leases(&api, IO("leases", "kube-node-lease"));
  Informer pods(&api, IO("pods"));
  EventRecorder recorder(&api, "node-controller", "");
  NodeLifecycleOptions opts;
  opts.grace_period = absl::Seconds(40);
  opts.clock = &clock;
  NodeLifecycleController ctl(&api, &nodes, &leases, &pods, &recorder, opts);
  for (Informer* i : {&nodes, &leases, &pods}) i->Start();
  api::Node node;
  node.mutable_metadata()->set_name("n1");
  auto* ready = node.mutable_status()->add_conditions();
  ready->set_type("Ready");
  ready->set_status("True");
  ready->set_last_heartbeat_time(mk::FormatTime(clock.Now()));
  ASSERT_TRUE(api.Create("nodes", "", node).ok());
  api::Pod tolerant = MakePod("tolerant", "x");
  tolerant.mutable_spec()->set_node_name("n1");
  auto* tol = tolerant.mutable_spec()->add_tolerations();
  tol->set_key(kTaintUnreachable);
  tol->set_operator_("Exists");
  tol->set_effect("NoExecute");
  tol->set_toleration_seconds(30);
  ASSERT_TRUE(api.Create("pods", "default", tolerant).ok());
  api::Pod intolerant = MakePod("intolerant", "x");
  intolerant.mutable_spec()->set_node_name("n1");
  ASSERT_TRUE(api.Create("pods", "default", intolerant).ok());
  ASSERT_TRUE(WaitFor([&] { return nodes.List().size() == 1 && pods.List().size() == 2; }));

  ASSERT_TRUE(ctl.MonitorOnce().ok());
  clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(ctl.MonitorOnce().ok());
  EXPECT_EQ(api.GetAs<api::Node>("nodes", "", "n1")->spec().taints_size(), 0);
  clock.Advance(absl::Seconds(11));
  ASSERT_TRUE(ctl.MonitorOnce().ok());
  auto n = api.GetAs<api::Node>("nodes", "", "n1");
  EXPECT_EQ(n->status().conditions(0).status(), "Unknown");
  ASSERT_TRUE(WaitFor([&] {
    ctl.MonitorOnce().IgnoreError();
    auto cached = nodes.GetAs<api::Node>("n1");
    return cached->spec().taints_size() == 2;
  }));
  EXPECT_EQ(api.GetAs<api::Node>("nodes", "", "n1")->spec().taints(0).key(), kTaintUnreachable);
  // The intolerant pod goes at once; the tolerant one after 30 s.
  EXPECT_TRUE(absl::IsNotFound(api.Get("pods", "default", "intolerant").status()));
  EXPECT_TRUE(api.Get("pods", "default", "tolerant").ok());
  clock.Advance(absl::Seconds(31));
  ASSERT_TRUE(ctl.MonitorOnce().ok());
  EXPECT_TRUE(absl::IsNotFound(api.Get("pods", "default", "tolerant").status()));

  // The kubelet comes back: Ready=True with a new heartbeat → untainted.
  auto cur = api.GetAs<api::Node>("nodes", "", "n1");
  cur->mutable_status()->mutable_conditions(0)->set_status("True");
  cur->mutable_status()->mutable_conditions(0)->set_last_heartbeat_time(
      mk::FormatTime(clock.Now()));
  ASSERT_TRUE(api.Update("nodes", "", *cur, "status").ok());
  ASSERT_TRUE(WaitFor([&] {
    ctl.MonitorOnce().IgnoreError();
    return api.GetAs<api::Node>("nodes", "", "n1")->spec().taints_size() == 0;
  }));
  for (Informer* i : {&nodes, &leases, &pods}) i->Shutdown();
  recorder.Shutdown();
}

}  // namespace
}  // namespace mk::controller_manager
