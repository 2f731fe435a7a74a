#include "kubelet/image_ref.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mk::kubelet {
namespace {

absl::Status Invalid(absl::string_view reference, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid image reference \"", reference, "\": ", why));
}

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

// One path component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool ValidComponent(absl::string_view s) {
  size_t i = 0;
  auto alnums = [&] {
    size_t start = i;
    while (i < s.size() && IsLowerAlnum(s[i])) ++i;
    return i > start;
  };
  if (!alnums()) return false;
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
    if (!alnums()) return false;
  }
  return true;
}

// host[:port]; host is dot-separated labels of [A-Za-z0-9-] not starting/ending with '-',
// or a bracketed IPv6 address.
bool ValidDomain(absl::string_view d) {
  absl::string_view host = d;
  size_t colon = d.rfind(':');
  if (!d.empty() && d[0] == '[') {
    size_t close = d.find(']');
    if (close == absl::string_view::npos) return false;
    host = d.substr(0, close + 1);
    absl::string_view rest = d.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':' || rest.size() == 1) return false;
      for (char c : rest.substr(1)) {
        if (!absl::ascii_isdigit(c)) return false;
      }
    }
    return true;
  }
  if (colon != absl::string_view::npos) {
    host = d.substr(0, colon);
    absl::string_view port = d.substr(colon + 1);
    if (port.empty()) return false;
    for (char c : port) {
      if (!absl::ascii_isdigit(c)) return false;
    }
  }
  if (host.empty()) return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

// [\w][\w.-]{0,127}
bool ValidTag(absl::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return absl::ascii_isalnum(c) || c == '_'; };
  if (!word(t[0])) return false;
  for (char c : t) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// algorithm:hex (algorithm [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*, hex >= 32).
bool ValidDigest(absl::string_view d) {
  size_t colon = d.find(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  absl::string_view algo = d.substr(0, colon), hex = d.substr(colon + 1);
  if (!absl::ascii_isalpha(algo[0])) return false;
  for (char c : algo) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '+' && c != '.') return false;
  }
  if (hex.size() < 32) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

}  // namespace

std::string ImageRef::Repository() const { return absl::StrCat(domain, "/", path); }

std::string ImageRef::String() const {
  std::string out = Repository();
  if (tag_given || digest.empty()) absl::StrAppend(&out, ":", tag);
  if (!digest.empty()) absl::StrAppend(&out, "@", digest);
  return out;
}

std::string ImageRef::Host() const {
  if (!domain.empty() && domain[0] == '[') return domain.substr(0, domain.find(']') + 1);
  return domain.substr(0, domain.rfind(':'));
}

std::string ImageRef::Port() const {
  size_t colon = domain.rfind(':');
  if (colon == std::string::npos) return "";
  if (!domain.empty() && domain[0] == '[' && colon < domain.find(']')) return "";
  return domain.substr(colon + 1);
}

absl::StatusOr<ImageRef> ParseImageRef(absl::string_view reference) {
  if (reference.empty()) return Invalid(reference, "empty");
  if (reference.size() > 255 + 128 + 80) return Invalid(reference, "too long");
  ImageRef ref;
  absl::string_view rest = reference;
  size_t at = rest.find('@');
  if (at != absl::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!ValidDigest(ref.digest)) return Invalid(reference, "invalid digest");
  }
  // A tag is after the last ':' that comes after the last '/' (a ':' before it is a port).
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    ref.tag_given = true;
    rest = rest.substr(0, colon);
    if (!ValidTag(ref.tag)) return Invalid(reference, "invalid tag");
  } else if (ref.digest.empty()) {
    ref.tag = "latest";
  }
  if (rest.empty()) return Invalid(reference, "invalid reference format");

  size_t first = rest.find('/');
  absl::string_view head = rest.substr(0, first);
  if (first != absl::string_view::npos &&
      (absl::StrContains(head, '.') || absl::StrContains(head, ':') || head == "localhost")) {
    ref.domain = std::string(head);
    rest = rest.substr(first + 1);
    if (!ValidDomain(ref.domain)) return Invalid(reference, "invalid registry host");
    if (ref.domain == "index.docker.io") ref.domain = kDockerHubDomain;
  } else {
    ref.domain = kDockerHubDomain;
  }
  if (rest.empty()) return Invalid(reference, "invalid reference format");
  for (absl::string_view component : absl::StrSplit(rest, '/')) {
    if (!ValidComponent(component)) {
      for (char c : component) {
        if (absl::ascii_isupper(c)) return Invalid(reference, "repository name must be lowercase");
      }
      return Invalid(reference, "invalid reference format");
    }
  }
  ref.path = std::string(rest);
  if (ref.domain == kDockerHubDomain && !absl::StrContains(ref.path, '/')) {
    ref.path = absl::StrCat("library/", ref.path);
  }
  if (ref.Repository().size() > 255) return Invalid(reference, "repository name too long");
  return ref;
}

}  // namespace mk::kubelet
