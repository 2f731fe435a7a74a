#pragma once

// Discovery documents (what `kubectl` reads before anything else) and /version.

#include <string>

#include "absl/types/optional.h"
#include "common/json.h"

namespace mk::apiserver {

inline constexpr char kGitVersion[] = "v1.32.0-mk";

Json ApiVersions(const std::string& server_address);  // GET /api
Json ApiGroupList();                                  // GET /apis
// GET /api/v1 or /apis/{group}/{version}; nullopt if not served.
absl::optional<Json> ApiResourceList(const std::string& group, const std::string& version);
Json VersionInfo();  // GET /version

}  // namespace mk::apiserver
