#pragma once

// YAML output like `kubectl get -o yaml`: block style, 2-space indentation, list items
// (`- `) at their parent's indentation, map keys sorted as Go's yaml encoder sorts them,
// strings quoted only when YAML would read them as something else, multi-line strings as
// literal blocks (`|`, `|-`, `|+`).

#include <string>

#include "common/json.h"

namespace mk {

std::string ToYaml(const Json& j);

// Whether a string must be quoted to be read back as that string, and how: "" (plain),
// "'" (single quotes) or "\"" (double quotes), as go-yaml decides.
std::string YamlQuoteStyle(const std::string& s);

// The key order of go-yaml: letters after other characters, digit runs compared as numbers.
bool YamlKeyLess(const std::string& a, const std::string& b);

}  // namespace mk
