#include "common/manifest.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mk {
namespace {

// Max bracket/indentation depth, scanned without parsing. For JSON and flow YAML this counts
// brackets outside strings; for block YAML the indentation levels are bounded by line
// length anyway and yaml-cpp's own depth guard applies.
int ScanDepth(absl::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_str = false;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_str) {
      if (c == '\\' && quote == '"') {
        ++i;
      } else if (c == quote) {
        in_str = false;
      }
      continue;
    }
    if (c == '"') {
      in_str = true;
      quote = c;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

absl::Status CheckSize(absl::string_view text, const ManifestLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("request body too large: ", text.size(), " bytes, limit ", limits.max_bytes));
  }
  if (ScanDepth(text) > limits.max_depth) {
    return absl::InvalidArgumentError(
        absl::StrCat("nesting deeper than ", limits.max_depth, " levels"));
  }
  return absl::OkStatus();
}

// A plain (unquoted) YAML scalar resolved per the YAML 1.2 core schema, as Kubernetes'
// YAML reader does.
Json PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  int64_t i;
  if (absl::SimpleAtoi(s, &i) && s.find_first_of("+") != 0) return i;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    char* end = nullptr;
    long long v = std::strtoll(s.c_str() + 2, &end, s[1] == 'x' ? 16 : 8);
    if (end && *end == '\0') return static_cast<int64_t>(v);
  }
  bool numeric =
      !s.empty() && (absl::ascii_isdigit(s[0]) || s[0] == '-' || s[0] == '.' || s[0] == '+');
  double d;
  if (numeric && s.find_first_not_of("0123456789+-.eE") == std::string::npos &&
      absl::SimpleAtod(s, &d)) {
    return d;
  }
  if (s == ".inf" || s == ".Inf" || s == "-.inf" || s == ".nan" || s == ".NaN") return s;
  return s;
}

struct Converter {
  size_t budget;
  int max_depth;
  absl::Status error;

  Json Convert(const YAML::Node& n, int depth) {
    if (!error.ok()) return nullptr;
    if (budget-- == 0) {
      error = absl::InvalidArgumentError("document expands to too many nodes (YAML alias bomb?)");
      return nullptr;
    }
    if (depth > max_depth) {
      error =
          absl::InvalidArgumentError(absl::StrCat("nesting deeper than ", max_depth, " levels"));
      return nullptr;
    }
    switch (n.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        if (n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str") return n.Scalar();
        return PlainScalar(n.Scalar());
      case YAML::NodeType::Sequence: {
        Json arr = Json::array();
        for (const YAML::Node& item : n) arr.push_back(Convert(item, depth + 1));
        return arr;
      }
      case YAML::NodeType::Map: {
        Json obj = Json::object();
        for (const auto& kv : n) {
          if (!kv.first.IsScalar()) {
            error = absl::InvalidArgumentError("map keys must be strings");
            return nullptr;
          }
          std::string key = kv.first.Scalar();
          if (obj.contains(key)) {
            error = absl::InvalidArgumentError(
                absl::StrCat("line ", kv.first.Mark().line + 1, ": duplicate key \"", key, "\""));
            return nullptr;
          }
          obj[key] = Convert(kv.second, depth + 1);
        }
        return obj;
      }
    }
    return nullptr;
  }
};

bool LooksLikeJson(absl::string_view text) {
  size_t i = text.find_first_not_of(" \t\r\n");
  return i != absl::string_view::npos && (text[i] == '{' || text[i] == '[');
}

absl::StatusOr<Json> ParseJsonText(absl::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("invalid JSON");
  return j;
}

}  // namespace

absl::StatusOr<std::vector<Json>> ParseManifests(absl::string_view text,
                                                 const ManifestLimits& limits) {
  if (absl::Status s = CheckSize(text, limits); !s.ok()) return s;
  std::vector<Json> docs;
  if (LooksLikeJson(text)) {
    absl::StatusOr<Json> j = ParseJsonText(text);
    if (j.ok()) {
      if (j->is_object() && j->value("kind", "") == "List" && j->contains("items")) {
        for (Json& item : (*j)["items"]) docs.push_back(std::move(item));
      } else {
        docs.push_back(std::move(*j));
      }
      return docs;
    }
    // Fall through: YAML flow syntax is a superset of JSON.
  }
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing YAML: line ", e.mark.line + 1, ": ", e.msg));
  }
  Converter conv{limits.max_nodes, limits.max_depth, absl::OkStatus()};
  for (const YAML::Node& n : nodes) {
    if (n.IsNull()) continue;
    Json j = conv.Convert(n, 0);
    if (!conv.error.ok()) return conv.error;
    if (j.is_object() && j.value("kind", "") == "List" && j.contains("items")) {
      for (Json& item : j["items"]) docs.push_back(std::move(item));
    } else {
      docs.push_back(std::move(j));
    }
  }
  return docs;
}

absl::StatusOr<Json> ParseJsonBody(absl::string_view text, const ManifestLimits& limits) {
  if (absl::Status s = CheckSize(text, limits); !s.ok()) return s;
  if (LooksLikeJson(text)) return ParseJsonText(text);
  absl::StatusOr<std::vector<Json>> docs = ParseManifests(text, limits);
  if (!docs.ok()) return docs.status();
  if (docs->size() != 1) return absl::InvalidArgumentError("expected exactly one object");
  return std::move((*docs)[0]);
}

}  // namespace mk
