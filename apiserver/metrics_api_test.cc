#include "apiserver/metrics_api.h"

#include <mutex>

#include "apiserver/memory_store.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

class MetricsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.Bootstrap().ok());
    AddNode("n1", true);
    AddNode("n2", true);
    AddNode("down", false);
    AddPod("busy-1", "busy");
    AddPod("busy-2", "busy");
    AddPod("other", "web");
  }
  void AddNode(const std::string& name, bool ready) {
    auto n = std::make_unique<api::Node>();
    n->mutable_metadata()->set_name(name);
    (*n->mutable_metadata()->mutable_labels())["pool"] = name == "n1" ? "a" : "b";
    auto* c = n->mutable_status()->add_conditions();
    c->set_type("Ready");
    c->set_status(ready ? "True" : "False");
    ASSERT_TRUE(registry_.Create(*FindResource("nodes"), "", std::move(n)).ok());
  }
  void AddPod(const std::string& name, const std::string& app) {
    auto p = std::make_unique<api::Pod>();
    p->mutable_metadata()->set_name(name);
    (*p->mutable_metadata()->mutable_labels())["app"] = app;
    auto* c = p->mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox:1");
    ASSERT_TRUE(registry_.Create(*FindResource("pods"), "default", std::move(p)).ok()) << name;
  }
  MetricsApi Api() {
    return MetricsApi(&registry_, [this](const api::Node& n) -> absl::StatusOr<StatsSummary> {
      {
        std::lock_guard<std::mutex> lock(mu_);  // fetches run on parallel threads
        asked_.push_back(n.metadata().name());
      }
      StatsSummary s;
      s.node_name = n.metadata().name();
      s.time = absl::FromUnixSeconds(1790000000);
      s.node_cpu_nano_cores = 1000000000;
      s.node_memory_working_set_bytes = 1 << 30;
      if (n.metadata().name() == "n1") {
        s.pods.push_back({"default", "busy-1", "", {{"c", 100000000, 1 << 20}}});
        s.pods.push_back({"default", "gone", "", {{"c", 1, 1}}});  // deleted meanwhile
      } else {
        s.pods.push_back({"default", "busy-2", "", {{"c", 50000000, 1 << 20}}});
        s.pods.push_back({"default", "other", "", {{"c", 1000000, 1 << 20}}});
      }
      return s;
    });
  }

  MemoryStore store_;
  Registry registry_{&store_};
  std::mutex mu_;
  std::vector<std::string> asked_;
};

TEST_F(MetricsApiTest, NodesFromReadyKubeletsOnly) {
  MetricsApi api = Api();
  absl::StatusOr<Json> out;
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/nodes", "", &out));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["kind"], "NodeMetricsList");
  ASSERT_EQ((*out)["items"].size(), 2u);
  EXPECT_EQ(asked_.size(), 2u);  // the NotReady node is not asked
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/nodes/n2", "", &out));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["metadata"]["name"], "n2");
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/nodes", "pool=a", &out));
  ASSERT_EQ((*out)["items"].size(), 1u);
  EXPECT_EQ((*out)["items"][0]["metadata"]["name"], "n1");
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/nodes/down", "", &out));
  EXPECT_TRUE(absl::IsNotFound(out.status())) << out.status();
}

TEST_F(MetricsApiTest, PodsOfLivePodsWithSelectors) {
  MetricsApi api = Api();
  absl::StatusOr<Json> out;
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods", "app=busy", &out));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ((*out)["items"].size(), 2u);
  EXPECT_EQ((*out)["items"][0]["metadata"]["name"], "busy-1");
  EXPECT_EQ((*out)["items"][1]["metadata"]["name"], "busy-2");
  EXPECT_EQ((*out)["items"][0]["containers"][0]["usage"]["cpu"], "100000000n");
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/pods", "", &out));
  EXPECT_EQ((*out)["items"].size(), 3u);  // "gone" has no pod object: left out
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/other", "", &out));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ((*out)["metadata"]["name"], "other");
  ASSERT_TRUE(
      api.Handle("/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods/other", "", &out));
  EXPECT_TRUE(absl::IsNotFound(out.status()));
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1/pods", "app in (", &out));
  EXPECT_FALSE(out.ok());
}

TEST_F(MetricsApiTest, DiscoveryAndForeignPaths) {
  MetricsApi api = Api();
  absl::StatusOr<Json> out;
  ASSERT_TRUE(api.Handle("/apis/metrics.k8s.io/v1beta1", "", &out));
  EXPECT_EQ((*out)["groupVersion"], "metrics.k8s.io/v1beta1");
  EXPECT_FALSE(api.Handle("/api/v1/pods", "", &out));
}

}  // namespace
}  // namespace mk::apiserver
