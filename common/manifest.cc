#include "common/manifest.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdlib>
#include <sstream>

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

// yaml-cpp 0.7 never gets past some malformed documents: " a: b\n,\n" (an indented block
// collection, then a ',' at column 0) makes LoadAll append empty documents forever (gigabytes
// within seconds). This pass parses with a no-op event handler first and refuses input where
// a document starts where the previous one did (no progress), or that has more documents
// than bytes.
class ProgressCheck : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    stuck_ = stuck_ || mark.pos == last_pos_;
    last_pos_ = mark.pos;
    line_ = mark.line;
    ++documents_;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  bool stuck() const { return stuck_; }
  size_t documents() const { return documents_; }
  int line() const { return line_; }

 private:
  int last_pos_ = -1;
  int line_ = 0;
  size_t documents_ = 0;
  bool stuck_ = false;
};

// Throws YAML::Exception as LoadAll does; returns an error for input LoadAll would loop on.
absl::Status CheckYamlTerminates(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  ProgressCheck check;
  while (parser.HandleNextDocument(check)) {
    if (check.stuck() || check.documents() > text.size() + 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("error parsing YAML: line ", check.line() + 1, ": unexpected content"));
    }
  }
  return absl::OkStatus();
}

// Strings must be UTF-8 (as in Kubernetes' YAML reader): yaml-cpp passes any bytes through,
// and nlohmann::json throws when it serialises invalid UTF-8.
bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
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
        if (!ValidUtf8(n.Scalar())) {
          error = absl::InvalidArgumentError(
              absl::StrCat("error parsing YAML: line ", n.Mark().line + 1, ": invalid UTF-8"));
          return nullptr;
        }
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
          if (!ValidUtf8(key)) {
            error = absl::InvalidArgumentError(absl::StrCat(
                "error parsing YAML: line ", kv.first.Mark().line + 1, ": invalid UTF-8"));
            return nullptr;
          }
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

// A `kind: List` whose items are the documents. `kind` of another type (null, a number)
// is not a List (Json::value would throw on it).
bool IsList(const Json& j) {
  if (!j.is_object() || !j.contains("items")) return false;
  auto kind = j.find("kind");
  return kind != j.end() && kind->is_string() && *kind == "List";
}

}  // namespace

absl::StatusOr<std::vector<Json>> ParseManifests(absl::string_view text,
                                                 const ManifestLimits& limits) {
  if (absl::Status s = CheckSize(text, limits); !s.ok()) return s;
  std::vector<Json> docs;
  if (LooksLikeJson(text)) {
    absl::StatusOr<Json> j = ParseJsonText(text);
    if (j.ok()) {
      if (IsList(*j)) {
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
    std::string yaml(text);
    if (absl::Status s = CheckYamlTerminates(yaml); !s.ok()) return s;
    nodes = YAML::LoadAll(yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing YAML: line ", e.mark.line + 1, ": ", e.msg));
  }
  Converter conv{limits.max_nodes, limits.max_depth, absl::OkStatus()};
  for (const YAML::Node& n : nodes) {
    if (n.IsNull()) continue;
    Json j = conv.Convert(n, 0);
    if (!conv.error.ok()) return conv.error;
    if (IsList(j)) {
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
