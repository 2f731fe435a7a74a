#pragma once

// The table of API resources mk serves: names, group/version, kind, scope, short names and
// the protobuf message that holds each. REST routing, discovery, gRPC, the store's key
// layout and mkctl's type names all come from this one table.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mk {

struct ResourceInfo {
  std::string name;      // plural, e.g. "replicasets"
  std::string singular;  // "replicaset"
  std::string kind;      // "ReplicaSet"
  std::string group;     // "" for core, "apps", ...
  std::string version;   // "v1"
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> subresources;  // "status", "scale", "binding", "log"
  const google::protobuf::Message* prototype = nullptr;

  // "v1" or "apps/v1".
  std::string ApiVersion() const { return group.empty() ? version : group + "/" + version; }
  std::unique_ptr<google::protobuf::Message> New() const {
    return std::unique_ptr<google::protobuf::Message>(prototype->New());
  }
};

const std::vector<ResourceInfo>& AllResources();
// By plural name, singular, kind (case-insensitive) or short name; nullptr if unknown.
const ResourceInfo* FindResource(absl::string_view name);
// By apiVersion + kind as found in a manifest; nullptr if unknown. Accepts the older
// group versions Kubernetes also serves for a kind (e.g. autoscaling/v1, v2beta2).
const ResourceInfo* FindResourceByKind(absl::string_view api_version, absl::string_view kind);

}  // namespace mk
