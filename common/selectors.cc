#include "common/selectors.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/names.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace mk {
namespace {

absl::Status ParseError(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("unable to parse requirement: ", msg));
}

// Validates a key and the values of a requirement, as labels.NewRequirement does.
absl::Status CheckRequirement(const LabelSelector::Requirement& r) {
  std::vector<std::string> errs = QualifiedNameErrors(r.key);
  if (!errs.empty()) {
    return ParseError(absl::StrCat("invalid label key \"", r.key, "\": ", errs.front()));
  }
  if ((r.op == "in" || r.op == "notin") && r.values.empty()) {
    return ParseError("for 'in', 'notin' operators, values set can't be empty");
  }
  if ((r.op == "=" || r.op == "!=") && r.values.size() != 1) {
    return ParseError("exact-match compatibility requires one single value");
  }
  if ((r.op == "exists" || r.op == "!") && !r.values.empty()) {
    return ParseError("values set must be empty for exists and does not exist");
  }
  if (r.op == "gt" || r.op == "lt") {
    int64_t n;
    if (r.values.size() != 1) {
      return ParseError("for 'Gt', 'Lt' operators, exactly one value is required");
    }
    if (!absl::SimpleAtoi(r.values[0], &n)) {
      return ParseError("for 'Gt', 'Lt' operators, the value must be an integer");
    }
  }
  for (const std::string& v : r.values) {
    std::vector<std::string> verrs = LabelValueErrors(v);
    if (!verrs.empty()) {
      return ParseError(absl::StrCat("invalid label value: \"", v, "\": ", verrs.front()));
    }
  }
  return absl::OkStatus();
}

bool IsSpecial(char c) {
  return absl::ascii_isspace(c) || c == ',' || c == '=' || c == '!' || c == '(' || c == ')' ||
         c == '<' || c == '>';
}

void SortUnique(std::vector<std::string>* v) {
  std::sort(v->begin(), v->end());
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

}  // namespace

void LabelSelector::Sort() {
  std::stable_sort(reqs_.begin(), reqs_.end(),
                   [](const Requirement& a, const Requirement& b) { return a.key < b.key; });
}

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector sel;
  absl::string_view s = text;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && absl::ascii_isspace(s[i])) ++i;
  };
  auto read_token = [&] {
    skip_ws();
    size_t start = i;
    while (i < s.size() && !IsSpecial(s[i])) ++i;
    return std::string(s.substr(start, i - start));
  };
  auto found = [&]() -> std::string {
    return i < s.size() ? std::string(1, s[i]) : std::string("end of string");
  };
  skip_ws();
  if (i >= s.size()) return sel;
  while (true) {
    Requirement r;
    skip_ws();
    bool negate = false;
    if (i < s.size() && s[i] == '!') {
      negate = true;
      ++i;
    }
    r.key = read_token();
    if (r.key.empty()) {
      return ParseError(absl::StrCat("found '", found(), "', expected: identifier"));
    }
    skip_ws();
    if (negate) {
      r.op = "!";
    } else if (i >= s.size() || s[i] == ',') {
      r.op = "exists";
    } else if (s.compare(i, 2, "==") == 0) {
      r.op = "=";
      i += 2;
    } else if (s.compare(i, 2, "!=") == 0) {
      r.op = "!=";
      i += 2;
    } else if (s[i] == '=') {
      r.op = "=";
      i += 1;
    } else if (s[i] == '>' || s[i] == '<') {
      r.op = s[i] == '>' ? "gt" : "lt";
      i += 1;
    } else {
      std::string word = read_token();
      if (word != "in" && word != "notin") {
        return ParseError(absl::StrCat("found '", word.empty() ? found() : word,
                                       "', expected: in, notin, =, ==, !=, gt, lt"));
      }
      r.op = word;
      skip_ws();
      if (i >= s.size() || s[i] != '(') {
        return ParseError(absl::StrCat("found '", found(), "', expected: '('"));
      }
      ++i;
      while (true) {
        std::string v = read_token();
        skip_ws();
        if (!v.empty()) r.values.push_back(v);
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == ')') {
          ++i;
          break;
        }
        return ParseError(absl::StrCat("found '", found(), "', expected: ',' or ')'"));
      }
      SortUnique(&r.values);
    }
    if (r.op == "=" || r.op == "!=" || r.op == "gt" || r.op == "lt") {
      r.values.push_back(read_token());
    }
    absl::Status st = CheckRequirement(r);
    if (!st.ok()) return st;
    sel.reqs_.push_back(std::move(r));
    skip_ws();
    if (i >= s.size()) break;
    if (s[i] != ',') {
      return ParseError(absl::StrCat("found '", found(), "', expected: ',' or 'end of string'"));
    }
    ++i;
  }
  sel.Sort();
  return sel;
}

absl::StatusOr<LabelSelector> LabelSelector::FromProto(const api::LabelSelector& proto) {
  LabelSelector sel;
  std::map<std::string, std::string> sorted(proto.match_labels().begin(),
                                            proto.match_labels().end());
  for (const auto& [k, v] : sorted) {
    Requirement r{k, "=", {v}};
    absl::Status st = CheckRequirement(r);
    if (!st.ok()) return st;
    sel.reqs_.push_back(std::move(r));
  }
  for (const api::LabelSelectorRequirement& e : proto.match_expressions()) {
    Requirement r{e.key(), "", {e.values().begin(), e.values().end()}};
    if (e.operator_() == "In") {
      r.op = "in";
    } else if (e.operator_() == "NotIn") {
      r.op = "notin";
    } else if (e.operator_() == "Exists") {
      r.op = "exists";
    } else if (e.operator_() == "DoesNotExist") {
      r.op = "!";
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", e.operator_(), "\" is not a valid label selector operator"));
    }
    SortUnique(&r.values);
    absl::Status st = CheckRequirement(r);
    if (!st.ok()) return st;
    sel.reqs_.push_back(std::move(r));
  }
  sel.Sort();
  return sel;
}

LabelSelector LabelSelector::FromMap(const std::map<std::string, std::string>& labels) {
  LabelSelector sel;
  for (const auto& [k, v] : labels) sel.reqs_.push_back({k, "=", {v}});
  return sel;
}

template <typename M>
bool LabelSelector::MatchesMap(const M& labels) const {
  for (const Requirement& r : reqs_) {
    auto it = labels.find(r.key);
    bool has = it != labels.end();
    if (r.op == "exists") {
      if (!has) return false;
    } else if (r.op == "!") {
      if (has) return false;
    } else if (r.op == "=") {
      if (!has || it->second != r.values[0]) return false;
    } else if (r.op == "!=") {
      if (has && it->second == r.values[0]) return false;
    } else if (r.op == "in") {
      if (!has || !std::binary_search(r.values.begin(), r.values.end(), it->second)) {
        return false;
      }
    } else if (r.op == "notin") {
      if (has && std::binary_search(r.values.begin(), r.values.end(), it->second)) {
        return false;
      }
    } else if (r.op == "gt" || r.op == "lt") {
      int64_t have, want;
      if (!has || !absl::SimpleAtoi(it->second, &have) || !absl::SimpleAtoi(r.values[0], &want)) {
        return false;
      }
      if (r.op == "gt" ? !(have > want) : !(have < want)) return false;
    }
  }
  return true;
}

bool LabelSelector::Matches(const google::protobuf::Map<std::string, std::string>& l) const {
  return MatchesMap(l);
}
bool LabelSelector::Matches(const std::map<std::string, std::string>& l) const {
  return MatchesMap(l);
}

std::string LabelSelector::ToString() const {
  std::vector<std::string> parts;
  for (const Requirement& r : reqs_) {
    if (r.op == "exists") {
      parts.push_back(r.key);
    } else if (r.op == "!") {
      parts.push_back("!" + r.key);
    } else if (r.op == "=" || r.op == "!=") {
      parts.push_back(absl::StrCat(r.key, r.op, r.values[0]));
    } else if (r.op == "gt" || r.op == "lt") {
      parts.push_back(absl::StrCat(r.key, r.op == "gt" ? ">" : "<", r.values[0]));
    } else {
      parts.push_back(absl::StrCat(r.key, " ", r.op, " (", absl::StrJoin(r.values, ","), ")"));
    }
  }
  return absl::StrJoin(parts, ",");
}

// ---------------------------------------------------------------- field selectors

const std::vector<std::string>& SupportedSelectorFields(absl::string_view resource) {
  static const auto* kPods = new std::vector<std::string>{
      "spec.nodeName", "spec.restartPolicy", "spec.schedulerName",      "spec.serviceAccountName",
      "status.phase",  "status.podIP",       "status.nominatedNodeName"};
  static const auto* kEvents = new std::vector<std::string>{"involvedObject.kind",
                                                            "involvedObject.namespace",
                                                            "involvedObject.name",
                                                            "involvedObject.uid",
                                                            "involvedObject.apiVersion",
                                                            "involvedObject.resourceVersion",
                                                            "involvedObject.fieldPath",
                                                            "reason",
                                                            "reportingComponent",
                                                            "source",
                                                            "type"};
  static const auto* kSecrets = new std::vector<std::string>{"type"};
  static const auto* kNodes = new std::vector<std::string>{"spec.unschedulable"};
  static const auto* kNamespaces = new std::vector<std::string>{"status.phase"};
  static const auto* kReplicaSets = new std::vector<std::string>{"status.replicas"};
  static const auto* kNone = new std::vector<std::string>{};
  if (resource == "pods") return *kPods;
  if (resource == "events") return *kEvents;
  if (resource == "secrets") return *kSecrets;
  if (resource == "nodes") return *kNodes;
  if (resource == "namespaces") return *kNamespaces;
  if (resource == "replicasets") return *kReplicaSets;
  return *kNone;
}

std::string FieldValue(const google::protobuf::Message& obj, absl::string_view path) {
  using google::protobuf::FieldDescriptor;
  if (path == "source" && obj.GetDescriptor()->FindFieldByName("source") != nullptr &&
      obj.GetDescriptor()->name() == "Event") {
    path = "source.component";
  }
  const google::protobuf::Message* cur = &obj;
  std::vector<absl::string_view> parts = absl::StrSplit(path, '.');
  for (size_t p = 0; p < parts.size(); ++p) {
    const google::protobuf::Descriptor* d = cur->GetDescriptor();
    const FieldDescriptor* f = nullptr;
    for (int k = 0; k < d->field_count(); ++k) {
      if (d->field(k)->json_name() == parts[p]) {
        f = d->field(k);
        break;
      }
    }
    if (f == nullptr || f->is_repeated()) return "";
    const google::protobuf::Reflection* r = cur->GetReflection();
    bool last = p + 1 == parts.size();
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (last) return "";
      cur = &r->GetMessage(*cur, f);
      continue;
    }
    if (!last) return "";
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        return r->GetString(*cur, f);
      case FieldDescriptor::CPPTYPE_BOOL:
        return r->GetBool(*cur, f) ? "true" : "false";
      case FieldDescriptor::CPPTYPE_INT32:
        return absl::StrCat(r->GetInt32(*cur, f));
      case FieldDescriptor::CPPTYPE_INT64:
        return absl::StrCat(r->GetInt64(*cur, f));
      case FieldDescriptor::CPPTYPE_UINT32:
        return absl::StrCat(r->GetUInt32(*cur, f));
      case FieldDescriptor::CPPTYPE_UINT64:
        return absl::StrCat(r->GetUInt64(*cur, f));
      default:
        return "";
    }
  }
  return "";
}

absl::StatusOr<FieldSelector> FieldSelector::Parse(absl::string_view resource,
                                                   absl::string_view text) {
  FieldSelector sel;
  for (absl::string_view raw : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    absl::string_view t = absl::StripAsciiWhitespace(raw);
    Term term;
    size_t pos;
    if ((pos = t.find("!=")) != absl::string_view::npos) {
      term.equal = false;
      term.field = std::string(t.substr(0, pos));
      term.value = std::string(t.substr(pos + 2));
    } else if ((pos = t.find("==")) != absl::string_view::npos) {
      term.equal = true;
      term.field = std::string(t.substr(0, pos));
      term.value = std::string(t.substr(pos + 2));
    } else if ((pos = t.find('=')) != absl::string_view::npos) {
      term.equal = true;
      term.field = std::string(t.substr(0, pos));
      term.value = std::string(t.substr(pos + 1));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid selector: '", text, "'; can't understand '", t, "'"));
    }
    term.field = std::string(absl::StripAsciiWhitespace(term.field));
    term.value = std::string(absl::StripAsciiWhitespace(term.value));
    // As Kubernetes (fields.UnescapeValue), a value may not hold an unescaped '=' (mk does not
    // take escapes): "a==b==c" is an error, not the value "b==c" that prints as "a=b==c".
    if (term.value.find('=') != std::string::npos) {
      return absl::InvalidArgumentError("invalid field selector: unescaped character in value: =");
    }
    const auto& fields = SupportedSelectorFields(resource);
    bool ok = term.field == "metadata.name" || term.field == "metadata.namespace" ||
              std::find(fields.begin(), fields.end(), term.field) != fields.end();
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("field label not supported: ", term.field));
    }
    sel.terms_.push_back(std::move(term));
  }
  return sel;
}

bool FieldSelector::Matches(const google::protobuf::Message& obj) const {
  for (const Term& t : terms_) {
    bool eq = FieldValue(obj, t.field) == t.value;
    if (eq != t.equal) return false;
  }
  return true;
}

std::string FieldSelector::ToString() const {
  std::vector<std::string> parts;
  for (const Term& t : terms_)
    parts.push_back(absl::StrCat(t.field, t.equal ? "=" : "!=", t.value));
  return absl::StrJoin(parts, ",");
}

bool FieldSelector::RequiresExactMatch(absl::string_view field, std::string* value) const {
  for (const Term& t : terms_) {
    if (t.equal && t.field == field) {
      if (value != nullptr) *value = t.value;
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------- label validation

namespace {

template <typename M>
std::vector<FieldError> ValidateLabelMap(const M& labels, const std::string& path) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  std::vector<FieldError> errs;
  for (const auto& [k, v] : sorted) {
    for (const std::string& m : QualifiedNameErrors(k)) {
      errs.push_back({path, "FieldValueInvalid", absl::StrCat("Invalid value: \"", k, "\": ", m)});
    }
    for (const std::string& m : LabelValueErrors(v)) {
      errs.push_back({path, "FieldValueInvalid", absl::StrCat("Invalid value: \"", v, "\": ", m)});
    }
  }
  return errs;
}

}  // namespace

std::vector<FieldError> ValidateLabels(
    const google::protobuf::Map<std::string, std::string>& labels, const std::string& path) {
  return ValidateLabelMap(labels, path);
}

std::vector<FieldError> ValidateLabels(const std::map<std::string, std::string>& labels,
                                       const std::string& path) {
  return ValidateLabelMap(labels, path);
}

}  // namespace mk
