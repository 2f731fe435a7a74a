#pragma once

// Helpers shared by mkctl's commands: error printing, resource/type arguments, lenient
// decoding of server objects, manifest files.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/json.h"
#include "common/resources.h"
#include "google/protobuf/message.h"
#include "kubectl/cli.h"

namespace mk::kubectl {

// Prints `Error from server (NotFound): pods "x" not found` (server errors, with an
// optional context such as `error when creating "pod.yaml": `) or `error: ...`.
void PrintError(std::ostream& err, const absl::Status& status, const std::string& context = "");
// PrintError and return 1.
int Fail(Env& env, const absl::Status& status, const std::string& context = "");
int FailMsg(Env& env, const std::string& message);  // "error: <message>", 1

// "pod", "replicaset.apps" — the prefix of `pod/x`, `replicaset.apps "x" deleted`.
std::string KindName(const ResourceInfo& r);

struct TypeArg {
  const ResourceInfo* resource = nullptr;
  std::vector<std::string> names;  // empty: all
};
// `pods`, `po,rs`, `all`, `pods a b`, `pod/a rs/b`.
absl::StatusOr<std::vector<TypeArg>> ParseTypeArgs(const std::vector<std::string>& positional);
absl::StatusOr<const ResourceInfo*> ResolveType(const std::string& name);

// Decodes a server object leniently (unknown fields are ignored); nullptr if the kind is not
// one of ours.
std::unique_ptr<google::protobuf::Message> DecodeObject(const ResourceInfo& r, const Json& obj);

// Namespace for an object from a manifest / the server; "" for cluster-scoped kinds.
std::string NamespaceOf(const Env& env, const ResourceInfo& r, const Json& obj);

struct ManifestDoc {
  std::string source;  // file name ("STDIN" for -)
  Json obj;
  const ResourceInfo* resource = nullptr;
};
// Reads every -f argument (files, directories, "-"); `kind: List` is expanded.
absl::StatusOr<std::vector<ManifestDoc>> ReadManifests(Env& env,
                                                       const std::vector<std::string>& files,
                                                       bool recursive);
// Strict client-side validation with the codec; error text
// `error validating "pod.yaml": spec.x: unknown field (did you mean y?)`.
absl::Status ValidateManifest(const ManifestDoc& doc);

// Reads a whole file ("-" = stdin).
absl::StatusOr<std::string> ReadFile(Env& env, const std::string& path);

// Object metadata accessors on JSON.
std::string JName(const Json& obj);
std::string JNamespace(const Json& obj);

// Sorted-key copy (Go's encoding/json order) for -o json and annotations.
nlohmann::json Sorted(const Json& j);

}  // namespace mk::kubectl
