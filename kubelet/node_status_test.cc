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

}  // namespace
}  // namespace mk::kubelet
