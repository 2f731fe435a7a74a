#pragma once

// Label and field selectors, as Kubernetes parses and matches them.

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
    std::string op;  // "=", "!=", "in", "notin", "exists", "!"
    std::vector<std::string> values;
  };

  // "a=b,c!=d,e in (x,y),f notin (z),g,!h"; empty matches everything.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);
  static absl::StatusOr<LabelSelector> FromProto(const api::LabelSelector& sel);

  bool Matches(const google::protobuf::Map<std::string, std::string>& labels) const;
  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool Empty() const { return reqs_.empty(); }
  std::string ToString() const;
  const std::vector<Requirement>& requirements() const { return reqs_; }

 private:
  template <typename M>
  bool MatchesMap(const M& labels) const;
  std::vector<Requirement> reqs_;
};

class FieldSelector {
 public:
  // "spec.nodeName=n1,status.phase!=Failed". Unsupported fields for `resource` →
  // InvalidArgument "field label not supported: X".
  static absl::StatusOr<FieldSelector> Parse(absl::string_view resource, absl::string_view text);
  bool Matches(const google::protobuf::Message& obj) const;
  bool Empty() const { return terms_.empty(); }

 private:
  struct Term {
    std::string field;
    bool equal;
    std::string value;
  };
  std::vector<Term> terms_;
};

// The value of a dotted JSON field path ("spec.nodeName") of an object, as a string.
std::string FieldValue(const google::protobuf::Message& obj, absl::string_view path);

// Label keys and values (keys: optional DNS subdomain prefix + "/" + name).
std::vector<FieldError> ValidateLabels(
    const google::protobuf::Map<std::string, std::string>& labels, const std::string& path);

}  // namespace mk
