#include "common/kubelet_stats.h"

#include "gtest/gtest.h"

namespace mk {
namespace {

StatsSummary Sample() {
  StatsSummary s;
  s.node_name = "minikube";
  s.time = absl::FromUnixSeconds(1790000000);
  s.node_cpu_nano_cores = 250000000;
  s.node_memory_working_set_bytes = 512 * 1024 * 1024;
  s.pods.push_back({"default", "busy-1", "u1", {{"hpa-container", 99000000, 3 * 1024 * 1024}}});
  return s;
}

TEST(KubeletStats, SummaryJsonRoundTrip) {
  Json j = SummaryToJson(Sample());
  EXPECT_EQ(j["node"]["nodeName"], "minikube");
  EXPECT_EQ(j["pods"][0]["podRef"]["name"], "busy-1");
  EXPECT_EQ(j["pods"][0]["cpu"]["usageNanoCores"], 99000000);
  absl::StatusOr<StatsSummary> back = SummaryFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->node_name, "minikube");
  EXPECT_EQ(back->time, absl::FromUnixSeconds(1790000000));
  EXPECT_EQ(back->node_cpu_nano_cores, 250000000);
  ASSERT_EQ(back->pods.size(), 1u);
  EXPECT_EQ(back->pods[0].namespace_, "default");
  ASSERT_EQ(back->pods[0].containers.size(), 1u);
  EXPECT_EQ(back->pods[0].containers[0].memory_working_set_bytes, 3 * 1024 * 1024);
  EXPECT_FALSE(SummaryFromJson(Json::parse("[1]")).ok());
  EXPECT_FALSE(SummaryFromJson(Json::parse(R"({"pods":[]})")).ok());
}

TEST(KubeletStats, MetricsObjectsInMetricsServerUnits) {
  StatsSummary s = Sample();
  Json n = NodeMetricsJson(s, "2026-11-28T00:00:00Z");
  EXPECT_EQ(n["kind"], "NodeMetrics");
  EXPECT_EQ(n["apiVersion"], "metrics.k8s.io/v1beta1");
  EXPECT_EQ(n["usage"]["cpu"], "250000000n");
  EXPECT_EQ(n["usage"]["memory"], "524288Ki");
  EXPECT_EQ(n["window"], "10s");
  Json p = PodMetricsJson(s, s.pods[0], "2026-11-28T00:00:00Z");
  EXPECT_EQ(p["kind"], "PodMetrics");
  EXPECT_EQ(p["metadata"]["namespace"], "default");
  EXPECT_EQ(p["containers"][0]["name"], "hpa-container");
  EXPECT_EQ(p["containers"][0]["usage"]["cpu"], "99000000n");
  EXPECT_EQ(p["containers"][0]["usage"]["memory"], "3072Ki");
}

TEST(KubeletStats, EndpointFromNodeStatus) {
  api::Node n;
  n.mutable_metadata()->set_name("n1");
  EXPECT_FALSE(KubeletEndpoint(n).ok());
  auto* a = n.mutable_status()->add_addresses();
  a->set_type("InternalIP");
  a->set_address("10.0.0.7");
  n.mutable_status()->mutable_daemon_endpoints()->mutable_kubelet_endpoint()->set_port(10250);
  auto ep = KubeletEndpoint(n);
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->first, "10.0.0.7");
  EXPECT_EQ(ep->second, 10250);
}

}  // namespace
}  // namespace mk
