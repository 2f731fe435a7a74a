// mk-kubelet on the real Docker engine: the Node it registers (capacity, labels, lease,
// describe node's allocation), pods with init containers, two containers talking over
// localhost and sharing an emptyDir, readiness, logs (-c, -f, --previous, --tail),
// restartPolicy Never / OnFailure and graceful deletion.

#include <algorithm>
#include <chrono>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace mk::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST(KubeletPods, NodeRegistersAndDescribeShowsAllocation) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("node"),
            {"--cpu=3", "--memory=4Gi", "--max-pods=50", "--node-labels=zone=a,disk=ssd"});
  ASSERT_TRUE(c.Start());
  nlohmann::json node = c.Get("node", c.node());
  ASSERT_TRUE(node.is_object());
  EXPECT_EQ(node["status"]["capacity"]["cpu"], "3");
  EXPECT_EQ(node["status"]["capacity"]["memory"], "4Gi");
  EXPECT_EQ(node["status"]["allocatable"]["pods"], "50");
  EXPECT_EQ(node["metadata"]["labels"]["zone"], "a");
  EXPECT_EQ(node["metadata"]["labels"]["disk"], "ssd");
  EXPECT_EQ(node["metadata"]["labels"]["kubernetes.io/hostname"], c.node());
  EXPECT_EQ(node["metadata"]["labels"]["kubernetes.io/os"], "linux");
  EXPECT_EQ(node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"], c.kubelet_port());
  EXPECT_THAT(node["status"]["nodeInfo"].value("containerRuntimeVersion", ""),
              HasSubstr("docker://"));
  std::string types;
  for (const auto& cond : node["status"]["conditions"]) types += cond.value("type", "") + ",";
  EXPECT_EQ(types, "MemoryPressure,DiskPressure,PIDPressure,Ready,");
  nlohmann::json lease;
  {
    auto r = c.K({"get", "lease", c.node(), "-n", "kube-node-lease", "-o", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    lease = nlohmann::json::parse(r.out);
  }
  EXPECT_EQ(lease["spec"]["holderIdentity"], c.node());

  c.Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: requests-pod
spec:
  nodeName: NODE
  containers:
  - name: main
    image: mk-busybox:1
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: 600m, memory: 512Mi}
      limits: {cpu: "1", memory: 1Gi}
)");
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("requests-pod")); }, 30));
  nlohmann::json pod = c.Pod("requests-pod");
  std::string ip = pod["status"].value("podIP", "");
  EXPECT_THAT(ip, MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+"));
  EXPECT_EQ(pod["status"].value("hostIP", ""), "127.0.0.1");
  auto wide = c.K({"get", "pods", "-o", "wide"});
  EXPECT_THAT(wide.out, HasSubstr(ip));
  EXPECT_THAT(wide.out, HasSubstr(c.node()));
  // Resources reach Docker: memory without swap, CPU quota, shares from the request.
  std::string id = ContainerId(ContainerStatus(pod, "main"));
  EXPECT_EQ(Docker("inspect -f '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} "
                   "{{.HostConfig.CpuQuota}} {{.HostConfig.CpuShares}}' " +
                   id),
            "1073741824 1073741824 100000 614\n");
  auto describe = c.K({"describe", "node", c.node()});
  EXPECT_THAT(describe.out, HasSubstr("Capacity:"));
  EXPECT_THAT(describe.out, HasSubstr("Allocatable:"));
  EXPECT_THAT(describe.out, HasSubstr("requests-pod"));
  EXPECT_THAT(describe.out, MatchesRegex("(.|\n)*cpu +600m \\(20%\\) +1 \\(33%\\)(.|\n)*"));
  EXPECT_THAT(describe.out, MatchesRegex("(.|\n)*memory +512Mi \\(12%\\) +1Gi \\(25%\\)(.|\n)*"));
}

TEST(KubeletPods, InitContainersThenTwoContainersOverLocalhostWithEmptyDir) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("two"));
  ASSERT_TRUE(c.Start());
  c.Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  nodeName: NODE
  volumes:
  - name: shared
    emptyDir: {}
  initContainers:
  - name: init1
    image: mk-busybox:1
    command: ["sh", "-c", "sleep 1; echo first >> /data/order"]
    volumeMounts: [{name: shared, mountPath: /data}]
  - name: init2
    image: mk-busybox:1
    command: ["sh", "-c", "echo second >> /data/order"]
    volumeMounts: [{name: shared, mountPath: /data}]
  containers:
  - name: web
    image: mk-busybox:1
    command: ["sh", "-c", "echo hello-from-web > /www/index.html; httpd -f -p 8080 -h /www"]
    ports: [{containerPort: 8080, name: http}]
    volumeMounts: [{name: shared, mountPath: /www}]
    readinessProbe:
      httpGet: {path: /index.html, port: http}
      periodSeconds: 1
  - name: client
    image: mk-busybox:1
    command: ["sh", "-c", "cat /data/order; while true; do wget -q -O - http://localhost:8080/index.html; sleep 1; done"]
    volumeMounts: [{name: shared, mountPath: /data}]
    readinessProbe:
      exec: {command: ["cat", "/tmp/ready"]}
      periodSeconds: 1
)");
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("two")); }, 30));
  // The client is not ready until /tmp/ready exists (exec probe).
  nlohmann::json pod = c.Pod("two");
  EXPECT_FALSE(ContainerStatus(pod, "client").value("ready", false));  // false is omitted
  EXPECT_TRUE(
      WaitFor([&] { return ContainerStatus(c.Pod("two"), "web").value("ready", false); }, 10));
  EXPECT_EQ(Docker("exec " + ContainerId(ContainerStatus(pod, "client")) + " touch /tmp/ready"),
            "");
  EXPECT_TRUE(WaitFor(
      [&] {
        nlohmann::json p = c.Pod("two");
        for (const auto& cond : p["status"]["conditions"]) {
          if (cond["type"] == "Ready") return cond["status"] == "True";
        }
        return false;
      },
      15));
  EXPECT_TRUE(WaitFor(
      [&] {
        auto logs = c.K({"logs", "two", "-c", "client"});
        return logs.out.find("hello-from-web") != std::string::npos;
      },
      15));
  auto logs = c.K({"logs", "two", "-c", "client"});
  EXPECT_THAT(logs.out, HasSubstr("first\nsecond\n"));
  pod = c.Pod("two");
  nlohmann::json i1 = ContainerStatus(pod, "init1", true);
  EXPECT_EQ(i1["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(ContainerStatus(pod, "init2", true)["state"]["terminated"]["reason"], "Completed");
  // Both containers share the sandbox's network namespace.
  std::string web = ContainerId(ContainerStatus(pod, "web"));
  EXPECT_THAT(Docker("inspect -f '{{.HostConfig.NetworkMode}} {{.HostConfig.IpcMode}}' " + web),
              MatchesRegex("container:[0-9a-f]+ container:[0-9a-f]+\n"));
}

TEST(KubeletPods, LogsFollowPreviousAndTail) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("logs"));
  ASSERT_TRUE(c.Start());
  c.Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: talker
spec:
  nodeName: NODE
  containers:
  - name: main
    image: mk-busybox:1
    command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line-$i; done; sleep 2; exit 3"]
  - name: ticker
    image: mk-busybox:1
    command: ["sh", "-c", "sleep 3; for i in 1 2 3 4 5 6; do echo tick-$i; sleep 0.5; done; sleep 3600"]
)");
  ASSERT_TRUE(WaitFor([&] { return Restarts(ContainerStatus(c.Pod("talker"), "main")) >= 1; }, 40));
  auto prev = c.K({"logs", "talker", "-c", "main", "--previous"});
  EXPECT_EQ(prev.exit_code, 0) << prev.err;
  EXPECT_EQ(prev.out, "line-1\nline-2\nline-3\nline-4\nline-5\n");
  auto tail = c.K({"logs", "talker", "-c", "main", "--previous", "--tail", "2"});
  EXPECT_EQ(tail.out, "line-4\nline-5\n");
  auto dflt = c.K({"logs", "talker"});  // defaults to the first container, as kubectl does
  EXPECT_THAT(dflt.out, HasSubstr("line-1\n"));
  // -f streams lines as they come: started before the ticker has printed everything.
  auto follow = RunCmd({"/usr/bin/timeout", "8", BinPath("mkctl"), "--kubeconfig",
                        c.apiserver()->kubeconfig(), "logs", "-f", "talker", "-c", "ticker"});
  EXPECT_EQ(follow.exit_code, 124);  // still following when timeout stopped it
  EXPECT_THAT(follow.out, HasSubstr("tick-1\ntick-2\ntick-3\ntick-4\ntick-5\ntick-6\n"));
  auto ts = c.K({"logs", "talker", "-c", "ticker", "--tail", "1", "--timestamps"});
  EXPECT_THAT(ts.out, MatchesRegex("20[0-9-]+T[0-9:.]+Z tick-[0-9]+\n"));
}

TEST(KubeletPods, RestartPolicyNeverAndOnFailure) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("policy"));
  ASSERT_TRUE(c.Start());
  c.Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: never
spec:
  nodeName: NODE
  restartPolicy: Never
  containers:
  - name: main
    image: mk-busybox:1
    command: ["sh", "-c", "exit 2"]
---
apiVersion: v1
kind: Pod
metadata:
  name: onfailure
spec:
  nodeName: NODE
  restartPolicy: OnFailure
  volumes: [{name: d, emptyDir: {}}]
  containers:
  - name: main
    image: mk-busybox:1
    command: ["sh", "-c", "if [ -f /d/x ]; then echo done; exit 0; fi; touch /d/x; exit 1"]
    volumeMounts: [{name: d, mountPath: /d}]
)");
  ASSERT_TRUE(WaitFor([&] { return Phase(c.Pod("never")) == "Failed"; }, 30));
  nlohmann::json cs = ContainerStatus(c.Pod("never"), "main");
  EXPECT_EQ(Restarts(cs), 0);
  EXPECT_EQ(cs["state"]["terminated"]["reason"], "Error");
  EXPECT_EQ(cs["state"]["terminated"]["exitCode"], 2);
  ASSERT_TRUE(WaitFor([&] { return Phase(c.Pod("onfailure")) == "Succeeded"; }, 30));
  cs = ContainerStatus(c.Pod("onfailure"), "main");
  EXPECT_EQ(Restarts(cs), 1);
  EXPECT_EQ(cs["state"]["terminated"]["reason"], "Completed");
  auto get = c.K({"get", "pods"});
  EXPECT_THAT(get.out, MatchesRegex("(.|\n)*never +0/1 +Error +0(.|\n)*"));
  EXPECT_THAT(get.out, MatchesRegex("(.|\n)*onfailure +0/1 +Completed +1(.|\n)*"));
}

TEST(KubeletPods, SecretHostPathHostPortAndASecondNodeOnTheEngine) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("vols"));
  ASSERT_TRUE(c.Start());
  // A second kubelet on the same engine must leave this node's containers alone.
  ASSERT_TRUE(c.StartExtraKubelet(NodeName("vols-b")));
  auto s = c.K({"create", "secret", "generic", "mysecret", "--from-literal=k=v1"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  int host_port = 20000 + getpid() % 20000;
  std::string host_dir = c.dir() + "/hostpath";
  std::string yaml = R"(apiVersion: v1
kind: Pod
metadata:
  name: vols
spec:
  nodeName: NODE
  volumes:
  - name: sec
    secret: {secretName: mysecret}
  - name: host
    hostPath: {path: HOSTDIR, type: DirectoryOrCreate}
  containers:
  - name: web
    image: mk-busybox:1
    command: ["sh", "-c", "cp /sec/k /host/copied; httpd -f -p 80 -h /sec"]
    ports: [{containerPort: 80, hostPort: HOSTPORT}]
    volumeMounts:
    - {name: sec, mountPath: /sec}
    - {name: host, mountPath: /host}
)";
  yaml.replace(yaml.find("HOSTDIR"), 7, host_dir);
  yaml.replace(yaml.find("HOSTPORT"), 8, std::to_string(host_port));
  c.Apply(yaml);
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("vols")); }, 30));
  std::string id = ContainerId(ContainerStatus(c.Pod("vols"), "web"));
  EXPECT_TRUE(WaitFor([&] { return RunCmd({"/bin/cat", host_dir + "/copied"}).out == "v1"; }, 10));
  std::string url = "http://127.0.0.1:" + std::to_string(host_port) + "/k";
  EXPECT_TRUE(WaitFor(
      [&] {
        return RunCmd({"/bin/sh", "-c", "curl -s -m 2 " + url}).out == "v1";
      },
      10));
  EXPECT_NE(Docker("exec " + id + " touch /sec/x"), "");  // read-only: an error message
  // Housekeeping on the other node runs every 10 s: nothing of ours may disappear.
  std::this_thread::sleep_for(std::chrono::seconds(11));
  nlohmann::json cs = ContainerStatus(c.Pod("vols"), "web");
  EXPECT_EQ(ContainerId(cs), id);
  EXPECT_EQ(Restarts(cs), 0);
  EXPECT_EQ(Docker("inspect -f '{{.State.Running}}' " + id), "true\n");
}

TEST(KubeletPods, GracefulDeletionHonoursTheGracePeriod) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("grace"));
  ASSERT_TRUE(c.Start());
  c.Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: polite
spec:
  nodeName: NODE
  terminationGracePeriodSeconds: 20
  containers:
  - name: main
    image: mk-busybox:1
    command: ["sh", "-c", "trap 'echo got-term; sleep 2; exit 0' TERM; while true; do sleep 0.2; done"]
---
apiVersion: v1
kind: Pod
metadata:
  name: stubborn
spec:
  nodeName: NODE
  terminationGracePeriodSeconds: 3
  containers:
  - name: main
    image: mk-busybox:1
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.2; done"]
)");
  ASSERT_TRUE(
      WaitFor([&] { return AllRunning(c.Pod("polite")) && AllRunning(c.Pod("stubborn")); }, 30));
  auto gone = [&](const std::string& name) { return c.K({"get", "pod", name}).exit_code != 0; };
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(c.K({"delete", "pod", "polite", "stubborn", "--wait=false"}).exit_code, 0);
  // The polite pod exits ~2 s after SIGTERM; the stubborn one is SIGKILLed after 3 s.
  ASSERT_TRUE(WaitFor([&] { return gone("polite"); }, 20));
  double polite_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(WaitFor([&] { return gone("stubborn"); }, 20));
  double stubborn_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(polite_s, 1.8);
  EXPECT_LT(polite_s, 10);
  EXPECT_GE(stubborn_s, 2.8);
  EXPECT_LT(stubborn_s, 10);
  EXPECT_EQ(Docker("ps -aq --filter label=mk.node=" + c.node()), "");
}

}  // namespace
}  // namespace mk::e2e
