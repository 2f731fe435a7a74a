#pragma once

// Docker image references: name[:tag][@digest], normalised the way Docker does it.
//   "busybox"                       → docker.io / library/busybox : latest
//   "mydomain:5000/photo-view:v2.0" → mydomain:5000 / photo-view : v2.0
//   "localhost/x@sha256:…"          → localhost / x @ sha256:…
// The first path part is a registry host only if it contains '.' or ':' or is "localhost".

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mk::kubelet {

inline constexpr char kDockerHubDomain[] = "docker.io";

struct ImageRef {
  std::string domain;  // "docker.io", "127.0.0.1:5000", "localhost"
  std::string path;    // "library/busybox", "photo-view"
  std::string tag;     // "latest" when none was given (and no digest)
  std::string digest;  // "sha256:…" or empty
  bool tag_given = false;

  // domain/path: what Docker's pull wants as fromImage, and what credentials match against.
  std::string Repository() const;
  // Repository + ":tag" and/or "@digest": the fully qualified reference.
  std::string String() const;
  // What to send as the pull's `tag` parameter: the digest if any, else the tag.
  std::string PullTag() const { return digest.empty() ? tag : digest; }
  // The host part of `domain` without the port, and the port ("" when none).
  std::string Host() const;
  std::string Port() const;
  bool IsDockerHub() const { return domain == kDockerHubDomain; }
  // Kubernetes' default pull policy: Always for ":latest" or no tag (and no digest),
  // otherwise IfNotPresent.
  bool DefaultPullAlways() const { return digest.empty() && (!tag_given || tag == "latest"); }
};

// Parses and normalises `reference`. InvalidArgument with the reason
// ("repository name must be lowercase", "invalid reference format", …).
absl::StatusOr<ImageRef> ParseImageRef(absl::string_view reference);

}  // namespace mk::kubelet
