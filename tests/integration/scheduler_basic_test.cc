// mk-scheduler end to end (real apiserver + real scheduler, Node objects without kubelets):
// the seed's nodeSelector pod, requests filling nodes, Kubernetes' FailedScheduling summary,
// PodScheduled=False, per-node reasons in describe, event-driven retry, cordon, NotReady.

#include "absl/strings/match.h"
#include "tests/integration/scheduler_harness.h"

namespace mk::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kSeedPod[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: nginx
  labels:
    env: stage
spec:
  containers:
  - name: nginx
    image: nginx
  nodeSelector:
    server: webap
)";

TEST_F(SchedulerTest, SeedNodeSelectorLandsOnLabelledNode) {
  for (const char* n : {"minikube", "minikube-m02", "minikube-m03"}) {
    CreateNode(MakeNode(n, "2", "2Gi"));
  }
  CommandResult label = Kubectl({"label", "node", "minikube-m02", "server=webap"});
  ASSERT_EQ(label.exit_code, 0) << label.err;
  EXPECT_EQ(label.out, "node/minikube-m02 labeled\n");
  CommandResult create = Kubectl({"create", "-f", "-"}, kSeedPod);
  ASSERT_EQ(create.exit_code, 0) << create.err;
  ASSERT_TRUE(WaitBound("nginx"));
  EXPECT_EQ(NodeOf("nginx"), "minikube-m02");

  CommandResult wide = Kubectl({"get", "pod", "-o", "wide"});
  EXPECT_THAT(wide.out, HasSubstr("minikube-m02"));
  ASSERT_TRUE(WaitFor([&] { return !Events("nginx", "Scheduled").empty(); }));
  EXPECT_EQ(Events("nginx", "Scheduled")[0], "Successfully assigned default/nginx to minikube-m02");
  // The winning node's scores are recorded for describe.
  ASSERT_TRUE(WaitFor([&] {
    return GetPod("nginx").metadata().annotations().count("scheduler.mk.io/scores") > 0;
  }));
  CommandResult describe = Kubectl({"describe", "pod", "nginx"});
  EXPECT_THAT(describe.out, HasSubstr("Successfully assigned default/nginx to minikube-m02"));
  EXPECT_THAT(describe.out, HasSubstr("default-scheduler"));
}

TEST_F(SchedulerTest, PodWaitsForLabelThenSchedulesWithoutPolling) {
  CreateNode(MakeNode("node-1", "2", "2Gi"));
  CreateNode(MakeNode("node-2", "2", "2Gi"));
  ASSERT_EQ(Kubectl({"create", "-f", "-"}, kSeedPod).exit_code, 0);
  ExpectUnschedulable(
      "nginx", "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
  ASSERT_TRUE(WaitFor([&] { return !Events("nginx", "FailedScheduling").empty(); }));
  EXPECT_EQ(Events("nginx", "FailedScheduling")[0],
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
  ASSERT_EQ(Kubectl({"label", "node", "node-2", "server=webap"}).exit_code, 0);
  ASSERT_TRUE(WaitBound("nginx", 5));  // the label change requeues it at once
  EXPECT_EQ(NodeOf("nginx"), "node-2");
}

TEST_F(SchedulerTest, RequestsFillNodesThenPendingWithReasons) {
  CreateNode(MakeNode("node-a", "1", "2Gi"));
  CreateNode(MakeNode("node-b", "1", "2Gi"));
  CreatePod(MakePod("p1", "600m", "100Mi"));
  ASSERT_TRUE(WaitBound("p1"));
  CreatePod(MakePod("p2", "600m", "100Mi"));
  ASSERT_TRUE(WaitBound("p2"));
  EXPECT_NE(NodeOf("p1"), NodeOf("p2"));  // requests, not usage: the second one goes elsewhere

  CreatePod(MakePod("p3", "600m", "100Mi"));
  ExpectUnschedulable("p3", "0/2 nodes are available: 2 Insufficient cpu.");
  EXPECT_TRUE(NodeOf("p3").empty());
  ASSERT_TRUE(WaitFor([&] {
    return GetPod("p3").metadata().annotations().count("scheduler.mk.io/filter-reasons") > 0;
  }));
  std::string reasons = GetPod("p3").metadata().annotations().at("scheduler.mk.io/filter-reasons");
  EXPECT_THAT(reasons, HasSubstr("node-a: Insufficient cpu: requested 600m, free 400m"));
  EXPECT_THAT(reasons, HasSubstr("node-b: Insufficient cpu: requested 600m, free 400m"));

  CommandResult describe = Kubectl({"describe", "pod", "p3"});
  EXPECT_THAT(describe.out, HasSubstr("0/2 nodes are available: 2 Insufficient cpu."));
  EXPECT_THAT(describe.out, HasSubstr("node-a: Insufficient cpu: requested 600m, free 400m"));

  // Freeing room (deleting a bound pod) retries the pending pod.
  DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(client_->Delete("pods", "default", "p1", now).ok());
  ASSERT_TRUE(WaitBound("p3", 5));
  // The binding carries the scores and the stale filter reasons go, in the same write.
  api::Pod bound = GetPod("p3");
  EXPECT_EQ(bound.metadata().annotations().count("scheduler.mk.io/filter-reasons"), 0u);
  EXPECT_EQ(bound.metadata().annotations().count("scheduler.mk.io/scores"), 1u);
}

TEST_F(SchedulerTest, SummaryCountsEachReason) {
  CreateNode(MakeNode("node-1", "4", "4Gi"));
  CreateNode(MakeNode("node-2", "4", "256Mi", {{"disk", "ssd"}}));
  CreateNode(MakeNode("node-3", "4", "256Mi", {{"disk", "ssd"}}));
  api::Pod p = MakePod("big", "100m", "300Mi");
  (*p.mutable_spec()->mutable_node_selector())["disk"] = "ssd";
  CreatePod(p);
  ExpectUnschedulable(
      "big",
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 "
      "Insufficient memory.");
  std::string reasons = [&] {
    WaitFor([&] {
      return GetPod("big").metadata().annotations().count("scheduler.mk.io/filter-reasons") > 0;
    });
    return GetPod("big").metadata().annotations().at("scheduler.mk.io/filter-reasons");
  }();
  EXPECT_THAT(reasons, HasSubstr("node-2: Insufficient memory: requested 300Mi, free 256Mi"));
  EXPECT_THAT(reasons, HasSubstr("node-1: nodeSelector disk=ssd (node has no disk)"));
}

TEST_F(SchedulerTest, CordonedAndNotReadyNodesAreSkipped) {
  api::Node cordoned = MakeNode("cordoned", "8", "8Gi");
  cordoned.mutable_spec()->set_unschedulable(true);
  api::Node not_ready = MakeNode("not-ready", "8", "8Gi");
  not_ready.mutable_status()->mutable_conditions(0)->set_status("False");
  CreateNode(cordoned);
  CreateNode(not_ready);
  CreatePod(MakePod("web"));
  ExpectUnschedulable(
      "web", "0/2 nodes are available: 1 node(s) were not ready, 1 node(s) were unschedulable.");
  CommandResult uncordon = Kubectl({"uncordon", "cordoned"});
  ASSERT_EQ(uncordon.exit_code, 0) << uncordon.err;
  ASSERT_TRUE(WaitBound("web", 5));
  EXPECT_EQ(NodeOf("web"), "cordoned");
}

TEST_F(SchedulerTest, HostPortConflict) {
  CreateNode(MakeNode("node-1", "4", "4Gi"));
  auto with_port = [](const std::string& name) {
    api::Pod p = MakePod(name);
    api::ContainerPort* port = p.mutable_spec()->mutable_containers(0)->add_ports();
    port->set_container_port(80);
    port->set_host_port(8080);
    return p;
  };
  CreatePod(with_port("a"));
  ASSERT_TRUE(WaitBound("a"));
  CreatePod(with_port("b"));
  ExpectUnschedulable(
      "b",
      "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod "
      "ports.");
}

}  // namespace
}  // namespace mk::testing
