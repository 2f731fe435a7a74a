#include "kubelet/node_status.h"

#include "common/clock.h"
#include "common/fake_api_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk::kubelet {
namespace {

Json DockerInfo() {
  return Json{{"NCPU", 4},
              {"MemTotal", int64_t{8} << 30},
              {"OSType", "linux"},
              {"Architecture", "x86_64"},
              {"KernelVersion", "6.1.0"},
              {"OperatingSystem", "Debian GNU/Linux 12 (bookworm)"},
              {"ServerVersion", "20.10.24"}};
}

NodeOptions Opts() {
  NodeOptions o;
  o.node_name = "n1";
  o.node_ip = "10.0.0.5";
  o.kubelet_port = 10250;
  return o;
}

TEST(NodeStatus, ParseNodeLabels) {
  auto l = ParseNodeLabels("zone=a, disk=ssd,empty=");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->at("zone"), "a");
  EXPECT_EQ(l->at("disk"), "ssd");
  EXPECT_EQ(l->at("empty"), "");
  EXPECT_TRUE(ParseNodeLabels("").ok());
  EXPECT_FALSE(ParseNodeLabels("novalue").ok());
  EXPECT_FALSE(ParseNodeLabels("=x").ok());
}

TEST(NodeStatus, BuildNodeFromDockerInfo) {
  auto node = BuildNode(Opts(), DockerInfo(), absl::FromUnixSeconds(1000));
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->status().capacity().at("cpu"), "4");
  EXPECT_EQ(node->status().capacity().at("memory"), "8388608Ki");
  EXPECT_EQ(node->status().allocatable().at("pods"), "110");
  EXPECT_EQ(node->metadata().labels().at("kubernetes.io/arch"), "amd64");
  EXPECT_EQ(node->metadata().labels().at("kubernetes.io/hostname"), "n1");
  EXPECT_EQ(node->status().node_info().container_runtime_version(), "docker://20.10.24");
  EXPECT_EQ(node->status().daemon_endpoints().kubelet_endpoint().port(), 10250);
  ASSERT_EQ(node->status().conditions_size(), 4);
  EXPECT_EQ(node->status().conditions(3).type(), "Ready");
  EXPECT_EQ(node->status().conditions(3).status(), "True");
  EXPECT_EQ(node->status().addresses(0).address(), "10.0.0.5");
}

TEST(NodeStatus, FlagsOverrideCapacity) {
  NodeOptions o = Opts();
  o.cpu = "2";
  o.memory = "2Gi";
  o.max_pods = 20;
  o.labels = {{"zone", "b"}};
  auto node = BuildNode(o, DockerInfo(), absl::FromUnixSeconds(1000));
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->status().capacity().at("cpu"), "2");
  EXPECT_EQ(node->status().capacity().at("memory"), "2Gi");
  EXPECT_EQ(node->status().capacity().at("pods"), "20");
  EXPECT_EQ(node->metadata().labels().at("zone"), "b");
  o.memory = "lots";
  EXPECT_FALSE(BuildNode(o, DockerInfo(), absl::FromUnixSeconds(1000)).ok());
}

TEST(NodeStatus, RegisterCreatesNodeAndLeaseThenRenews) {
  FakeClock clock;
  FakeApiClient api(&clock);
  NodeStatusManager m(Opts(), &api, &clock, DockerInfo());
  ASSERT_TRUE(m.Register().ok());
  auto node = api.GetAs<api::Node>("nodes", "", "n1");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(node->status().capacity().at("cpu"), "4");
  auto lease = api.GetAs<api::Lease>("leases", "kube-node-lease", "n1");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->spec().holder_identity(), "n1");
  std::string first = lease->spec().renew_time();
  clock.Advance(absl::Seconds(10));
  ASSERT_TRUE(m.RenewLease().ok());
  lease = api.GetAs<api::Lease>("leases", "kube-node-lease", "n1");
  EXPECT_NE(lease->spec().renew_time(), first);
  // Unchanged status within the period: no write.
  int updates = api.CountCalls("update", "nodes");
  ASSERT_TRUE(m.UpdateStatus(false).ok());
  EXPECT_EQ(api.CountCalls("update", "nodes"), updates);
  clock.Advance(absl::Minutes(1));
  ASSERT_TRUE(m.UpdateStatus(false).ok());
  EXPECT_EQ(api.CountCalls("update", "nodes"), updates + 1);
  // A restarted kubelet registers again over the existing Node.
  NodeStatusManager again(Opts(), &api, &clock, DockerInfo());
  EXPECT_TRUE(again.Register().ok());
}

std::string Cond(const api::Node& n, const std::string& type, std::string* reason = nullptr) {
  for (const auto& c : n.status().conditions()) {
    if (c.type() == type) {
      if (reason != nullptr) *reason = c.reason();
      return c.status();
    }
  }
  return "";
}

TEST(NodeStatus, ReadyUnknownSetByTheControllerIsCorrectedAtTheNextHeartbeat) {
  FakeClock clock;
  FakeApiClient api(&clock);
  NodeStatusManager m(Opts(), &api, &clock, DockerInfo());
  ASSERT_TRUE(m.Register().ok());
  auto node = api.GetAs<api::Node>("nodes", "", "n1");
  ASSERT_TRUE(node.ok());
  for (auto& c : *node->mutable_status()->mutable_conditions()) {
    if (c.type() == "Ready") {
      c.set_status("Unknown");
      c.set_reason("NodeStatusUnknown");
    }
  }
  ASSERT_TRUE(api.Update("nodes", "", *node, "status").ok());
  clock.Advance(absl::Seconds(10));  // well within the 1-minute status period
  ASSERT_TRUE(m.UpdateStatus(false).ok());
  node = api.GetAs<api::Node>("nodes", "", "n1");
  EXPECT_EQ(Cond(*node, "Ready"), "True");
}

TEST(NodeStatus, PressureConditionsFollowTheEvictionThresholds) {
  FakeClock clock;
  FakeApiClient api(&clock);
  NodeOptions o = Opts();
  auto t = ParseEvictionHard("memory.available<100Mi,nodefs.available<10%,pid.available<1000");
  ASSERT_TRUE(t.ok()) << t.status();
  o.eviction = *t;
  NodeSignals signals;
  signals.memory_available_bytes = int64_t{4} << 30;
  signals.memory_capacity_bytes = int64_t{8} << 30;
  signals.nodefs_available_bytes = 50;
  signals.nodefs_capacity_bytes = 100;
  signals.pid_available = 30000;
  signals.pid_capacity = 32768;
  o.sample_signals = [&signals] { return signals; };
  NodeStatusManager m(o, &api, &clock, DockerInfo());
  ASSERT_TRUE(m.Register().ok());
  auto node = api.GetAs<api::Node>("nodes", "", "n1");
  std::string reason;
  EXPECT_EQ(Cond(*node, "MemoryPressure", &reason), "False");
  EXPECT_EQ(reason, "KubeletHasSufficientMemory");
  EXPECT_EQ(Cond(*node, "DiskPressure"), "False");
  EXPECT_EQ(Cond(*node, "PIDPressure"), "False");

  signals.memory_available_bytes = 50 << 20;  // 50Mi < 100Mi
  signals.nodefs_available_bytes = 9;         // 9% < 10%
  signals.pid_available = 999;
  clock.Advance(absl::Seconds(10));
  ASSERT_TRUE(m.UpdateStatus(false).ok());  // changed: written before the status period
  node = api.GetAs<api::Node>("nodes", "", "n1");
  EXPECT_EQ(Cond(*node, "MemoryPressure", &reason), "True");
  EXPECT_EQ(reason, "KubeletHasInsufficientMemory");
  EXPECT_EQ(Cond(*node, "DiskPressure", &reason), "True");
  EXPECT_EQ(reason, "KubeletHasDiskPressure");
  EXPECT_EQ(Cond(*node, "PIDPressure", &reason), "True");
  EXPECT_EQ(reason, "KubeletHasInsufficientPID");
  EXPECT_EQ(Cond(*node, "Ready"), "True");
}

TEST(NodePressure, ParseEvictionHard) {
  auto t = ParseEvictionHard(kDefaultEvictionHard);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE(t->memory_available.has_value());
  EXPECT_EQ(t->memory_available->value, 100 << 20);
  ASSERT_TRUE(t->nodefs_available.has_value());
  EXPECT_EQ(t->nodefs_available->percent, 10);
  EXPECT_FALSE(t->pid_available.has_value());
  EXPECT_TRUE(ParseEvictionHard("imagefs.available<15%").ok());  // accepted, not measured
  EXPECT_TRUE(ParseEvictionHard("").ok());
  EXPECT_EQ(ParseEvictionHard("memory.available>1Gi").status().message(),
            "--eviction-hard: \"memory.available>1Gi\": expected signal<quantity or signal<N%");
  EXPECT_EQ(ParseEvictionHard("cpu.available<1").status().message(),
            "--eviction-hard: unknown signal \"cpu.available\" (expected memory.available, "
            "nodefs.available or pid.available)");
  EXPECT_EQ(ParseEvictionHard("nodefs.available<200%").status().message(),
            "--eviction-hard: nodefs.available: \"200%\" is not a percentage");
  EXPECT_EQ(ParseEvictionHard("memory.available<lots").status().message(),
            "--eviction-hard: memory.available: \"lots\" is not a quantity");
}

TEST(NodePressure, ThisHostHasSignals) {
  NodeSignals s = SampleNodeSignals("/");
  EXPECT_GT(s.memory_available_bytes, 0);
  EXPECT_GE(s.memory_capacity_bytes, s.memory_available_bytes);
  EXPECT_GT(s.nodefs_capacity_bytes, 0);
  EXPECT_GT(s.pid_available, 0);
  EXPECT_GT(s.pid_capacity, s.pid_available);
  Threshold huge;
  huge.value = int64_t{1} << 60;  // nothing has an exabyte free
  EXPECT_TRUE(huge.Crossed(s.memory_available_bytes, s.memory_capacity_bytes));
  Threshold unknown;
  unknown.value = 100;
  EXPECT_FALSE(unknown.Crossed(-1, -1));
}

}  // namespace
}  // namespace mk::kubelet
