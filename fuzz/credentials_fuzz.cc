// Pull-secret credentials and image references. The first byte picks:
//   0  .dockerconfigjson content (DockerKeyring::AddDockerConfigJson), then lookups;
//   1  legacy .dockercfg content (AddDockerCfg), then lookups;
//   2  an image reference: ParseImageRef; a parsed reference printed with String() must
//      parse again to the same reference (normalisation is a fixed point);
//   3  "pattern\ntext": GlobMatch, NormalizeRegistryKey, RegistryKeyMatches. GlobMatch must
//      agree with a dynamic-programming matcher and do at most
//      (len(text) + 2) * (len(pattern) + 1) steps.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "kubelet/credentials.h"
#include "kubelet/image_ref.h"

namespace {

using mk::kubelet::DockerKeyring;
using mk::kubelet::ImageRef;

void Lookups(const DockerKeyring& keyring) {
  for (const char* image :
       {"busybox", "docker.io/library/busybox:1.36", "registry.example.com:5000/team/app:v1",
        "localhost/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "a.b.c/d", "127.0.0.1:5000/x"}) {
    (void)keyring.Lookup(image);
  }
}

void Image(absl::string_view text) {
  auto ref = mk::kubelet::ParseImageRef(text);
  if (!ref.ok()) return;
  (void)ref->Repository();
  (void)ref->Host();
  (void)ref->Port();
  (void)ref->PullTag();
  (void)ref->DefaultPullAlways();
  std::string printed = ref->String();
  auto again = mk::kubelet::ParseImageRef(printed);
  if (!again.ok()) {
    std::cerr << "\"" << text << "\" prints as \"" << printed
              << "\" which does not parse: " << again.status() << "\n";
    abort();
  }
  if (again->String() != printed || again->domain != ref->domain || again->path != ref->path ||
      again->tag != ref->tag || again->digest != ref->digest) {
    std::cerr << "\"" << text << "\" prints as \"" << printed << "\" which parses to \""
              << again->String() << "\" (" << again->domain << " | " << again->path << " | "
              << again->tag << " | " << again->digest << ")\n";
    abort();
  }
}

// GlobMatch by dynamic programming over (pattern element, text prefix), independent of its
// single backtrack point; whether one non-'*' element matches one character is still asked
// of GlobMatch. Elements: '*', '?', "[...]" (an unclosed '[' takes the rest), "\\x", a byte.
bool ReferenceGlob(absl::string_view pattern, absl::string_view text) {
  std::vector<char> can(text.size() + 1, 0);  // can[j]: the elements so far match text[0, j)
  can[0] = 1;
  std::vector<char> next(can.size());
  for (size_t i = 0; i < pattern.size();) {
    size_t len = 1;
    if (pattern[i] == '[') {
      size_t close = pattern.find(']', i + 1);
      len = close == absl::string_view::npos ? pattern.size() - i : close - i + 1;
    } else if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      len = 2;
    }
    absl::string_view element = pattern.substr(i, len);
    i += len;
    next[0] = element == "*" && can[0];
    for (size_t j = 1; j < can.size(); ++j) {
      next[j] = element == "*"
                    ? can[j] || next[j - 1]
                    : can[j - 1] && mk::kubelet::GlobMatch(element, text.substr(j - 1, 1));
    }
    can.swap(next);
  }
  return can.back();
}

void Glob(absl::string_view pattern, absl::string_view text) {
  size_t steps = 0;
  bool got = mk::kubelet::GlobMatch(pattern, text, &steps);
  if (steps > (text.size() + 2) * (pattern.size() + 1)) {
    std::cerr << "GlobMatch took " << steps << " steps on a " << pattern.size()
              << "-byte pattern and a " << text.size() << "-byte text\n";
    abort();
  }
  // The reference costs len(pattern) x len(text) calls; keep big inputs fast.
  if (pattern.size() * text.size() > (1u << 20)) return;
  if (got != ReferenceGlob(pattern, text)) {
    std::cerr << "GlobMatch(\"" << pattern << "\", \"" << text << "\") is " << got
              << ", the reference says otherwise\n";
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 64 * 1024) return 0;
  uint8_t mode = data[0] % 4;
  absl::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0: {
      DockerKeyring keyring;
      if (keyring.AddDockerConfigJson(rest).ok()) Lookups(keyring);
      break;
    }
    case 1: {
      DockerKeyring keyring;
      if (keyring.AddDockerCfg(rest).ok()) Lookups(keyring);
      break;
    }
    case 2:
      Image(rest);
      break;
    case 3: {
      size_t nl = rest.find('\n');
      absl::string_view pattern = rest.substr(0, nl);
      absl::string_view text = nl == absl::string_view::npos ? "" : rest.substr(nl + 1);
      Glob(pattern, text);
      std::string key = mk::kubelet::NormalizeRegistryKey(pattern);
      (void)mk::kubelet::RegistryKeyMatches(key, text);
      DockerKeyring keyring;
      (void)keyring.Lookup(text);
      break;
    }
  }
  return 0;
}
