#pragma once

// Shared fixture for the scheduler integration tests: a real mk-apiserver and a real
// mk-scheduler as processes, Node objects created over gRPC (no kubelet: each node is just an
// object whose Ready condition the test sets), and helpers to build pods and wait.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {

inline api::Node MakeNode(const std::string& name, const std::string& cpu, const std::string& mem,
                          std::map<std::string, std::string> labels = {},
                          const std::string& pods = "110") {
  api::Node n;
  n.mutable_metadata()->set_name(name);
  (*n.mutable_metadata()->mutable_labels())["kubernetes.io/hostname"] = name;
  for (const auto& [k, v] : labels) (*n.mutable_metadata()->mutable_labels())[k] = v;
  for (auto* m :
       {n.mutable_status()->mutable_capacity(), n.mutable_status()->mutable_allocatable()}) {
    (*m)["cpu"] = cpu;
    (*m)["memory"] = mem;
    (*m)["pods"] = pods;
  }
  api::NodeCondition* c = n.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  c->set_reason("KubeletReady");
  return n;
}

inline api::Pod MakePod(const std::string& name, const std::string& cpu = "",
                        const std::string& mem = "",
                        std::map<std::string, std::string> labels = {}) {
  api::Pod p;
  p.mutable_metadata()->set_name(name);
  for (const auto& [k, v] : labels) (*p.mutable_metadata()->mutable_labels())[k] = v;
  api::Container* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  if (!cpu.empty()) (*c->mutable_resources()->mutable_requests())["cpu"] = cpu;
  if (!mem.empty()) (*c->mutable_resources()->mutable_requests())["memory"] = mem;
  return p;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_pid_ = SpawnDaemon({BinPath("mk-apiserver"), "--data-dir=" + dir_.path() + "/data",
                            "--listen=127.0.0.1:0", "--grpc-listen=127.0.0.1:0"},
                           dir_.path() + "/apiserver", "ready ");
    ASSERT_GT(api_pid_, 0) << "apiserver failed to start";
    std::string line = ReadyLine(dir_.path() + "/apiserver.out", "ready ");
    ASSERT_EQ(std::sscanf(line.c_str(), "ready rest=%d grpc=%d", &rest_port_, &grpc_port_), 2);
    auto client = NewGrpcApiClientFromKubeconfig(Kubeconfig(), "");
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    if (start_scheduler_) StartScheduler();
  }

  std::string GrpcAddress() const { return absl::StrCat("127.0.0.1:", grpc_port_); }
  std::string Url() const { return absl::StrCat("https://127.0.0.1:", rest_port_); }
  // The apiserver writes these into its data dir before it prints "ready".
  std::string Kubeconfig(const std::string& name = "admin") const {
    return absl::StrCat(dir_.path(), "/data/", name, ".kubeconfig");
  }

  void StartScheduler(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinPath("mk-scheduler"), "--kubeconfig",
                                     Kubeconfig("scheduler"), "--v", "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    sched_pid_ = SpawnDaemon(argv, dir_.path() + "/scheduler", "ready");
    ASSERT_GT(sched_pid_, 0) << "scheduler failed; log: " << dir_.path() + "/scheduler.log";
  }

  // Daemons and mkctl are started with posix_spawn, never fork: this test process has gRPC
  // threads, and allocating between fork and exec can deadlock the child.
  static pid_t SpawnRaw(const std::vector<std::string>& argv, const std::string& in,
                        const std::string& out, const std::string& err) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    pid_t pid = -1;
    if (posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  static std::string ReadyLine(const std::string& path, const std::string& prefix) {
    std::stringstream ss(Slurp(path));
    std::string line;
    while (std::getline(ss, line)) {
      if (line.rfind(prefix, 0) == 0) return line;
    }
    return "";
  }
  // Starts a daemon (stdout → base.out, stderr → base.log) and waits up to 20 s for a stdout
  // line starting with `ready_prefix`. Returns its pid, or -1.
  pid_t SpawnDaemon(const std::vector<std::string>& argv, const std::string& base,
                    const std::string& ready_prefix) {
    pid_t pid = SpawnRaw(argv, "/dev/null", base + ".out", base + ".log");
    if (pid <= 0) return -1;
    pids_.push_back(pid);
    for (int i = 0; i < 400; ++i) {
      if (!ReadyLine(base + ".out", ready_prefix).empty()) return pid;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }

  void TearDown() override {
    client_.reset();
    for (pid_t pid : pids_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (HasFailure()) {
      CommandResult log = Spawn({"/usr/bin/tail", "-n", "40", dir_.path() + "/scheduler.log"}, "");
      std::fprintf(stderr, "--- scheduler.log (tail)\n%s\n", log.out.c_str());
    }
  }

  void CreateNode(const api::Node& n) {
    auto r = client_->Create("nodes", "", n);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  void CreatePod(const api::Pod& p, const std::string& ns = "default") {
    auto r = client_->Create("pods", ns, p);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  api::Pod GetPod(const std::string& name, const std::string& ns = "default") {
    auto r = client_->GetAs<api::Pod>("pods", ns, name);
    return r.ok() ? *r : api::Pod();
  }
  std::string NodeOf(const std::string& name) { return GetPod(name).spec().node_name(); }

  static bool WaitFor(const std::function<bool()>& cond, double seconds = 15) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return cond();
  }
  bool WaitBound(const std::string& name, double seconds = 15) {
    return WaitFor([&] { return !NodeOf(name).empty(); }, seconds);
  }
  // The PodScheduled=False message once the scheduler has written it.
  // The Unschedulable message of pod `name`; with `want`, waits until the message is that
  // (a pod retried after a cluster change keeps its old message until the retry ends).
  std::string WaitUnschedulable(const std::string& name, double seconds = 15,
                                const std::string& want = "") {
    std::string msg;
    WaitFor(
        [&] {
          api::Pod pod = GetPod(name);
          for (const api::PodCondition& c : pod.status().conditions()) {
            if (c.type() == "PodScheduled" && c.status() == "False" &&
                c.reason() == "Unschedulable") {
              msg = c.message();
              return want.empty() || msg == want;
            }
          }
          return false;
        },
        seconds);
    return msg;
  }
  // The pod's Unschedulable message becomes exactly `want` (watch streams of nodes and pods
  // are separate, so a first attempt may see fewer nodes than the test created).
  void ExpectUnschedulable(const std::string& name, const std::string& want) {
    EXPECT_EQ(WaitUnschedulable(name, 15, want), want);
  }
  // Messages of the events with `reason` about pod `name`.
  std::vector<std::string> Events(const std::string& name, const std::string& reason,
                                  const std::string& ns = "default") {
    std::vector<std::string> out;
    auto list = client_->ListAs<api::Event>("events", ns);
    if (!list.ok()) return out;
    for (const api::Event& e : *list) {
      if (e.involved_object().name() == name && e.reason() == reason) out.push_back(e.message());
    }
    return out;
  }
  // mkctl via posix_spawn: the harness's Run() allocates between fork and exec, which can
  // deadlock in the child while this process has gRPC threads.
  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& in = "") {
    std::vector<std::string> argv = {BinPath("mkctl"), "--kubeconfig", Kubeconfig()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Spawn(argv, in);
  }
  CommandResult Spawn(const std::vector<std::string>& argv, const std::string& in) {
    CommandResult r;
    std::string base = dir_.path() + "/spawn-" + std::to_string(spawns_++);
    WriteFile(base + ".in", in);
    pid_t pid = SpawnRaw(argv, base + ".in", base + ".out", base + ".err");
    if (pid > 0) {
      int status = 0;
      waitpid(pid, &status, 0);
      r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    r.out = Slurp(base + ".out");
    r.err = Slurp(base + ".err");
    return r;
  }

  bool start_scheduler_ = true;
  int spawns_ = 0;
  TempDir dir_;
  int rest_port_ = 0, grpc_port_ = 0;
  pid_t api_pid_ = -1, sched_pid_ = -1;
  std::vector<pid_t> pids_;
  std::unique_ptr<ApiClient> client_;
};

}  // namespace mk::testing
