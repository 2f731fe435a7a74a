#pragma once

// Who is asking and what they ask for: the contract between authentication (which produces a
// UserInfo from a client certificate or bearer token) and authorization (which decides on a
// UserInfo plus RequestAttributes), as Kubernetes' user.Info and authorizer.Attributes.

#include <string>
#include <vector>

namespace mk::apiserver {

// Well-known identities and groups (Kubernetes' names).
inline constexpr char kAnonymousUser[] = "system:anonymous";
inline constexpr char kUnauthenticatedGroup[] = "system:unauthenticated";
inline constexpr char kAuthenticatedGroup[] = "system:authenticated";
inline constexpr char kMastersGroup[] = "system:masters";  // admin: everything
inline constexpr char kSchedulerUser[] = "system:kube-scheduler";
inline constexpr char kControllerManagerUser[] = "system:kube-controller-manager";
inline constexpr char kNodesGroup[] = "system:nodes";  // users "system:node:<name>"
inline constexpr char kNodeUserPrefix[] = "system:node:";
inline constexpr char kBootstrappersGroup[] = "system:bootstrappers";  // bootstrap tokens
inline constexpr char kApiserverKubeletClientUser[] = "kube-apiserver-kubelet-client";

struct UserInfo {
  std::string name;  // kAnonymousUser when unauthenticated
  std::vector<std::string> groups;
};

struct RequestAttributes {
  // get, list, watch, create, update, patch, delete, deletecollection for resource requests;
  // the lower-case HTTP method (get, post, put, …) for non-resource requests.
  std::string verb;
  bool resource_request = true;
  std::string api_group;       // "" for the core group, "apps", "coordination.k8s.io", …
  std::string resource;        // plural: "pods", "nodes", "secrets", …
  std::string subresource;     // "status", "log", "scale", "binding", "eviction", …
  std::string ns;              // namespace, "" for cluster-scoped or all namespaces
  std::string name;            // "" for list/watch/create-without-name
  std::string field_selector;  // list/watch: "spec.nodeName=n1", …
  std::string path;            // the URL path (non-resource requests: /healthz, /version, …)
};

}  // namespace mk::apiserver
