// The authorization matrix: every resource mk serves (and its subresources) × every verb ×
// every identity, against an explicit table of what each identity may do; plus the 403
// message and Status body, mode parsing, and the node authorizer's relationships read from a
// real Registry (RegistryNodeGraph over a MemoryStore).

#include "apiserver/authz.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apiserver/memory_store.h"
#include "apiserver/node_authorizer.h"
#include "apiserver/registry.h"
#include "common/resources.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

UserInfo Anonymous() { return {kAnonymousUser, {kUnauthenticatedGroup}}; }
UserInfo Admin() { return {"admin", {kMastersGroup, kAuthenticatedGroup}}; }
UserInfo Scheduler() { return {kSchedulerUser, {kAuthenticatedGroup}}; }
UserInfo ControllerManager() { return {kControllerManagerUser, {kAuthenticatedGroup}}; }
UserInfo NodeA() { return {"system:node:n1", {kNodesGroup, kAuthenticatedGroup}}; }
UserInfo Bootstrapper() {
  return {"system:bootstrap:abcdef", {kBootstrappersGroup, kAuthenticatedGroup}};
}
UserInfo Alice() { return {"alice", {kAuthenticatedGroup}}; }

class AuthzTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.Bootstrap().ok());
    for (const char* n : {"n1", "n2"}) {
      auto node = std::make_unique<api::Node>();
      node->mutable_metadata()->set_name(n);
      ASSERT_TRUE(registry_.Create(*FindResource("nodes"), "", std::move(node)).ok());
    }
    auto sa = std::make_unique<api::ServiceAccount>();
    sa->mutable_metadata()->set_name("a-sa");
    sa->add_image_pull_secrets()->set_name("a-sa-pull");
    ASSERT_TRUE(registry_.Create(*FindResource("serviceaccounts"), "default", std::move(sa)).ok());
    // a-pod on n1 uses a-secret (volume), a-env (env), a-pull (imagePullSecrets) and the
    // ServiceAccount a-sa (whose imagePullSecrets name a-sa-pull); b-pod on n2 uses b-secret.
    api::Pod a = NewPod("a-pod");
    a.mutable_spec()->set_service_account_name("a-sa");
    auto* v = a.mutable_spec()->add_volumes();
    v->set_name("s");
    v->mutable_secret()->set_secret_name("a-secret");
    a.mutable_spec()->add_image_pull_secrets()->set_name("a-pull");
    auto* env = a.mutable_spec()->mutable_containers(0)->add_env();
    env->set_name("TOKEN");
    env->mutable_value_from()->mutable_secret_key_ref()->set_name("a-env");
    env->mutable_value_from()->mutable_secret_key_ref()->set_key("token");
    CreatePod(a, "n1");
    api::Pod b = NewPod("b-pod");
    auto* bv = b.mutable_spec()->add_volumes();
    bv->set_name("s");
    bv->mutable_secret()->set_secret_name("b-secret");
    CreatePod(b, "n2");
    CreatePod(NewPod("pending"), "");
  }

  static api::Pod NewPod(const std::string& name) {
    api::Pod p;
    p.mutable_metadata()->set_name(name);
    auto* c = p.mutable_spec()->add_containers();
    c->set_name("c");
    c->set_image("busybox:1");
    return p;
  }
  void CreatePod(const api::Pod& pod, const std::string& node) {
    auto p = std::make_unique<api::Pod>(pod);
    ASSERT_TRUE(registry_.Create(*FindResource("pods"), "default", std::move(p)).ok());
    if (!node.empty()) {
      ASSERT_TRUE(registry_.Bind("default", pod.metadata().name(), node).ok());
    }
  }
  std::unique_ptr<Authorizer> Make(const std::string& modes = kDefaultAuthorizationMode) {
    auto a = Authorizer::Create(modes, &graph_);
    EXPECT_TRUE(a.ok()) << a.status();
    return a.ok() ? std::move(*a) : nullptr;
  }

  MemoryStore store_;
  Registry registry_{&store_};
  RegistryNodeGraph graph_{&registry_};
};

RequestAttributes Res(const std::string& verb, const std::string& group,
                      const std::string& resource, const std::string& ns,
                      const std::string& name = "", const std::string& sub = "") {
  RequestAttributes a;
  a.verb = verb;
  a.api_group = group;
  a.resource = resource;
  a.subresource = sub;
  a.ns = ns;
  a.name = name;
  return a;
}

RequestAttributes Path(const std::string& path, const std::string& verb = "get") {
  RequestAttributes a;
  a.resource_request = false;
  a.verb = verb;
  a.path = path;
  return a;
}

// The objects a request targets: "own" (node A's: pod a-pod, secret a-secret, node n1,
// lease kube-node-lease/n1, pods selected by spec.nodeName=n1), "other" (node B's, or any
// object with no node relationship), and for leases "sys" and "sys-cm" (kube-system/
// mk-scheduler and kube-system/mk-controller-manager, the leader-election leases).
struct Target {
  std::string label;
  std::string ns;
  std::string name;
  std::string field_selector;
};

std::vector<Target> TargetsFor(const ResourceInfo& r, const std::string& verb) {
  std::string ns = r.namespaced ? "default" : "";
  bool collection = verb == "list" || verb == "watch" || verb == "deletecollection";
  if (r.name == "leases") {
    return {{"own", "kube-node-lease", collection ? "" : "n1", ""},
            {"other", "kube-node-lease", collection ? "" : "n2", ""},
            {"sys", "kube-system", collection ? "" : "mk-scheduler", ""},
            {"sys-cm", "kube-system", collection ? "" : "mk-controller-manager", ""}};
  }
  if (r.name == "pods" && collection) {
    return {{"own", ns, "", "spec.nodeName=n1"},
            {"other", ns, "", "spec.nodeName=n2"},
            {"other", ns, "", ""}};
  }
  if (collection) return {{"other", ns, "", ""}};
  if (verb == "create" && r.name != "nodes") return {{"other", ns, "", ""}};
  std::map<std::string, std::pair<std::string, std::string>> own_other = {
      {"pods", {"a-pod", "b-pod"}},
      {"nodes", {"n1", "n2"}},
      {"secrets", {"a-secret", "b-secret"}},
      {"serviceaccounts", {"a-sa", "default"}},
  };
  auto it = own_other.find(r.name);
  if (it == own_other.end()) return {{"other", ns, "x", ""}};
  return {{"own", ns, it->second.first, ""}, {"other", ns, it->second.second, ""}};
}

// What each identity may do: "<identity> <verbs> <group/resources> <targets>", comma lists,
// "*" for all. Everything not listed must be denied. Kept independent of authz.cc's rule
// tables on purpose: this is the specification.
const char* const kAllowed[] = {
    "admin * * *",
    // scheduler
    "scheduler get,list,watch /pods,/nodes,/namespaces,apps/replicasets *",
    "scheduler create /pods/binding *",
    "scheduler patch,update /pods/status *",
    "scheduler patch,delete /pods *",
    "scheduler create,patch,update /events *",
    "scheduler get,create,update coordination.k8s.io/leases sys",
    // controller-manager
    "controller-manager get,list "
    "/pods,/nodes,/namespaces,/secrets,/serviceaccounts,/events,apps/replicasets,"
    "coordination.k8s.io/leases,autoscaling/horizontalpodautoscalers *",
    "controller-manager delete /pods,/secrets,/serviceaccounts,/events,apps/replicasets,"
    "coordination.k8s.io/leases,autoscaling/horizontalpodautoscalers *",
    "controller-manager watch /pods,/nodes,/namespaces,/serviceaccounts,apps/replicasets,"
    "coordination.k8s.io/leases,autoscaling/horizontalpodautoscalers *",
    "controller-manager create /pods,/serviceaccounts,/events *",
    "controller-manager update /pods,/nodes,/nodes/status,/namespaces,apps/replicasets,"
    "apps/replicasets/status,autoscaling/horizontalpodautoscalers/status *",
    "controller-manager get,update apps/replicasets/scale *",
    "controller-manager patch /events *",
    "controller-manager create,update coordination.k8s.io/leases sys-cm",
    // node A
    "node-a get,list,watch /nodes *",
    "node-a create,update,patch /nodes own",
    "node-a get,update,patch /nodes/status own",
    "node-a get,create,update,patch coordination.k8s.io/leases own",
    "node-a list,watch,get,delete /pods own",
    "node-a get,update,patch /pods/status own",
    "node-a get /secrets,/serviceaccounts own",
    "node-a create,update,patch /events *",
    // certificate signing requests: nodes and bootstrap tokens ask, the controller-manager
    // approves and signs
    "node-a,bootstrapper create,get,list,watch certificates.k8s.io/certificatesigningrequests *",
    "controller-manager get,list,watch certificates.k8s.io/certificatesigningrequests *",
    "controller-manager update certificates.k8s.io/certificatesigningrequests/approval,"
    "certificates.k8s.io/certificatesigningrequests/status *",
};

bool InList(const std::string& list, const std::string& v) {
  if (list == "*") return true;
  for (absl::string_view s : absl::StrSplit(list, ',')) {
    if (s == v) return true;
  }
  return false;
}

bool ExpectedAllowed(const std::string& who, const std::string& verb,
                     const std::string& group_resource, const std::string& target) {
  for (const char* line : kAllowed) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (InList(f[0], who) && InList(f[1], verb) && InList(f[2], group_resource) &&
        InList(f[3], target)) {
      return true;
    }
  }
  return false;
}

TEST_F(AuthzTest, MatrixEveryResourceVerbAndIdentity) {
  auto authz = Make();
  ASSERT_NE(authz, nullptr);
  const std::vector<std::pair<std::string, UserInfo>> identities = {
      {"anonymous", Anonymous()}, {"admin", Admin()},
      {"scheduler", Scheduler()}, {"controller-manager", ControllerManager()},
      {"node-a", NodeA()},        {"bootstrapper", Bootstrapper()},
      {"alice", Alice()},
  };
  const std::vector<std::string> verbs = {"get",    "list",  "watch",  "create",
                                          "update", "patch", "delete", "deletecollection"};
  int cases = 0;
  std::vector<std::string> unexpected_allows, unexpected_denies;
  for (const ResourceInfo& r : AllResources()) {
    std::vector<std::string> subs = {""};
    subs.insert(subs.end(), r.subresources.begin(), r.subresources.end());
    for (const std::string& sub : subs) {
      std::string gr = absl::StrCat(r.group, "/", r.name, sub.empty() ? "" : "/", sub);
      for (const std::string& verb : verbs) {
        bool collection = verb == "list" || verb == "watch" || verb == "deletecollection";
        if (collection && !sub.empty()) continue;
        for (const Target& t : TargetsFor(r, verb)) {
          RequestAttributes a = Res(verb, r.group, r.name, t.ns, t.name, sub);
          a.field_selector = t.field_selector;
          for (const auto& [who, user] : identities) {
            ++cases;
            bool want = ExpectedAllowed(who, verb, gr, t.label);
            Decision got = authz->Authorize(user, a);
            std::string desc = absl::StrCat(who, " ", verb, " ", gr, " ", t.ns, "/", t.name,
                                            t.field_selector.empty() ? "" : " ?", t.field_selector,
                                            " [", t.label, "]");
            if (got.allowed && !want) unexpected_allows.push_back(desc);
            if (!got.allowed && want) unexpected_denies.push_back(desc);
          }
        }
      }
    }
  }
  EXPECT_GT(cases, 1000);
  EXPECT_EQ(unexpected_allows.size(), 0u)
      << "unexpected allows:\n  " << absl::StrJoin(unexpected_allows, "\n  ");
  EXPECT_EQ(unexpected_denies.size(), 0u)
      << "unexpected denies:\n  " << absl::StrJoin(unexpected_denies, "\n  ");
}

// Each component's leader-election Lease is its own (Kubernetes: resourceNames), so neither
// can read, take over or pre-create the other's.
TEST_F(AuthzTest, ComponentsOwnOnlyTheirLeases) {
  auto authz = Make();
  auto may = [&](const UserInfo& u, const std::string& verb, const std::string& name) {
    return authz->Authorize(u, Res(verb, "coordination.k8s.io", "leases", "kube-system", name))
        .allowed;
  };
  for (const char* verb : {"get", "create", "update"}) {
    EXPECT_TRUE(may(Scheduler(), verb, "mk-scheduler")) << verb;
    EXPECT_FALSE(may(Scheduler(), verb, "mk-controller-manager")) << verb;
    EXPECT_FALSE(may(Scheduler(), verb, "other")) << verb;
    EXPECT_TRUE(may(ControllerManager(), verb, "mk-controller-manager")) << verb;
    EXPECT_EQ(may(ControllerManager(), verb, "mk-scheduler"), verb == std::string("get")) << verb;
  }
  // A create without a name (generateName) is not the component's Lease either.
  EXPECT_FALSE(may(Scheduler(), "create", ""));
}

// The controller-manager deletes objects in namespaces (GC, replicasets, namespace cleanup),
// never a Namespace or a Node: not through REST, whose attributes put /api/v1/namespaces/x in
// namespace x as Kubernetes' RequestInfo does, nor through a gRPC call that sends a namespace
// with a cluster-scoped resource.
TEST_F(AuthzTest, ControllerManagerDeletesOnlyNamespacedObjects) {
  auto authz = Make();
  EXPECT_TRUE(
      authz->Authorize(ControllerManager(), Res("delete", "", "pods", "default", "a-pod")).allowed);
  EXPECT_TRUE(
      authz->Authorize(ControllerManager(), Res("delete", "apps", "replicasets", "default", "rs"))
          .allowed);
  EXPECT_FALSE(
      authz->Authorize(ControllerManager(), Res("delete", "", "namespaces", "web", "web")).allowed);
  EXPECT_FALSE(
      authz->Authorize(ControllerManager(), Res("delete", "", "nodes", "default", "n1")).allowed);
  // Only resources mk serves are known to be namespaced.
  EXPECT_FALSE(authz
                   ->Authorize(ControllerManager(),
                               Res("delete", "metrics.k8s.io", "pods", "default", "a-pod"))
                   .allowed);
}

TEST_F(AuthzTest, BootstrapperMayOnlyCreateAndGetCsrs) {
  auto authz = Make();
  RequestAttributes csr = Res("create", "certificates.k8s.io", "certificatesigningrequests", "");
  EXPECT_TRUE(authz->Authorize(Bootstrapper(), csr).allowed);
  csr.verb = "get";
  csr.name = "node-csr-1";
  EXPECT_TRUE(authz->Authorize(Bootstrapper(), csr).allowed);
  csr.verb = "update";
  EXPECT_FALSE(authz->Authorize(Bootstrapper(), csr).allowed);
  csr.verb = "create";
  csr.subresource = "approval";
  EXPECT_FALSE(authz->Authorize(Bootstrapper(), csr).allowed);
  EXPECT_FALSE(authz
                   ->Authorize(Alice(), Res("create", "certificates.k8s.io",
                                            "certificatesigningrequests", ""))
                   .allowed);
}

TEST_F(AuthzTest, NodesRequestCertificatesAndTheControllerManagerDecides) {
  auto authz = Make();
  for (const char* verb : {"create", "get", "list", "watch"}) {
    RequestAttributes csr = Res(verb, "certificates.k8s.io", "certificatesigningrequests", "");
    EXPECT_TRUE(authz->Authorize(NodeA(), csr).allowed) << verb;
    EXPECT_TRUE(authz->Authorize(Bootstrapper(), csr).allowed) << verb;
  }
  for (const char* sub : {"approval", "status"}) {
    RequestAttributes up = Res("update", "certificates.k8s.io", "certificatesigningrequests", "");
    up.name = "node-csr-1";
    up.subresource = sub;
    EXPECT_FALSE(authz->Authorize(NodeA(), up).allowed) << sub;
    EXPECT_FALSE(authz->Authorize(Bootstrapper(), up).allowed) << sub;
    EXPECT_TRUE(authz->Authorize(ControllerManager(), up).allowed) << sub;
  }
}

TEST_F(AuthzTest, NonResourcePaths) {
  auto authz = Make();
  for (const char* p : {"/healthz", "/readyz", "/livez", "/version"}) {
    EXPECT_TRUE(authz->Authorize(Anonymous(), Path(p)).allowed) << p;
    EXPECT_TRUE(authz->Authorize(NodeA(), Path(p)).allowed) << p;
  }
  for (const char* p : {"/api", "/apis", "/api/v1", "/apis/apps/v1", "/apis/apps"}) {
    EXPECT_FALSE(authz->Authorize(Anonymous(), Path(p)).allowed) << p;
    for (const UserInfo& u : {Alice(), NodeA(), Scheduler(), Bootstrapper(), Admin()}) {
      EXPECT_TRUE(authz->Authorize(u, Path(p)).allowed) << u.name << " " << p;
    }
  }
  EXPECT_FALSE(authz->Authorize(Anonymous(), Path("/metrics")).allowed);
  EXPECT_FALSE(authz->Authorize(Alice(), Path("/metrics")).allowed);
  EXPECT_FALSE(authz->Authorize(Alice(), Path("/healthz", "post")).allowed);
  EXPECT_FALSE(authz->Authorize(Alice(), Path("/apis/apps/v1/../../../metrics")).allowed);
  EXPECT_TRUE(authz->Authorize(Admin(), Path("/metrics")).allowed);
  // An anonymous user claiming no groups is still anonymous.
  EXPECT_FALSE(authz->Authorize({kAnonymousUser, {}}, Path("/api")).allowed);
  EXPECT_FALSE(authz->Authorize({"", {}}, Path("/api")).allowed);
}

TEST_F(AuthzTest, NodeWithoutNamePrefixIsDenied) {
  auto authz = Make();
  UserInfo bad{"n1", {kNodesGroup, kAuthenticatedGroup}};
  Decision d = authz->Authorize(bad, Res("get", "", "nodes", "", "n1"));
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "unknown node for user \"n1\"");
  EXPECT_FALSE(authz->Authorize(bad, Res("list", "", "pods", "")).allowed);
  // The prefix without the group is not a node either.
  UserInfo fake{"system:node:n1", {kAuthenticatedGroup}};
  EXPECT_FALSE(authz->Authorize(fake, Res("get", "", "nodes", "", "n1")).allowed);
  EXPECT_FALSE(
      authz->Authorize({"system:node:", {kNodesGroup}}, Res("get", "", "nodes", "", "")).allowed);
}

TEST_F(AuthzTest, NodeSecretsFollowItsPods) {
  auto authz = Make();
  auto get_secret = [&](const std::string& ns, const std::string& name) {
    return authz->Authorize(NodeA(), Res("get", "", "secrets", ns, name)).allowed;
  };
  EXPECT_TRUE(get_secret("default", "a-secret"));       // volume
  EXPECT_TRUE(get_secret("default", "a-env"));          // env secretKeyRef
  EXPECT_TRUE(get_secret("default", "a-pull"));         // imagePullSecrets
  EXPECT_TRUE(get_secret("default", "a-sa-pull"));      // its ServiceAccount's pull secret
  EXPECT_FALSE(get_secret("default", "b-secret"));      // node B's pod's
  EXPECT_FALSE(get_secret("kube-system", "a-secret"));  // same name, other namespace
  EXPECT_FALSE(get_secret("default", "unrelated"));
  RequestAttributes list = Res("list", "", "secrets", "default");
  EXPECT_FALSE(authz->Authorize(NodeA(), list).allowed);
  RequestAttributes watch = Res("watch", "", "secrets", "");
  EXPECT_FALSE(authz->Authorize(NodeA(), watch).allowed);

  // Once the pod is gone the relationship is too.
  DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(registry_.Delete(*FindResource("pods"), "default", "a-pod", now).ok());
  EXPECT_FALSE(get_secret("default", "a-secret"));
  EXPECT_FALSE(authz->Authorize(NodeA(), Res("get", "", "pods", "default", "a-pod")).allowed);
}

TEST_F(AuthzTest, NodePodSelectors) {
  auto authz = Make();
  auto list = [&](const std::string& verb, const std::string& ns, const std::string& sel) {
    RequestAttributes a = Res(verb, "", "pods", ns);
    a.field_selector = sel;
    return authz->Authorize(NodeA(), a);
  };
  EXPECT_TRUE(list("watch", "", "spec.nodeName=n1").allowed);
  EXPECT_TRUE(list("list", "", "status.phase!=Failed,spec.nodeName=n1").allowed);
  EXPECT_TRUE(list("list", "", "spec.nodeName==n1").allowed);
  EXPECT_FALSE(list("list", "", "spec.nodeName=n10").allowed);
  EXPECT_FALSE(list("list", "", "spec.nodeName!=n1").allowed);
  EXPECT_FALSE(list("list", "", "spec.nodeName=n2").allowed);
  Decision d = list("watch", "", "");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "can only list/watch pods with spec.nodeName=n1 field selector");
  // An unbound pod is nobody's.
  EXPECT_FALSE(authz->Authorize(NodeA(), Res("get", "", "pods", "default", "pending")).allowed);
  EXPECT_FALSE(
      authz->Authorize(NodeA(), Res("update", "", "pods", "default", "pending", "status")).allowed);
  EXPECT_FALSE(
      authz->Authorize(NodeA(), Res("get", "", "pods", "default", "a-pod", "log")).allowed);
  EXPECT_FALSE(authz->Authorize(NodeA(), Res("create", "", "pods", "default")).allowed);
}

TEST_F(AuthzTest, ModeParsing) {
  EXPECT_TRUE(Authorizer::Create("Node,RBAC", &graph_).ok());
  EXPECT_TRUE(Authorizer::Create("RBAC,Node", &graph_).ok());
  EXPECT_FALSE(Authorizer::Create("", &graph_).ok());
  EXPECT_FALSE(Authorizer::Create("ABAC", &graph_).ok());
  EXPECT_FALSE(Authorizer::Create("RBAC,RBAC", &graph_).ok());
  EXPECT_FALSE(Authorizer::Create("Node,RBAC", nullptr).ok());
  EXPECT_EQ(Authorizer::Create("Bogus", &graph_).status().message(),
            "authorization mode \"Bogus\" is not supported (supported: Node, RBAC, AlwaysAllow)");

  auto always = Make("AlwaysAllow");
  EXPECT_TRUE(always->Authorize(Anonymous(), Res("delete", "", "nodes", "", "n1")).allowed);
  // RBAC alone has no node rules (as Kubernetes without the Node authorizer).
  auto rbac = Make("RBAC");
  EXPECT_FALSE(rbac->Authorize(NodeA(), Res("get", "", "nodes", "", "n1")).allowed);
  EXPECT_TRUE(rbac->Authorize(Admin(), Res("get", "", "nodes", "", "n1")).allowed);
  auto node_only = Make("Node");
  EXPECT_TRUE(node_only->Authorize(NodeA(), Res("get", "", "nodes", "", "n1")).allowed);
  EXPECT_FALSE(node_only->Authorize(Admin(), Res("get", "", "nodes", "", "n1")).allowed);
}

TEST_F(AuthzTest, ForbiddenMessageAsKubernetes) {
  auto authz = Make();
  RequestAttributes a = Res("get", "", "pods", "default", "x");
  Decision d = authz->Authorize(NodeA(), a);
  ASSERT_FALSE(d.allowed);
  EXPECT_EQ(ForbiddenMessage(NodeA(), a, ""),
            "pods \"x\" is forbidden: User \"system:node:n1\" cannot get resource \"pods\" in API "
            "group \"\" in the namespace \"default\"");
  EXPECT_EQ(ForbiddenMessage(NodeA(), a, d.reason),
            "pods \"x\" is forbidden: User \"system:node:n1\" cannot get resource \"pods\" in API "
            "group \"\" in the namespace \"default\": no relationship found between node 'n1' "
            "and this object");
  EXPECT_EQ(ForbiddenMessage(Alice(), Res("list", "", "nodes", ""), ""),
            "nodes is forbidden: User \"alice\" cannot list resource \"nodes\" in API group \"\" "
            "at the cluster scope");
  EXPECT_EQ(ForbiddenMessage(Scheduler(),
                             Res("update", "apps", "replicasets", "web", "rs1", "scale"), ""),
            "replicasets.apps \"rs1\" is forbidden: User \"system:kube-scheduler\" cannot update "
            "resource \"replicasets/scale\" in API group \"apps\" in the namespace \"web\"");
  EXPECT_EQ(ForbiddenMessage(Anonymous(), Path("/api"), ""),
            "forbidden: User \"system:anonymous\" cannot get path \"/api\"");

  Json body = ForbiddenStatusJson(NodeA(), a, d.reason);
  EXPECT_EQ(body["kind"], "Status");
  EXPECT_EQ(body["apiVersion"], "v1");
  EXPECT_EQ(body["status"], "Failure");
  EXPECT_EQ(body["reason"], "Forbidden");
  EXPECT_EQ(body["code"], 403);
  EXPECT_EQ(body["message"], ForbiddenMessage(NodeA(), a, d.reason));
  EXPECT_EQ(body["details"]["name"], "x");
  EXPECT_EQ(body["details"]["kind"], "pods");
  absl::Status s = ForbiddenStatus(NodeA(), a, d.reason);
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_EQ(s.message(), ForbiddenMessage(NodeA(), a, d.reason));
}

}  // namespace
}  // namespace mk::apiserver
