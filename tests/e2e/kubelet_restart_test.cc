// mk-kubelet restarts on the real Docker engine: a container over its memory limit is
// OOMKilled and backs off (CrashLoopBackOff, RESTARTS growing); a failing liveness probe
// (httpGet with a custom header) restarts the container with Kubernetes' event text; a
// kubelet killed with -9 and restarted adopts running pods without restarting anything and
// cleans up the containers of pods deleted meanwhile.

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace mk::e2e {
namespace {

using ::testing::HasSubstr;

TEST(KubeletRestart, OomKilledThenCrashLoopBackOff) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("oom"));
  ASSERT_TRUE(c.Start());
  auto s = c.K({"create", "secret", "docker-registry", "regcred", "--docker-server=" + Registry(),
                "--docker-username=" + RegistryUser(), "--docker-password=" + RegistryPassword()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  c.Apply(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: memory-demo\nspec:\n"
      "  nodeName: NODE\n  imagePullSecrets: [{name: regcred}]\n  containers:\n"
      "  - name: memory-demo-ctr\n    image: " +
      Registry() +
      "/stress:1\n    resources:\n      limits: {memory: 300Mi}\n"
      "      requests: {memory: 100Mi}\n");
  bool saw_backoff = false;
  bool saw_oom = false;
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json cs = ContainerStatus(c.Pod("memory-demo"), "memory-demo-ctr");
        if (Reason(cs) == "CrashLoopBackOff") saw_backoff = true;
        if (cs.is_object() && cs.contains("lastState") && cs["lastState"].contains("terminated") &&
            cs["lastState"]["terminated"].value("reason", "") == "OOMKilled") {
          saw_oom = true;
        }
        return saw_backoff && saw_oom && Restarts(cs) >= 2;
      },
      60));
  auto get = c.K({"get", "pod", "memory-demo"});
  EXPECT_THAT(get.out, ::testing::AnyOf(HasSubstr("CrashLoopBackOff"), HasSubstr("OOMKilled"),
                                        HasSubstr("Running")));
  auto describe = c.K({"describe", "pod", "memory-demo"});
  EXPECT_THAT(describe.out, HasSubstr("OOMKilled"));
  EXPECT_THAT(describe.out, HasSubstr("Back-off restarting failed container"));
  std::string id = ContainerId(ContainerStatus(c.Pod("memory-demo"), "memory-demo-ctr"));
  if (!id.empty()) {
    EXPECT_EQ(Docker("inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}' " + id),
              "314572800 314572800\n");
  }
}

TEST(KubeletRestart, LivenessProbeWithHeaderRestartsTheContainer) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("live"));
  ASSERT_TRUE(c.Start());
  auto s = c.K({"create", "secret", "docker-registry", "regcred", "--docker-server=" + Registry(),
                "--docker-username=" + RegistryUser(), "--docker-password=" + RegistryPassword()});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  c.Apply(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: liveness-http\nspec:\n"
      "  nodeName: NODE\n  imagePullSecrets: [{name: regcred}]\n  containers:\n"
      "  - name: liveness\n    image: " +
      Registry() +
      "/liveness:1\n    ports: [{name: web, containerPort: 8080}]\n"
      "    livenessProbe:\n      httpGet:\n        path: /healthz\n        port: web\n"
      "        httpHeaders: [{name: Custom-Header, value: Awesome}]\n"
      "      initialDelaySeconds: 3\n      periodSeconds: 2\n      failureThreshold: 2\n");
  ASSERT_TRUE(WaitFor(
      [&] { return Restarts(ContainerStatus(c.Pod("liveness-http"), "liveness")) >= 1; }, 50));
  auto describe = c.K({"describe", "pod", "liveness-http"});
  EXPECT_THAT(describe.out,
              HasSubstr("Liveness probe failed: HTTP probe failed with statuscode: 500"));
  EXPECT_THAT(describe.out,
              HasSubstr("Container liveness failed liveness probe, will be restarted"));
  auto events = c.K({"get", "events"});
  EXPECT_THAT(events.out, HasSubstr("Unhealthy"));
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("liveness-http")); }, 20));
}

TEST(KubeletRestart, KillNineAndRestartAdoptsRunningPods) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("adopt"));
  ASSERT_TRUE(c.Start());
  std::string yaml;
  for (const char* name : {"keep", "drop"}) {
    yaml += std::string("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ") + name +
            "\nspec:\n  nodeName: NODE\n  terminationGracePeriodSeconds: 2\n  containers:\n"
            "  - name: a\n    image: mk-busybox:1\n    command: [\"sleep\", \"3600\"]\n"
            "  - name: b\n    image: mk-busybox:1\n    command: [\"sleep\", \"3600\"]\n";
  }
  c.Apply(yaml);
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("keep")) && AllRunning(c.Pod("drop")); }, 30));
  std::map<std::string, std::string> before;
  for (const char* ctr : {"a", "b"}) before[ctr] = ContainerId(ContainerStatus(c.Pod("keep"), ctr));
  std::string drop_uid = c.Pod("drop")["metadata"].value("uid", "");

  c.KillKubelet(SIGKILL);
  // Deleted while the kubelet is down: only the API object goes (force), the containers stay.
  auto d = c.K({"delete", "pod", "drop", "--grace-period=0", "--force"});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(Docker("ps -q --filter label=mk.pod.uid=" + drop_uid), "");
  ASSERT_TRUE(c.StartKubelet());

  // The dropped pod's containers are cleaned up; the kept pod keeps its containers.
  EXPECT_TRUE(
      WaitFor([&] { return Docker("ps -aq --filter label=mk.pod.uid=" + drop_uid).empty(); }, 30));
  nlohmann::json keep = c.Pod("keep");
  for (const char* ctr : {"a", "b"}) {
    nlohmann::json cs = ContainerStatus(keep, ctr);
    EXPECT_EQ(ContainerId(cs), before[ctr]) << ctr;
    EXPECT_EQ(Restarts(cs), 0) << ctr;
    EXPECT_TRUE(Running(cs)) << ctr;
  }
  std::string label = "label=mk.pod.name=keep --filter label=mk.node=" + c.node();
  EXPECT_EQ(Docker("ps -q --filter " + label + " | wc -l"), "3\n");   // sandbox + a + b
  EXPECT_EQ(Docker("ps -aq --filter " + label + " | wc -l"), "3\n");  // nothing exited
}

}  // namespace
}  // namespace mk::e2e
