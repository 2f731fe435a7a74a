#include "apiserver/request_auth.h"

#include "common/pki.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

struct Case {
  const char* method;
  const char* path;
  bool watch;
  const char* verb;
  const char* group;
  const char* resource;
  const char* sub;
  const char* ns;
  const char* name;
};

TEST(RestRequestAttributes, VerbsAndPathsAsKubernetes) {
  const Case cases[] = {
      {"GET", "/api/v1/namespaces/default/pods", false, "list", "", "pods", "", "default", ""},
      {"GET", "/api/v1/namespaces/default/pods", true, "watch", "", "pods", "", "default", ""},
      {"GET", "/api/v1/pods", false, "list", "", "pods", "", "", ""},
      {"GET", "/api/v1/namespaces/ns1/pods/web", false, "get", "", "pods", "", "ns1", "web"},
      {"GET", "/api/v1/namespaces/ns1/pods/web/log", false, "get", "", "pods", "log", "ns1", "web"},
      {"POST", "/api/v1/namespaces/ns1/pods", false, "create", "", "pods", "", "ns1", ""},
      {"POST", "/api/v1/namespaces/ns1/pods/web/binding", false, "create", "", "pods", "binding",
       "ns1", "web"},
      {"PUT", "/api/v1/namespaces/ns1/pods/web/status", false, "update", "", "pods", "status",
       "ns1", "web"},
      {"PATCH", "/apis/apps/v1/namespaces/ns1/replicasets/rs/scale", false, "patch", "apps",
       "replicasets", "scale", "ns1", "rs"},
      {"DELETE", "/api/v1/namespaces/ns1/pods/web", false, "delete", "", "pods", "", "ns1", "web"},
      {"DELETE", "/api/v1/namespaces/ns1/pods", false, "deletecollection", "", "pods", "", "ns1",
       ""},
      {"GET", "/api/v1/nodes/n1", false, "get", "", "nodes", "", "", "n1"},
      {"GET", "/api/v1/namespaces/kube-system", false, "get", "", "namespaces", "", "kube-system",
       "kube-system"},
      {"PUT", "/api/v1/namespaces/ns1/status", false, "update", "", "namespaces", "status", "ns1",
       "ns1"},
      {"GET", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", false, "list",
       "coordination.k8s.io", "leases", "", "kube-node-lease", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.path);
    RequestAttributes a = RestRequestAttributes(c.method, c.path, c.watch, "");
    EXPECT_TRUE(a.resource_request);
    EXPECT_EQ(a.verb, c.verb);
    EXPECT_EQ(a.api_group, c.group);
    EXPECT_EQ(a.resource, c.resource);
    EXPECT_EQ(a.subresource, c.sub);
    EXPECT_EQ(a.ns, c.ns);
    EXPECT_EQ(a.name, c.name);
    EXPECT_EQ(a.path, c.path);
  }
  RequestAttributes a = RestRequestAttributes("GET", "/api/v1/pods", true, "spec.nodeName=n1");
  EXPECT_EQ(a.field_selector, "spec.nodeName=n1");
}

TEST(RestRequestAttributes, NonResourcePaths) {
  for (const char* p :
       {"/healthz", "/version", "/api", "/apis", "/api/v1", "/apis/apps/v1", "/metrics"}) {
    RequestAttributes a = RestRequestAttributes("GET", p, false, "");
    EXPECT_FALSE(a.resource_request) << p;
    EXPECT_EQ(a.verb, "get") << p;
    EXPECT_EQ(a.path, p);
  }
}

TEST(GrpcRequestAttributes, GroupFromTheResource) {
  RequestAttributes a = GrpcRequestAttributes("watch", "replicasets", "ns", "", "", "x=y");
  EXPECT_EQ(a.api_group, "apps");
  EXPECT_EQ(a.verb, "watch");
  EXPECT_EQ(a.field_selector, "x=y");
  a = GrpcRequestAttributes("create", "pods", "ns", "web", "binding");
  EXPECT_EQ(a.api_group, "");
  EXPECT_EQ(a.subresource, "binding");
  EXPECT_EQ(a.name, "web");
}

TEST(GrpcRequestAttributes, ClusterScopedResourcesHaveNoNamespace) {
  RequestAttributes a = GrpcRequestAttributes("delete", "nodes", "default", "n1", "");
  EXPECT_EQ(a.ns, "");
  EXPECT_EQ(a.name, "n1");
  EXPECT_EQ(GrpcRequestAttributes("update", "namespaces", "web", "web", "").ns, "");
  EXPECT_EQ(GrpcRequestAttributes("get", "pods", "web", "p", "").ns, "web");
}

class GateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = pki::CreateCa("ca");
    ASSERT_TRUE(ca.ok());
    ca_ = *ca;
    auto a = Authenticator::Create(ca_.cert_pem, "");
    ASSERT_TRUE(a.ok());
    authn_ = *std::move(a);
    gate_.authenticator = authn_.get();
  }
  pki::CertAndKey ca_;
  std::unique_ptr<Authenticator> authn_;
  AuthGate gate_;
};

TEST_F(GateTest, AnonymousOnlyOnPublicPaths) {
  for (const char* p : {"/healthz", "/readyz", "/livez", "/version"}) {
    EXPECT_TRUE(gate_.Admit("", "", RestRequestAttributes("GET", p, false, "")).ok()) << p;
  }
  for (const char* p : {"/metrics", "/api", "/api/v1/pods", "/api/v1/namespaces/d/pods/x"}) {
    absl::Status s = gate_.Admit("", "", RestRequestAttributes("GET", p, false, "")).status();
    EXPECT_TRUE(absl::IsUnauthenticated(s)) << p;
  }
  EXPECT_TRUE(absl::IsUnauthenticated(
      gate_.Admit("", "", GrpcRequestAttributes("list", "pods", "", "", "")).status()));
  gate_.anonymous_auth = false;
  EXPECT_TRUE(absl::IsUnauthenticated(
      gate_.Admit("", "", RestRequestAttributes("GET", "/healthz", false, "")).status()));
}

TEST_F(GateTest, TheAuthorizerDecidesForAuthenticatedUsers) {
  auto cert = pki::IssueClientCert(ca_, "bob", {"devs"});
  ASSERT_TRUE(cert.ok());
  RequestAttributes seen;
  gate_.authorize = [&seen](const UserInfo& u, const RequestAttributes& a) {
    seen = a;
    return u.name == "bob" && a.verb == "get" ? absl::OkStatus()
                                              : absl::PermissionDeniedError("no");
  };
  auto ok = gate_.Admit(cert->cert_pem, "",
                        RestRequestAttributes("GET", "/api/v1/namespaces/d/pods/x", false, ""));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->name, "bob");
  EXPECT_EQ(seen.name, "x");
  auto denied =
      gate_.Admit(cert->cert_pem, "",
                  RestRequestAttributes("DELETE", "/api/v1/namespaces/d/pods/x", false, ""));
  EXPECT_TRUE(absl::IsPermissionDenied(denied.status()));
}

}  // namespace
}  // namespace mk::apiserver
