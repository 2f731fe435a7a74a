#pragma once

// The JSON tree used everywhere in mk: insertion-ordered, so objects print in the order
// Kubernetes prints them (apiVersion, kind, metadata, spec, status).

#include <nlohmann/json.hpp>

namespace mk {
using Json = nlohmann::ordered_json;
}  // namespace mk
