#pragma once

// Warnings for older field spellings mk accepts and converts, as the Kubernetes apiserver
// sends them (HTTP `Warning: 299 - "..."` headers that kubectl prints as "Warning: ...").

#include <string>
#include <vector>

#include "common/json.h"

namespace mk {

// The warnings for one object as written by the client (a manifest or PATCH body).
std::vector<std::string> DeprecationWarnings(const Json& obj);

}  // namespace mk
