// mk-controller-manager end to end on the real Docker engine: apiserver, scheduler,
// controller-manager and two kubelets. A 5-replica ReplicaSet comes up Running; a deleted pod
// and a container removed behind the kubelet's back are healed; when one kubelet is killed its
// pods are replaced on the other node within grace period + toleration.

#include <csignal>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace mk::e2e {
namespace {

constexpr char kRs[] = R"(apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: kuard
spec:
  replicas: 5
  selector:
    matchLabels: {app: kuard}
  template:
    metadata:
      labels: {app: kuard}
    spec:
      terminationGracePeriodSeconds: 1
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
      containers:
      - name: kuard
        image: mk-busybox:1
        imagePullPolicy: IfNotPresent
        command: ["sleep", "3600"]
)";

// Running, Ready, not terminating pods of app=kuard, by node.
std::map<std::string, std::vector<std::string>> ReadyPods(Cluster& c) {
  std::map<std::string, std::vector<std::string>> out;
  CommandResult r = c.K({"get", "pods", "-l", "app=kuard", "-o", "json"});
  nlohmann::json list = nlohmann::json::parse(r.out, nullptr, false);
  if (!list.is_object()) return out;
  for (const auto& p : list.value("items", nlohmann::json::array())) {
    if (p["metadata"].contains("deletionTimestamp")) continue;
    if (Phase(p) != "Running") continue;
    bool ready = false;
    for (const auto& cond : p["status"].value("conditions", nlohmann::json::array())) {
      ready |= cond.value("type", "") == "Ready" && cond.value("status", "") == "True";
    }
    if (ready) out[p["spec"].value("nodeName", "")].push_back(p["metadata"].value("name", ""));
  }
  return out;
}

int Total(const std::map<std::string, std::vector<std::string>>& m) {
  int n = 0;
  for (const auto& [node, pods] : m) n += static_cast<int>(pods.size());
  return n;
}

TEST(ControllerE2E, ReplicaSetHealsAndMovesOffADeadNode) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("rsa"), {"--node-lease-renew-interval=2s"});
  ASSERT_TRUE(c.Start());
  std::string node_b = NodeName("rsb");
  ASSERT_TRUE(c.StartExtraKubelet(node_b));
  Process sched, cm;
  ASSERT_TRUE(
      sched.Start({BinPath("mk-scheduler"), "--kubeconfig", c.apiserver()->kubeconfig("scheduler")},
                  c.dir() + "/scheduler.log", "ready"));
  ASSERT_TRUE(
      cm.Start({BinPath("mk-controller-manager"), "--kubeconfig",
                c.apiserver()->kubeconfig("controller-manager"), "--node-monitor-grace-period",
                "25s", "--node-monitor-period", "1s", "--v", "2"},
               c.dir() + "/cm.log", "ready"));
  CommandResult r = c.K({"apply", "-f", "-"}, kRs);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] { return Total(ReadyPods(c)) == 5; }, 90));
  r = c.K({"get", "rs", "kuard"});
  EXPECT_NE(r.out.find("kuard   5         5         5"), std::string::npos) << r.out;

  // A deleted pod is replaced.
  std::string victim = ReadyPods(c).begin()->second[0];
  ASSERT_EQ(c.K({"delete", "pod", victim}).exit_code, 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto pods = ReadyPods(c);
        for (const auto& [n, names] : pods) {
          for (const auto& name : names) {
            if (name == victim) return false;
          }
        }
        return Total(pods) == 5;
      },
      60));

  // A container removed behind the kubelet's back comes back.
  std::string pod = ReadyPods(c).begin()->second[0];
  std::string id = ContainerId(ContainerStatus(c.Pod(pod), "kuard"));
  ASSERT_FALSE(id.empty());
  Docker("rm -f " + id);
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string now = ContainerId(ContainerStatus(c.Pod(pod), "kuard"));
        return Total(ReadyPods(c)) == 5 && !now.empty() && now != id;
      },
      60));

  // Kill the first node's kubelet: its pods move to the other node.
  auto before = ReadyPods(c);
  if (before[c.node()].empty()) GTEST_SKIP() << "the scheduler put nothing on " << c.node();
  c.KillKubelet(SIGKILL);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto pods = ReadyPods(c);
        return pods[node_b].size() == 5;
      },
      90))
      << "pods did not move to " << node_b;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 75) << "grace 25 s + toleration 5 s + start-up";
  r = c.K({"get", "node", c.node(), "-o", "json"});
  EXPECT_NE(r.out.find("node.kubernetes.io/unreachable"), std::string::npos);
  cm.Kill(SIGTERM);
  sched.Kill(SIGTERM);
}

}  // namespace
}  // namespace mk::e2e
