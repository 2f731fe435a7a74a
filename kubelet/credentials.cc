#include "kubelet/credentials.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "kubelet/image_ref.h"

namespace mk::kubelet {
namespace {

constexpr char kDefaultRegistryKey[] = "index.docker.io";

struct HostPortPath {
  std::string host;
  std::string port;
  std::string path;  // "" or "/ns/…"
};

HostPortPath Split(absl::string_view s) {
  HostPortPath out;
  size_t slash = s.find('/');
  absl::string_view hostport = s.substr(0, slash);
  if (slash != absl::string_view::npos) out.path = std::string(s.substr(slash));
  size_t colon = hostport.rfind(':');
  if (colon != absl::string_view::npos && hostport.find(']') == absl::string_view::npos) {
    out.host = absl::AsciiStrToLower(hostport.substr(0, colon));
    out.port = std::string(hostport.substr(colon + 1));
  } else {
    out.host = absl::AsciiStrToLower(hostport);
  }
  return out;
}

// Docker Hub per Kubernetes' isDefaultRegistryMatch.
bool IsDefaultRegistry(absl::string_view repository) {
  std::vector<absl::string_view> parts = absl::StrSplit(repository, absl::MaxSplits('/', 1));
  if (parts[0].empty()) return false;
  if (parts.size() == 1) return true;
  if (parts[0] == "docker.io" || parts[0] == "index.docker.io") return true;
  return !absl::StrContains(parts[0], '.') && !absl::StrContains(parts[0], ':');
}

}  // namespace

namespace {

// Matches the one non-'*' pattern element at pattern[*pi] against `c`; advances *pi past it.
// Adds to *work the pattern bytes past pattern[*pi] that a bracket expression made it read.
bool MatchOne(absl::string_view pattern, size_t* pi, char c, size_t* work) {
  size_t i = *pi;
  char p = pattern[i];
  if (p == '?') {
    *pi = i + 1;
    return true;
  }
  if (p == '[') {
    size_t close = pattern.find(']', i + 1);
    if (close == absl::string_view::npos) {  // malformed: Go reports ErrBadPattern
      *work += pattern.size() - i;
      return false;
    }
    *work += close - i;
    absl::string_view set = pattern.substr(i + 1, close - i - 1);
    bool negate = !set.empty() && (set[0] == '!' || set[0] == '^');
    if (negate) set.remove_prefix(1);
    bool in = false;
    for (size_t k = 0; k < set.size(); ++k) {
      if (k + 2 < set.size() && set[k + 1] == '-') {
        if (c >= set[k] && c <= set[k + 2]) in = true;
        k += 2;
      } else if (set[k] == c) {
        in = true;
      }
    }
    *pi = close + 1;
    return in != negate;
  }
  if (p == '\\' && i + 1 < pattern.size()) {
    *pi = i + 2;
    return pattern[i + 1] == c;
  }
  *pi = i + 1;
  return p == c;
}

}  // namespace

// Every element but '*' matches exactly one character, so only the last '*' seen needs a
// backtrack point: when the rest fails, that '*' takes one more character and the rest is
// matched again from there (whatever an earlier '*' taking more could match, the last one
// can too). Between two backtracks the pattern is read at most once, and the text position
// the last '*' resumes from only moves forward, so the work is at most
// (len(text) + 2) * (len(pattern) + 1); stars followed by a literal take linear time. The
// recursive matcher this replaces tried every split for every '*' (~ len(text)^stars: a
// pull-secret key "*****…b" hung the pull; found by fuzz/credentials_fuzz).
bool GlobMatch(absl::string_view pattern, absl::string_view text, size_t* steps) {
  size_t work = 0;
  size_t pi = 0, ti = 0;
  size_t star_p = absl::string_view::npos, star_t = 0;
  bool matched = true;
  while (ti < text.size()) {
    ++work;
    if (pi < pattern.size() && pattern[pi] == '*') {
      star_p = ++pi;
      star_t = ti;
      continue;
    }
    size_t next = pi;
    if (pi < pattern.size() && MatchOne(pattern, &next, text[ti], &work)) {
      pi = next;
      ++ti;
      continue;
    }
    if (star_p == absl::string_view::npos) {
      matched = false;
      break;
    }
    pi = star_p;  // let the last '*' take one more character
    ti = ++star_t;
  }
  while (matched && pi < pattern.size() && pattern[pi] == '*') {
    ++work;
    ++pi;
  }
  if (steps != nullptr) *steps = work;
  return matched && pi == pattern.size();
}

std::string NormalizeRegistryKey(absl::string_view key) {
  absl::string_view k = absl::StripAsciiWhitespace(key);
  if (absl::StartsWith(k, "https://")) {
    k.remove_prefix(8);
  } else if (absl::StartsWith(k, "http://")) {
    k.remove_prefix(7);
  }
  size_t slash = k.find('/');
  absl::string_view host = k.substr(0, slash);
  std::string path =
      slash == absl::string_view::npos ? std::string() : std::string(k.substr(slash));
  if (absl::StartsWith(path, "/v2/") || absl::StartsWith(path, "/v1/")) path = path.substr(3);
  if (path == "/v1" || path == "/v2") path.clear();
  if (path.empty() || path == "/") return absl::AsciiStrToLower(host);
  return absl::StrCat(absl::AsciiStrToLower(host), path);
}

bool RegistryKeyMatches(absl::string_view pattern, absl::string_view repository) {
  HostPortPath glob = Split(pattern);
  HostPortPath target = Split(repository);
  if (glob.port != target.port) return false;
  std::vector<absl::string_view> glob_parts = absl::StrSplit(glob.host, '.');
  std::vector<absl::string_view> target_parts = absl::StrSplit(target.host, '.');
  if (glob_parts.size() != target_parts.size()) return false;
  for (size_t i = 0; i < glob_parts.size(); ++i) {
    if (!GlobMatch(glob_parts[i], target_parts[i])) return false;
  }
  return absl::StartsWith(target.path, glob.path);
}

absl::Status DockerKeyring::AddAuths(const Json& auths) {
  if (!auths.is_object()) {
    return absl::InvalidArgumentError("docker config: registry entries must be an object");
  }
  std::map<std::string, std::vector<RegistryAuth>> parsed;
  for (const auto& [key, entry] : auths.items()) {
    if (!entry.is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat("docker config: entry for \"", key, "\" must be an object"));
    }
    RegistryAuth auth;
    auto text = [&entry = entry](const char* field) -> std::string {
      auto it = entry.find(field);
      return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auth.username = text("username");
    auth.password = text("password");
    std::string encoded = text("auth");
    if (!encoded.empty()) {
      std::string decoded;
      if (!absl::Base64Unescape(encoded, &decoded)) {
        return absl::InvalidArgumentError(
            absl::StrCat("docker config: \"auth\" of \"", key, "\" is not valid base64"));
      }
      size_t colon = decoded.find(':');
      if (colon == std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("docker config: \"auth\" of \"", key,
                                                       "\" must encode \"username:password\""));
      }
      auth.username = decoded.substr(0, colon);
      auth.password = decoded.substr(colon + 1);
    }
    std::string normalized = NormalizeRegistryKey(key);
    if (normalized.empty()) continue;
    auth.server_address = normalized.substr(0, normalized.find('/'));
    parsed[normalized].push_back(std::move(auth));
  }
  for (auto& [key, list] : parsed) {
    auto& dst = creds_[key];
    dst.insert(dst.end(), list.begin(), list.end());
  }
  return absl::OkStatus();
}

absl::Status DockerKeyring::AddDockerConfigJson(absl::string_view content) {
  Json doc = Json::parse(content.begin(), content.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(".dockerconfigjson is not a JSON object");
  }
  auto auths = doc.find("auths");
  if (auths == doc.end()) {
    return absl::InvalidArgumentError(".dockerconfigjson has no \"auths\"");
  }
  return AddAuths(*auths);
}

absl::Status DockerKeyring::AddDockerCfg(absl::string_view content) {
  Json doc = Json::parse(content.begin(), content.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(".dockercfg is not a JSON object");
  }
  return AddAuths(doc);
}

std::vector<RegistryAuth> DockerKeyring::Lookup(absl::string_view image) const {
  std::string repository;
  absl::StatusOr<ImageRef> ref = ParseImageRef(image);
  if (ref.ok()) {
    repository = ref->Repository();
  } else {
    repository = std::string(image.substr(0, image.find('@')));
    // Docker refuses names over 255 bytes (as ParseImageRef does): no credentials for one,
    // which also bounds the glob matching below by ~256 x the keys' length.
    if (repository.size() > 255) return {};
  }
  std::vector<RegistryAuth> out;
  // std::map is ascending; Kubernetes tries keys in reverse order (longer paths first).
  for (auto it = creds_.rbegin(); it != creds_.rend(); ++it) {
    if (RegistryKeyMatches(it->first, repository)) {
      out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
  if (out.empty() && IsDefaultRegistry(repository)) {
    auto it = creds_.find(kDefaultRegistryKey);
    if (it != creds_.end()) out = it->second;
  }
  return out;
}

}  // namespace mk::kubelet
