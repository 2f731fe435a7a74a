#pragma once

// kubectl's JSONPath templates: literal text, `{.a.b}`, `{.items[*].metadata.name}`,
// `{.items[0].x}`, `{.items[-1:]}`, `{..name}`, `{.x['a.b']}`, filters
// `{.items[?(@.status=="True")].type}`, `{range .items[*]}...{end}`, `{"\n"}`.
// Missing keys print nothing (kubectl's --allow-missing-template-keys=true).

#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace mk::kubectl {

absl::StatusOr<std::string> ExecuteJsonPath(const std::string& tmpl, const Json& data);

}  // namespace mk::kubectl
