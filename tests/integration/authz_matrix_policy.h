#pragma once

// The authorization matrix' specification: who may do what, written from Kubernetes'
// semantics (the bootstrap ClusterRoles system:kube-scheduler and the controllers' roles, the
// Node authorizer with system:node and NodeRestriction, system:discovery and
// system:public-info-viewer) and the fixtures of authz_matrix_calls.h. It is deliberately
// independent of apiserver/authz.cc: the apiserver is checked against this table, not against
// itself. Where mk grants something Kubernetes does not, the rule says so ("mk only").

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace mk::testing::authz_matrix {

// The fixtures the node rules name (seeded by the test, see authz_matrix_calls.h).
inline constexpr char kNs[] = "authz";  // the namespace holding the namespaced fixtures
inline constexpr char kNodeA[] = "node-a";
inline constexpr char kNodeB[] = "node-b";

// Who calls.
enum class Who {
  kAnonymous,          // TLS, no client certificate, no token
  kBadCert,            // client certificate of another CA (system:masters in it)
  kExpiredCert,        // client certificate of the cluster CA, expired (system:masters)
  kBadToken,           // a bearer token the apiserver does not know
  kTokenUser,          // a known token, user in no group: authenticated, no role
  kBootstrapToken,     // a bootstrap token (system:bootstrap:matrix in system:bootstrappers)
  kNodeA,              // system:node:node-a in system:nodes
  kScheduler,          // system:kube-scheduler (scheduler.kubeconfig)
  kControllerManager,  // system:kube-controller-manager (controller-manager.kubeconfig)
  kAdmin,              // kubernetes-admin in system:masters (admin.kubeconfig)
};

struct Identity {
  Who who;
  const char* column;  // short name for the printed matrix
};

// The order the matrix runs in: the admin last, so that its deletes come after everyone
// else's checks of the same object.
inline const std::vector<Identity>& Identities() {
  static const auto* kAll = new std::vector<Identity>{
      {Who::kAnonymous, "anon"},   {Who::kBadCert, "bad-crt"},   {Who::kExpiredCert, "exp-crt"},
      {Who::kBadToken, "bad-tok"}, {Who::kTokenUser, "tok-usr"}, {Who::kBootstrapToken, "boot"},
      {Who::kNodeA, "node-a"},     {Who::kScheduler, "sched"},   {Who::kControllerManager, "kcm"},
      {Who::kAdmin, "admin"},
  };
  return *kAll;
}

enum class Api { kRest, kGrpc };

// One request, described the way Kubernetes' authorizer sees it. The test derives these from
// what it sends (not from the apiserver's code).
struct Call {
  Api api = Api::kRest;
  std::string method;  // REST: GET/POST/PUT/PATCH/DELETE; gRPC: Get/List/Watch/Create/...
  std::string verb;    // get list watch create update patch delete deletecollection
  bool resource_request = true;
  std::string path;  // non-resource requests: /healthz, /api, ...
  std::string group, version, resource, subresource;
  std::string ns;    // "" for cluster-scoped objects and all-namespaces collections
  std::string name;  // "" for collections; create: the object's name
  std::string field_selector;
  std::string sent_ns;          // gRPC: the namespace field sent, when it is not `ns`
  bool never_succeeds = false;  // no such endpoint: nobody may get a 2xx / OK from it
};

// What an identity should get.
enum class Outcome {
  kAllowed,       // anything but 401/403 (2xx, or 404/409/422... after authorization)
  kForbidden,     // 403 / PERMISSION_DENIED
  kUnauthorized,  // 401 / UNAUTHENTICATED
  kTlsRefused,    // gRPC: the TLS handshake refuses the client certificate (UNAVAILABLE)
};

// One RBAC-style permission. resources: "pods", "pods/status"; "*" is every resource without
// its subresources; group "*" every group.
struct Rule {
  Rule(std::vector<std::string> v, std::string g, std::vector<std::string> r, std::string n = "*",
       std::vector<std::string> only = {}, std::string selector = "")
      : verbs(std::move(v)),
        group(std::move(g)),
        resources(std::move(r)),
        ns(std::move(n)),
        names(std::move(only)),
        field_selector(std::move(selector)) {}
  std::vector<std::string> verbs;
  std::string group;
  std::vector<std::string> resources;
  std::string ns;                  // "*" anywhere, "+" namespaced objects only, else that one
  std::vector<std::string> names;  // only these objects (empty: any)
  std::string field_selector;      // list/watch: only with this field selector
};

// system:kube-scheduler, limited to what mk serves: read pods, nodes, namespaces and
// replicasets; bind; write pod status (Unschedulable condition, nominatedNodeName); delete
// preemption victims; events; its leader-election Lease (Kubernetes: get/update only the lease
// named kube-scheduler; mk's is kube-system/mk-scheduler).
inline const std::vector<Rule>& SchedulerRules() {
  static const auto* kRules = new std::vector<Rule>{
      {{"get", "list", "watch"}, "", {"pods", "nodes", "namespaces"}},
      {{"get", "list", "watch"}, "apps", {"replicasets"}},
      {{"create"}, "", {"pods/binding"}},
      {{"patch", "update"}, "", {"pods/status"}},
      {{"delete"}, "", {"pods"}},
      {{"create", "patch", "update"}, "", {"events"}},
      {{"get", "create", "update"},
       "coordination.k8s.io",
       {"leases"},
       "kube-system",
       {"mk-scheduler"}},
      // mk only: the scheduler.mk.io/filter-reasons annotation on unschedulable pods is a
      // merge patch of the pod. Kubernetes' scheduler may not patch pods.
      {{"patch"}, "", {"pods"}},
  };
  return *kRules;
}

// mk-controller-manager runs all its controllers as one user, so it holds the union of what
// Kubernetes gives the controllers mk has (generic-garbage-collector, namespace-controller,
// replicaset-controller, node-controller, horizontal-pod-autoscaler, serviceaccount) and the
// list/watch of system:kube-controller-manager — but only the verbs mk's controllers call.
inline const std::vector<Rule>& ControllerManagerRules() {
  static const auto* kRules = new std::vector<Rule>{
      // GC owner lookups (get */*), informers and namespace cleanup (list */*).
      {{"get", "list"}, "*", {"*"}},
      // The shared informers.
      {{"watch"}, "", {"pods", "nodes", "namespaces", "serviceaccounts"}},
      {{"watch"}, "apps", {"replicasets"}},
      {{"watch"}, "coordination.k8s.io", {"leases"}},
      {{"watch"}, "autoscaling", {"horizontalpodautoscalers"}},
      // GC, replicaset, node lifecycle and namespace controllers: objects in a namespace,
      // never a Namespace or a Node.
      {{"delete"}, "*", {"*"}, "+"},
      {{"create"}, "", {"pods", "serviceaccounts", "events"}},
      {{"update"}, "", {"pods", "nodes", "nodes/status", "namespaces"}},
      {{"patch"}, "", {"events"}},
      {{"update"}, "apps", {"replicasets", "replicasets/status"}},
      {{"get", "update"}, "apps", {"replicasets/scale"}},
      {{"update"}, "autoscaling", {"horizontalpodautoscalers/status"}},
      {{"get", "create", "update"},
       "coordination.k8s.io",
       {"leases"},
       "kube-system",
       {"mk-controller-manager"}},
      // csrapproving and csrsigning: Kubernetes' approver and signer controllers.
      {{"watch"}, "certificates.k8s.io", {"certificatesigningrequests"}},
      {{"update"},
       "certificates.k8s.io",
       {"certificatesigningrequests/approval", "certificatesigningrequests/status"}},
  };
  return *kRules;
}

// The Node authorizer for node-a, with the fixtures' relationships spelled out: pod-a is
// bound to node-a and references secret-a (env secretKeyRef) and the ServiceAccount default;
// pod-b is node-b's; pod-1 is unbound; secret-1 and serviceaccount-1 are nobody's.
// NodeRestriction's part (a node writes only its own Node and Lease) is folded in.
inline const std::vector<Rule>& NodeARules() {
  static const auto* kRules = new std::vector<Rule>{
      {{"get", "list", "watch"}, "", {"nodes"}},
      {{"create", "update", "patch"}, "", {"nodes"}, "*", {kNodeA}},
      // Kubernetes: update/patch. Reading its own status too is harmless (it reads all Nodes).
      {{"get", "update", "patch"}, "", {"nodes/status"}, "*", {kNodeA}},
      {{"get", "create", "update", "patch"},
       "coordination.k8s.io",
       {"leases"},
       "kube-node-lease",
       {kNodeA}},
      {{"list", "watch"}, "", {"pods"}, "*", {}, "spec.nodeName=node-a"},
      {{"get", "delete"}, "", {"pods"}, kNs, {"pod-a"}},
      {{"get", "update", "patch"}, "", {"pods/status"}, kNs, {"pod-a"}},
      {{"get"}, "", {"secrets"}, kNs, {"secret-a"}},
      {{"get"}, "", {"serviceaccounts"}, kNs, {"default"}},
      {{"create", "update", "patch"}, "", {"events"}},
      // system:node (RBAC): client certificate renewal and the serving certificate.
      {{"create", "get", "list", "watch"}, "certificates.k8s.io", {"certificatesigningrequests"}},
  };
  return *kRules;
}

// system:node-bootstrapper: a joining node submits its CSR and waits for the certificate.
inline const std::vector<Rule>& BootstrapperRules() {
  static const auto* kRules = new std::vector<Rule>{
      {{"create", "get", "list", "watch"}, "certificates.k8s.io", {"certificatesigningrequests"}},
  };
  return *kRules;
}

// Non-resource paths: system:public-info-viewer (everyone, anonymous included),
// system:discovery (every authenticated user); anything else (/metrics) only the admin.
inline bool IsPublicInfoPath(const std::string& p) {
  return p == "/healthz" || p == "/readyz" || p == "/livez" || p == "/version";
}
inline bool IsDiscoveryPath(const std::string& p) {
  if (p == "/api" || p == "/api/v1" || p == "/apis" || absl::StartsWith(p, "/openapi/")) {
    return true;
  }
  std::vector<std::string> parts = absl::StrSplit(p, '/', absl::SkipEmpty());
  return parts.size() >= 2 && parts.size() <= 3 && parts[0] == "apis";  // /apis/<g>[/<v>]
}

inline bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

inline bool RuleMatches(const Rule& r, const Call& c) {
  if (!Has(r.verbs, c.verb)) return false;
  if (r.group != "*" && r.group != c.group) return false;
  std::string resource = c.subresource.empty() ? c.resource : c.resource + "/" + c.subresource;
  if (!Has(r.resources, resource) && !(c.subresource.empty() && Has(r.resources, "*"))) {
    return false;
  }
  if (r.ns == "+" ? c.ns.empty() : (r.ns != "*" && r.ns != c.ns)) return false;
  if (!r.names.empty() && !Has(r.names, c.name)) return false;
  return r.field_selector.empty() || r.field_selector == c.field_selector;
}

inline bool AnyRuleMatches(const std::vector<Rule>& rules, const Call& c) {
  return std::any_of(rules.begin(), rules.end(), [&](const Rule& r) { return RuleMatches(r, c); });
}

// The expected outcome of `c` for `who`.
inline Outcome Expected(Who who, const Call& c) {
  switch (who) {
    case Who::kBadCert:
    case Who::kExpiredCert:
      // REST judges the certificate per request (401, even on /healthz: presented but bad
      // credentials are never anonymous); gRPC verifies it in the handshake.
      return c.api == Api::kGrpc ? Outcome::kTlsRefused : Outcome::kUnauthorized;
    case Who::kBadToken:
      return Outcome::kUnauthorized;
    case Who::kAnonymous:
      return !c.resource_request && IsPublicInfoPath(c.path) ? Outcome::kAllowed
                                                             : Outcome::kUnauthorized;
    default:
      break;
  }
  if (who == Who::kAdmin) return Outcome::kAllowed;
  if (!c.resource_request) {
    return IsPublicInfoPath(c.path) || IsDiscoveryPath(c.path) ? Outcome::kAllowed
                                                               : Outcome::kForbidden;
  }
  const std::vector<Rule>* rules = nullptr;
  if (who == Who::kScheduler) rules = &SchedulerRules();
  if (who == Who::kControllerManager) rules = &ControllerManagerRules();
  if (who == Who::kNodeA) rules = &NodeARules();
  if (who == Who::kBootstrapToken) rules = &BootstrapperRules();
  return rules != nullptr && AnyRuleMatches(*rules, c) ? Outcome::kAllowed : Outcome::kForbidden;
}

}  // namespace mk::testing::authz_matrix
