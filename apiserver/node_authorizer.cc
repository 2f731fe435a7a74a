#include "apiserver/node_authorizer.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "apiserver/registry.h"
#include "common/resources.h"

namespace mk::apiserver {
namespace {

constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

bool OneOf(const std::string& s, std::initializer_list<const char*> options) {
  for (const char* o : options) {
    if (s == o) return true;
  }
  return false;
}

Decision Allow() { return {true, ""}; }

Decision NoRelationship(const std::string& node) {
  return {false, absl::StrCat("no relationship found between node '", node, "' and this object")};
}

// True when the field selector pins spec.nodeName to `node` (one of its comma-separated
// requirements is spec.nodeName=<node> or spec.nodeName==<node>).
bool SelectsNode(const std::string& selector, const std::string& node) {
  for (absl::string_view req : absl::StrSplit(selector, ',')) {
    req = absl::StripAsciiWhitespace(req);
    if (req == absl::StrCat("spec.nodeName=", node) ||
        req == absl::StrCat("spec.nodeName==", node)) {
      return true;
    }
  }
  return false;
}

// Secrets a pod's spec names directly.
bool PodReferencesSecret(const api::Pod& pod, const std::string& name) {
  const api::PodSpec& spec = pod.spec();
  for (const api::Volume& v : spec.volumes()) {
    if (v.has_secret() && v.secret().secret_name() == name) return true;
  }
  for (const api::LocalObjectReference& r : spec.image_pull_secrets()) {
    if (r.name() == name) return true;
  }
  for (const auto* containers : {&spec.init_containers(), &spec.containers()}) {
    for (const api::Container& c : *containers) {
      for (const api::EnvVar& e : c.env()) {
        if (e.has_value_from() && e.value_from().has_secret_key_ref() &&
            e.value_from().secret_key_ref().name() == name) {
          return true;
        }
      }
    }
  }
  return false;
}

std::string ServiceAccountOf(const api::Pod& pod) {
  if (!pod.spec().service_account_name().empty()) return pod.spec().service_account_name();
  if (!pod.spec().service_account().empty()) return pod.spec().service_account();
  return "default";
}

Decision PodBoundTo(NodeGraph* graph, const std::string& node, const RequestAttributes& a) {
  if (a.name.empty()) return NoRelationship(node);
  absl::StatusOr<api::Pod> pod = graph->GetPod(a.ns, a.name);
  if (!pod.ok() || pod->spec().node_name() != node) return NoRelationship(node);
  return Allow();
}

Decision AuthorizePods(NodeGraph* graph, const std::string& node, const RequestAttributes& a) {
  if (a.subresource.empty()) {
    if (a.verb == "list" || a.verb == "watch") {
      if (SelectsNode(a.field_selector, node)) return Allow();
      return {false, absl::StrCat("can only list/watch pods with spec.nodeName=", node,
                                  " field selector")};
    }
    if (a.verb == "get" || a.verb == "delete") return PodBoundTo(graph, node, a);
    return NoRelationship(node);
  }
  if (a.subresource == "status" && OneOf(a.verb, {"get", "update", "patch"})) {
    return PodBoundTo(graph, node, a);
  }
  return NoRelationship(node);
}

// secrets and serviceaccounts: only `get`, only what a pod bound to `node` references.
Decision AuthorizePodDependency(NodeGraph* graph, const std::string& node,
                                const RequestAttributes& a) {
  if (a.verb != "get" || !a.subresource.empty() || a.name.empty() || a.ns.empty()) {
    return NoRelationship(node);
  }
  absl::StatusOr<std::vector<api::Pod>> pods = graph->PodsOnNode(node, a.ns);
  if (!pods.ok()) return {false, absl::StrCat("cannot read the pods of node '", node, "'")};
  bool secret = a.resource == "secrets";
  for (const api::Pod& pod : *pods) {
    if (!secret) {
      if (ServiceAccountOf(pod) == a.name) return Allow();
      continue;
    }
    if (PodReferencesSecret(pod, a.name)) return Allow();
    // The kubelet also pulls with the pod's ServiceAccount's imagePullSecrets.
    absl::StatusOr<api::ServiceAccount> sa = graph->GetServiceAccount(a.ns, ServiceAccountOf(pod));
    if (!sa.ok()) continue;
    for (const api::LocalObjectReference& r : sa->image_pull_secrets()) {
      if (r.name() == a.name) return Allow();
    }
  }
  return NoRelationship(node);
}

}  // namespace

absl::StatusOr<std::vector<api::Pod>> RegistryNodeGraph::PodsOnNode(const std::string& node,
                                                                    const std::string& ns) {
  ListOptions opts;
  opts.field_selector = absl::StrCat("spec.nodeName=", node);
  absl::StatusOr<ObjectList> list = registry_->List(*FindResource("pods"), ns, opts);
  if (!list.ok()) return list.status();
  std::vector<api::Pod> out;
  out.reserve(list->items.size());
  for (const ObjectPtr& obj : list->items) {
    const auto* pod = dynamic_cast<const api::Pod*>(obj.get());
    if (pod != nullptr) out.push_back(*pod);
  }
  return out;
}

absl::StatusOr<api::Pod> RegistryNodeGraph::GetPod(const std::string& ns, const std::string& name) {
  absl::StatusOr<ObjectPtr> obj = registry_->Get(*FindResource("pods"), ns, name);
  if (!obj.ok()) return obj.status();
  const auto* pod = dynamic_cast<const api::Pod*>(obj->get());
  if (pod == nullptr) return absl::InternalError("not a Pod");
  return *pod;
}

absl::StatusOr<api::ServiceAccount> RegistryNodeGraph::GetServiceAccount(const std::string& ns,
                                                                         const std::string& name) {
  absl::StatusOr<ObjectPtr> obj = registry_->Get(*FindResource("serviceaccounts"), ns, name);
  if (!obj.ok()) return obj.status();
  const auto* sa = dynamic_cast<const api::ServiceAccount*>(obj->get());
  if (sa == nullptr) return absl::InternalError("not a ServiceAccount");
  return *sa;
}

bool IsNodeUser(const UserInfo& user) {
  return std::find(user.groups.begin(), user.groups.end(), kNodesGroup) != user.groups.end();
}

std::string NodeNameOf(const UserInfo& user) {
  if (!IsNodeUser(user) || !absl::StartsWith(user.name, kNodeUserPrefix)) return "";
  return user.name.substr(sizeof(kNodeUserPrefix) - 1);
}

Decision AuthorizeNode(NodeGraph* graph, const UserInfo& user, const RequestAttributes& a) {
  if (!IsNodeUser(user)) return {false, ""};
  std::string node = NodeNameOf(user);
  if (node.empty() || node.find('/') != std::string::npos) {
    return {false, "unknown node for user \"" + user.name + "\""};
  }
  if (!a.resource_request) return {false, ""};  // discovery and health: RBAC
  if (a.api_group.empty()) {
    if (a.resource == "nodes") {
      if (a.subresource.empty() && OneOf(a.verb, {"get", "list", "watch"})) return Allow();
      bool own_verb = a.subresource.empty() ? OneOf(a.verb, {"create", "get", "update", "patch"})
                                            : (a.subresource == "status" &&
                                               OneOf(a.verb, {"get", "update", "patch"}));
      if (own_verb) {
        if (a.name == node) return Allow();
        return {false, absl::StrCat("node '", node, "' cannot modify node '", a.name, "'")};
      }
      return NoRelationship(node);
    }
    if (a.resource == "pods") return AuthorizePods(graph, node, a);
    if (a.resource == "secrets" || a.resource == "serviceaccounts") {
      return AuthorizePodDependency(graph, node, a);
    }
    if (a.resource == "events" && a.subresource.empty() &&
        OneOf(a.verb, {"create", "update", "patch"})) {
      return Allow();
    }
    return NoRelationship(node);
  }
  if (a.api_group == "coordination.k8s.io" && a.resource == "leases" && a.subresource.empty()) {
    if (a.ns == kNodeLeaseNamespace && a.name == node &&
        OneOf(a.verb, {"get", "create", "update", "patch"})) {
      return Allow();
    }
    return NoRelationship(node);
  }
  return NoRelationship(node);
}

}  // namespace mk::apiserver
