#pragma once

// Kubernetes' Node authorizer (plus the system:node role it is paired with) for kubelets,
// users "system:node:<name>" in group system:nodes. A node may:
//   - get/list/watch every Node; create/get/update/patch its own Node and nodes/status;
//   - get/create/update/patch its own Lease in kube-node-lease;
//   - list/watch pods only with the field selector spec.nodeName=<itself>; get and delete
//     pods bound to it; update/patch pods/status of pods bound to it;
//   - get secrets and serviceaccounts that a pod bound to it references (volumes,
//     imagePullSecrets, env secretKeyRef, the pod's ServiceAccount and its
//     imagePullSecrets);
//   - create/update/patch events; discovery and health as every authenticated user.
// Everything else is denied with Kubernetes' reason "no relationship found between node
// '<name>' and this object" (or a more precise one).
//
// The relationships come from a NodeGraph; RegistryNodeGraph reads them from the Registry
// on each request (the apiserver's own store, no cache to go stale).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api.pb.h"
#include "apiserver/auth_types.h"
#include "apiserver/authz.h"

namespace mk::apiserver {

class Registry;

// What the Node authorizer needs to know about pods and service accounts. Thread-safe.
class NodeGraph {
 public:
  virtual ~NodeGraph() = default;
  // Pods with spec.nodeName == node, in namespace `ns` ("" for all namespaces).
  virtual absl::StatusOr<std::vector<api::Pod>> PodsOnNode(const std::string& node,
                                                           const std::string& ns) = 0;
  // NotFound when absent.
  virtual absl::StatusOr<api::Pod> GetPod(const std::string& ns, const std::string& name) = 0;
  virtual absl::StatusOr<api::ServiceAccount> GetServiceAccount(const std::string& ns,
                                                                const std::string& name) = 0;
};

// NodeGraph over the apiserver's Registry (field selector spec.nodeName on pods).
class RegistryNodeGraph : public NodeGraph {
 public:
  explicit RegistryNodeGraph(Registry* registry) : registry_(registry) {}
  absl::StatusOr<std::vector<api::Pod>> PodsOnNode(const std::string& node,
                                                   const std::string& ns) override;
  absl::StatusOr<api::Pod> GetPod(const std::string& ns, const std::string& name) override;
  absl::StatusOr<api::ServiceAccount> GetServiceAccount(const std::string& ns,
                                                        const std::string& name) override;

 private:
  Registry* registry_;
};

// "n1" for "system:node:n1" in group system:nodes; "" when `user` is not a node (or is in
// system:nodes without the name prefix, which the Node authorizer then denies).
std::string NodeNameOf(const UserInfo& user);
bool IsNodeUser(const UserInfo& user);  // in group system:nodes

// The Node authorizer: only has an opinion on users in system:nodes; for anyone else it
// returns {false, ""}.
Decision AuthorizeNode(NodeGraph* graph, const UserInfo& user, const RequestAttributes& attrs);

}  // namespace mk::apiserver
