#include "kubelet/pod_worker.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/fake_runtime.h"
#include "kubelet/volumes.h"

namespace mk::kubelet {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordingSink : public EventSink {
 public:
  void Event(const api::Pod&, const std::string& type, const std::string& reason,
             const std::string& message) override {
    events.push_back(absl::StrCat(type, " ", reason, " ", message));
  }
  bool Has(const std::string& prefix) const {
    for (const auto& e : events) {
      if (absl::StartsWith(e, prefix)) return true;
    }
    return false;
  }
  std::vector<std::string> events;
};

api::Container MakeContainer(const std::string& name, const std::string& image = "busybox:1") {
  api::Container c;
  c.set_name(name);
  c.set_image(image);
  return c;
}

api::Pod MakePod(const std::string& name, std::vector<api::Container> containers,
                 std::vector<api::Container> init = {}) {
  api::Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_metadata()->set_uid(absl::StrCat("uid-", name, "-0123456789"));
  pod.mutable_spec()->set_node_name("node-1");
  for (auto& c : containers) *pod.mutable_spec()->add_containers() = c;
  for (auto& c : init) *pod.mutable_spec()->add_init_containers() = c;
  return pod;
}

class PodWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat(::testing::TempDir(), "/pw-", getpid(), "-", counter_++);
    std::filesystem::create_directories(root_);
    runtime_.AddImage("busybox:1");
    runtime_.AddImage(kDefaultPauseImage);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<PodWorker> NewWorker() {
    PodWorkerOptions o;
    o.node_name = "node-1";
    o.root_dir = root_;
    o.host_ip = "192.168.1.10";
    PodWorkerDeps d;
    d.runtime = &runtime_;
    d.clock = &clock_;
    d.events = &sink_;
    d.secrets = [this](const std::string& ns,
                       const std::string& name) -> absl::StatusOr<api::Secret> {
      auto it = secrets_.find(ns + "/" + name);
      if (it == secrets_.end()) return absl::NotFoundError("not found");
      return it->second;
    };
    d.credentials = [](const std::string&, const std::vector<api::Secret>& secrets) {
      std::vector<RegistryAuth> out;
      for (const auto& s : secrets) {
        std::string user, pass;
        SecretValue(s, "user", &user);
        SecretValue(s, "pass", &pass);
        out.push_back(RegistryAuth{user, pass, "127.0.0.1:5000"});
      }
      return out;
    };
    return std::make_unique<PodWorker>(o, d);
  }

  // Syncs and stores the status into the pod, as the kubelet would.
  SyncResult Sync(PodWorker* w, api::Pod* pod) {
    SyncResult r = w->Sync(*pod);
    if (!r.terminated) *pod->mutable_status() = r.status;
    return r;
  }

  std::string Id(const api::Pod& pod, const std::string& container) {
    return runtime_.Find({{kLabelPodUid, pod.metadata().uid()}, {kLabelContainerName, container}});
  }

  static const api::ContainerStatus& Status(const api::Pod& pod, const std::string& name) {
    for (const auto& cs : pod.status().container_statuses()) {
      if (cs.name() == name) return cs;
    }
    for (const auto& cs : pod.status().init_container_statuses()) {
      if (cs.name() == name) return cs;
    }
    static api::ContainerStatus none;
    return none;
  }
  static std::string Condition(const api::Pod& pod, const std::string& type) {
    for (const auto& c : pod.status().conditions()) {
      if (c.type() == type) return c.status();
    }
    return "";
  }

  static int counter_;
  std::string root_;
  FakeClock clock_;
  FakeRuntime runtime_{&clock_};
  RecordingSink sink_;
  std::map<std::string, api::Secret> secrets_;
};
int PodWorkerTest::counter_ = 0;

TEST_F(PodWorkerTest, SandboxFirstThenInitContainersInOrderThenApps) {
  api::Pod pod = MakePod("web", {MakeContainer("a"), MakeContainer("b")},
                         {MakeContainer("init1"), MakeContainer("init2")});
  auto w = NewWorker();
  Sync(w.get(), &pod);
  std::string sb = SandboxName(pod, 0);
  EXPECT_THAT(runtime_.Ops(),
              ElementsAre("create " + sb, "start " + sb, "create " + ContainerName(pod, "init1", 0),
                          "start " + ContainerName(pod, "init1", 0)));
  EXPECT_EQ(pod.status().phase(), "Pending");
  EXPECT_TRUE(Status(pod, "init1").state().has_running());
  EXPECT_EQ(Status(pod, "init2").state().waiting().reason(), "PodInitializing");
  EXPECT_EQ(Status(pod, "a").state().waiting().reason(), "PodInitializing");
  EXPECT_EQ(Condition(pod, "Initialized"), "False");
  EXPECT_EQ(pod.status().pod_ip(), "10.88.0.2");
  EXPECT_EQ(pod.status().host_ip(), "192.168.1.10");

  // Sync again while init1 runs: nothing new.
  runtime_.ClearOps();
  Sync(w.get(), &pod);
  EXPECT_TRUE(runtime_.Ops().empty());

  runtime_.Exit(Id(pod, "init1"), 0);
  Sync(w.get(), &pod);
  EXPECT_THAT(runtime_.Ops(), ElementsAre("create " + ContainerName(pod, "init2", 0),
                                          "start " + ContainerName(pod, "init2", 0)));
  EXPECT_EQ(Status(pod, "init1").state().terminated().reason(), "Completed");

  runtime_.ClearOps();
  runtime_.Exit(Id(pod, "init2"), 0);
  Sync(w.get(), &pod);
  EXPECT_THAT(
      runtime_.Ops(),
      ElementsAre("create " + ContainerName(pod, "a", 0), "start " + ContainerName(pod, "a", 0),
                  "create " + ContainerName(pod, "b", 0), "start " + ContainerName(pod, "b", 0)));
  EXPECT_EQ(pod.status().phase(), "Running");
  EXPECT_EQ(Condition(pod, "Initialized"), "True");
  EXPECT_EQ(Condition(pod, "Ready"), "True");
  EXPECT_EQ(Condition(pod, "ContainersReady"), "True");
  EXPECT_EQ(Condition(pod, "PodScheduled"), "True");
  EXPECT_TRUE(Status(pod, "a").ready());
  EXPECT_EQ(Status(pod, "a").container_id(), "docker://" + Id(pod, "a"));
  EXPECT_EQ(Status(pod, "a").image_id(), "docker://sha256:busybox:1");

  // App containers join the sandbox's network and IPC.
  Json body = *runtime_.Body(Id(pod, "a"));
  std::string sandbox_id = Id(pod, "POD");
  EXPECT_EQ(body["HostConfig"]["NetworkMode"], "container:" + sandbox_id);
  EXPECT_EQ(body["HostConfig"]["IpcMode"], "container:" + sandbox_id);
  EXPECT_EQ(body["Labels"][kLabelNode], "node-1");
  EXPECT_EQ(body["Labels"][kLabelAttempt], "0");
  EXPECT_TRUE(sink_.Has("Normal Created Created container a"));
  EXPECT_TRUE(sink_.Has("Normal Started Started container a"));
}

TEST_F(PodWorkerTest, FailedInitContainerWithRestartNeverFailsThePod) {
  api::Pod pod = MakePod("p", {MakeContainer("a")}, {MakeContainer("init")});
  pod.mutable_spec()->set_restart_policy("Never");
  auto w = NewWorker();
  Sync(w.get(), &pod);
  runtime_.Exit(Id(pod, "init"), 3);
  runtime_.ClearOps();
  Sync(w.get(), &pod);
  EXPECT_EQ(pod.status().phase(), "Failed");
  EXPECT_EQ(Status(pod, "init").state().terminated().reason(), "Error");
  EXPECT_EQ(Id(pod, "a"), "");
}

TEST_F(PodWorkerTest, RestartPolicies) {
  struct Case {
    std::string policy;
    int exit_code;
    bool restarts;
    std::string phase;
  } cases[] = {{"Always", 0, true, "Running"},       {"Always", 1, true, "Running"},
               {"OnFailure", 0, false, "Succeeded"}, {"OnFailure", 2, true, "Running"},
               {"Never", 0, false, "Succeeded"},     {"Never", 1, false, "Failed"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.policy + " exit " + std::to_string(c.exit_code));
    api::Pod pod = MakePod("p-" + absl::AsciiStrToLower(c.policy) + std::to_string(c.exit_code),
                           {MakeContainer("a")});
    pod.mutable_spec()->set_restart_policy(c.policy);
    auto w = NewWorker();
    Sync(w.get(), &pod);
    runtime_.Exit(Id(pod, "a"), c.exit_code);
    Sync(w.get(), &pod);
    EXPECT_EQ(Status(pod, "a").restart_count(), c.restarts ? 1 : 0);
    EXPECT_EQ(pod.status().phase(), c.phase);
    if (!c.restarts) {
      EXPECT_EQ(Status(pod, "a").state().terminated().exit_code(), c.exit_code);
      EXPECT_EQ(Status(pod, "a").state().terminated().reason(),
                c.exit_code == 0 ? "Completed" : "Error");
      // Finished for good: the sandbox is stopped.
      EXPECT_FALSE(runtime_.Get(Id(pod, "POD"))->running);
      EXPECT_EQ(Condition(pod, "Ready"), "False");
    } else {
      EXPECT_TRUE(Status(pod, "a").state().has_running());
      EXPECT_EQ(Status(pod, "a").last_state().terminated().exit_code(), c.exit_code);
    }
  }
}

TEST_F(PodWorkerTest, CrashLoopBackOffDoublesToFiveMinutesAndResets) {
  api::Pod pod = MakePod("crash", {MakeContainer("c")});
  auto w = NewWorker();
  Sync(w.get(), &pod);
  // First crash: restarted at once.
  runtime_.Exit(Id(pod, "c"), 1);
  Sync(w.get(), &pod);
  EXPECT_EQ(Status(pod, "c").restart_count(), 1);
  EXPECT_TRUE(Status(pod, "c").state().has_running());

  std::vector<int> waits;
  for (int expected : {10, 20, 40, 80, 160, 300, 300}) {
    runtime_.Exit(Id(pod, "c"), 1);
    SyncResult r = Sync(w.get(), &pod);
    const auto& cs = Status(pod, "c");
    ASSERT_EQ(cs.state().waiting().reason(), "CrashLoopBackOff");
    EXPECT_EQ(cs.state().waiting().message(),
              absl::StrCat("back-off ", GoDuration(absl::Seconds(expected)),
                           " restarting failed container=c pod=crash_default(",
                           pod.metadata().uid(), ")"));
    EXPECT_EQ(cs.last_state().terminated().exit_code(), 1);
    EXPECT_EQ(r.requeue_after, absl::Seconds(expected));
    EXPECT_EQ(pod.status().phase(), "Running");
    int before = cs.restart_count();
    clock_.Advance(absl::Seconds(expected - 1));
    Sync(w.get(), &pod);
    EXPECT_EQ(Status(pod, "c").state().waiting().reason(), "CrashLoopBackOff");
    clock_.Advance(absl::Seconds(1));
    Sync(w.get(), &pod);
    EXPECT_TRUE(Status(pod, "c").state().has_running());
    EXPECT_EQ(Status(pod, "c").restart_count(), before + 1);
    waits.push_back(expected);
  }
  EXPECT_TRUE(sink_.Has("Warning BackOff Back-off restarting failed container"));
  EXPECT_EQ(GoDuration(absl::Seconds(300)), "5m0s");

  // Runs for 11 minutes, then crashes: restarted at once again.
  clock_.Advance(absl::Minutes(11));
  runtime_.Exit(Id(pod, "c"), 1);
  Sync(w.get(), &pod);
  EXPECT_TRUE(Status(pod, "c").state().has_running());
  // ... and the next crash backs off 10 s.
  runtime_.Exit(Id(pod, "c"), 1);
  Sync(w.get(), &pod);
  EXPECT_THAT(Status(pod, "c").state().waiting().message(), HasSubstr("back-off 10s"));
  // Only the current and the previous instance are kept.
  EXPECT_EQ(runtime_.FindAll({{kLabelContainerName, "c"}}).size(), 2u);
}

TEST_F(PodWorkerTest, OomKilledShowsInLastStateThenCrashLoopBackOff) {
  api::Pod pod = MakePod("oom", {MakeContainer("hog")});
  auto w = NewWorker();
  Sync(w.get(), &pod);
  runtime_.OomKill(Id(pod, "hog"));
  Sync(w.get(), &pod);  // restarted at once
  EXPECT_TRUE(sink_.Has("Warning OOMKilling"));
  runtime_.OomKill(Id(pod, "hog"));
  Sync(w.get(), &pod);
  const auto& cs = Status(pod, "hog");
  EXPECT_EQ(cs.state().waiting().reason(), "CrashLoopBackOff");
  EXPECT_EQ(cs.last_state().terminated().reason(), "OOMKilled");
  EXPECT_EQ(cs.last_state().terminated().exit_code(), 137);
  EXPECT_EQ(cs.restart_count(), 1);
  EXPECT_FALSE(cs.ready());
  EXPECT_EQ(Condition(pod, "Ready"), "False");
}

TEST_F(PodWorkerTest, PullFailureErrImagePullThenImagePullBackOff) {
  api::Pod pod = MakePod("pull", {MakeContainer("c", "127.0.0.1:5000/photo:v1")});
  runtime_.SetPullError("127.0.0.1:5000/photo:v1",
                        absl::UnknownError("unauthorized: authentication required"));
  auto w = NewWorker();
  SyncResult r = Sync(w.get(), &pod);
  EXPECT_EQ(Status(pod, "c").state().waiting().reason(), "ErrImagePull");
  EXPECT_EQ(Status(pod, "c").state().waiting().message(), "unauthorized: authentication required");
  EXPECT_TRUE(sink_.Has("Normal Pulling Pulling image \"127.0.0.1:5000/photo:v1\""));
  EXPECT_TRUE(
      sink_.Has("Warning Failed Failed to pull image \"127.0.0.1:5000/photo:v1\": "
                "unauthorized: authentication required"));
  EXPECT_EQ(r.requeue_after, absl::Seconds(10));
  EXPECT_EQ(pod.status().phase(), "Pending");

  Sync(w.get(), &pod);  // right after the failure ErrImagePull stays a moment
  EXPECT_EQ(Status(pod, "c").state().waiting().reason(), "ErrImagePull");
  clock_.Advance(absl::Seconds(2));
  Sync(w.get(), &pod);
  EXPECT_EQ(Status(pod, "c").state().waiting().reason(), "ImagePullBackOff");
  EXPECT_EQ(Status(pod, "c").state().waiting().message(),
            "Back-off pulling image \"127.0.0.1:5000/photo:v1\"");

  clock_.Advance(absl::Seconds(10));
  Sync(w.get(), &pod);
  EXPECT_EQ(Status(pod, "c").state().waiting().reason(), "ErrImagePull");
  clock_.Advance(absl::Seconds(10));  // back-off is 20 s now
  Sync(w.get(), &pod);
  EXPECT_EQ(Status(pod, "c").state().waiting().reason(), "ImagePullBackOff");

  runtime_.SetPullError("127.0.0.1:5000/photo:v1", absl::OkStatus());
  clock_.Advance(absl::Seconds(10));
  Sync(w.get(), &pod);
  EXPECT_TRUE(Status(pod, "c").state().has_running());
  EXPECT_EQ(pod.status().phase(), "Running");
}

TEST_F(PodWorkerTest, PullUsesPodAndServiceAccountSecretsAndPolicyNever) {
  api::Secret regcred;
  regcred.mutable_metadata()->set_name("regcred");
  (*regcred.mutable_data())["user"] = "admin";
  (*regcred.mutable_data())["pass"] = "admin";
  secrets_["default/regcred"] = regcred;
  runtime_.RequireAuth("127.0.0.1:5000/photo:v1", "admin", "admin");

  api::Pod pod = MakePod("auth", {MakeContainer("c", "127.0.0.1:5000/photo:v1")});
  pod.mutable_spec()->add_image_pull_secrets()->set_name("regcred");
  auto w = NewWorker();
  Sync(w.get(), &pod);
  EXPECT_TRUE(Status(pod, "c").state().has_running());
  ASSERT_EQ(runtime_.PullAuths().size(), 1u);
  EXPECT_EQ(runtime_.PullAuths()[0].username, "admin");

  api::Pod never = MakePod("never", {MakeContainer("c", "missing:1")});
  never.mutable_spec()->mutable_containers(0)->set_image_pull_policy("Never");
  auto w2 = NewWorker();
  Sync(w2.get(), &never);
  EXPECT_EQ(Status(never, "c").state().waiting().reason(), "ErrImageNeverPull");
}

TEST_F(PodWorkerTest, SecretVolumeAndEnvFromSecret) {
  api::Secret s;
  s.mutable_metadata()->set_name("db");
  (*s.mutable_data())["password"] = "s3cret";
  secrets_["default/db"] = s;

  api::Container c = MakeContainer("app");
  api::EnvVar* e = c.add_env();
  e->set_name("PASS");
  e->mutable_value_from()->mutable_secret_key_ref()->set_name("db");
  e->mutable_value_from()->mutable_secret_key_ref()->set_key("password");
  api::EnvVar* n = c.add_env();
  n->set_name("POD");
  n->mutable_value_from()->mutable_field_ref()->set_field_path("metadata.name");
  api::VolumeMount* m = c.add_volume_mounts();
  m->set_name("creds");
  m->set_mount_path("/etc/creds");
  api::VolumeMount* m2 = c.add_volume_mounts();
  m2->set_name("scratch");
  m2->set_mount_path("/data");
  api::Pod pod = MakePod("sec", {c});
  api::Volume* v = pod.mutable_spec()->add_volumes();
  v->set_name("creds");
  v->mutable_secret()->set_secret_name("db");
  api::Volume* v2 = pod.mutable_spec()->add_volumes();
  v2->set_name("scratch");
  v2->mutable_empty_dir();

  auto w = NewWorker();
  Sync(w.get(), &pod);
  ASSERT_TRUE(Status(pod, "app").state().has_running()) << Status(pod, "app").DebugString();
  Json body = *runtime_.Body(Id(pod, "app"));
  EXPECT_THAT(body["Env"].get<std::vector<std::string>>(), ElementsAre("PASS=s3cret", "POD=sec"));
  std::string dir = absl::StrCat(root_, "/pods/", pod.metadata().uid(), "/volumes");
  EXPECT_THAT(body["HostConfig"]["Binds"].get<std::vector<std::string>>(),
              ElementsAre(dir + "/secret/creds:/etc/creds:ro", dir + "/empty-dir/scratch:/data"));
  std::ifstream f(dir + "/secret/creds/password");
  std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "s3cret");
  EXPECT_EQ(std::filesystem::status(dir + "/secret/creds/password").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms(0644));

  // A missing key: CreateContainerConfigError with Kubernetes' message.
  api::Pod bad = MakePod("bad", {c});
  bad.mutable_spec()
      ->mutable_containers(0)
      ->mutable_env(0)
      ->mutable_value_from()
      ->mutable_secret_key_ref()
      ->set_key("nope");
  *bad.mutable_spec()->mutable_volumes() = pod.spec().volumes();
  auto w2 = NewWorker();
  Sync(w2.get(), &bad);
  EXPECT_EQ(Status(bad, "app").state().waiting().reason(), "CreateContainerConfigError");
  EXPECT_EQ(Status(bad, "app").state().waiting().message(),
            "couldn't find key nope in Secret default/db");
  secrets_.clear();
  api::Pod gone = MakePod("gone", {c});
  auto w3 = NewWorker();
  Sync(w3.get(), &gone);
  EXPECT_EQ(Status(gone, "app").state().waiting().message(), "secret \"db\" not found");
  EXPECT_TRUE(sink_.Has("Warning Failed Error: secret \"db\" not found"));
}

TEST_F(PodWorkerTest, GracefulDeletionTermWaitKillRemove) {
  api::Pod pod = MakePod("del", {MakeContainer("a"), MakeContainer("b")});
  api::Volume* v = pod.mutable_spec()->add_volumes();
  v->set_name("scratch");
  v->mutable_empty_dir();
  auto w = NewWorker();
  Sync(w.get(), &pod);
  std::string pod_dir = PodDir(root_, pod.metadata().uid());
  EXPECT_TRUE(std::filesystem::exists(pod_dir + "/volumes/empty-dir/scratch"));
  runtime_.IgnoreSigterm(Id(pod, "a"));  // "b" stops on SIGTERM
  runtime_.ClearOps();

  pod.mutable_metadata()->set_deletion_timestamp("2030-01-01T00:00:30Z");
  pod.mutable_metadata()->set_deletion_grace_period_seconds(30);
  SyncResult r = Sync(w.get(), &pod);
  EXPECT_FALSE(r.terminated);
  std::string a = ContainerName(pod, "a", 0), b = ContainerName(pod, "b", 0);
  EXPECT_THAT(runtime_.Ops(), ElementsAre("kill " + a + " SIGTERM", "kill " + b + " SIGTERM"));
  EXPECT_TRUE(sink_.Has("Normal Killing Stopping container a"));
  EXPECT_LE(r.requeue_after, absl::Seconds(1));

  runtime_.ClearOps();
  clock_.Advance(absl::Seconds(29));
  r = Sync(w.get(), &pod);
  EXPECT_FALSE(r.terminated);
  EXPECT_TRUE(runtime_.Ops().empty());

  clock_.Advance(absl::Seconds(1));
  r = Sync(w.get(), &pod);
  EXPECT_TRUE(r.terminated);
  std::vector<std::string> ops = runtime_.Ops();
  ASSERT_GE(ops.size(), 4u);
  EXPECT_EQ(ops[0], "kill " + a + " SIGKILL");
  EXPECT_THAT(ops, Contains("remove " + a));
  EXPECT_THAT(ops, Contains("remove " + b));
  EXPECT_EQ(ops.back(), "remove " + SandboxName(pod, 0));  // the sandbox last
  EXPECT_EQ(runtime_.NumContainers(), 0);
  EXPECT_FALSE(std::filesystem::exists(pod_dir));
}

TEST_F(PodWorkerTest, NewWorkerAdoptsRunningContainersWithoutRestarts) {
  api::Pod pod = MakePod("adopt", {MakeContainer("a")}, {MakeContainer("init")});
  auto w = NewWorker();
  Sync(w.get(), &pod);
  runtime_.Exit(Id(pod, "init"), 0);
  Sync(w.get(), &pod);
  runtime_.Exit(Id(pod, "a"), 1);
  Sync(w.get(), &pod);  // restart count 1
  api::PodStatus before = pod.status();
  runtime_.ClearOps();

  auto fresh = NewWorker();  // a restarted kubelet
  api::Pod again = pod;
  Sync(fresh.get(), &again);
  EXPECT_TRUE(runtime_.Ops().empty());
  EXPECT_EQ(again.status().phase(), "Running");
  EXPECT_EQ(Status(again, "a").restart_count(), 1);
  EXPECT_EQ(Status(again, "a").last_state().terminated().exit_code(), 1);
  EXPECT_EQ(again.status().DebugString(), before.DebugString());
}

TEST_F(PodWorkerTest, ChangedImageRestartsTheContainer) {
  runtime_.AddImage("busybox:2");
  api::Pod pod = MakePod("upd", {MakeContainer("a")});
  auto w = NewWorker();
  Sync(w.get(), &pod);
  std::string old_id = Id(pod, "a");
  pod.mutable_spec()->mutable_containers(0)->set_image("busybox:2");
  Sync(w.get(), &pod);  // SIGTERM
  EXPECT_TRUE(sink_.Has("Normal Killing Container a definition changed, will be restarted"));
  Sync(w.get(), &pod);  // exited → recreated, no back-off
  EXPECT_NE(Id(pod, "a"), old_id);
  EXPECT_EQ((*runtime_.Body(Id(pod, "a")))["Image"], "busybox:2");
  EXPECT_TRUE(Status(pod, "a").state().has_running());
  EXPECT_EQ(Status(pod, "a").restart_count(), 1);
}

TEST_F(PodWorkerTest, LivenessKillRestartsPerPolicy) {
  api::Pod pod = MakePod("live", {MakeContainer("a")});
  auto w = NewWorker();
  Sync(w.get(), &pod);
  std::string id = Id(pod, "a");
  w->RequestKill("a", id, "Container a failed liveness probe, will be restarted");
  runtime_.ClearOps();
  Sync(w.get(), &pod);
  EXPECT_THAT(runtime_.Ops()[0], "kill " + ContainerName(pod, "a", 0) + " SIGTERM");
  EXPECT_TRUE(sink_.Has("Normal Killing Container a failed liveness probe"));
  Sync(w.get(), &pod);
  EXPECT_TRUE(Status(pod, "a").state().has_running());
  EXPECT_EQ(Status(pod, "a").restart_count(), 1);
  EXPECT_EQ(Status(pod, "a").last_state().terminated().exit_code(), 143);
}

TEST_F(PodWorkerTest, ConditionTransitionTimesOnlyChangeOnTransitions) {
  api::Pod pod = MakePod("cond", {MakeContainer("a")});
  auto w = NewWorker();
  Sync(w.get(), &pod);
  std::string t0;
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready") t0 = c.last_transition_time();
  }
  std::string start = pod.status().start_time();
  clock_.Advance(absl::Seconds(5));
  Sync(w.get(), &pod);
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready") {
      EXPECT_EQ(c.last_transition_time(), t0);
    }
  }
  EXPECT_EQ(pod.status().start_time(), start);
  runtime_.Exit(Id(pod, "a"), 1);
  runtime_.IgnoreSigterm(Id(pod, "a"));
  clock_.Advance(absl::Seconds(5));
  Sync(w.get(), &pod);  // restarted at once: still ready
  runtime_.Exit(Id(pod, "a"), 1);
  Sync(w.get(), &pod);  // back-off: not ready
  for (const auto& c : pod.status().conditions()) {
    if (c.type() == "Ready") {
      EXPECT_EQ(c.status(), "False");
      EXPECT_NE(c.last_transition_time(), t0);
      EXPECT_EQ(c.reason(), "ContainersNotReady");
      EXPECT_EQ(c.message(), "containers with unready status: [a]");
    }
  }
}

}  // namespace
}  // namespace mk::kubelet
