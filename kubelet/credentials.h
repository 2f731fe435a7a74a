#pragma once

// Registry credentials from pull secrets, matched to images the way Kubernetes' keyring
// does (pkg/credentialprovider):
//  - `kubernetes.io/dockerconfigjson` ({"auths":{KEY:{username,password,auth,email}}}) and
//    legacy `kubernetes.io/dockercfg` (the inner map) are accepted; a non-empty `auth`
//    (base64 "user:password") overrides username/password;
//  - KEY may carry a scheme and a /v1/ or /v2/ suffix ("https://index.docker.io/v1/");
//  - a key matches an image when the hosts have the same number of dot-separated parts, each
//    part matching as a glob ("*.example.com"), the ports are equal, and the key's path is a
//    prefix of the image's repository path;
//  - matches come most specific first (keys in reverse lexicographic order); Docker Hub
//    images fall back to the index.docker.io credentials.
// Error messages never contain secret values; callers must not log RegistryAuth passwords.
//
// Not thread-safe for Add*; Lookup is const and may run concurrently once built.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/json.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

class DockerKeyring {
 public:
  // `.dockerconfigjson` content. Nothing is added if it is malformed (InvalidArgument).
  absl::Status AddDockerConfigJson(absl::string_view content);
  // Legacy `.dockercfg` content (a map of KEY → entry, without "auths").
  absl::Status AddDockerCfg(absl::string_view content);

  // Credentials to try for `image` (a reference like "mydomain:5000/photo-view:v2.0" or a
  // repository), most specific first; empty when none match, or when `image` is no reference
  // and longer than the 255 bytes Docker allows a name.
  std::vector<RegistryAuth> Lookup(absl::string_view image) const;

  bool empty() const { return creds_.empty(); }

 private:
  absl::Status AddAuths(const Json& auths);

  // Normalised key (host[:port][/path]) → credentials, in the order they were added.
  std::map<std::string, std::vector<RegistryAuth>> creds_;
};

// "https://host:5000/v2/" → "host:5000"; "host/ns/" → "host/ns". Exposed for tests.
std::string NormalizeRegistryKey(absl::string_view key);

// Does the normalised key `pattern` (host may hold globs) match `repository`
// ("host[:port]/path")? Exposed for tests.
bool RegistryKeyMatches(absl::string_view pattern, absl::string_view repository);

// filepath.Match-style glob on one host part: '*', '?', '[a-z]', '[!x]' or '[^x]', '\x'; a
// malformed '[' (no ']') matches nothing. Time O(len(pattern) * len(text)), never worse.
// `steps` (tests) gets the work done: loop iterations plus pattern bytes read in brackets.
bool GlobMatch(absl::string_view pattern, absl::string_view text, size_t* steps = nullptr);

}  // namespace mk::kubelet
