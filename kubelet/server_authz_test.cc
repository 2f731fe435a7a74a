#include "kubelet/server_authz.h"

#include "gtest/gtest.h"

namespace mk::kubelet {
namespace {

struct Case {
  const char* user;
  std::vector<std::string> groups;
  const char* method;
  const char* path;
  bool allowed;
};

TEST(KubeletServerAuthz, FixedRules) {
  const std::vector<std::string> nodes = {"system:nodes", "system:authenticated"};
  const Case cases[] = {
      {"kube-apiserver-kubelet-client", {"system:masters"}, "GET", "/containerLogs/ns/p/c", true},
      {"kube-apiserver-kubelet-client", {}, "GET", "/stats/summary", true},
      {"kube-apiserver-kubelet-client", {}, "GET", "/healthz", true},
      {"kube-apiserver-kubelet-client", {}, "POST", "/run/ns/p/c", true},
      {"kubernetes-admin", {"system:masters"}, "GET", "/containerLogs/ns/p/c", true},
      {"kubernetes-admin", {"system:masters"}, "GET", "/healthz", true},
      {"system:kube-controller-manager", {}, "GET", "/stats/summary", true},
      {"system:kube-controller-manager", {}, "GET", "/stats/summary/x", false},
      {"system:kube-controller-manager", {}, "POST", "/stats/summary", false},
      {"system:kube-controller-manager", {}, "GET", "/containerLogs/ns/p/c", false},
      {"system:kube-controller-manager", {}, "GET", "/healthz", false},
      {"system:node:b", nodes, "GET", "/containerLogs/ns/p/c", false},
      {"system:node:b", nodes, "GET", "/stats/summary", false},
      {"system:node:b", nodes, "GET", "/healthz", false},
      {"system:kube-scheduler", {}, "GET", "/stats/summary", false},
      {"system:masters", {}, "GET", "/stats/summary", false},  // a user of that name is no group
  };
  for (const Case& c : cases) {
    absl::Status s = AuthorizeKubeletRequest(c.user, c.groups, c.method, c.path);
    EXPECT_EQ(s.ok(), c.allowed) << c.user << " " << c.method << " " << c.path << ": " << s;
    if (!c.allowed) {
      EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
    }
  }
}

TEST(KubeletServerAuthz, KubernetesForbiddenText) {
  EXPECT_EQ(AuthorizeKubeletRequest("system:node:b", {"system:nodes"}, "GET",
                                    "/containerLogs/default/web/main")
                .message(),
            "Forbidden (user=system:node:b, verb=get, resource=nodes, subresource(s)=[log])");
  EXPECT_EQ(AuthorizeKubeletRequest("system:node:b", {}, "GET", "/stats/summary").message(),
            "Forbidden (user=system:node:b, verb=get, resource=nodes, subresource(s)=[stats])");
  EXPECT_EQ(
      AuthorizeKubeletRequest("system:kube-controller-manager", {}, "POST", "/healthz").message(),
      "Forbidden (user=system:kube-controller-manager, verb=create, resource=nodes, "
      "subresource(s)=[proxy])");
}

TEST(KubeletServerAuthz, Subresources) {
  EXPECT_EQ(KubeletSubresource("/stats"), "stats");
  EXPECT_EQ(KubeletSubresource("/stats/summary"), "stats");
  EXPECT_EQ(KubeletSubresource("/statsx"), "proxy");
  EXPECT_EQ(KubeletSubresource("/logs/"), "log");
  EXPECT_EQ(KubeletSubresource("/containerLogs/ns/p/c"), "log");
  EXPECT_EQ(KubeletSubresource("/healthz"), "proxy");
  EXPECT_EQ(KubeletSubresource("/pods"), "proxy");
}

}  // namespace
}  // namespace mk::kubelet
