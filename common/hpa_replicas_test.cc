#include "common/hpa_replicas.h"

#include "gtest/gtest.h"

namespace mk {
namespace {

HpaPod Pod(const std::string& name, int64_t request, int64_t usage) {
  HpaPod p;
  p.name = name;
  p.cpu_request_milli = request;
  p.has_metric = true;
  p.cpu_usage_milli = usage;
  return p;
}

TEST(CalcCpuReplicas, SeedBusyReplicaSetScalesUpByTheRatio) {
  // Two dd pods burning their whole 100m request against a 30 % target: 333 % → ceil(6.67).
  auto r = CalcCpuReplicas(2, 30, {Pod("a", 100, 100), Pod("b", 100, 100)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->replicas, 7);
  EXPECT_EQ(r->utilization, 100);
  EXPECT_EQ(r->average_usage_milli, 100);
}

TEST(CalcCpuReplicas, WithinToleranceKeepsTheCount) {
  auto r = CalcCpuReplicas(3, 50, {Pod("a", 100, 54), Pod("b", 100, 55), Pod("c", 100, 53)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);  // 54 % vs 50 %: ratio 1.08, inside 10 %
  r = CalcCpuReplicas(3, 50, {Pod("a", 100, 60), Pod("b", 100, 60), Pod("c", 100, 60)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 4);  // ratio 1.2 → ceil(3.6)
}

TEST(CalcCpuReplicas, IdlePodsScaleDown) {
  auto r = CalcCpuReplicas(
      5, 30,
      {Pod("a", 100, 0), Pod("b", 100, 1), Pod("c", 100, 0), Pod("d", 100, 0), Pod("e", 100, 0)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 1);  // ceil(0.0067 * 5)
}

TEST(CalcCpuReplicas, MissingMetricsAreConservative) {
  HpaPod missing = Pod("m", 100, 0);
  missing.has_metric = false;
  // Scaling down: the missing pod counts as using its whole request → smaller step down.
  auto r = CalcCpuReplicas(3, 50, {Pod("a", 100, 10), Pod("b", 100, 10), missing});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);  // (10+10+100)/300 = 40 % → ratio 0.8 → ceil(2.4) = 3
  // Scaling up: the missing pod counts as idle.
  r = CalcCpuReplicas(3, 50, {Pod("a", 100, 100), Pod("b", 100, 100), missing});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 4);  // 200/300 = 66 % → ratio 1.33 → ceil(4)
}

TEST(CalcCpuReplicas, UnreadyPodsDoNotInflateAScaleUp) {
  HpaPod starting = Pod("s", 100, 500);
  starting.unready = true;
  HpaPod pending = Pod("p", 100, 0);
  pending.pending = true;
  auto r = CalcCpuReplicas(3, 50, {Pod("a", 100, 100), starting, pending});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 3);  // 100/300 → ratio 0.67 < 1 while the raw ratio was 2: hold
}

TEST(CalcCpuReplicas, DeletedAndFailedPodsAreIgnored) {
  HpaPod gone = Pod("g", 100, 1000);
  gone.deleting_or_failed = true;
  auto r = CalcCpuReplicas(2, 50, {Pod("a", 100, 50), Pod("b", 100, 50), gone});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->replicas, 2);
}

TEST(CalcCpuReplicas, Errors) {
  HpaPod no_request = Pod("x", 0, 10);
  no_request.missing_request = true;
  auto r = CalcCpuReplicas(1, 30, {no_request});
  EXPECT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("missing request for cpu"), std::string::npos);
  HpaPod no_metric = Pod("y", 100, 0);
  no_metric.has_metric = false;
  EXPECT_FALSE(CalcCpuReplicas(1, 30, {no_metric}).ok());
  EXPECT_FALSE(CalcCpuReplicas(1, 0, {Pod("a", 100, 10)}).ok());
}

TEST(BoundReplicas, MinMaxAndScaleUpLimit) {
  std::string reason;
  EXPECT_EQ(BoundReplicas(7, 2, 1, 5, &reason), 5);
  EXPECT_EQ(reason, "TooManyReplicas");
  EXPECT_EQ(BoundReplicas(0, 2, 1, 5, &reason), 1);
  EXPECT_EQ(reason, "TooFewReplicas");
  EXPECT_EQ(BoundReplicas(50, 2, 1, 100, &reason), 6);  // max(2*2, 2+4)
  EXPECT_EQ(reason, "ScaleUpLimit");
  EXPECT_EQ(BoundReplicas(3, 2, 1, 5, &reason), 3);
  EXPECT_EQ(reason, "");
}

TEST(HpaStabilizer, ScaleDownWaitsForTheWindow) {
  HpaStabilizer s(absl::Minutes(5), absl::ZeroDuration());
  absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_EQ(s.Stabilize(t0, 5, 2), 5);                      // scale up at once
  EXPECT_EQ(s.Stabilize(t0 + absl::Seconds(15), 1, 5), 5);  // load gone: held by the window
  EXPECT_EQ(s.Stabilize(t0 + absl::Minutes(4), 1, 5), 5);
  EXPECT_EQ(s.Stabilize(t0 + absl::Minutes(5) + absl::Seconds(1), 1, 5), 1);
}

TEST(HpaStabilizer, ShortWindowForTests) {
  HpaStabilizer s(absl::Seconds(10), absl::ZeroDuration());
  absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_EQ(s.Stabilize(t0, 3, 3), 3);
  EXPECT_EQ(s.Stabilize(t0 + absl::Seconds(5), 2, 3), 3);
  EXPECT_EQ(s.Stabilize(t0 + absl::Seconds(11), 1, 3), 2);  // t0 fell out; t0+5s said 2
  EXPECT_EQ(s.Stabilize(t0 + absl::Seconds(16), 1, 2), 1);
}

TEST(CpuTargetUtilization, EverySpelling) {
  api::HorizontalPodAutoscalerSpec v2;
  auto* m = v2.add_metrics();
  m->set_type("Resource");
  m->mutable_resource()->set_name("cpu");
  m->mutable_resource()->mutable_target()->set_average_utilization(30);
  EXPECT_EQ(CpuTargetUtilization(v2), 30);
  api::HorizontalPodAutoscalerSpec seed;  // the seed's v2beta1 spelling
  seed.add_metrics()->mutable_resource()->set_name("cpu");
  seed.mutable_metrics(0)->mutable_resource()->set_target_average_utilization(40);
  EXPECT_EQ(CpuTargetUtilization(seed), 40);
  api::HorizontalPodAutoscalerSpec v1;
  v1.set_target_cpu_utilization_percentage(50);
  EXPECT_EQ(CpuTargetUtilization(v1), 50);
  EXPECT_FALSE(CpuTargetUtilization(api::HorizontalPodAutoscalerSpec()).has_value());
}

}  // namespace
}  // namespace mk
