#pragma once

// PATCH bodies, as the Kubernetes API server applies them.
//
//  - kMerge: JSON merge patch (RFC 7386): null deletes a key, objects merge recursively,
//    arrays (and scalars) replace.
//  - kJson: JSON patch (RFC 6902): add/remove/replace/move/copy/test with JSON pointers
//    (~0, ~1, "-" to append). Operations apply in order; the first failure (including a
//    failed `test`) aborts the whole patch with a 400 BadRequest naming the operation.
//  - kStrategic: Kubernetes' strategic merge patch for the types in proto/api.proto. The
//    schema is found by walking the protobuf descriptor of mk.api.<kind> along the patch
//    (e.g. kind Pod: spec → PodSpec, containers → Container), and a table of
//    (message, JSON field) → patch merge key decides how lists merge: lists with a key merge
//    element-wise by it (original order kept, new elements appended), ObjectMeta.finalizers
//    and NodeSpec.podCIDRs merge as sets of strings, every other list is replaced.
//    Directives: `$patch: replace|delete|merge` (on a map, or as a list element),
//    `$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>` (keyed
//    lists: listed elements come first in that order, the others follow in merged order;
//    ignored for primitive lists). A kind without a descriptor gets no merge keys (every
//    list replaces).
//  - kApply (application/apply-patch+yaml, server-side apply): a SIMPLIFICATION — the
//    applied configuration (already decoded from YAML/JSON by the caller) is applied as a
//    JSON merge patch. There is no field ownership: fields dropped from the configuration
//    are not removed and conflicts between managers are never reported. If the applied
//    object names a `kind`, it must be `kind`.
//
// Errors are Kubernetes API errors (common/api_error.h); no exception escapes.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json.h"

namespace mk::apiserver {

enum class PatchType { kMerge, kStrategic, kJson, kApply };

// From a Content-Type header: "application/merge-patch+json",
// "application/strategic-merge-patch+json", "application/json-patch+json",
// "application/apply-patch+yaml"; parameters ("; charset=utf-8") are ignored. Anything else
// → 415 UnsupportedMediaType with Kubernetes' message.
absl::StatusOr<PatchType> ParsePatchType(absl::string_view content_type);

// Applies `patch` to `original` (both the JSON of one API object of kind `kind`, e.g. "Pod",
// "ReplicaSet", "Scale") and returns the patched JSON. Malformed patches → 400 BadRequest.
absl::StatusOr<Json> ApplyPatch(const Json& original, const Json& patch, PatchType type,
                                absl::string_view kind);

}  // namespace mk::apiserver
