#pragma once

// PATCH: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes' strategic merge
// patch for mk's API types (lists with a patch merge key merge element-wise by that key;
// `$patch: delete|replace` and `$retainKeys` directives; `$setElementOrder` is accepted
// and ignored). Server-side apply (application/apply-patch+yaml) is treated as a merge
// patch of the applied configuration, a simplification of Kubernetes' field management.

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json.h"

namespace mk::apiserver {

enum class PatchType { kMerge, kStrategic, kJson, kApply };

// From a Content-Type header; unknown → 415 UnsupportedMediaType.
absl::StatusOr<PatchType> ParsePatchType(absl::string_view content_type);

// Applies `patch` to `original` (the JSON of one object of kind `kind`, e.g. "Pod").
absl::StatusOr<Json> ApplyPatch(const Json& original, const Json& patch, PatchType type,
                                absl::string_view kind);

}  // namespace mk::apiserver
