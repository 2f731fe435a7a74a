#pragma once

// Object names and label syntax: DNS-1123 label/subdomain and qualified-name checks with
// Kubernetes' messages (k8s.io/apimachinery/pkg/util/validation), and the random suffix for
// generateName.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mk {

// Every problem with `s`, in Kubernetes' words (empty if valid), e.g.
// "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and
// must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex
// used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')", "must be no more than 63
// characters", "must not contain dots".
std::vector<std::string> Dns1123LabelErrors(absl::string_view s);
std::vector<std::string> Dns1123SubdomainErrors(absl::string_view s);
// Label/annotation keys: [prefix/]name (IsQualifiedName).
std::vector<std::string> QualifiedNameErrors(absl::string_view s);
// Label values: empty or ≤ 63 of [A-Za-z0-9_.-] with alphanumeric ends (IsValidLabelValue).
std::vector<std::string> LabelValueErrors(absl::string_view s);

// Empty string if valid, else the first of the messages above.
std::string CheckDns1123Label(absl::string_view s);
std::string CheckDns1123Subdomain(absl::string_view s);

// 5 characters from "bcdfghjklmnpqrstvwxz2456789".
std::string GenerateNameSuffix();
// generateName → name: base truncated to 58 characters + GenerateNameSuffix().
std::string GenerateName(absl::string_view base);

}  // namespace mk
