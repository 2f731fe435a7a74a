#include "common/deprecations.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

TEST(DeprecationWarnings, V2beta1HpaTargets) {
  Json hpa = Json::parse(R"({"kind":"HorizontalPodAutoscaler","spec":{"metrics":[
      {"type":"Resource","resource":{"name":"cpu","targetAverageUtilization":30}},
      {"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}},
      {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization",
       "averageUtilization":50}}}]}})");
  EXPECT_THAT(
      DeprecationWarnings(hpa),
      ::testing::ElementsAre(
          "spec.metrics[0].resource.targetAverageUtilization is the autoscaling/v2beta1 field; "
          "in autoscaling/v2 write spec.metrics[0].resource.target: {type: Utilization, "
          "averageUtilization: 30}",
          "spec.metrics[1].resource.targetAverageValue is the autoscaling/v2beta1 field; in "
          "autoscaling/v2 write spec.metrics[1].resource.target: {type: AverageValue, "
          "averageValue: \"100Mi\"}"));
}

TEST(DeprecationWarnings, NothingForOtherShapes) {
  EXPECT_TRUE(DeprecationWarnings(Json::parse(R"({"spec":{"metrics":"x"}})")).empty());
  EXPECT_TRUE(DeprecationWarnings(Json::parse(R"([1,2])")).empty());
  EXPECT_TRUE(DeprecationWarnings(Json::parse(R"({"kind":"Pod","spec":{}})")).empty());
}

}  // namespace
}  // namespace mk
