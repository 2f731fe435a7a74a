#include "common/yaml_printer.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mk {
namespace {

bool IsLetter(char c) { return std::isalpha(static_cast<unsigned char>(c)) || (c & 0x80); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Would YAML 1.1 (go-yaml v2's resolver) read this plain scalar as a non-string?
bool ResolvesToNonString(const std::string& s) {
  if (s.empty()) return true;  // null
  static const char* kSpecial[] = {
      "~",     "null",  "Null",  "NULL",  "true",  "True", "TRUE", "false", "False", "FALSE",
      "y",     "Y",     "yes",   "Yes",   "YES",   "n",    "N",    "no",    "No",    "NO",
      "on",    "On",    "ON",    "off",   "Off",   "OFF",  ".inf", ".Inf",  ".INF",  "-.inf",
      "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", ".nan", ".NaN", ".NAN",  "<<"};
  for (const char* k : kSpecial) {
    if (s == k) return true;
  }
  // Numbers: ints (incl. 0x, 0o/0 octal, underscores, binary 0b), floats, base-60.
  std::string t;
  for (char c : s) {
    if (c != '_') t.push_back(c);
  }
  if (t.empty()) return false;
  size_t i = (t[0] == '+' || t[0] == '-') ? 1 : 0;
  if (i >= t.size()) return false;
  std::string body = t.substr(i);
  if (absl::StartsWith(body, "0x") || absl::StartsWith(body, "0b")) {
    if (body.size() == 2) return false;
    for (size_t k = 2; k < body.size(); ++k) {
      if (!std::isxdigit(static_cast<unsigned char>(body[k]))) return false;
    }
    return true;
  }
  // Base 60 (1:20) — go-yaml quotes these too.
  bool sexagesimal = body.find(':') != std::string::npos && IsDigit(body[0]);
  if (sexagesimal) {
    for (char c : body) {
      if (!IsDigit(c) && c != ':' && c != '.') return false;
    }
    return true;
  }
  double d;
  bool digits = false;
  for (char c : body) {
    if (IsDigit(c)) digits = true;
    if (!IsDigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') return false;
  }
  return digits && absl::SimpleAtod(body, &d);
}

bool NeedsSingleQuotes(const std::string& s) {
  // Leading or trailing whitespace, leading indicators, ": " and " #" inside.
  if (s.front() == ' ' || s.back() == ' ' || s.front() == '\t' || s.back() == '\t') return true;
  static const std::string kLeading = "-?:,[]{}#&*!|>'\"%@`";
  if (kLeading.find(s.front()) != std::string::npos) {
    if (s.front() == '-' || s.front() == '?' || s.front() == ':') {
      // "-x" is fine as plain, "- x" / "-" is not.
      if (s.size() == 1 || s[1] == ' ') return true;
      if (s.front() != '-') return true;
    } else {
      return true;
    }
  }
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos) return true;
  if (s.back() == ':') return true;
  if (absl::StartsWith(s, "---") || absl::StartsWith(s, "...")) return true;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t') return true;
  }
  // Flow indicators are allowed in block plain scalars except as noted; ok.
  return false;
}

std::string DoubleQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out.push_back(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string SingleQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "''";
    else
      out.push_back(c);
  }
  out += "'";
  return out;
}

std::string Scalar(const std::string& s) {
  std::string style = YamlQuoteStyle(s);
  if (style == "\"") return DoubleQuote(s);
  if (style == "'") return SingleQuote(s);
  return s;
}

std::string ScalarJson(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  if (j.is_number_integer() || j.is_number_unsigned()) return j.dump();
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && std::abs(d) < 1e15) {
      return absl::StrCat(static_cast<int64_t>(d));
    }
    return j.dump();
  }
  if (j.is_string()) return Scalar(j.get<std::string>());
  return j.dump();
}

bool IsMultiline(const Json& j) {
  return j.is_string() && j.get_ref<const std::string&>().find('\n') != std::string::npos;
}

// A literal block: header ("|", "|-", "|+") and the lines indented by `indent`.
std::string Literal(const std::string& s, int indent) {
  std::string header = "|";
  size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
  if (trailing == 0)
    header = "|-";
  else if (trailing > 1)
    header = "|+";
  if (!s.empty() && s[0] == ' ') header.insert(1, "2");
  std::string body = s.substr(0, s.size() - trailing);
  std::string out = header + "\n";
  std::string pad(indent, ' ');
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (line.empty()) {
      out += "\n";
    } else {
      absl::StrAppend(&out, pad, line, "\n");
    }
  }
  for (size_t k = 1; k < trailing; ++k) out += "\n";
  return out;
}

bool IsEmptyCollection(const Json& j) { return (j.is_object() || j.is_array()) && j.empty(); }

void Emit(const Json& j, int indent, std::string* out);

// Emits the value after "key:" or "- ".
void EmitValue(const Json& v, int indent, bool in_list, std::string* out) {
  if (v.is_object() && !v.empty()) {
    if (in_list) {
      // First key on the same line as "- ".
      std::string sub;
      Emit(v, indent + 2, &sub);
      absl::StrAppend(out, " ", sub.substr(indent + 2));
    } else {
      out->append("\n");
      Emit(v, indent + 2, out);
    }
  } else if (v.is_array() && !v.empty()) {
    if (in_list) {
      std::string sub;
      Emit(v, indent + 2, &sub);
      absl::StrAppend(out, " ", sub.substr(indent + 2));
    } else {
      out->append("\n");
      Emit(v, indent, out);
    }
  } else if (IsEmptyCollection(v)) {
    out->append(v.is_object() ? " {}\n" : " []\n");
  } else if (IsMultiline(v)) {
    out->append(" ");
    out->append(Literal(v.get<std::string>(), indent + 2));
  } else {
    absl::StrAppend(out, " ", ScalarJson(v), "\n");
  }
}

void Emit(const Json& j, int indent, std::string* out) {
  std::string pad(indent, ' ');
  if (j.is_object()) {
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
    std::sort(keys.begin(), keys.end(), YamlKeyLess);
    for (const std::string& k : keys) {
      absl::StrAppend(out, pad, Scalar(k), ":");
      EmitValue(j.at(k), indent, false, out);
    }
  } else if (j.is_array()) {
    for (const Json& v : j) {
      absl::StrAppend(out, pad, "-");
      EmitValue(v, indent, true, out);
    }
  } else if (IsMultiline(j)) {
    out->append(Literal(j.get<std::string>(), indent + 2));
  } else {
    absl::StrAppend(out, pad, ScalarJson(j), "\n");
  }
}

}  // namespace

std::string YamlQuoteStyle(const std::string& s) {
  if (ResolvesToNonString(s)) return "\"";
  if (s.find('\n') != std::string::npos) return "\"";
  if (NeedsSingleQuotes(s)) return "'";
  return "";
}

bool YamlKeyLess(const std::string& a, const std::string& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    bool al = IsLetter(a[i]), bl = IsLetter(b[i]);
    if (al && bl) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
    if (al || bl) return bl;
    int64_t an = 0, bn = 0;
    size_t ai = i, bi = i;
    if (a[i] == '0' || b[i] == '0') {
      for (size_t k = i; k-- > 0 && IsDigit(a[k]);) {
        if (a[k] != '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    for (; ai < a.size() && IsDigit(a[ai]); ++ai) an = an * 10 + (a[ai] - '0');
    for (; bi < b.size() && IsDigit(b[bi]); ++bi) bn = bn * 10 + (b[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

std::string ToYaml(const Json& j) {
  std::string out;
  if (IsEmptyCollection(j)) return j.is_object() ? "{}\n" : "[]\n";
  Emit(j, 0, &out);
  return out;
}

}  // namespace mk
