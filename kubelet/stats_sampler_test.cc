#include "kubelet/stats_sampler.h"

#include "gtest/gtest.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {
namespace {

Json Container(const std::string& id, const std::string& node, const std::string& pod,
               const std::string& name) {
  Json labels = {{kLabelNode, node},
                 {kLabelPodNamespace, "default"},
                 {kLabelPodName, pod},
                 {kLabelPodUid, "uid-" + pod}};
  if (name.empty()) {
    labels[kLabelSandbox] = "true";
  } else {
    labels[kLabelContainerName] = name;
  }
  return {{"Id", id}, {"Labels", labels}};
}

TEST(StatsSampler, CpuRateFromConsecutiveSamplesAndWorkingSet) {
  Json list = Json::array({Container("s1", "n1", "busy", ""), Container("c1", "n1", "busy", "dd"),
                           Container("x1", "other-node", "theirs", "c")});
  int64_t cpu = 0;
  int round = 0;
  std::vector<std::string> asked;
  StatsSampler sampler(
      "n1", [&]() -> absl::StatusOr<Json> { return list; },
      [&](const std::string& id) -> absl::StatusOr<Json> {
        asked.push_back(id);
        // 10 s apart, 1 s of CPU in between: 100m.
        std::string read = round == 0 ? "2026-11-28T10:00:00Z" : "2026-11-28T10:00:10Z";
        return Json{{"read", read},
                    {"cpu_stats", {{"cpu_usage", {{"total_usage", cpu}}}}},
                    {"memory_stats",
                     {{"usage", 50 << 20}, {"stats", {{"total_inactive_file", 10 << 20}}}}}};
      });
  sampler.SampleOnce();
  EXPECT_TRUE(sampler.Summary().pods.empty());       // one sample is not a rate
  EXPECT_EQ(asked, std::vector<std::string>{"c1"});  // no sandbox, no other node's container
  round = 1;
  cpu = 1000000000;
  sampler.SampleOnce();
  StatsSummary s = sampler.Summary();
  ASSERT_EQ(s.pods.size(), 1u);
  EXPECT_EQ(s.pods[0].name, "busy");
  EXPECT_EQ(s.pods[0].uid, "uid-busy");
  ASSERT_EQ(s.pods[0].containers.size(), 1u);
  EXPECT_EQ(s.pods[0].containers[0].name, "dd");
  EXPECT_EQ(s.pods[0].containers[0].cpu_nano_cores, 100000000);
  EXPECT_EQ(s.pods[0].containers[0].memory_working_set_bytes, 40 << 20);
  EXPECT_EQ(s.node_cpu_nano_cores, 100000000);
  EXPECT_EQ(s.node_name, "n1");
}

TEST(StatsSampler, WorkingSetOnCgroupV2) {
  Json v2 = {{"memory_stats", {{"usage", 1000}, {"stats", {{"inactive_file", 300}}}}}};
  EXPECT_EQ(StatsSampler::WorkingSet(v2), 700);
  Json none = {{"memory_stats", {{"usage", 1000}}}};
  EXPECT_EQ(StatsSampler::WorkingSet(none), 1000);
}

}  // namespace
}  // namespace mk::kubelet
