// The stock kubectl (Debian's or the machine's /usr/bin/kubectl) against a real
// mk-apiserver: discovery, Table output for get, describe, delete.

#include <httplib.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

std::string Kubectl() {
  for (const char* p : {"/usr/bin/kubectl", "/usr/local/bin/kubectl"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

class KubectlCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    kubectl_ = Kubectl();
    ASSERT_FALSE(kubectl_.empty()) << "kubectl is not installed (deploy/install-deps.sh)";
    server_ = std::make_unique<Apiserver>(dir_.path() + "/data");
    ASSERT_TRUE(server_->Start());
    auto c = NewRestClient(server_->kubeconfig());
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "nginx"}, {"labels", {{"env", "stage"}}}}},
                {"spec", {{"containers", {{{"name", "nginx"}, {"image", "nginx"}}}}}}};
    ASSERT_EQ(c->Post("/api/v1/namespaces/default/pods", pod.dump(), "application/json")->status,
              201);
  }

  CommandResult Run(std::vector<std::string> args) {
    // Stock kubectl with the admin kubeconfig the apiserver wrote: TLS + client certificate.
    std::vector<std::string> argv = {kubectl_, "--kubeconfig=" + server_->kubeconfig(),
                                     "--cache-dir", dir_.path() + "/kcache"};
    argv.insert(argv.end(), args.begin(), args.end());
    return mk::testing::Run(argv);
  }

  TempDir dir_;
  std::string kubectl_;
  std::unique_ptr<Apiserver> server_;
};

TEST_F(KubectlCompat, GetShowsTheTableColumns) {
  CommandResult r = Run({"get", "pods"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "NAME    READY   STATUS    RESTARTS   AGE")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "nginx   0/1     Pending   0")) << r.out;
  r = Run({"get", "po", "--show-labels"});
  EXPECT_TRUE(absl::StrContains(r.out, "env=stage")) << r.out << r.err;
  r = Run({"get", "rs"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "No resources found in default namespace.")) << r.err;
  r = Run({"get", "namespaces"});
  EXPECT_TRUE(absl::StrContains(r.out, "kube-node-lease")) << r.out << r.err;
}

TEST_F(KubectlCompat, DescribeAndDelete) {
  CommandResult r = Run({"describe", "pod", "nginx"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "Name:")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "nginx")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "Status:")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "Pending")) << r.out;
  r = Run({"delete", "pod", "nginx"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "pod \"nginx\" deleted")) << r.out;
  r = Run({"get", "pod", "nginx"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "NotFound")) << r.err;
}

}  // namespace
}  // namespace mk::testing
