#pragma once

// Label and field selectors, as Kubernetes parses and matches them.
//
// Label selectors: "a=b", "a==b", "a!=b", "a in (x,y)", "a notin (x)", "a", "!a", "a>1",
// "a<1"; comma = AND; whitespace between tokens is ignored. "!=" and "notin" also match
// objects without the key. Requirements are kept sorted by key (stable), and values of
// in/notin sorted and de-duplicated, so ToString() is canonical as kubectl shows it:
// "app=x,tier in (a,b)".

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api.pb.h"
#include "common/api_error.h"
#include "google/protobuf/map.h"
#include "google/protobuf/message.h"

namespace mk {

class LabelSelector {
 public:
  struct Requirement {
    std::string key;
    std::string op;  // "=", "!=", "in", "notin", "exists", "!", "gt", "lt"
    std::vector<std::string> values;
  };

  // "a=b,c!=d,e in (x,y),f notin (z),g,!h"; empty matches everything. Errors are
  // InvalidArgument "unable to parse requirement: ..." naming the problem.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);
  // matchLabels + matchExpressions (In, NotIn, Exists, DoesNotExist). Errors:
  // "\"Foo\" is not a valid label selector operator", "for 'in', 'notin' operators, values
  // set can't be empty", "values set must be empty for exists and does not exist", and bad
  // keys/values. An empty proto selector matches everything.
  static absl::StatusOr<LabelSelector> FromProto(const api::LabelSelector& sel);
  // matchLabels only (e.g. a nodeSelector or Scale's status selector).
  static LabelSelector FromMap(const std::map<std::string, std::string>& labels);

  bool Matches(const google::protobuf::Map<std::string, std::string>& labels) const;
  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool Empty() const { return reqs_.empty(); }
  std::string ToString() const;
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  template <typename M>
  bool MatchesMap(const M& labels) const;
  void Sort();
  std::vector<Requirement> reqs_;
};

class FieldSelector {
 public:
  struct Term {
    std::string field;
    bool equal;  // "=" / "==" (true) or "!=" (false)
    std::string value;
  };
  // "spec.nodeName=n1,status.phase!=Failed" for `resource` (plural, e.g. "pods"). Unsupported
  // fields → InvalidArgument whose message is exactly "field label not supported: X";
  // a term without an operator → InvalidArgument "invalid selector: ...". An empty value
  // ("spec.nodeName=") matches objects whose field is empty/unset.
  static absl::StatusOr<FieldSelector> Parse(absl::string_view resource, absl::string_view text);
  bool Matches(const google::protobuf::Message& obj) const;
  bool Empty() const { return terms_.empty(); }
  // "spec.nodeName=n1,status.phase!=Failed" (terms in the given order, "=" for equality).
  std::string ToString() const;
  // If the selector requires `field` to equal some value (an "=" term), sets *value and
  // returns true (as Kubernetes' RequiresExactMatch; used for indexes such as spec.nodeName).
  bool RequiresExactMatch(absl::string_view field, std::string* value) const;
  const std::vector<Term>& terms() const { return terms_; }

 private:
  std::vector<Term> terms_;
};

// The fields `resource` supports in field selectors (beyond metadata.name and
// metadata.namespace, which every resource supports).
const std::vector<std::string>& SupportedSelectorFields(absl::string_view resource);

// The value of a dotted JSON field path ("spec.nodeName") of an object, as a string, read by
// reflection with JSON names: unset strings are "", bools "true"/"false", numbers decimal.
// For events, "source" means source.component. Unknown paths give "".
std::string FieldValue(const google::protobuf::Message& obj, absl::string_view path);

// Label keys and values (keys: optional DNS subdomain prefix + "/" + name ≤ 63 chars of
// [A-Za-z0-9_.-], alphanumeric at both ends; values the same but may be empty). Errors as
// Kubernetes reports them, all at `path`:
//   metadata.labels: Invalid value: "-a": name part must consist of alphanumeric ...
std::vector<FieldError> ValidateLabels(
    const google::protobuf::Map<std::string, std::string>& labels, const std::string& path);
std::vector<FieldError> ValidateLabels(const std::map<std::string, std::string>& labels,
                                       const std::string& path);

}  // namespace mk
