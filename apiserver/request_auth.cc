#include "apiserver/request_auth.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/resources.h"

namespace mk::apiserver {

absl::Status AuthorizeAuthenticated(const UserInfo&, const RequestAttributes&) {
  return absl::OkStatus();
}

bool IsPublicPath(const std::string& path) {
  return path == "/healthz" || path == "/readyz" || path == "/livez" || path == "/version";
}

RequestAttributes RestRequestAttributes(const std::string& method, const std::string& path,
                                        bool watch, const std::string& field_selector) {
  RequestAttributes a;
  a.path = path;
  a.verb = absl::AsciiStrToLower(method);
  a.resource_request = false;
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  size_t prefix;
  if (parts.size() >= 2 && parts[0] == "api") {
    prefix = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    a.api_group = parts[1];
    prefix = 3;
  } else {
    a.api_group.clear();
    return a;
  }
  std::vector<std::string> rest(parts.begin() + prefix, parts.end());
  if (rest.empty()) {
    a.api_group.clear();
    return a;  // discovery: /api/v1, /apis/apps/v1
  }
  // /namespaces/{ns}/{resource}/… names a namespaced resource; /namespaces/{name}[/status]
  // is the namespace itself (Kubernetes' RequestInfoFactory).
  if (rest[0] == "namespaces" && rest.size() > 1) {
    a.ns = rest[1];
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  a.resource_request = true;
  a.resource = rest[0];
  if (rest.size() > 1) a.name = rest[1];
  if (rest.size() > 2) a.subresource = rest[2];
  a.field_selector = field_selector;
  if (method == "GET") {
    a.verb = a.name.empty() ? (watch ? "watch" : "list") : "get";
  } else if (method == "POST") {
    a.verb = "create";
  } else if (method == "PUT") {
    a.verb = "update";
  } else if (method == "PATCH") {
    a.verb = "patch";
  } else if (method == "DELETE") {
    a.verb = a.name.empty() ? "deletecollection" : "delete";
  }
  return a;
}

RequestAttributes GrpcRequestAttributes(const std::string& verb, const std::string& resource,
                                        const std::string& ns, const std::string& name,
                                        const std::string& subresource,
                                        const std::string& field_selector) {
  RequestAttributes a;
  a.verb = verb;
  a.resource = resource;
  a.ns = ns;
  if (const ResourceInfo* r = FindResource(resource)) {
    a.api_group = r->group;
    a.resource = r->name;
    // The registry ignores a namespace sent with a cluster-scoped resource; so does the
    // authorizer (a Node is never "in" a namespace a client names).
    if (!r->namespaced) a.ns.clear();
  }
  a.name = name;
  a.subresource = subresource;
  a.field_selector = field_selector;
  a.path = absl::StrCat("grpc:", verb, "/", a.resource);
  return a;
}

absl::StatusOr<UserInfo> AuthGate::Admit(const std::string& cert_pem,
                                         const std::string& authorization,
                                         const RequestAttributes& attrs) const {
  absl::StatusOr<UserInfo> user = authenticator->Authenticate(cert_pem, authorization);
  if (!user.ok()) return user.status();
  if (Authenticator::IsAnonymous(*user) &&
      !(anonymous_auth && !attrs.resource_request && IsPublicPath(attrs.path))) {
    return absl::UnauthenticatedError("Unauthorized");
  }
  if (absl::Status s = authorize(*user, attrs); !s.ok()) {
    MK_VLOG(2) << "forbidden: user " << user->name << " " << attrs.verb << " " << attrs.path;
    return s;
  }
  return user;
}

}  // namespace mk::apiserver
