#include "kubectl/jsonpath.h"

#include <memory>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

struct Node {
  enum Type { kText, kExpr, kRange } type = kText;
  std::string text;  // kText: literal; kExpr/kRange: the path
  std::vector<Node> body;
};

std::string Unquote(const std::string& s) {
  std::string out;
  for (size_t i = 1; i + 1 < s.size(); ++i) {
    if (s[i] == '\\' && i + 2 < s.size()) {
      char c = s[++i];
      switch (c) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        default:
          out += c;
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

absl::Status Parse(const std::string& t, size_t* pos, std::vector<Node>* out, bool in_range) {
  std::string text;
  while (*pos < t.size()) {
    char c = t[*pos];
    if (c != '{') {
      text += c;
      ++*pos;
      continue;
    }
    if (!text.empty()) out->push_back({Node::kText, text, {}});
    text.clear();
    // Find the matching '}' (outside quotes).
    size_t i = *pos + 1;
    char quote = 0;
    for (; i < t.size(); ++i) {
      if (quote != 0) {
        if (t[i] == '\\')
          ++i;
        else if (t[i] == quote)
          quote = 0;
      } else if (t[i] == '"' || t[i] == '\'') {
        quote = t[i];
      } else if (t[i] == '}') {
        break;
      }
    }
    if (i >= t.size()) return absl::InvalidArgumentError("unclosed action");
    std::string expr(absl::StripAsciiWhitespace(t.substr(*pos + 1, i - *pos - 1)));
    *pos = i + 1;
    if (expr == "end") {
      if (!in_range) return absl::InvalidArgumentError("not in range, nothing to end");
      return absl::OkStatus();
    }
    if (expr.rfind("range ", 0) == 0) {
      Node n{Node::kRange, std::string(absl::StripAsciiWhitespace(expr.substr(6))), {}};
      absl::Status st = Parse(t, pos, &n.body, true);
      if (!st.ok()) return st;
      out->push_back(std::move(n));
      continue;
    }
    if (!expr.empty() && (expr[0] == '"' || expr[0] == '\'')) {
      out->push_back({Node::kText, Unquote(expr), {}});
      continue;
    }
    out->push_back({Node::kExpr, expr, {}});
  }
  if (in_range) return absl::InvalidArgumentError("unexpected EOF in range");
  if (!text.empty()) out->push_back({Node::kText, text, {}});
  return absl::OkStatus();
}

using Values = std::vector<const Json*>;

void Recursive(const Json* v, const std::string& key, Values* out) {
  if (v->is_object()) {
    if (key == "*") {
      for (auto it = v->begin(); it != v->end(); ++it) out->push_back(&*it);
    } else if (v->contains(key)) {
      out->push_back(&(*v)[key]);
    }
    for (auto it = v->begin(); it != v->end(); ++it) Recursive(&*it, key, out);
  } else if (v->is_array()) {
    for (const Json& e : *v) Recursive(&e, key, out);
  }
}

Values EvalPath(const std::string& path, const Json* root, const Json* cur);

bool FilterMatch(const std::string& cond, const Json* root, const Json* item) {
  static const char* kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
  for (const char* op : kOps) {
    size_t p = cond.find(op);
    if (p == std::string::npos) continue;
    std::string lhs(absl::StripAsciiWhitespace(cond.substr(0, p)));
    std::string rhs(absl::StripAsciiWhitespace(cond.substr(p + std::string(op).size())));
    Values l = EvalPath(lhs, root, item);
    if (l.empty()) return false;
    Json r;
    if (!rhs.empty() && (rhs[0] == '"' || rhs[0] == '\'')) {
      r = Unquote(rhs);
    } else if (double d; absl::SimpleAtod(rhs, &d)) {
      r = d;
    } else {
      Values rv = EvalPath(rhs, root, item);
      if (rv.empty()) return false;
      r = *rv[0];
    }
    Json lv = *l[0];
    if (lv.is_number() && r.is_number()) {
      double a = lv.get<double>(), b = r.get<double>();
      std::string o = op;
      return o == "=="   ? a == b
             : o == "!=" ? a != b
             : o == "<"  ? a < b
             : o == ">"  ? a > b
             : o == "<=" ? a <= b
                         : a >= b;
    }
    std::string o = op;
    if (o == "==") return lv == r;
    if (o == "!=") return lv != r;
    if (lv.is_string() && r.is_string()) {
      std::string a = lv.get<std::string>(), b = r.get<std::string>();
      return o == "<" ? a < b : o == ">" ? a > b : o == "<=" ? a <= b : a >= b;
    }
    return false;
  }
  return !EvalPath(std::string(absl::StripAsciiWhitespace(cond)), root, item).empty();
}

void Subscript(const std::string& inner, const Json* root, const Json* v, Values* out) {
  if (inner == "*") {
    if (v->is_array() || v->is_object()) {
      for (auto it = v->begin(); it != v->end(); ++it) out->push_back(&*it);
    }
    return;
  }
  if (inner.size() >= 2 && (inner[0] == '\'' || inner[0] == '"')) {
    std::string key = Unquote(inner);
    if (v->is_object() && v->contains(key)) out->push_back(&(*v)[key]);
    return;
  }
  if (inner.rfind("?(", 0) == 0 && inner.back() == ')') {
    std::string cond = inner.substr(2, inner.size() - 3);
    if (v->is_array()) {
      for (const Json& e : *v) {
        if (FilterMatch(cond, root, &e)) out->push_back(&e);
      }
    }
    return;
  }
  if (!v->is_array()) return;
  int64_t n = static_cast<int64_t>(v->size());
  if (size_t colon = inner.find(':'); colon != std::string::npos) {
    int64_t a = 0, b = n;
    std::string sa = inner.substr(0, colon), sb = inner.substr(colon + 1);
    if (size_t c2 = sb.find(':'); c2 != std::string::npos) sb = sb.substr(0, c2);
    if (!sa.empty()) absl::SimpleAtoi(sa, &a);
    if (!sb.empty()) absl::SimpleAtoi(sb, &b);
    if (a < 0) a += n;
    if (b < 0) b += n;
    a = std::max<int64_t>(0, a);
    b = std::min(b, n);
    for (int64_t i = a; i < b; ++i) out->push_back(&(*v)[static_cast<size_t>(i)]);
    return;
  }
  for (absl::string_view part : absl::StrSplit(inner, ',')) {
    int64_t i;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &i)) continue;
    if (i < 0) i += n;
    if (i >= 0 && i < n) out->push_back(&(*v)[static_cast<size_t>(i)]);
  }
}

Values EvalPath(const std::string& path, const Json* root, const Json* cur) {
  Values vals;
  size_t i = 0;
  if (!path.empty() && path[0] == '$') {
    vals.push_back(root);
    i = 1;
  } else if (!path.empty() && path[0] == '@') {
    vals.push_back(cur);
    i = 1;
  } else {
    vals.push_back(cur);
  }
  while (i < path.size()) {
    Values next;
    if (path[i] == '.') {
      bool recursive = i + 1 < path.size() && path[i + 1] == '.';
      i += recursive ? 2 : 1;
      std::string key;
      while (i < path.size() && path[i] != '.' && path[i] != '[') {
        if (path[i] == '\\' && i + 1 < path.size()) ++i;
        key += path[i++];
      }
      for (const Json* v : vals) {
        if (recursive) {
          if (key.empty()) {
            next.push_back(v);
          } else {
            Recursive(v, key, &next);
          }
        } else if (key.empty()) {
          next.push_back(v);
        } else if (key == "*") {
          if (v->is_object() || v->is_array()) {
            for (auto it = v->begin(); it != v->end(); ++it) next.push_back(&*it);
          }
        } else if (v->is_object() && v->contains(key)) {
          next.push_back(&(*v)[key]);
        }
      }
    } else if (path[i] == '[') {
      size_t depth = 0, j = i;
      char quote = 0;
      for (; j < path.size(); ++j) {
        if (quote != 0) {
          if (path[j] == quote) quote = 0;
        } else if (path[j] == '\'' || path[j] == '"') {
          quote = path[j];
        } else if (path[j] == '[') {
          ++depth;
        } else if (path[j] == ']' && --depth == 0) {
          break;
        }
      }
      std::string inner = path.substr(i + 1, j - i - 1);
      i = j + 1;
      for (const Json* v : vals) Subscript(inner, root, v, &next);
    } else {
      // A bare key at the start ("items[0]" without a dot).
      std::string key;
      while (i < path.size() && path[i] != '.' && path[i] != '[') key += path[i++];
      for (const Json* v : vals) {
        if (v->is_object() && v->contains(key)) next.push_back(&(*v)[key]);
      }
    }
    vals = std::move(next);
  }
  return vals;
}

std::string Print(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return Sorted(v).dump();  // Go's encoding/json sorts keys
}

void Exec(const std::vector<Node>& nodes, const Json* root, const Json* cur, std::string* out) {
  for (const Node& n : nodes) {
    if (n.type == Node::kText) {
      *out += n.text;
    } else if (n.type == Node::kExpr) {
      Values vals = EvalPath(n.text, root, cur);
      std::vector<std::string> parts;
      for (const Json* v : vals) parts.push_back(Print(*v));
      *out += absl::StrJoin(parts, " ");
    } else {
      Values vals = EvalPath(n.text, root, cur);
      Values items;
      if (vals.size() == 1 && vals[0]->is_array()) {
        for (const Json& e : *vals[0]) items.push_back(&e);
      } else {
        items = vals;
      }
      for (const Json* item : items) Exec(n.body, root, item, out);
    }
  }
}

}  // namespace

absl::StatusOr<std::string> ExecuteJsonPath(const std::string& tmpl, const Json& data) {
  std::vector<Node> nodes;
  size_t pos = 0;
  absl::Status st = Parse(tmpl, &pos, &nodes, false);
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error parsing jsonpath ", tmpl, ", ", st.message()));
  }
  std::string out;
  Exec(nodes, &data, &data, &out);
  return out;
}

}  // namespace mk::kubectl
