#include "common/printers.h"

#include "absl/time/time.h"
#include "api.pb.h"
#include "common/json_codec.h"
#include "common/object.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

api::Pod PodFrom(const char* json) {
  api::Pod pod;
  EXPECT_TRUE(DecodeJson(Json::parse(json), &pod).ok());
  return pod;
}

TEST(FormatAgeTest, KubectlRules) {
  EXPECT_EQ(FormatAge(absl::Seconds(-5)), "<invalid>");
  EXPECT_EQ(FormatAge(absl::Seconds(-1)), "0s");
  EXPECT_EQ(FormatAge(absl::Seconds(95)), "95s");
  EXPECT_EQ(FormatAge(absl::Seconds(119)), "119s");
  EXPECT_EQ(FormatAge(absl::Seconds(133)), "2m13s");
  EXPECT_EQ(FormatAge(absl::Minutes(5)), "5m");
  EXPECT_EQ(FormatAge(absl::Minutes(47)), "47m");
  EXPECT_EQ(FormatAge(absl::Minutes(179)), "179m");
  EXPECT_EQ(FormatAge(absl::Minutes(215)), "3h35m");
  EXPECT_EQ(FormatAge(absl::Hours(4)), "4h");
  EXPECT_EQ(FormatAge(absl::Hours(26)), "26h");
  EXPECT_EQ(FormatAge(absl::Hours(76)), "3d4h");
  EXPECT_EQ(FormatAge(absl::Hours(72)), "3d");
  EXPECT_EQ(FormatAge(absl::Hours(24 * 8)), "8d");
  EXPECT_EQ(FormatAge(absl::Hours(24 * 365 * 2)), "2y");
  EXPECT_EQ(FormatAge(absl::Hours(24 * (365 * 2 + 10))), "2y10d");
  EXPECT_EQ(FormatAge(absl::Hours(24 * 365 * 9)), "9y");
}

TEST(SummarizePodTest, RunningReady) {
  api::Pod pod = PodFrom(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]},
    "status":{"phase":"Running","containerStatuses":[
      {"name":"a","ready":true,"restartCount":1,"state":{"running":{}}},
      {"name":"b","ready":false,"restartCount":2,"state":{"running":{}}}]}})");
  PodSummary s = SummarizePod(pod, absl::Now());
  EXPECT_EQ(s.ready, "1/2");
  EXPECT_EQ(s.status, "Running");
  EXPECT_EQ(s.restarts, "3");
}

TEST(SummarizePodTest, WaitingAndTerminatedReasons) {
  api::Pod pod = PodFrom(R"({"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Pending","containerStatuses":[
      {"name":"a","state":{"waiting":{"reason":"ContainerCreating"}}}]}})");
  EXPECT_EQ(SummarizePod(pod, absl::Now()).status, "ContainerCreating");
  absl::Time now = absl::Now();
  std::string finished = mk::FormatTime(now - absl::Seconds(30));
  pod = PodFrom((R"({"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Running","containerStatuses":[{"name":"a","restartCount":2,
      "state":{"waiting":{"reason":"CrashLoopBackOff"}},
      "lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled","finishedAt":")" +
                 finished + R"("}}}]}})")
                    .c_str());
  PodSummary s = SummarizePod(pod, now);
  EXPECT_EQ(s.status, "CrashLoopBackOff");
  EXPECT_EQ(s.ready, "0/1");
  EXPECT_EQ(s.restarts, "2 (30s ago)");
  pod = PodFrom(R"({"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Running","containerStatuses":[
      {"name":"a","state":{"terminated":{"exitCode":137,"reason":"OOMKilled"}}}]}})");
  EXPECT_EQ(SummarizePod(pod, now).status, "OOMKilled");
  pod = PodFrom(R"({"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Failed","containerStatuses":[
      {"name":"a","state":{"terminated":{"exitCode":3}}}]}})");
  EXPECT_EQ(SummarizePod(pod, now).status, "ExitCode:3");
  pod = PodFrom(R"({"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Succeeded","containerStatuses":[
      {"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}})");
  EXPECT_EQ(SummarizePod(pod, now).status, "Completed");
}

TEST(SummarizePodTest, InitContainers) {
  api::Pod pod = PodFrom(R"({"spec":{"initContainers":[{"name":"i1"},{"name":"i2"}],
    "containers":[{"name":"a"}]},
    "status":{"phase":"Pending","initContainerStatuses":[
      {"name":"i1","state":{"terminated":{"exitCode":0}}},
      {"name":"i2","state":{"running":{}}}],
      "containerStatuses":[{"name":"a","state":{"waiting":{"reason":"PodInitializing"}}}]}})");
  EXPECT_EQ(SummarizePod(pod, absl::Now()).status, "Init:1/2");
  pod = PodFrom(R"({"spec":{"initContainers":[{"name":"i1"}],"containers":[{"name":"a"}]},
    "status":{"phase":"Pending","initContainerStatuses":[
      {"name":"i1","state":{"waiting":{"reason":"ImagePullBackOff"}}}]}})");
  EXPECT_EQ(SummarizePod(pod, absl::Now()).status, "Init:ImagePullBackOff");
  pod = PodFrom(R"({"spec":{"initContainers":[{"name":"i1"}],"containers":[{"name":"a"}]},
    "status":{"phase":"Pending","initContainerStatuses":[
      {"name":"i1","state":{"terminated":{"exitCode":2}}}]}})");
  EXPECT_EQ(SummarizePod(pod, absl::Now()).status, "Init:ExitCode:2");
}

TEST(SummarizePodTest, TerminatingAndReason) {
  api::Pod pod = PodFrom(R"({"metadata":{"deletionTimestamp":"2020-01-01T00:00:00Z"},
    "spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running"}})");
  EXPECT_EQ(SummarizePod(pod, absl::Now()).status, "Terminating");
  pod = PodFrom(R"({"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Failed","reason":"Evicted"}})");
  EXPECT_EQ(SummarizePod(pod, absl::Now()).status, "Evicted");
}

TEST(RowForTest, PodColumnsIncludingWide) {
  const ResourceInfo* r = FindResource("pods");
  ASSERT_NE(r, nullptr);
  const auto& cols = ColumnsFor(*r);
  ASSERT_EQ(cols.size(), 9u);
  EXPECT_EQ(cols[0].name, "Name");
  EXPECT_EQ(cols[0].format, "name");
  EXPECT_EQ(cols[5].name, "IP");
  EXPECT_EQ(cols[5].priority, 1);
  api::Pod pod = PodFrom(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Pending"}})");
  std::vector<std::string> row = RowFor(pod, absl::Now());
  ASSERT_EQ(row.size(), 9u);
  EXPECT_EQ(row[0], "p");
  EXPECT_EQ(row[1], "0/1");
  EXPECT_EQ(row[2], "Pending");
  EXPECT_EQ(row[4], "<unknown>");
  EXPECT_EQ(row[5], "<none>");
  EXPECT_EQ(row[6], "<none>");
}

TEST(RowForTest, NodesStatusAndRoles) {
  api::Node node;
  ASSERT_TRUE(DecodeJson(Json::parse(R"({"metadata":{"name":"n","labels":{
      "node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/master":""}},
      "spec":{"unschedulable":true},
      "status":{"conditions":[{"type":"Ready","status":"True"}],
      "nodeInfo":{"kubeletVersion":"v1.32.0"},
      "addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}})"),
                         &node)
                  .ok());
  EXPECT_EQ(NodeStatus(node), "Ready,SchedulingDisabled");
  EXPECT_EQ(NodeRoles(node), "control-plane,master");
  std::vector<std::string> row = RowFor(node, absl::Now());
  EXPECT_EQ(row[4], "v1.32.0");
  EXPECT_EQ(row[5], "10.0.0.1");
  EXPECT_EQ(row[6], "<none>");
  node.mutable_status()->mutable_conditions(0)->set_status("Unknown");
  node.mutable_spec()->set_unschedulable(false);
  EXPECT_EQ(NodeStatus(node), "NotReady");
  node.mutable_status()->clear_conditions();
  EXPECT_EQ(NodeStatus(node), "Unknown");
  node.mutable_metadata()->clear_labels();
  EXPECT_EQ(NodeRoles(node), "<none>");
}

TEST(RowForTest, ReplicaSetWide) {
  api::ReplicaSet rs;
  ASSERT_TRUE(DecodeJson(Json::parse(R"({"metadata":{"name":"rs"},
      "spec":{"replicas":5,"selector":{"matchLabels":{"app":"x"},
        "matchExpressions":[{"key":"tier","operator":"In","values":["b","a"]}]},
      "template":{"spec":{"containers":[{"name":"c1","image":"nginx"},
        {"name":"c2","image":"busybox"}]}}},
      "status":{"replicas":5,"readyReplicas":3}})"),
                         &rs)
                  .ok());
  std::vector<std::string> row = RowFor(rs, absl::Now());
  EXPECT_EQ(row[1], "5");
  EXPECT_EQ(row[2], "5");
  EXPECT_EQ(row[3], "3");
  EXPECT_EQ(row[5], "c1,c2");
  EXPECT_EQ(row[6], "nginx,busybox");
  EXPECT_EQ(row[7], "app=x,tier in (a,b)");
}

TEST(RowForTest, SecretsEventsHpaLease) {
  api::Secret s;
  s.mutable_metadata()->set_name("regcred");
  s.set_type("kubernetes.io/dockerconfigjson");
  (*s.mutable_data())[".dockerconfigjson"] = "{}";
  EXPECT_EQ(RowFor(s, absl::Now())[1], "kubernetes.io/dockerconfigjson");
  EXPECT_EQ(RowFor(s, absl::Now())[2], "1");

  absl::Time now = absl::Now();
  api::Event e;
  e.set_type("Warning");
  e.set_reason("BackOff");
  e.set_message("Back-off restarting failed container");
  e.mutable_involved_object()->set_kind("Pod");
  e.mutable_involved_object()->set_name("p");
  e.set_count(3);
  e.set_first_timestamp(mk::FormatTime(now - absl::Minutes(5)));
  e.set_last_timestamp(mk::FormatTime(now - absl::Seconds(10)));
  std::vector<std::string> row = RowFor(e, now);
  EXPECT_EQ(row[0], "10s (x3 over 5m)");
  EXPECT_EQ(row[3], "pod/p");
  EXPECT_EQ(row[6], "Back-off restarting failed container");

  api::HorizontalPodAutoscaler h;
  ASSERT_TRUE(DecodeJson(Json::parse(R"({"metadata":{"name":"h"},"spec":{
      "scaleTargetRef":{"kind":"ReplicaSet","name":"nginx"},"maxReplicas":10,
      "metrics":[{"type":"Resource","resource":{"name":"cpu",
        "target":{"type":"Utilization","averageUtilization":50}}}]},
      "status":{"currentReplicas":2}})"),
                         &h)
                  .ok());
  row = RowFor(h, now);
  EXPECT_EQ(row[1], "ReplicaSet/nginx");
  EXPECT_EQ(row[2], "<unknown>/50%");
  EXPECT_EQ(row[3], "1");
  EXPECT_EQ(row[4], "10");
  EXPECT_EQ(row[5], "2");

  api::Lease l;
  l.mutable_spec()->set_holder_identity("node1");
  EXPECT_EQ(RowFor(l, now)[1], "node1");
}

}  // namespace
}  // namespace mk
