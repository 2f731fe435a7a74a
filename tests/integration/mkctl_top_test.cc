// mkctl top against a real mk-apiserver whose metrics API asks a node's kubelet endpoint for
// /stats/summary. The "kubelet" here is a small HTTPS server in the test (a serving
// certificate from the cluster CA, client certificates required, as the real kubelet)
// serving fixed figures, so the columns and arithmetic can be checked exactly; the real
// kubelet's figures are covered by the end-to-end tests.

#include <httplib.h>

#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_kubelet.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

constexpr char kSummary[] = R"({"node":{"nodeName":"minikube",
  "cpu":{"time":"2026-11-28T10:00:00Z","usageNanoCores":500000000},
  "memory":{"time":"2026-11-28T10:00:00Z","workingSetBytes":1073741824}},
 "pods":[
  {"podRef":{"name":"busy-b","namespace":"default","uid":"2"},
   "containers":[{"name":"hpa-container","cpu":{"usageNanoCores":99500000},
                  "memory":{"workingSetBytes":2097152}}]},
  {"podRef":{"name":"busy-a","namespace":"default","uid":"1"},
   "containers":[{"name":"hpa-container","cpu":{"usageNanoCores":100000000},
                  "memory":{"workingSetBytes":1048576}},
                 {"name":"side","cpu":{"usageNanoCores":1000000},
                  "memory":{"workingSetBytes":10485760}}]}]})";

class MkctlTopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Apiserver>(dir_.path() + "/data");
    ASSERT_TRUE(server_->Start()) << server_->log_path();
    pki::CertAndKey ca = ClusterCa(*server_);
    kubelet_ = std::make_unique<FakeKubelet>(KubeletServingCa(*server_),
                                             std::vector<std::string>{"127.0.0.1"}, ca.cert_pem);
    kubelet_->Get("/stats/summary", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kSummary, "application/json");
    });
    ASSERT_TRUE(kubelet_->Start());
    port_ = kubelet_->port();
  }
  CommandResult Mk(const std::vector<std::string>& args, const std::string& in = "") {
    return Mkctl(server_->kubeconfig(), args, in);
  }
  void ApplyNode(bool ready) {
    Json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata", {{"name", "minikube"}}},
                 {"status",
                  {{"allocatable", {{"cpu", "2"}, {"memory", "2Gi"}, {"pods", "110"}}},
                   {"capacity", {{"cpu", "2"}, {"memory", "2Gi"}, {"pods", "110"}}},
                   {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}},
                   {"addresses", {{{"type", "InternalIP"}, {"address", "127.0.0.1"}}}},
                   {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", port_}}}}}}}};
    CommandResult r = Mk({"apply", "-f", "-"}, node.dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Status is a subresource: write it there too (apply only sets it on create).
    r = Mk({"patch", "node", "minikube", "--subresource=status", "--type=merge", "-p",
            Json{{"status", node["status"]}}.dump()});
  }
  void ApplyPod(const std::string& name) {
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"labels", {{"app", "busy"}}}}},
                {"spec", {{"containers", {{{"name", "hpa-container"}, {"image", "busybox"}}}}}}};
    CommandResult r = Mk({"apply", "-f", "-"}, pod.dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> server_;
  std::unique_ptr<FakeKubelet> kubelet_;
  int port_ = 0;
};

TEST_F(MkctlTopTest, NodeAndPodColumnsAsKubectl) {
  ApplyNode(true);
  ApplyPod("busy-a");
  ApplyPod("busy-b");
  CommandResult r = Mk({"top", "node"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME       CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%   \n"
            "minikube   500m         25%    1024Mi          50%       \n");
  // The apiserver asked with its kubelet client certificate.
  EXPECT_EQ(kubelet_->last_client(), "kube-apiserver-kubelet-client");
  r = Mk({"top", "pod"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME     CPU(cores)   MEMORY(bytes)   \n"
            "busy-a   101m         11Mi            \n"
            "busy-b   100m         2Mi             \n");
  r = Mk({"top", "pod", "--containers", "-l", "app=busy", "--sort-by=cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "POD      NAME            CPU(cores)   MEMORY(bytes)   \n"
            "busy-a   hpa-container   100m         1Mi             \n"
            "busy-b   hpa-container   100m         2Mi             \n"
            "busy-a   side            1m           10Mi            \n");
  r = Mk({"top", "pod", "-A"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "NAMESPACE   NAME     CPU(cores)   MEMORY(bytes)   ");
}

TEST_F(MkctlTopTest, NoMetricsFromANotReadyNode) {
  ApplyNode(false);
  ApplyPod("busy-a");
  CommandResult r = Mk({"top", "node"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("minikube   <unknown>"), std::string::npos) << r.out;
  r = Mk({"top", "pod", "busy-a"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err, "error: Metrics not available for pod default/busy-a\n");
  r = Mk({"top", "pod"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "No resources found in default namespace.\n");
}

}  // namespace
}  // namespace mk::testing
