#pragma once

// Shared helpers for the kubelet end-to-end tests (header-only; tests/e2e/kubelet_*_test.cc):
// a one-node cluster (mk-apiserver + mk-kubelet processes on the real Docker engine), mkctl,
// JSON reads of API objects, polling, and cleanup of every container the test's node made.
//
// Every test uses its own node name, so several kubelets (and tests) can share the engine;
// containers are removed by their mk.node label when the cluster goes away, even on failure.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/process.h"

namespace mk::e2e {

using ::mk::testing::Apiserver;
using ::mk::testing::BinPath;
using ::mk::testing::CommandResult;
using ::mk::testing::Process;
using ::mk::testing::Run;
using ::mk::testing::TempDir;

// ::mk::testing::Run under a name TEST bodies can call (testing::Test::Run hides it).
inline CommandResult RunCmd(const std::vector<std::string>& argv, const std::string& in = "") {
  return ::mk::testing::Run(argv, in);
}

inline bool DockerTestsEnabled() {
  const char* v = std::getenv("MK_DOCKER_TESTS");
  return v != nullptr && std::string(v) == "1";
}

inline std::string Env(const char* name, const std::string& def) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : def;
}

inline std::string Registry() { return Env("MK_TEST_REGISTRY", "127.0.0.1:5000"); }
inline std::string RegistryUser() { return Env("MK_TEST_REGISTRY_USER", "admin"); }
inline std::string RegistryPassword() { return Env("MK_TEST_REGISTRY_PASSWORD", "admin"); }

#define MK_E2E_REQUIRE_DOCKER()                                                                    \
  do {                                                                                             \
    if (!::mk::e2e::DockerTestsEnabled()) {                                                        \
      GTEST_SKIP() << "MK_DOCKER_TESTS is not 1: needs dockerd and the test registry "             \
                      "(tests/run.sh, or source tests/e2e/lib/docker-env.sh && mk_docker_env_up)"; \
    }                                                                                              \
  } while (0)

// Polls `fn` every 250 ms until it returns true or `seconds` pass.
inline bool WaitFor(const std::function<bool()>& fn, double seconds) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (true) {
    if (fn()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

inline std::string Docker(const std::string& args) {
  CommandResult r = Run({"/bin/sh", "-c", "docker " + args + " 2>&1"});
  return r.out;
}

// Removes every container labelled mk.node=<node>.
inline void RemoveNodeContainers(const std::string& node) {
  Run({"/bin/sh", "-c",
       "docker ps -aq --filter label=mk.node=" + node +
           " | xargs -r docker rm -f >/dev/null 2>&1"});
}

// A unique node name for this test: e2e-<prefix>-<pid>.
inline std::string NodeName(const std::string& prefix) {
  return "e2e-" + prefix + "-" + std::to_string(getpid());
}

// apiserver + one kubelet on the shared Docker engine.
class Cluster {
 public:
  explicit Cluster(std::string node, std::vector<std::string> kubelet_flags = {})
      : node_(std::move(node)), kubelet_flags_(std::move(kubelet_flags)) {
    RemoveNodeContainers(node_);
  }
  ~Cluster() {
    if (kubelet_) kubelet_->Kill(SIGKILL);
    for (auto& k : extra_) k->Kill(SIGKILL);
    RemoveNodeContainers(node_);
    for (const std::string& n : extra_nodes_) RemoveNodeContainers(n);
    if (HasFailure()) DumpLogs();
  }

  static bool HasFailure() { return ::testing::Test::HasFailure(); }

  bool Start() {
    apiserver_ = std::make_unique<Apiserver>(dir_.path() + "/data");
    if (!apiserver_->Start()) return false;
    return StartKubelet();
  }

  bool StartKubelet() {
    kubelet_ = std::make_unique<Process>();
    std::vector<std::string> argv = KubeletArgv(node_, dir_.path() + "/kubelet", kubelet_sans_);
    if (argv.empty()) return false;
    argv.insert(argv.end(), kubelet_flags_.begin(), kubelet_flags_.end());
    ++kubelet_starts_;
    std::string line;
    if (!kubelet_->Start(argv, KubeletLog(), "ready node=", &line)) return false;
    std::sscanf(line.c_str(), "ready node=%*s port=%d", &kubelet_port_);
    return true;
  }
  void KillKubelet(int sig) { kubelet_->Kill(sig); }
  // The SANs of the serving certificate of the next StartKubelet() (default: 127.0.0.1 and
  // localhost; the node IP of a kubelet on loopback is 127.0.0.1).
  void set_kubelet_sans(std::vector<std::string> sans) { kubelet_sans_ = std::move(sans); }

  // One more node (kubelet) on the same apiserver and Docker engine.
  bool StartExtraKubelet(const std::string& node) {
    RemoveNodeContainers(node);
    extra_nodes_.push_back(node);
    extra_.push_back(std::make_unique<Process>());
    std::vector<std::string> argv = KubeletArgv(node, dir_.path() + "/kubelet-" + node);
    if (argv.empty()) return false;
    return extra_.back()->Start(argv, dir_.path() + "/kubelet-" + node + ".log", "ready node=");
  }

  // mk-kubelet for `node` on loopback (--port=0) with its credentials from mk-kubeconfig in
  // the test dir: its kubeconfig (system:node:<node> in system:nodes) and its serving
  // certificate with `sans`. {} on failure.
  std::vector<std::string> KubeletArgv(const std::string& node, const std::string& root,
                                       const std::vector<std::string>& sans = {"127.0.0.1",
                                                                               "localhost"}) const {
    Apiserver::KubeletCredentials creds =
        apiserver_->IssueKubeletCredentials(node, dir_.path(), sans);
    if (creds.kubeconfig.empty()) return {};
    std::vector<std::string> argv = {BinPath("mk-kubelet"), "--node-name=" + node,
                                     "--root-dir=" + root, "--port=0"};
    for (const std::string& f : creds.Flags()) argv.push_back(f);
    return argv;
  }

  std::string KubeletLog() const {
    return dir_.path() + "/kubelet-" + std::to_string(kubelet_starts_) + ".log";
  }
  void DumpLogs() const {
    for (int i = 1; i <= kubelet_starts_; ++i) {
      CommandResult r =
          Run({"/bin/sh", "-c",
               "tail -n 40 " + dir_.path() + "/kubelet-" + std::to_string(i) + ".log"});
      std::fprintf(stderr, "---- kubelet log %d (tail)\n%s", i, r.out.c_str());
    }
  }

  CommandResult K(const std::vector<std::string>& args, const std::string& stdin_data = "") {
    return ::mk::testing::Mkctl(apiserver_->kubeconfig(), args, stdin_data);
  }
  // `mkctl apply -f -` of `yaml` with NODE replaced by the node name; expects success.
  void Apply(std::string yaml) {
    for (size_t p = yaml.find("NODE"); p != std::string::npos; p = yaml.find("NODE", p)) {
      yaml.replace(p, 4, node_);
    }
    CommandResult r = K({"apply", "-f", "-"}, yaml);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  // The object as JSON (null when it cannot be read).
  nlohmann::json Get(const std::string& kind, const std::string& name) {
    CommandResult r = K({"get", kind, name, "-o", "json"});
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  nlohmann::json Pod(const std::string& name) { return Get("pod", name); }

  const std::string& node() const { return node_; }
  const std::string& dir() const { return dir_.path(); }
  int kubelet_port() const { return kubelet_port_; }
  Apiserver* apiserver() { return apiserver_.get(); }
  pid_t kubelet_pid() const { return kubelet_->pid(); }

 private:
  std::string node_;
  std::vector<std::string> kubelet_flags_;
  std::vector<std::string> kubelet_sans_ = {"127.0.0.1", "localhost"};
  TempDir dir_;
  std::unique_ptr<Apiserver> apiserver_;
  std::unique_ptr<Process> kubelet_;
  std::vector<std::unique_ptr<Process>> extra_;
  std::vector<std::string> extra_nodes_;
  int kubelet_starts_ = 0;
  int kubelet_port_ = 0;
};

// status.containerStatuses[name] (or initContainerStatuses) of `pod`; null if absent.
inline nlohmann::json ContainerStatus(const nlohmann::json& pod, const std::string& name,
                                      bool init = false) {
  if (!pod.is_object() || !pod.contains("status")) return nullptr;
  const char* key = init ? "initContainerStatuses" : "containerStatuses";
  if (!pod["status"].contains(key)) return nullptr;
  for (const auto& cs : pod["status"][key]) {
    if (cs.value("name", "") == name) return cs;
  }
  return nullptr;
}

inline std::string Phase(const nlohmann::json& pod) {
  if (!pod.is_object() || !pod.contains("status")) return "";
  return pod["status"].value("phase", "");
}

inline bool Running(const nlohmann::json& cs) {
  return cs.is_object() && cs.contains("state") && cs["state"].contains("running");
}

inline int Restarts(const nlohmann::json& cs) {
  return cs.is_object() ? cs.value("restartCount", 0) : -1;
}

inline std::string ContainerId(const nlohmann::json& cs) {
  std::string id = cs.is_object() ? cs.value("containerID", "") : "";
  size_t p = id.find("://");
  return p == std::string::npos ? id : id.substr(p + 3);
}

// The waiting/terminated reason of the current state ("" when running or absent).
inline std::string Reason(const nlohmann::json& cs) {
  if (!cs.is_object() || !cs.contains("state")) return "";
  for (const char* k : {"waiting", "terminated"}) {
    if (cs["state"].contains(k)) return cs["state"][k].value("reason", "");
  }
  return "";
}

inline bool AllRunning(const nlohmann::json& pod) {
  if (!pod.is_object() || !pod.contains("status") || !pod["status"].contains("containerStatuses"))
    return false;
  for (const auto& cs : pod["status"]["containerStatuses"]) {
    if (!Running(cs)) return false;
  }
  return Phase(pod) == "Running";
}

}  // namespace mk::e2e
