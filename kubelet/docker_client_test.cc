// Integration test against a REAL dockerd (no mock): runs only with MK_DOCKER_TESTS set.
//   source tests/e2e/lib/docker-env.sh && mk_start_dockerd && mk_start_registry &&
//   mk_build_test_images
//   MK_DOCKER_TESTS=1 [MK_TEST_REGISTRY=127.0.0.1:5000] build/tests/kubelet_docker_client_test
// Uses mk-busybox:1 when present, else imports a busybox image from /bin/busybox itself.
#include "kubelet/docker_client.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/credentials.h"
#include "kubelet/image_ref.h"
#include "kubelet/pause_image.h"
#include "kubelet/tar_writer.h"

#ifndef MK_PAUSE_BINARY
#define MK_PAUSE_BINARY "mk-pause"
#endif

namespace mk::kubelet {
namespace {

using ::testing::HasSubstr;

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

class DockerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Env("MK_DOCKER_TESTS").empty()) GTEST_SKIP() << "MK_DOCKER_TESTS not set";
    DockerClientOptions options;
    options.socket_path = Env("MK_DOCKER_SOCKET", "/var/run/docker.sock");
    docker_ = std::make_unique<DockerClient>(options);
    ASSERT_TRUE(docker_->Ping().ok()) << "no dockerd on " << options.socket_path;
    label_ = absl::StrCat("mk.test=docker-client-", getpid());
    prefix_ = absl::StrCat("mk-test-", getpid(), "-");
    busybox_ = Env("MK_TEST_BUSYBOX_IMAGE", "mk-busybox:1");
    if (absl::IsNotFound(docker_->InspectImage(busybox_).status())) ImportBusybox();
  }

  void TearDown() override {
    if (!docker_) return;
    absl::StatusOr<Json> list = docker_->ListContainers({label_});
    if (list.ok()) {
      for (const Json& c : *list)
        docker_->RemoveContainer(c["Id"].get<std::string>()).IgnoreError();
    }
  }

  // A busybox image built here from busybox-static, as the e2e script does.
  void ImportBusybox() {
    std::ifstream in("/bin/busybox", std::ios::binary);
    ASSERT_TRUE(in) << "no /bin/busybox (apt-get install busybox-static)";
    std::ostringstream bytes;
    bytes << in.rdbuf();
    TarWriter tar;
    ASSERT_TRUE(tar.AddDirectory("bin").ok());
    ASSERT_TRUE(tar.AddDirectory("tmp", 01777).ok());
    ASSERT_TRUE(tar.AddFile("bin/busybox", bytes.str(), 0755).ok());
    for (const char* applet : {"sh", "echo", "sleep", "cat", "dd", "ls", "httpd", "nc"}) {
      ASSERT_TRUE(tar.AddSymlink(absl::StrCat("bin/", applet), "busybox").ok());
    }
    busybox_ = "mk-test-busybox:1";
    ASSERT_TRUE(
        docker_
            ->ImportImage(tar.Finish(), "mk-test-busybox", "1", {R"(CMD ["sh"])", "ENV PATH=/bin"})
            .ok());
  }

  Json Config(const std::string& image, const std::vector<std::string>& cmd) {
    Json config = {{"Image", image}, {"Labels", {{"mk.test", label_.substr(8)}}}};
    if (!cmd.empty()) config["Cmd"] = cmd;
    config["HostConfig"] = {{"RestartPolicy", {{"Name", "no"}}}};
    return config;
  }

  // Creates and starts; returns the id and records the latency.
  std::string Run(const std::string& name, const Json& config, absl::Duration* took = nullptr) {
    absl::Time start = absl::Now();
    absl::StatusOr<std::string> id = docker_->CreateContainer(prefix_ + name, config);
    EXPECT_TRUE(id.ok()) << id.status();
    if (!id.ok()) return "";
    absl::Status st = docker_->StartContainer(*id);
    EXPECT_TRUE(st.ok()) << st;
    if (took) *took = absl::Now() - start;
    return *id;
  }

  std::unique_ptr<DockerClient> docker_;
  std::string label_, prefix_, busybox_;
};

TEST_F(DockerClientTest, VersionAndInfo) {
  absl::StatusOr<Json> version = docker_->Version();
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ((*version)["ApiVersion"], "1.41");
  absl::StatusOr<Json> info = docker_->Info();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_GT((*info)["NCPU"].get<int>(), 0);
  EXPECT_GT((*info)["MemTotal"].get<int64_t>(), 0);
}

TEST_F(DockerClientTest, PodLifecycle) {
  // The pause image, imported under a throwaway name so the import really runs.
  std::string pause_image = absl::StrCat("mk-pause-test:", getpid());
  ASSERT_TRUE(EnsurePauseImage(*docker_, MK_PAUSE_BINARY, pause_image).ok());
  ASSERT_TRUE(docker_->InspectImage(pause_image).ok());
  ASSERT_TRUE(EnsurePauseImage(*docker_, MK_PAUSE_BINARY, pause_image).ok());  // no-op now

  absl::Duration sandbox_took, app_took;
  std::string sandbox = Run("sandbox", Config(pause_image, {}), &sandbox_took);
  ASSERT_FALSE(sandbox.empty());
  Json app_config = Config(busybox_, {"sh", "-c",
                                      "echo out; echo err >&2; "
                                      "while true; do echo tick; sleep 0.2; done"});
  app_config["HostConfig"]["NetworkMode"] = "container:" + sandbox;
  std::string app = Run("app", app_config, &app_took);
  ASSERT_FALSE(app.empty());
  std::cout << "create+start latency: sandbox " << sandbox_took << ", app " << app_took
            << std::endl;

  absl::StatusOr<Json> inspect = docker_->InspectContainer(sandbox);
  ASSERT_TRUE(inspect.ok());
  EXPECT_TRUE((*inspect)["State"]["Running"].get<bool>());
  EXPECT_FALSE((*inspect)["NetworkSettings"]["IPAddress"].get<std::string>().empty());
  inspect = docker_->InspectContainer(app);
  ASSERT_TRUE(inspect.ok());
  EXPECT_EQ((*inspect)["State"]["Status"], "running");

  // Start of a running container is Docker's 304: OK.
  EXPECT_TRUE(docker_->StartContainer(app).ok());
  // A second container with the same name.
  EXPECT_EQ(docker_->CreateContainer(prefix_ + "app", app_config).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(
      docker_->CreateContainer(prefix_ + "x", Config("mk-no-such-image:1", {})).status().code(),
      absl::StatusCode::kNotFound);

  absl::StatusOr<Json> list = docker_->ListContainers({label_});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);

  // Logs: stdout and stderr apart.
  absl::SleepFor(absl::Milliseconds(300));
  std::string out, err;
  LogOptions opts;
  ASSERT_TRUE(docker_
                  ->Logs(app, opts,
                         [&](int stream, absl::string_view d) {
                           (stream == 2 ? err : out).append(d.data(), d.size());
                           return true;
                         })
                  .ok());
  EXPECT_TRUE(absl::StartsWith(out, "out\ntick\n")) << out;
  EXPECT_EQ(err, "err\n");
  // Followed logs, cancelled from another thread after some ticks arrived.
  CancelToken cancel;
  int ticks = 0;
  opts.follow = true;
  opts.tail = 0;
  absl::Time start = absl::Now();
  absl::Status st = docker_->Logs(
      app, opts,
      [&](int, absl::string_view d) {
        if (absl::StrContains(d, "tick") && ++ticks == 3) cancel.Cancel();
        return true;
      },
      &cancel);
  EXPECT_EQ(st.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(ticks, 3);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));

  // Exec: exit code and output, and a timeout.
  absl::StatusOr<ExecResult> exec =
      docker_->Exec(app, {"sh", "-c", "echo hi; echo oops >&2; exit 3"}, absl::Seconds(10));
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->exit_code, 3);
  // stdout and stderr are separate streams: their relative order is not guaranteed.
  EXPECT_THAT(absl::StrSplit(exec->output, '\n', absl::SkipEmpty()),
              ::testing::UnorderedElementsAre("hi", "oops"));
  start = absl::Now();
  exec = docker_->Exec(app, {"sleep", "5"}, absl::Milliseconds(300));
  EXPECT_EQ(exec.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));

  absl::StatusOr<Json> stats = docker_->Stats(app);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT((*stats)["memory_stats"]["usage"].get<int64_t>(), 0);
  EXPECT_TRUE((*stats)["cpu_stats"].contains("cpu_usage"));

  // Events: a die event for our container, with its exit code and our labels.
  CancelToken events_cancel;
  Json die;
  std::thread watcher([&] {
    docker_
        ->Events(
            {{"type", {"container"}}, {"label", {label_}}},
            [&](const Json& e) {
              if (e.value("Action", "") == "die" && e["Actor"]["ID"] == app) {
                die = e;
                return false;
              }
              return true;
            },
            &events_cancel)
        .IgnoreError();
  });
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_TRUE(docker_->KillContainer(app, "SIGKILL").ok());
  absl::Notification watched;
  std::thread timeout([&] {
    if (!watched.WaitForNotificationWithTimeout(absl::Seconds(10))) events_cancel.Cancel();
  });
  watcher.join();
  watched.Notify();
  timeout.join();
  ASSERT_FALSE(die.is_null()) << "no die event";
  EXPECT_EQ(die["Actor"]["Attributes"]["exitCode"], "137");
  EXPECT_EQ(die["Actor"]["Attributes"]["mk.test"], label_.substr(8));

  // Kill of a stopped container: 409 → FailedPrecondition.
  EXPECT_EQ(docker_->KillContainer(app, "SIGTERM").code(), absl::StatusCode::kFailedPrecondition);
  // The pause process exits 0 on SIGTERM at once, well before the grace period.
  start = absl::Now();
  ASSERT_TRUE(docker_->StopContainer(sandbox, absl::Seconds(10)).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  inspect = docker_->InspectContainer(sandbox);
  ASSERT_TRUE(inspect.ok());
  EXPECT_EQ((*inspect)["State"]["ExitCode"], 0);
  EXPECT_TRUE(docker_->StopContainer(sandbox, absl::Seconds(1)).ok());  // 304

  ASSERT_TRUE(docker_->RemoveContainer(app).ok());
  ASSERT_TRUE(docker_->RemoveContainer(sandbox).ok());
  EXPECT_EQ(docker_->InspectContainer(app).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(docker_->RemoveContainer(app).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(docker_->ListContainers({label_}).ok());
  EXPECT_TRUE(docker_->ListContainers({label_})->empty());
}

// Not a benchmark (see bench/), just the order of magnitude the kubelet starts from.
TEST_F(DockerClientTest, CreateStartLatency) {
  ASSERT_TRUE(EnsurePauseImage(*docker_, MK_PAUSE_BINARY).ok());
  std::vector<absl::Duration> took;
  for (int i = 0; i < 5; ++i) {
    absl::Duration sandbox_took, app_took;
    std::string sandbox =
        Run(absl::StrCat("lat-sandbox-", i), Config(kDefaultPauseImage, {}), &sandbox_took);
    Json app = Config(busybox_, {"sleep", "60"});
    app["HostConfig"]["NetworkMode"] = "container:" + sandbox;
    Run(absl::StrCat("lat-app-", i), app, &app_took);
    std::cout << "create+start: sandbox " << sandbox_took << ", app " << app_took << std::endl;
  }
}

TEST_F(DockerClientTest, MemoryLimitOomKill) {
  Json config = Config(busybox_, {"dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"});
  config["HostConfig"]["Memory"] = 32 << 20;
  config["HostConfig"]["MemorySwap"] = 32 << 20;
  std::string id = Run("oom", config);
  ASSERT_FALSE(id.empty());
  absl::StatusOr<Json> inspect;
  for (int i = 0; i < 100; ++i) {
    inspect = docker_->InspectContainer(id);
    ASSERT_TRUE(inspect.ok());
    if (!(*inspect)["State"]["Running"].get<bool>()) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE((*inspect)["State"]["OOMKilled"].get<bool>());
  EXPECT_EQ((*inspect)["State"]["ExitCode"], 137);
}

TEST_F(DockerClientTest, PullFromPrivateRegistry) {
  std::string registry = Env("MK_TEST_REGISTRY");
  if (registry.empty()) GTEST_SKIP() << "MK_TEST_REGISTRY not set";
  std::string repo = registry + "/busybox";
  absl::Status st = docker_->PullImage(repo, "1", absl::nullopt);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("no basic auth credentials"));
  st = docker_->PullImage(repo, "1", RegistryAuth{"admin", "wrong", registry});
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("unauthorized"));
  // Credentials found the way the kubelet finds them: a dockerconfigjson pull secret
  // matched to the parsed image reference.
  DockerKeyring keyring;
  ASSERT_TRUE(
      keyring
          .AddDockerConfigJson(
              Json{{"auths", {{registry, {{"auth", absl::Base64Escape("admin:admin")}}}}}}.dump())
          .ok());
  absl::StatusOr<ImageRef> ref = ParseImageRef(repo + ":1");
  ASSERT_TRUE(ref.ok());
  std::vector<RegistryAuth> auths = keyring.Lookup(ref->String());
  ASSERT_EQ(auths.size(), 1u);
  int progress_lines = 0;
  st = docker_->PullImage(ref->Repository(), ref->PullTag(), auths[0],
                          [&](const Json&) { ++progress_lines; });
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_GT(progress_lines, 0);
  EXPECT_TRUE(docker_->InspectImage(ref->String()).ok());
  st = docker_->PullImage(repo, "no-such-tag", RegistryAuth{"admin", "admin", registry});
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("manifest unknown"));
  std::cout << "pull errors look like: " << st << std::endl;
}

}  // namespace
}  // namespace mk::kubelet
