#pragma once

// JSON merge patches (RFC 7386) as kubectl computes them for `apply`.

#include "common/json.h"

namespace mk::kubectl {

// The merge patch turning `from` into `to` (removed keys → null; arrays replaced whole).
Json CreateMergePatch(const Json& from, const Json& to);

// kubectl's CreateThreeWayJSONMergePatch: additions/changes from live→modified, deletions
// from original(last-applied)→modified. Returns {} when nothing changes.
Json ThreeWayMergePatch(const Json& original, const Json& modified, const Json& current);

// Applies a merge patch.
Json ApplyMergePatch(const Json& target, const Json& patch);

}  // namespace mk::kubectl
