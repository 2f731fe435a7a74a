// Placeholder until kubelet/docker_client.h (h5) lands: the factory reports Unimplemented so
// mk-kubelet links and fails at start-up with a clear message. The mapping onto the Engine
// API is specified in kubelet/runtime.h (one method per Docker endpoint).

#include "kubelet/docker_runtime.h"

namespace mk::kubelet {

absl::StatusOr<std::unique_ptr<ContainerRuntime>> NewDockerRuntime(const std::string&) {
  return absl::UnimplementedError("DockerRuntime is not wired to the Docker client yet");
}

CredentialMatcher DockerCredentialMatcher() { return nullptr; }

std::function<absl::Status()> SandboxImageEnsurer(const std::string&, const std::string&,
                                                  const std::string&) {
  return nullptr;
}

}  // namespace mk::kubelet
