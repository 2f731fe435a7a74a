// ReplicaSet and garbage collection with a real apiserver and controller-manager (no
// scheduler, no kubelet): pods stay unscheduled, so deleting them is immediate.

#include <csignal>

#include "tests/integration/controller_harness.h"

namespace mk::testing {
namespace {

class ReplicaSetIT : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    StartCm(0);
  }
};

TEST_F(ReplicaSetIT, ComesUpReplacesDeletedPodAndReportsStatus) {
  std::string uid = CreateRs(MakeReplicaSet("web", 5, "web"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 5; })) << CountOwned(uid);
  for (const api::Pod& p : OwnedPods(uid)) {
    EXPECT_EQ(p.metadata().name().rfind("web-", 0), 0u) << p.metadata().name();
    EXPECT_EQ(p.metadata().labels().at("app"), "web");
  }
  ASSERT_TRUE(WaitFor([&] { return GetRs("web").status().replicas() == 5; }));
  api::ReplicaSet rs = GetRs("web");
  EXPECT_EQ(rs.status().fully_labeled_replicas(), 5);
  EXPECT_EQ(rs.status().observed_generation(), rs.metadata().generation());
  EXPECT_TRUE(WaitFor([&] { return Events("web", "SuccessfulCreate").size() == 5; }));

  // A deleted pod is replaced.
  std::string victim = OwnedPods(uid)[0].metadata().name();
  ASSERT_TRUE(client_->Delete("pods", "default", victim).ok());
  ASSERT_TRUE(WaitFor([&] {
    auto pods = OwnedPods(uid);
    if (pods.size() != 5) return false;
    for (const auto& p : pods) {
      if (p.metadata().name() == victim) return false;
    }
    return true;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(CountOwned(uid), 5);

  // Readiness reported by a (simulated) kubelet shows in status.readyReplicas.
  api::Pod p = OwnedPods(uid)[0];
  p.mutable_status()->set_phase("Running");
  api::PodCondition* c = p.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  c->set_last_transition_time(mk::FormatTime(absl::Now()));
  auto upd = client_->Update("pods", "default", p, "status");
  ASSERT_TRUE(upd.ok()) << upd.status();
  EXPECT_TRUE(WaitFor([&] {
    api::ReplicaSet r = GetRs("web");
    return r.status().ready_replicas() == 1 && r.status().available_replicas() == 1;
  }));
  CommandResult get = Kubectl({"get", "rs", "web"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_NE(get.out.find("web"), std::string::npos) << get.out;
}

TEST_F(ReplicaSetIT, AdoptsExistingPodAndCreatesOnlyTheMissingOnes) {
  api::Pod pod;
  pod.mutable_metadata()->set_name("lonely");
  (*pod.mutable_metadata()->mutable_labels())["app"] = "kuard";
  api::Container* c = pod.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  ASSERT_TRUE(client_->Create("pods", "default", pod).ok());
  std::string uid = CreateRs(MakeReplicaSet("kuard", 5, "kuard"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 5; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(Pods().size(), 5u);
  bool adopted = false;
  for (const api::Pod& p : OwnedPods(uid)) adopted |= p.metadata().name() == "lonely";
  EXPECT_TRUE(adopted);
  EXPECT_EQ(Events("kuard", "SuccessfulCreate").size(), 4u);
}

TEST_F(ReplicaSetIT, ReleasesPodWhoseLabelChanges) {
  std::string uid = CreateRs(MakeReplicaSet("web", 3, "web"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 3; }));
  std::string name = OwnedPods(uid)[0].metadata().name();
  CommandResult r = Kubectl({"label", "pod", name, "app=debug", "--overwrite"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] {
    auto got = client_->GetAs<api::Pod>("pods", "default", name);
    return got.ok() && got->metadata().owner_references_size() == 0 && CountOwned(uid) == 3;
  }));
  EXPECT_EQ(Pods().size(), 4u);
}

TEST_F(ReplicaSetIT, ScaleUpAndDownWithMkctl) {
  std::string uid = CreateRs(MakeReplicaSet("web", 5, "web"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 5; }));
  CommandResult r = Kubectl({"scale", "--replicas=8", "rs/web"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 8; }));
  r = Kubectl({"scale", "rs", "web", "--replicas=3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 3 && Pods().size() == 3; }));
  EXPECT_TRUE(WaitFor([&] { return Events("web", "SuccessfulDelete").size() == 5; }));
  EXPECT_TRUE(WaitFor([&] { return GetRs("web").status().replicas() == 3; }));
}

TEST_F(ReplicaSetIT, TemplateChangeAffectsNewPodsOnly) {
  std::string uid = CreateRs(MakeReplicaSet("web", 2, "web"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 2; }));
  api::ReplicaSet rs = GetRs("web");
  rs.mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->set_image(
      "nginx:2");
  ASSERT_TRUE(client_->Update("replicasets", "default", rs).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const api::Pod& p : OwnedPods(uid)) EXPECT_EQ(p.spec().containers(0).image(), "nginx");
  ASSERT_TRUE(client_->Delete("pods", "default", OwnedPods(uid)[0].metadata().name()).ok());
  ASSERT_TRUE(WaitFor([&] {
    int n = 0;
    for (const api::Pod& p : OwnedPods(uid)) n += p.spec().containers(0).image() == "nginx:2";
    return n == 1 && CountOwned(uid) == 2;
  }));
}

TEST_F(ReplicaSetIT, DeleteCascadesAndOrphanKeepsPods) {
  std::string uid = CreateRs(MakeReplicaSet("web", 3, "web"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 3; }));
  CommandResult r = Kubectl({"delete", "rs", "web"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitFor([&] { return Pods().empty(); })) << Pods().size();

  uid = CreateRs(MakeReplicaSet("keep", 3, "keep"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 3; }));
  r = Kubectl({"delete", "rs", "keep", "--cascade=orphan"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::this_thread::sleep_for(std::chrono::seconds(1));
  std::vector<api::Pod> pods = Pods();
  ASSERT_EQ(pods.size(), 3u);
  for (const api::Pod& p : pods) EXPECT_EQ(p.metadata().owner_references_size(), 0);

  // Foreground: the owner stays until its dependents are gone.
  for (const api::Pod& p : pods)
    ASSERT_TRUE(client_->Delete("pods", "default", p.metadata().name()).ok());
  uid = CreateRs(MakeReplicaSet("fg", 3, "fg"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 3; }));
  // (The apiserver has been seen to answer 409 to a DELETE racing the controller's status
  // writes; kubectl users retry, so does the test.)
  for (int i = 0; i < 5; ++i) {
    r = Kubectl({"delete", "rs", "fg", "--cascade=foreground"});
    if (r.err.find("Conflict") == std::string::npos) break;
  }
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(WaitFor([&] {
    return Pods().empty() &&
           absl::IsNotFound(client_->Get("replicasets", "default", "fg").status());
  }));
}

// Pods of a ReplicaSet deleted while the controller-manager was down are collected when it
// comes back.
TEST_F(ReplicaSetIT, GarbageCollectsAfterRestart) {
  std::string uid = CreateRs(MakeReplicaSet("web", 3, "web"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 3; }));
  KillCm(0);
  DeleteOptions opts;
  opts.propagation_policy = "Background";
  ASSERT_TRUE(client_->Delete("replicasets", "default", "web", opts).ok());
  EXPECT_EQ(Pods().size(), 3u);
  StartCm(0);
  EXPECT_TRUE(WaitFor([&] { return Pods().empty(); }));
}

TEST_F(ReplicaSetIT, NamespaceGetsDefaultServiceAccountAndDeletionEmptiesIt) {
  ASSERT_EQ(Kubectl({"create", "namespace", "team"}).exit_code, 0);
  EXPECT_TRUE(
      WaitFor([&] { return client_->Get("serviceaccounts", "team", "default").status().ok(); }));
  std::string uid = CreateRs(MakeReplicaSet("web", 2, "web"), "team");
  ASSERT_TRUE(WaitFor([&] { return OwnedPods(uid, "team").size() == 2; }));
  // A deleted default ServiceAccount comes back.
  ASSERT_TRUE(client_->Delete("serviceaccounts", "team", "default").ok());
  EXPECT_TRUE(
      WaitFor([&] { return client_->Get("serviceaccounts", "team", "default").status().ok(); }));
  ASSERT_EQ(Kubectl({"delete", "namespace", "team"}).exit_code, 0);
  EXPECT_TRUE(WaitFor([&] {
    auto rs = client_->List("replicasets", "team");
    auto pods = client_->List("pods", "team");
    return rs.ok() && pods.ok() && rs->items.empty() && pods->items.empty();
  }));
}

}  // namespace
}  // namespace mk::testing
