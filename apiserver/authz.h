#pragma once

// Authorization: Kubernetes' Node and RBAC authorizers for mk's fixed roles (no Role or
// RoleBinding objects), chained as --authorization-mode lists them; the first mode that
// allows wins. Modes: "Node" (users system:node:<name> in group system:nodes, see
// node_authorizer.h), "RBAC" (system:masters, system:kube-scheduler,
// system:kube-controller-manager, system:bootstrappers, discovery for every authenticated
// user, health and version for everyone) and "AlwaysAllow" (only when given explicitly).
//
// The apiserver calls Authorize() once per request, after authentication, and on a denial
// answers 403 with ForbiddenStatus(user, attrs, decision.reason) (REST: the Status JSON of
// ForbiddenStatusJson; gRPC: PERMISSION_DENIED carrying the same Status).
//
// Thread-safe: Authorize() is const and the NodeGraph it reads is thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apiserver/auth_types.h"
#include "common/json.h"

namespace mk::apiserver {

class NodeGraph;

inline constexpr char kDefaultAuthorizationMode[] = "Node,RBAC";

struct Decision {
  bool allowed = false;
  std::string reason;  // why not (may be empty), appended to the 403 message
};

class Authorizer {
 public:
  // `modes` as --authorization-mode: a comma-separated list of Node, RBAC, AlwaysAllow.
  // Node needs `graph` (it must outlive the Authorizer). InvalidArgument on an unknown,
  // repeated or empty mode.
  static absl::StatusOr<std::unique_ptr<Authorizer>> Create(absl::string_view modes,
                                                            NodeGraph* graph);

  Decision Authorize(const UserInfo& user, const RequestAttributes& attrs) const;

  const std::vector<std::string>& modes() const { return modes_; }

 private:
  Authorizer(std::vector<std::string> modes, NodeGraph* graph)
      : modes_(std::move(modes)), graph_(graph) {}
  std::vector<std::string> modes_;
  NodeGraph* graph_;
};

// The RBAC part alone (mk's fixed roles). Exposed for the tests and the Node authorizer.
Decision AuthorizeRbac(const UserInfo& user, const RequestAttributes& attrs);

// True for everyone but system:anonymous / the system:unauthenticated group.
bool IsAuthenticated(const UserInfo& user);

// Kubernetes' 403 message, e.g.
//   pods "x" is forbidden: User "system:node:n1" cannot get resource "pods" in API group ""
//   in the namespace "default"[: reason]
//   forbidden: User "system:anonymous" cannot get path "/api"
std::string ForbiddenMessage(const UserInfo& user, const RequestAttributes& attrs,
                             absl::string_view reason);
// The same as a 403 Forbidden absl::Status (PermissionDenied) with details
// {group, kind: resource, name}; ToApiStatus / the gRPC mapping render it.
absl::Status ForbiddenStatus(const UserInfo& user, const RequestAttributes& attrs,
                             absl::string_view reason);
// The Status JSON body for REST: kind Status, status Failure, reason Forbidden, code 403.
Json ForbiddenStatusJson(const UserInfo& user, const RequestAttributes& attrs,
                         absl::string_view reason);

}  // namespace mk::apiserver
