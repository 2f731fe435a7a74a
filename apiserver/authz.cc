#include "apiserver/authz.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "apiserver/node_authorizer.h"
#include "common/api_error.h"
#include "common/json_codec.h"
#include "common/resources.h"

namespace mk::apiserver {
namespace {

constexpr char kAlwaysAllow[] = "AlwaysAllow";
constexpr char kNode[] = "Node";
constexpr char kRbac[] = "RBAC";

// The leader-election Leases in kube-system (scheduler/main.cc, controller-manager/main.cc).
constexpr char kSchedulerLease[] = "mk-scheduler";
constexpr char kControllerManagerLease[] = "mk-controller-manager";

// Which namespaces a rule covers.
enum class Scope {
  kAny,         // cluster-scoped, all namespaces, or any one namespace
  kNamespaced,  // objects of a namespaced resource in one namespace (never a Namespace or a
                // Node, whatever namespace the request names)
  kNamed,       // exactly Rule::ns
};

// One RBAC PolicyRule. resources: "pods", "pods/status", or "*" for every resource (but no
// subresource); group "*" for every API group; names: RBAC's resourceNames (empty: any).
struct Rule {
  Rule(std::vector<std::string> v, std::string g, std::vector<std::string> r, Scope s = Scope::kAny,
       std::string n = "", std::vector<std::string> only = {})
      : verbs(std::move(v)),
        group(std::move(g)),
        resources(std::move(r)),
        scope(s),
        ns(std::move(n)),
        names(std::move(only)) {}
  std::vector<std::string> verbs;
  std::string group;
  std::vector<std::string> resources;
  Scope scope;
  std::string ns;
  std::vector<std::string> names;
};

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool InGroup(const UserInfo& user, const char* group) { return Contains(user.groups, group); }

// A resource of mk's table whose objects live in a namespace. The request's namespace alone
// does not say so: REST names /api/v1/namespaces/x as in namespace x (as Kubernetes'
// RequestInfo), and a gRPC call may send a namespace with a cluster-scoped resource.
bool IsNamespacedResource(const std::string& group, const std::string& resource) {
  for (const ResourceInfo& r : AllResources()) {
    if (r.group == group && r.name == resource) return r.namespaced;
  }
  return false;
}

bool Matches(const Rule& rule, const RequestAttributes& a) {
  if (!Contains(rule.verbs, a.verb)) return false;
  if (rule.group != "*" && rule.group != a.api_group) return false;
  std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  bool any_resource = a.subresource.empty() && Contains(rule.resources, "*");
  if (!any_resource && !Contains(rule.resources, resource)) return false;
  if (!rule.names.empty() && !Contains(rule.names, a.name)) return false;
  switch (rule.scope) {
    case Scope::kAny:
      return true;
    case Scope::kNamespaced:
      return !a.ns.empty() && IsNamespacedResource(a.api_group, a.resource);
    case Scope::kNamed:
      return a.ns == rule.ns;
  }
  return false;
}

bool AnyMatches(const std::vector<Rule>& rules, const RequestAttributes& a) {
  for (const Rule& r : rules) {
    if (Matches(r, a)) return true;
  }
  return false;
}

// system:kube-scheduler: exactly the calls of scheduler/*.cc (informers on pods and nodes,
// bind, the Unschedulable condition and nominatedNodeName on pods/status, filter-reason
// annotations on pods, preemption deletes, events, its leader-election Lease), plus the reads
// Kubernetes' scheduler role has that mk may use (namespaces, replicasets). Its Lease only
// (Kubernetes: resourceNames kube-scheduler), so it cannot take the controller-manager's.
const std::vector<Rule>& SchedulerRules() {
  static const auto* kRules = new std::vector<Rule>{
      {{"get", "list", "watch"}, "", {"pods", "nodes", "namespaces"}},
      {{"get", "list", "watch"}, "apps", {"replicasets"}},
      {{"create"}, "", {"pods/binding"}},
      {{"patch", "update"}, "", {"pods/status"}},
      {{"patch", "delete"}, "", {"pods"}},
      {{"create", "patch", "update"}, "", {"events"}},
      {{"get", "create", "update"},
       "coordination.k8s.io",
       {"leases"},
       Scope::kNamed,
       "kube-system",
       {kSchedulerLease}},
  };
  return *kRules;
}

// system:kube-controller-manager: exactly the calls of controller-manager/*.cc.
//   informers: list/watch pods, replicasets, nodes, leases (kube-node-lease), namespaces,
//     serviceaccounts, horizontalpodautoscalers;
//   garbage collector: get owners of any kind, list/update/delete pods and replicasets;
//   namespace controller: list and delete every namespaced resource of a terminating
//     namespace, update the namespace (finalizers), create default serviceaccounts;
//   replicaset controller: create/update/delete pods, get replicasets, update
//     replicasets/status;
//   node lifecycle: get/update nodes (taints), update nodes/status, delete pods;
//   HPA: get/update replicasets/scale, get/update horizontalpodautoscalers(/status);
//   CSR approver and signer: watch certificatesigningrequests, update their approval and
//     status;
//   events (create, patch) and its own leader-election Lease in kube-system (Kubernetes:
//   resourceNames kube-controller-manager).
const std::vector<Rule>& ControllerManagerRules() {
  static const auto* kRules = new std::vector<Rule>{
      {{"get", "list"}, "*", {"*"}},
      {{"delete"}, "*", {"*"}, Scope::kNamespaced},
      {{"watch"}, "", {"pods", "nodes", "namespaces", "serviceaccounts"}},
      {{"watch"}, "apps", {"replicasets"}},
      {{"watch"}, "coordination.k8s.io", {"leases"}},
      {{"watch"}, "autoscaling", {"horizontalpodautoscalers"}},
      {{"watch"}, "certificates.k8s.io", {"certificatesigningrequests"}},
      {{"update"},
       "certificates.k8s.io",
       {"certificatesigningrequests/approval", "certificatesigningrequests/status"}},
      {{"create"}, "", {"pods", "serviceaccounts", "events"}},
      {{"update"}, "", {"pods", "nodes", "nodes/status", "namespaces"}},
      {{"patch"}, "", {"events"}},
      {{"update"}, "apps", {"replicasets", "replicasets/status"}},
      {{"get", "update"}, "apps", {"replicasets/scale"}},
      {{"update"}, "autoscaling", {"horizontalpodautoscalers/status"}},
      {{"get", "create", "update"},
       "coordination.k8s.io",
       {"leases"},
       Scope::kNamed,
       "kube-system",
       {kControllerManagerLease}},
  };
  return *kRules;
}

// system:bootstrappers: Kubernetes' system:node-bootstrapper — submit the node-join CSR and
// wait for its certificate. system:nodes: the same from Kubernetes' system:node role (client
// certificate renewal and the kubelet's serving certificate).
const std::vector<Rule>& CsrRequesterRules() {
  static const auto* kRules = new std::vector<Rule>{
      {{"create", "get", "list", "watch"}, "certificates.k8s.io", {"certificatesigningrequests"}},
  };
  return *kRules;
}

// Kubernetes' system:public-info-viewer (everyone, even anonymous).
bool IsPublicInfoPath(const std::string& p) {
  return p == "/healthz" || p == "/readyz" || p == "/livez" || p == "/version" || p == "/version/";
}

// Kubernetes' system:discovery (every authenticated user): /api, /apis and the group and
// version documents below them, /openapi.
bool IsDiscoveryPath(const std::string& p) {
  if (p == "/api" || p == "/api/" || p == "/apis" || p == "/apis/") return true;
  if (p == "/api/v1" || p == "/api/v1/") return true;
  if (p == "/openapi" || absl::StartsWith(p, "/openapi/")) return true;
  if (absl::StartsWith(p, "/apis/")) {
    std::vector<std::string> parts = absl::StrSplit(p.substr(6), '/', absl::SkipEmpty());
    return !parts.empty() && parts.size() <= 2 && p.find("..") == std::string::npos;
  }
  return false;
}

bool IsReadVerb(const std::string& verb) { return verb == "get" || verb == "head"; }

Decision Allow() { return {true, ""}; }
Decision Deny(std::string reason = "") { return {false, std::move(reason)}; }

}  // namespace

bool IsAuthenticated(const UserInfo& user) {
  return !user.name.empty() && user.name != kAnonymousUser && !InGroup(user, kUnauthenticatedGroup);
}

Decision AuthorizeRbac(const UserInfo& user, const RequestAttributes& a) {
  if (!a.resource_request) {
    if (!IsReadVerb(a.verb)) {
      if (InGroup(user, kMastersGroup)) return Allow();
      return Deny();
    }
    if (IsPublicInfoPath(a.path)) return Allow();
    if (!IsAuthenticated(user)) return Deny();
    if (InGroup(user, kMastersGroup)) return Allow();
    if (IsDiscoveryPath(a.path)) return Allow();
    return Deny();
  }
  if (!IsAuthenticated(user)) return Deny();
  if (InGroup(user, kMastersGroup)) return Allow();
  if (user.name == kSchedulerUser && AnyMatches(SchedulerRules(), a)) return Allow();
  if (user.name == kControllerManagerUser && AnyMatches(ControllerManagerRules(), a)) {
    return Allow();
  }
  if ((InGroup(user, kBootstrappersGroup) || InGroup(user, kNodesGroup)) &&
      AnyMatches(CsrRequesterRules(), a)) {
    return Allow();
  }
  return Deny();
}

absl::StatusOr<std::unique_ptr<Authorizer>> Authorizer::Create(absl::string_view modes,
                                                               NodeGraph* graph) {
  std::vector<std::string> list;
  for (absl::string_view m : absl::StrSplit(modes, ',')) {
    std::string mode(absl::StripAsciiWhitespace(m));
    if (mode != kAlwaysAllow && mode != kNode && mode != kRbac) {
      return absl::InvalidArgumentError(
          absl::StrCat("authorization mode \"", mode,
                       "\" is not supported (supported: Node, RBAC, AlwaysAllow)"));
    }
    if (Contains(list, mode)) {
      return absl::InvalidArgumentError(absl::StrCat("authorization mode ", mode, " repeated"));
    }
    if (mode == kNode && graph == nullptr) {
      return absl::InvalidArgumentError("authorization mode Node needs the node graph");
    }
    list.push_back(std::move(mode));
  }
  return std::unique_ptr<Authorizer>(new Authorizer(std::move(list), graph));
}

Decision Authorizer::Authorize(const UserInfo& user, const RequestAttributes& attrs) const {
  std::string reason;
  for (const std::string& mode : modes_) {
    Decision d;
    if (mode == kAlwaysAllow) {
      d = Allow();
    } else if (mode == kNode) {
      d = AuthorizeNode(graph_, user, attrs);
    } else {
      d = AuthorizeRbac(user, attrs);
    }
    if (d.allowed) return d;
    if (reason.empty()) reason = std::move(d.reason);
  }
  return Deny(std::move(reason));
}

std::string ForbiddenMessage(const UserInfo& user, const RequestAttributes& a,
                             absl::string_view reason) {
  std::string msg = absl::StrCat("User \"", user.name, "\" cannot ", a.verb);
  if (a.resource_request) {
    std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
    absl::StrAppend(&msg, " resource \"", resource, "\" in API group \"", a.api_group, "\"");
    if (!a.ns.empty()) {
      absl::StrAppend(&msg, " in the namespace \"", a.ns, "\"");
    } else {
      absl::StrAppend(&msg, " at the cluster scope");
    }
  } else {
    absl::StrAppend(&msg, " path \"", a.path, "\"");
  }
  if (!reason.empty()) absl::StrAppend(&msg, ": ", reason);
  // apierrors.NewForbidden(GroupResource, name, err).
  if (!a.resource_request || a.resource.empty()) return absl::StrCat("forbidden: ", msg);
  std::string gr = a.api_group.empty() ? a.resource : a.resource + "." + a.api_group;
  if (a.name.empty()) return absl::StrCat(gr, " is forbidden: ", msg);
  return absl::StrCat(gr, " \"", a.name, "\" is forbidden: ", msg);
}

absl::Status ForbiddenStatus(const UserInfo& user, const RequestAttributes& attrs,
                             absl::string_view reason) {
  return ForbiddenError(ForbiddenMessage(user, attrs, reason), attrs.api_group, attrs.resource,
                        attrs.name);
}

Json ForbiddenStatusJson(const UserInfo& user, const RequestAttributes& attrs,
                         absl::string_view reason) {
  return EncodeJson(ToApiStatus(ForbiddenStatus(user, attrs, reason)));
}

}  // namespace mk::apiserver
