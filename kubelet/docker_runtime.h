#pragma once

// ContainerRuntime over the Docker Engine API (h5's kubelet/docker_client.h), plus the two
// Docker-specific hooks the kubelet wires into its pod workers: pull-secret matching
// (kubelet/credentials.h) and importing the mk-pause sandbox image (kubelet/pause_image.h).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kubelet/pod_worker.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

// Connects to dockerd at `socket_path` and checks it answers (Unavailable otherwise).
absl::StatusOr<std::unique_ptr<ContainerRuntime>> NewDockerRuntime(const std::string& socket_path);

// Matches dockerconfigjson / dockercfg Secrets to an image's registry (most specific first).
CredentialMatcher DockerCredentialMatcher();

// Makes sure `image` (mk-pause:1) exists in the engine at `socket_path`, importing it from
// `pause_binary` when missing. Cheap after the first success.
std::function<absl::Status()> SandboxImageEnsurer(const std::string& socket_path,
                                                  const std::string& pause_binary,
                                                  const std::string& image);

}  // namespace mk::kubelet
