#include "common/selectors.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json_codec.h"

namespace mk {
namespace {

bool ValidLabelValue(absl::string_view v) {
  if (v.size() > 63) return false;
  if (v.empty()) return true;
  for (char c : v) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return absl::ascii_isalnum(v.front()) && absl::ascii_isalnum(v.back());
}

bool ValidDnsSubdomain(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (absl::string_view part : absl::StrSplit(s, '.')) {
    if (part.empty() || part.size() > 63) return false;
    for (char c : part) {
      if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) return false;
    }
    if (part.front() == '-' || part.back() == '-') return false;
  }
  return true;
}

bool ValidLabelKey(absl::string_view k, std::string* why) {
  absl::string_view name = k;
  size_t slash = k.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view prefix = k.substr(0, slash);
    name = k.substr(slash + 1);
    if (!ValidDnsSubdomain(prefix)) {
      *why =
          "prefix part a lowercase RFC 1123 subdomain must consist of lower case "
          "alphanumeric characters, '-' or '.', and must start and end with an "
          "alphanumeric character";
      return false;
    }
  }
  if (name.empty() || !ValidLabelValue(name)) {
    *why =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
        "start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
        "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    if (name.size() > 63) *why = "name part must be no more than 63 characters";
    return false;
  }
  return true;
}

absl::Status SelectorError(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("unable to parse requirement: ", msg));
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(absl::string_view text) {
  LabelSelector sel;
  std::string s(absl::StripAsciiWhitespace(text));
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && absl::ascii_isspace(s[i])) ++i;
  };
  auto read_token = [&] {
    skip_ws();
    size_t start = i;
    while (i < s.size() && !absl::ascii_isspace(s[i]) && s[i] != ',' && s[i] != '=' &&
           s[i] != '!' && s[i] != '(' && s[i] != ')') {
      ++i;
    }
    return s.substr(start, i - start);
  };
  while (i < s.size()) {
    Requirement r;
    skip_ws();
    bool negate = false;
    if (i < s.size() && s[i] == '!') {
      negate = true;
      ++i;
    }
    r.key = read_token();
    std::string why;
    if (r.key.empty())
      return SelectorError(absl::StrCat("found '", s.substr(i, 1), "', expected: identifier"));
    if (!ValidLabelKey(r.key, &why)) {
      return SelectorError(absl::StrCat("invalid label key \"", r.key, "\": ", why));
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
    } else {
      std::string word = read_token();
      if (word != "in" && word != "notin") {
        return SelectorError(
            absl::StrCat("found '", word, "', expected: in, notin, =, ==, !=, gt, lt"));
      }
      r.op = word;
      skip_ws();
      if (i >= s.size() || s[i] != '(') return SelectorError("expected '('");
      ++i;
      while (true) {
        std::string v = read_token();
        skip_ws();
        if (!ValidLabelValue(v))
          return SelectorError(absl::StrCat("invalid label value: \"", v, "\""));
        if (!v.empty()) r.values.push_back(v);
        if (i < s.size() && s[i] == ',') {
          ++i;
          continue;
        }
        if (i < s.size() && s[i] == ')') {
          ++i;
          break;
        }
        return SelectorError("expected ',' or ')'");
      }
      if (r.values.empty())
        return SelectorError("for 'in', 'notin' operators, values set can't be empty");
    }
    if (r.op == "=" || r.op == "!=") {
      std::string v = read_token();
      if (!ValidLabelValue(v))
        return SelectorError(absl::StrCat("invalid label value: \"", v, "\""));
      r.values.push_back(v);
    }
    skip_ws();
    if (i < s.size()) {
      if (s[i] != ',')
        return SelectorError(
            absl::StrCat("found '", s.substr(i, 1), "', expected: ',' or end of string"));
      ++i;
    }
    sel.reqs_.push_back(std::move(r));
  }
  return sel;
}

absl::StatusOr<LabelSelector> LabelSelector::FromProto(const api::LabelSelector& proto) {
  LabelSelector sel;
  std::map<std::string, std::string> sorted(proto.match_labels().begin(),
                                            proto.match_labels().end());
  for (const auto& [k, v] : sorted) sel.reqs_.push_back({k, "=", {v}});
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
    if ((r.op == "in" || r.op == "notin") && r.values.empty()) {
      return absl::InvalidArgumentError("for 'in', 'notin' operators, values set can't be empty");
    }
    std::sort(r.values.begin(), r.values.end());
    sel.reqs_.push_back(std::move(r));
  }
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
      if (!has || std::find(r.values.begin(), r.values.end(), it->second) == r.values.end()) {
        return false;
      }
    } else if (r.op == "notin") {
      if (has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end()) {
        return false;
      }
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
    } else {
      parts.push_back(absl::StrCat(r.key, " ", r.op, " (", absl::StrJoin(r.values, ","), ")"));
    }
  }
  return absl::StrJoin(parts, ",");
}

namespace {

const std::vector<std::string>& SupportedFields(absl::string_view resource) {
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
  static const auto* kNone = new std::vector<std::string>{};
  if (resource == "pods") return *kPods;
  if (resource == "events") return *kEvents;
  if (resource == "secrets") return *kSecrets;
  if (resource == "nodes") return *kNodes;
  return *kNone;
}

}  // namespace

std::string FieldValue(const google::protobuf::Message& obj, absl::string_view path) {
  if (path == "source") path = "source.component";
  Json j = EncodeJson(obj);
  const Json* cur = &j;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (!cur->is_object()) return "";
    auto it = cur->find(std::string(part));
    if (it == cur->end()) return "";
    cur = &*it;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_number()) return cur->dump();
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
          absl::StrCat("invalid selector: '", t, "'; can't understand '", t, "'"));
    }
    term.field = std::string(absl::StripAsciiWhitespace(term.field));
    term.value = std::string(absl::StripAsciiWhitespace(term.value));
    const auto& fields = SupportedFields(resource);
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

std::vector<FieldError> ValidateLabels(
    const google::protobuf::Map<std::string, std::string>& labels, const std::string& path) {
  std::vector<FieldError> errs;
  for (const auto& [k, v] : labels) {
    std::string why;
    if (!ValidLabelKey(k, &why)) {
      errs.push_back(
          {path, "FieldValueInvalid", absl::StrCat("Invalid value: \"", k, "\": ", why)});
    }
    if (!ValidLabelValue(v)) {
      errs.push_back({absl::StrCat(path, "[", k, "]"), "FieldValueInvalid",
                      absl::StrCat("Invalid value: \"", v,
                                   "\": a valid label must be an empty string or consist of "
                                   "alphanumeric characters, '-', '_' or '.', and must start "
                                   "and end with an alphanumeric character")});
    }
  }
  return errs;
}

}  // namespace mk
