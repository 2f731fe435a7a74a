#pragma once

// The gate every REST and gRPC request passes before its handler runs:
//   authenticate (apiserver/authn.h) → 401 for bad credentials, and for anonymous requests
//   except to the public paths (/healthz /readyz /livez /version, unless anonymous auth is
//   off) → describe the request as RequestAttributes (as Kubernetes' RequestInfoFactory) →
//   authorize through one AuthorizeFn → 403 when it says no.
// The handler receives the UserInfo the gate admitted.

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apiserver/auth_types.h"
#include "apiserver/authn.h"

namespace mk::apiserver {

// The one authorization point: OK to allow, PermissionDenied (403 Forbidden) to refuse.
using AuthorizeFn = std::function<absl::Status(const UserInfo&, const RequestAttributes&)>;

// The decision until a real authorizer is plugged in (see RestServer/GrpcServer
// set_authorizer): every request that got past authentication is allowed.
absl::Status AuthorizeAuthenticated(const UserInfo& user, const RequestAttributes& attrs);

// Paths an anonymous client may read (liveness probes, version checks).
bool IsPublicPath(const std::string& path);

// Attributes of a REST request: `method` GET/POST/…, `path` without the query string.
RequestAttributes RestRequestAttributes(const std::string& method, const std::string& path,
                                        bool watch, const std::string& field_selector);

// Attributes of a gRPC call on mk.api.ApiServer: `verb` get/list/watch/create/update/patch/
// delete; `resource` the plural name. A cluster-scoped resource gets no namespace, whatever
// the call sent.
RequestAttributes GrpcRequestAttributes(const std::string& verb, const std::string& resource,
                                        const std::string& ns, const std::string& name,
                                        const std::string& subresource,
                                        const std::string& field_selector = "");

struct AuthGate {
  const Authenticator* authenticator = nullptr;  // required
  AuthorizeFn authorize = AuthorizeAuthenticated;
  bool anonymous_auth = true;  // --anonymous-auth: anonymous may read the public paths

  // The admitted user, or Unauthenticated (401 "Unauthorized") / PermissionDenied (403).
  absl::StatusOr<UserInfo> Admit(const std::string& cert_pem, const std::string& authorization,
                                 const RequestAttributes& attrs) const;
};

}  // namespace mk::apiserver
