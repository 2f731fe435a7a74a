#pragma once

// Reading manifests: YAML (several documents separated by ---) or JSON text into JSON
// trees, with limits that make hostile input cheap to refuse: a byte limit, a nesting
// depth limit checked before parsing, and a node budget that stops YAML alias bombs
// ("billion laughs") during expansion.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json.h"

namespace mk {

struct ManifestLimits {
  size_t max_bytes = 3 * 1024 * 1024;  // Kubernetes' default request body limit
  int max_depth = 100;
  size_t max_nodes = 200000;  // after alias expansion, per call
};

// Parses JSON or YAML text into documents (empty documents are skipped). Errors are
// InvalidArgument-coded with a line number where the parser gives one.
absl::StatusOr<std::vector<Json>> ParseManifests(absl::string_view text,
                                                 const ManifestLimits& limits = {});

// Parses exactly one JSON document (a request body). Same limits.
absl::StatusOr<Json> ParseJsonBody(absl::string_view text, const ManifestLimits& limits = {});

}  // namespace mk
