#pragma once

// Helpers shared by validation.cc and validation_pod.cc: field.Error constructors with
// Kubernetes' reasons and messages. Internal to common/validation*.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api.pb.h"
#include "common/api_error.h"
#include "google/protobuf/map.h"

namespace mk {
namespace validation_internal {

using Errors = std::vector<FieldError>;

inline std::string Q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

inline void Required(Errors* e, const std::string& path, const std::string& detail = "") {
  e->push_back({path, "FieldValueRequired",
                detail.empty() ? "Required value" : absl::StrCat("Required value: ", detail)});
}

// `value` is already rendered (quoted for strings, bare for numbers).
inline void Invalid(Errors* e, const std::string& path, const std::string& value,
                    const std::string& detail) {
  e->push_back({path, "FieldValueInvalid", absl::StrCat("Invalid value: ", value, ": ", detail)});
}

inline void Forbidden(Errors* e, const std::string& path, const std::string& detail) {
  e->push_back({path, "FieldValueForbidden", absl::StrCat("Forbidden: ", detail)});
}

inline void Duplicate(Errors* e, const std::string& path, const std::string& value) {
  e->push_back({path, "FieldValueDuplicate", absl::StrCat("Duplicate value: ", Q(value))});
}

inline void NotFound(Errors* e, const std::string& path, const std::string& value) {
  e->push_back({path, "FieldValueNotFound", absl::StrCat("Not found: ", Q(value))});
}

inline void TooLong(Errors* e, const std::string& path, size_t max) {
  e->push_back(
      {path, "FieldValueTooLong", absl::StrCat("Too long: must have at most ", max, " bytes")});
}

inline void NotSupported(Errors* e, const std::string& path, const std::string& value,
                         const std::vector<std::string>& allowed) {
  std::vector<std::string> quoted;
  for (const std::string& a : allowed) quoted.push_back(Q(a));
  e->push_back({path, "FieldValueNotSupported",
                absl::StrCat("Unsupported value: ", Q(value),
                             ": supported values: ", absl::StrJoin(quoted, ", "))});
}

// NotSupported unless `value` is one of `allowed` (Required if empty and !allow_empty).
inline void OneOf(Errors* e, const std::string& path, const std::string& value,
                  const std::vector<std::string>& allowed, bool allow_empty = false) {
  if (value.empty()) {
    if (!allow_empty) Required(e, path);
    return;
  }
  for (const std::string& a : allowed) {
    if (a == value) return;
  }
  NotSupported(e, path, value, allowed);
}

// One Invalid per message (as Kubernetes does for name checks).
inline void InvalidEach(Errors* e, const std::string& path, const std::string& value,
                        const std::vector<std::string>& msgs) {
  for (const std::string& m : msgs) Invalid(e, path, Q(value), m);
}

inline void NonNegative(Errors* e, const std::string& path, int64_t v) {
  if (v < 0) Invalid(e, path, absl::StrCat(v), "must be greater than or equal to 0");
}

inline void Append(Errors* e, Errors more) {
  for (FieldError& f : more) e->push_back(std::move(f));
}

// Go's %#v of a map[string]string: map[string]string{"a":"b", "c":"d"}.
inline std::string GoMapString(const google::protobuf::Map<std::string, std::string>& m) {
  std::map<std::string, std::string> sorted(m.begin(), m.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(Q(k), ":", Q(v)));
  return absl::StrCat("map[string]string{", absl::StrJoin(parts, ", "), "}");
}

// Container resource names: cpu, memory, ephemeral-storage, hugepages-<size>, or an extended
// resource "domain/name" outside kubernetes.io.
void ValidateContainerResourceName(const std::string& name, const std::string& path, Errors* e);
// metav1 LabelSelector (matchLabels + matchExpressions), errors at `path`.
void ValidateLabelSelectorProto(const api::LabelSelector& sel, const std::string& path, Errors* e);

// validation_scheduling.cc: spec.affinity and spec.tolerations.
void ValidateAffinity(const api::Affinity& a, const std::string& path, Errors* e);
void ValidateTolerations(const google::protobuf::RepeatedPtrField<api::Toleration>& ts,
                         const std::string& path, Errors* e);

// validation_csr.cc: CertificateSigningRequest create and update rules.
void ValidateCsr(const api::CertificateSigningRequest& csr, Errors* e);
void ValidateCsrUpdate(const api::CertificateSigningRequest& o,
                       const api::CertificateSigningRequest& n, Errors* e);

}  // namespace validation_internal
}  // namespace mk
