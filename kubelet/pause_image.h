#pragma once

// The sandbox image: mk-pause imported into Docker from the binary the repo builds, so no
// registry is needed. The image holds only /pause (mode 0755) with CMD ["/pause"].

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kubelet/container_spec.h"  // kDefaultPauseImage
#include "kubelet/docker_client.h"

namespace mk::kubelet {

// Imports `image` from the static binary at `pause_binary_path` unless Docker already has
// it. Safe to call concurrently (a racing import just re-tags the same content).
absl::Status EnsurePauseImage(DockerClient& docker, const std::string& pause_binary_path,
                              const std::string& image = kDefaultPauseImage);

// The root filesystem tarball for the pause image built from `binary` (its bytes).
absl::StatusOr<std::string> PauseImageTar(const std::string& binary);

// Where mk-pause sits next to a running binary: <dir of /proc/self/exe>/mk-pause.
std::string DefaultPauseBinaryPath();

}  // namespace mk::kubelet
