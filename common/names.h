#pragma once

// Object names: DNS-1123 label/subdomain checks with Kubernetes' messages, and the random
// suffix for generateName.

#include <string>

#include "absl/strings/string_view.h"

namespace mk {

// Empty string if valid, else Kubernetes' message.
std::string CheckDns1123Label(absl::string_view s);
std::string CheckDns1123Subdomain(absl::string_view s);
// 5 characters from "bcdfghjklmnpqrstvwxz2456789".
std::string GenerateNameSuffix();

}  // namespace mk
