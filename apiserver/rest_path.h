#pragma once

// Parsing Kubernetes REST paths into (resource, namespace, name, subresource):
//   /api/v1/pods                                  all namespaces
//   /api/v1/namespaces/{ns}/pods[/{name}[/{sub}]]
//   /api/v1/nodes[/{name}[/{sub}]]                  cluster-scoped
//   /api/v1/namespaces[/{name}[/status]]            the namespaces themselves
//   /apis/{group}/{version}/...                     the same shapes under a group

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/resources.h"

namespace mk::apiserver {

struct RestPath {
  const ResourceInfo* resource = nullptr;
  std::string group;
  std::string version;
  std::string ns;           // empty: cluster-scoped or all namespaces
  std::string name;         // empty: the collection
  std::string subresource;  // "", "status", "scale", "binding", "log"
};

// NotFound (404 Status) for paths mk does not serve.
absl::StatusOr<RestPath> ParseRestPath(absl::string_view path);

}  // namespace mk::apiserver
