#include "controller-manager/hpa_controller.h"

#include <atomic>

#include "common/fake_api_client.h"
#include "gtest/gtest.h"

namespace mk::controller_manager {
namespace {

InformerOptions Opts(const std::string& resource) {
  InformerOptions o;
  o.resource = resource;
  return o;
}

class HpaControllerTest : public ::testing::Test {
 protected:
  EventRecorderOptions RecorderOpts() {
    EventRecorderOptions o;
    o.clock = &clock_;
    return o;
  }
  void SetUp() override {
    api::ReplicaSet rs;
    rs.mutable_metadata()->set_name("busy-replicaset");
    rs.mutable_spec()->set_replicas(2);
    (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "busy";
    ASSERT_TRUE(client_.Create("replicasets", "default", rs).ok());
    api::Node node;
    node.mutable_metadata()->set_name("n1");
    ASSERT_TRUE(client_.Create("nodes", "", node).ok());
    for (const char* name : {"busy-1", "busy-2"}) AddPod(name);
    api::HorizontalPodAutoscaler hpa;
    hpa.mutable_metadata()->set_name("budy-hpa");
    hpa.mutable_spec()->set_min_replicas(1);
    hpa.mutable_spec()->set_max_replicas(5);
    auto* ref = hpa.mutable_spec()->mutable_scale_target_ref();
    ref->set_api_version("apps/v1");
    ref->set_kind("ReplicaSet");
    ref->set_name("busy-replicaset");
    auto* m = hpa.mutable_spec()->add_metrics();
    m->set_type("Resource");
    m->mutable_resource()->set_name("cpu");
    m->mutable_resource()->set_target_average_utilization(30);  // the seed's spelling
    ASSERT_TRUE(client_.Create("horizontalpodautoscalers", "default", hpa).ok());

    for (auto* inf : {&hpas_, &pods_, &nodes_}) inf->Start();
    for (auto* inf : {&hpas_, &pods_, &nodes_}) ASSERT_TRUE(inf->WaitForSync(absl::Seconds(5)));
    HpaControllerOptions opts;
    opts.clock = &clock_;
    opts.fetch_summary = [this](const api::Node& n) -> absl::StatusOr<StatsSummary> {
      StatsSummary s;
      s.node_name = n.metadata().name();
      for (const char* name : {"busy-1", "busy-2"}) {
        s.pods.push_back({"default", name, "", {{"hpa-container", usage_nano_.load(), 1 << 20}}});
      }
      return s;
    };
    controller_ =
        std::make_unique<HpaController>(&client_, &hpas_, &pods_, &nodes_, &recorder_, opts);
  }
  void TearDown() override {
    controller_.reset();
    recorder_.Shutdown();
  }
  void AddPod(const std::string& name) {
    api::Pod pod;
    pod.mutable_metadata()->set_name(name);
    (*pod.mutable_metadata()->mutable_labels())["app"] = "busy";
    auto* c = pod.mutable_spec()->add_containers();
    c->set_name("hpa-container");
    (*c->mutable_resources()->mutable_requests())["cpu"] = "100m";
    pod.mutable_spec()->set_node_name("n1");
    pod.mutable_status()->set_phase("Running");
    auto* cond = pod.mutable_status()->add_conditions();
    cond->set_type("Ready");
    cond->set_status("True");
    ASSERT_TRUE(client_.Create("pods", "default", pod).ok());
  }
  int32_t Replicas() {
    auto rs = client_.GetAs<api::ReplicaSet>("replicasets", "default", "busy-replicaset");
    return rs.ok() ? rs->spec().replicas() : -1;
  }
  api::HorizontalPodAutoscaler Hpa() {
    return *client_.GetAs<api::HorizontalPodAutoscaler>("horizontalpodautoscalers", "default",
                                                        "budy-hpa");
  }
  std::vector<std::string> EventMessages(const std::string& reason) {
    recorder_.Flush();
    std::vector<std::string> out;
    auto list = client_.List("events", "default");
    EXPECT_TRUE(list.ok()) << list.status();
    if (!list.ok()) return out;
    for (const auto& o : list->items) {
      const auto& e = static_cast<const api::Event&>(*o);
      if (e.reason() == reason) out.push_back(e.message());
    }
    return out;
  }

  FakeClock clock_;
  FakeApiClient client_{&clock_};
  Informer hpas_{&client_, Opts("horizontalpodautoscalers")};
  Informer pods_{&client_, Opts("pods")};
  Informer nodes_{&client_, Opts("nodes")};
  EventRecorder recorder_{&client_, "horizontal-pod-autoscaler", "", RecorderOpts()};
  std::atomic<int64_t> usage_nano_{100000000};  // each pod burns its whole 100m request
  std::unique_ptr<HpaController> controller_;
};

TEST_F(HpaControllerTest, ScalesUpToMaxThenDownAfterTheStabilisationWindow) {
  ASSERT_TRUE(controller_->Sync("default/budy-hpa").ok());
  EXPECT_EQ(Replicas(), 5);  // 100 % vs 30 %: ceil(2 × 3.33) = 7, capped at maxReplicas 5
  api::HorizontalPodAutoscaler hpa = Hpa();
  EXPECT_EQ(hpa.status().current_replicas(), 2);
  EXPECT_EQ(hpa.status().desired_replicas(), 5);
  ASSERT_EQ(hpa.status().current_metrics_size(), 1);
  EXPECT_EQ(hpa.status().current_metrics(0).resource().current().average_utilization(), 100);
  EXPECT_FALSE(hpa.status().last_scale_time().empty());
  std::map<std::string, std::string> conds;
  for (const auto& c : hpa.status().conditions()) conds[c.type()] = c.status() + "/" + c.reason();
  EXPECT_EQ(conds["AbleToScale"], "True/SucceededRescale");
  EXPECT_EQ(conds["ScalingActive"], "True/ValidMetricFound");
  EXPECT_EQ(conds["ScalingLimited"], "True/TooManyReplicas");
  EXPECT_EQ(EventMessages("SuccessfulRescale"),
            std::vector<std::string>{
                "New size: 5; reason: cpu resource utilization (percentage of request) above "
                "target"});

  // The load stops: the 5-minute scale-down window holds the count.
  usage_nano_ = 0;
  clock_.Advance(absl::Seconds(15));
  ASSERT_TRUE(controller_->Sync("default/budy-hpa").ok());
  EXPECT_EQ(Replicas(), 5);
  clock_.Advance(absl::Minutes(4));
  ASSERT_TRUE(controller_->Sync("default/budy-hpa").ok());
  EXPECT_EQ(Replicas(), 5);
  clock_.Advance(absl::Minutes(1) + absl::Seconds(1));
  ASSERT_TRUE(controller_->Sync("default/budy-hpa").ok());
  EXPECT_EQ(Replicas(), 1);  // minReplicas
  EXPECT_EQ(EventMessages("SuccessfulRescale").back(),
            "New size: 1; reason: All metrics below target");
}

TEST_F(HpaControllerTest, WithinToleranceNothingChanges) {
  usage_nano_ = 31000000;  // 31 % of the request vs a 30 % target
  ASSERT_TRUE(controller_->Sync("default/budy-hpa").ok());
  EXPECT_EQ(Replicas(), 2);
  EXPECT_TRUE(EventMessages("SuccessfulRescale").empty());
  EXPECT_EQ(Hpa().status().desired_replicas(), 2);
}

TEST_F(HpaControllerTest, MissingTargetIsReported) {
  ASSERT_TRUE(client_.Delete("replicasets", "default", "busy-replicaset").ok());
  ASSERT_TRUE(controller_->Sync("default/budy-hpa").ok());
  std::vector<std::string> ev = EventMessages("FailedGetScale");
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(ev[0].find("not found"), std::string::npos) << ev[0];
  bool found = false;
  api::HorizontalPodAutoscaler hpa = Hpa();
  for (const auto& c : hpa.status().conditions()) {
    if (c.type() == "AbleToScale") found = c.status() == "False" && c.reason() == "FailedGetScale";
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace mk::controller_manager
