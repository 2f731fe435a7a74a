#include "common/redact.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/json_codec.h"
#include "common/manifest.h"

namespace mk {
namespace {

constexpr size_t kTruncateAt = 1024;
constexpr char kLastApplied[] = "kubectl.kubernetes.io/last-applied-configuration";

bool IsCredentialKey(const std::string& key) {
  static const char* const kKeys[] = {
      ".dockerconfigjson", ".dockercfg",      "password",      "auth",
      "identitytoken",     "registrytoken",   "token",         "access_token",
      "refresh_token",     "client-key-data", "client_secret", "bearer_token",
  };
  for (const char* k : kKeys) {
    if (absl::EqualsIgnoreCase(key, k)) return true;
  }
  return false;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
         c == '~' || c == '+' || c == '/' || c == '=' || c == ':';
}

void RedactValues(Json* m) {
  if (!m->is_object()) {
    *m = kRedacted;
    return;
  }
  for (auto& [k, v] : m->items()) v = kRedacted;
}

void Walk(Json* j, bool secret);

void WalkSecret(Json* j) {
  if (!j->is_object()) return Walk(j, false);
  for (auto& [k, v] : j->items()) {
    if (k == "data" || k == "stringData") {
      RedactValues(&v);
    } else if (k == "metadata" && v.is_object() && v.contains("annotations") &&
               v["annotations"].is_object() && v["annotations"].contains(kLastApplied)) {
      // kubectl apply keeps the whole applied Secret, data included, in this annotation.
      v["annotations"][kLastApplied] = kRedacted;
      Walk(&v, false);
    } else {
      Walk(&v, false);
    }
  }
}

void Walk(Json* j, bool secret) {
  if (j->is_string()) {
    const std::string& s = j->get_ref<const std::string&>();
    std::string lower = absl::AsciiStrToLower(s);
    if (absl::StrContains(lower, "bearer ") || absl::StrContains(lower, "basic ")) {
      *j = RedactText(s);
    }
    return;
  }
  if (j->is_array()) {
    for (Json& e : *j) Walk(&e, secret);
    return;
  }
  if (!j->is_object()) return;
  auto kind = j->find("kind");
  std::string k = kind != j->end() && kind->is_string() ? kind->get<std::string>() : "";
  if (secret || k == "Secret") return WalkSecret(j);
  for (auto& [key, v] : j->items()) {
    if (IsCredentialKey(key)) {
      if (!v.is_null() && !(v.is_string() && v.get_ref<const std::string&>().empty())) {
        v = kRedacted;
      }
    } else if (key == "items" && k == "SecretList" && v.is_array()) {
      for (Json& item : v) WalkSecret(&item);
    } else {
      Walk(&v, false);
    }
  }
}

}  // namespace

bool IsSecretPath(absl::string_view path) {
  path = path.substr(0, path.find('?'));
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  // /api/v1[/namespaces/NS]/secrets[/NAME[/SUB]]
  if (parts.size() < 3 || parts[0] != "api") return false;
  if (parts[2] == "namespaces") return parts.size() >= 5 && parts[4] == "secrets";
  return parts[2] == "secrets";
}

Json RedactJson(const Json& j, bool secret) {
  Json out = j;
  Walk(&out, secret);
  return out;
}

std::string RedactBody(absl::string_view body, absl::string_view path) {
  if (body.empty()) return "";
  bool secret = IsSecretPath(path);
  ManifestLimits limits;
  limits.max_bytes = size_t{1} << 30;
  absl::StatusOr<Json> whole = ParseJsonBody(body, limits);
  // Only documents count: ParseJsonBody reads YAML too, and any text is a YAML scalar.
  if (whole.ok() && whole->is_structured()) return RedactJson(*whole, secret).dump();
  // Newline-delimited JSON (a watch stream): every line must parse.
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(body, '\n', absl::SkipWhitespace())) {
    absl::StatusOr<Json> j = ParseJsonBody(line, limits);
    if (!j.ok() || !j->is_structured()) {
      lines.clear();
      break;
    }
    lines.push_back(RedactJson(*j, secret).dump());
  }
  if (!lines.empty()) return absl::StrJoin(lines, "\n");
  if (secret || absl::StrContains(body, "Secret")) {
    return absl::StrCat("<redacted: ", body.size(), " bytes, not JSON>");
  }
  return RedactText(body);
}

std::string RedactMessage(const google::protobuf::Message& msg) {
  return RedactJson(EncodeJson(msg), msg.GetDescriptor()->name() == "Secret").dump();
}

std::string RedactHeader(absl::string_view name, absl::string_view value) {
  static const char* const kHeaders[] = {"Authorization",   "Proxy-Authorization",
                                         "Cookie",          "Set-Cookie",
                                         "X-Registry-Auth", "X-Registry-Config"};
  for (const char* h : kHeaders) {
    if (absl::EqualsIgnoreCase(name, h)) {
      // Keep the scheme ("Bearer <redacted>") as kubectl does; it carries no secret.
      size_t sp = value.find(' ');
      if (sp != absl::string_view::npos && sp > 0 && sp < 16 &&
          absl::EqualsIgnoreCase(name, "Authorization")) {
        return absl::StrCat(value.substr(0, sp), " ", kRedacted);
      }
      return kRedacted;
    }
  }
  return RedactText(value);
}

namespace {

// A short all-lowercase word after "basic"/"bearer" is prose, not a credential (tokens and
// base64 user:password pairs are longer or mix case, digits and symbols).
bool LooksLikeWord(absl::string_view token) {
  if (token.empty() || token.size() > 12) return false;
  for (char c : token) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

}  // namespace

std::string RedactText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t skip = 0;
    for (absl::string_view scheme : {"bearer ", "basic "}) {
      if (text.size() - i >= scheme.size() &&
          absl::EqualsIgnoreCase(text.substr(i, scheme.size()), scheme)) {
        skip = scheme.size();
      }
    }
    if (skip == 0) {
      out.push_back(text[i++]);
      continue;
    }
    absl::StrAppend(&out, text.substr(i, skip));
    i += skip;
    while (i < text.size() && text[i] == ' ') out.push_back(text[i++]);
    size_t start = i;
    while (i < text.size() && IsTokenChar(text[i])) ++i;
    absl::string_view token = text.substr(start, i - start);
    if (LooksLikeWord(token)) {
      out.append(token.data(), token.size());  // prose: "no basic auth credentials"
    } else if (!token.empty()) {
      out.append(kRedacted);
    }
  }
  return out;
}

std::string BodyForLog(absl::string_view body, absl::string_view path, int v) {
  std::string r = RedactBody(body, path);
  if (v >= 9 || r.size() <= kTruncateAt) return r;
  size_t cut = r.size() - kTruncateAt;
  r.resize(kTruncateAt);
  return absl::StrCat(r, " ... [truncated ", cut, " chars]");
}

}  // namespace mk
