#include "kubelet/kubelet.h"

#include <unistd.h>

#include <filesystem>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/fake_api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/container_spec.h"
#include "kubelet/fake_runtime.h"
#include "kubelet/volumes.h"

namespace mk::kubelet {
namespace {

using ::testing::Contains;

bool WaitFor(const std::function<bool()>& cond) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (cond()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return cond();
}

class KubeletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat(::testing::TempDir(), "/kl-", getpid(), "-", counter_++);
    std::filesystem::create_directories(root_);
    runtime_.AddImage("busybox:1");
    runtime_.AddImage(kDefaultPauseImage);
  }
  void TearDown() override {
    kubelets_.clear();
    std::filesystem::remove_all(root_);
  }

  Kubelet* NewKubelet(const std::string& node = "node-1") {
    KubeletOptions o;
    o.node_name = node;
    o.root_dir = root_;
    o.host_ip = "192.168.1.10";
    o.workers = 0;
    o.resync_period = absl::ZeroDuration();
    kubelets_.push_back(std::make_unique<Kubelet>(o, &api_, &runtime_, &clock_, nullptr, nullptr));
    Kubelet* k = kubelets_.back().get();
    k->Start();
    EXPECT_TRUE(k->WaitForSync(absl::Seconds(10)));
    return k;
  }

  api::Pod CreatePod(const std::string& name, const std::string& node = "node-1",
                     bool finalizer = false) {
    api::Pod pod;
    pod.mutable_metadata()->set_name(name);
    pod.mutable_metadata()->set_namespace_("default");
    if (finalizer) pod.mutable_metadata()->add_finalizers("test/hold");
    pod.mutable_spec()->set_node_name(node);
    pod.mutable_spec()->set_termination_grace_period_seconds(5);
    api::Container* c = pod.mutable_spec()->add_containers();
    c->set_name("app");
    c->set_image("busybox:1");
    absl::StatusOr<api::Pod> created = api_.CreateAs<api::Pod>("pods", "default", pod);
    EXPECT_TRUE(created.ok()) << created.status();
    return *created;
  }

  // Waits until the kubelet's informer sees `pred` hold for pod `name`.
  bool WaitCached(Kubelet* k, const std::string& name,
                  const std::function<bool(const api::Pod&)>& pred) {
    return WaitFor([&] {
      auto p = k->informer()->GetAs<api::Pod>("default/" + name);
      return p != nullptr && pred(*p);
    });
  }

  api::Pod Get(const std::string& name) { return *api_.GetAs<api::Pod>("pods", "default", name); }

  static int counter_;
  std::string root_;
  FakeClock clock_;
  FakeApiClient api_{&clock_};
  FakeRuntime runtime_{&clock_};
  std::vector<std::unique_ptr<Kubelet>> kubelets_;
};
int KubeletTest::counter_ = 0;

TEST_F(KubeletTest, RunsPodAndWritesStatusOnlyWhenChanged) {
  Kubelet* k = NewKubelet();
  api::Pod pod = CreatePod("web");
  ASSERT_TRUE(WaitCached(k, "web", [](const api::Pod&) { return true; }));
  k->SyncPod("default/web");
  api::Pod got = Get("web");
  EXPECT_EQ(got.status().phase(), "Running");
  EXPECT_EQ(got.status().container_statuses(0).name(), "app");
  EXPECT_EQ(got.status().host_ip(), "192.168.1.10");
  EXPECT_FALSE(got.status().pod_ip().empty());
  int updates = api_.CountCalls("update", "pods");
  EXPECT_EQ(updates, 1);
  k->SyncPod("default/web");
  k->SyncPod("default/web");
  EXPECT_EQ(api_.CountCalls("update", "pods"), updates);  // unchanged: no write
  EXPECT_EQ(k->FindContainer("default", "web", "app"),
            runtime_.Find({{kLabelPodName, "web"}, {kLabelContainerName, "app"}}));
}

TEST_F(KubeletTest, GracefulDeletionEndsWithApiDeleteGraceZero) {
  Kubelet* k = NewKubelet();
  CreatePod("gone", "node-1", /*finalizer=*/true);
  ASSERT_TRUE(WaitCached(k, "gone", [](const api::Pod&) { return true; }));
  k->SyncPod("default/gone");
  std::string id = runtime_.Find({{kLabelPodName, "gone"}, {kLabelContainerName, "app"}});
  runtime_.IgnoreSigterm(id);
  const std::string name = runtime_.Get(id)->name;
  ASSERT_TRUE(api_.Delete("pods", "default", "gone").ok());  // sets deletionTimestamp
  ASSERT_TRUE(WaitCached(
      k, "gone", [](const api::Pod& p) { return !p.metadata().deletion_timestamp().empty(); }));
  api_.ClearCalls();
  runtime_.ClearOps();
  k->SyncPod("default/gone");
  EXPECT_THAT(runtime_.Ops(), Contains("kill " + name + " SIGTERM"));
  EXPECT_EQ(api_.CountCalls("delete", "pods"), 0);
  EXPECT_EQ(k->NumWorkers(), 1);
  clock_.Advance(absl::Seconds(5));  // the grace period
  k->SyncPod("default/gone");
  EXPECT_THAT(runtime_.Ops(), Contains("kill " + name + " SIGKILL"));
  EXPECT_EQ(runtime_.NumContainers(), 0);
  EXPECT_EQ(api_.CountCalls("delete", "pods"), 1);
  EXPECT_EQ(k->NumWorkers(), 0);
}

TEST_F(KubeletTest, RestartedKubeletAdoptsWithoutRestartsOrWrites) {
  Kubelet* k1 = NewKubelet();
  CreatePod("steady");
  ASSERT_TRUE(WaitCached(k1, "steady", [](const api::Pod&) { return true; }));
  k1->SyncPod("default/steady");
  k1->Shutdown();
  int updates = api_.CountCalls("update", "pods");
  runtime_.ClearOps();

  Kubelet* k2 = NewKubelet();
  ASSERT_TRUE(
      WaitCached(k2, "steady", [](const api::Pod& p) { return p.status().phase() == "Running"; }));
  k2->SyncPod("default/steady");
  k2->Housekeeping();
  EXPECT_TRUE(runtime_.Ops().empty());
  EXPECT_EQ(api_.CountCalls("update", "pods"), updates);
}

TEST_F(KubeletTest, HousekeepingRemovesOrphansButNeverAnotherNodesContainers) {
  Kubelet* k = NewKubelet("node-1");
  CreatePod("kept");
  ASSERT_TRUE(WaitCached(k, "kept", [](const api::Pod&) { return true; }));
  k->SyncPod("default/kept");

  auto body = [](const std::string& node, const std::string& uid, bool sandbox) {
    Json b;
    b["Image"] = "busybox:1";
    b["Labels"] = {{kLabelNode, node},
                   {kLabelPodUid, uid},
                   {kLabelPodName, "old"},
                   {kLabelPodNamespace, "default"},
                   {kLabelContainerName, sandbox ? "POD" : "c"}};
    if (sandbox) b["Labels"][kLabelSandbox] = "true";
    return b;
  };
  std::string orphan_sb = runtime_.Inject("mk_POD_old", body("node-1", "dead-uid", true), true);
  std::string orphan = runtime_.Inject("mk_c_old", body("node-1", "dead-uid", false), true);
  std::string foreign = runtime_.Inject("mk_c_other", body("node-2", "other-uid", false), true);
  std::string unlabelled = runtime_.Inject("someone-elses", Json{{"Image", "busybox:1"}}, true);
  std::filesystem::create_directories(PodDir(root_, "dead-uid") + "/volumes/empty-dir/x");
  std::filesystem::create_directories(PodDir(root_, "stale-uid"));
  runtime_.ClearOps();

  k->Housekeeping();
  EXPECT_FALSE(runtime_.Get(orphan).has_value());
  EXPECT_FALSE(runtime_.Get(orphan_sb).has_value());
  EXPECT_TRUE(runtime_.Get(foreign).has_value());
  EXPECT_TRUE(runtime_.Get(foreign)->running);
  EXPECT_TRUE(runtime_.Get(unlabelled).has_value());
  std::vector<std::string> ops = runtime_.Ops();
  EXPECT_EQ(ops.back(), "remove mk_POD_old");  // the sandbox last
  EXPECT_FALSE(std::filesystem::exists(PodDir(root_, "dead-uid")));
  EXPECT_FALSE(std::filesystem::exists(PodDir(root_, "stale-uid")));
  // The live pod is untouched.
  EXPECT_TRUE(runtime_.Get(runtime_.Find({{kLabelPodName, "kept"}, {kLabelContainerName, "app"}}))
                  ->running);
}

TEST_F(KubeletTest, ForceDeletedPodIsTornDown) {
  Kubelet* k = NewKubelet();
  CreatePod("forced");
  ASSERT_TRUE(WaitCached(k, "forced", [](const api::Pod&) { return true; }));
  k->SyncPod("default/forced");
  EXPECT_EQ(runtime_.NumContainers(), 2);
  DeleteOptions d;
  d.grace_period_seconds = 0;
  ASSERT_TRUE(api_.Delete("pods", "default", "forced", d).ok());
  ASSERT_TRUE(WaitFor([&] { return k->informer()->Get("default/forced") == nullptr; }));
  k->SyncPod("default/forced");
  EXPECT_EQ(runtime_.NumContainers(), 0);
  EXPECT_EQ(k->NumWorkers(), 0);
}

TEST_F(KubeletTest, IgnoresPodsOfOtherNodesAndLivenessFailureRestarts) {
  Kubelet* k = NewKubelet("node-1");
  CreatePod("elsewhere", "node-2");
  CreatePod("here");
  ASSERT_TRUE(WaitCached(k, "here", [](const api::Pod&) { return true; }));
  EXPECT_EQ(k->informer()->Get("default/elsewhere"), nullptr);
  k->SyncPod("default/here");
  std::string id = k->FindContainer("default", "here", "app");
  std::string uid = Get("here").metadata().uid();
  k->OnLivenessFailure(uid, "app", id, "Container app failed liveness probe, will be restarted");
  k->SyncPod("default/here");  // SIGTERM
  k->SyncPod("default/here");  // restarted
  api::Pod got = Get("here");
  EXPECT_EQ(got.status().container_statuses(0).restart_count(), 1);
  EXPECT_TRUE(got.status().container_statuses(0).state().has_running());
  EXPECT_EQ(k->FindContainer("default", "here", "app", /*previous=*/true), id);
}

}  // namespace
}  // namespace mk::kubelet
