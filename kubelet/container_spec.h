#pragma once

// Pod spec → Docker create bodies, as Kubernetes' dockershim maps them:
//  - the sandbox (mk-pause) owns the network namespace (NetworkMode bridge or the configured
//    network), shareable IPC, the pod's hostname, hostPort bindings and exposed ports;
//  - app and init containers join it (NetworkMode/IpcMode "container:<sandbox id>");
//    command → Entrypoint, args → Cmd, with $(VAR) expanded from the container's env;
//  - limits.memory → Memory = MemorySwap (no swap); limits.cpu → CpuPeriod 100000 +
//    CpuQuota; requests.cpu (or limits.cpu when no request) → CpuShares (min 2);
//  - Docker's RestartPolicy is "no": the kubelet restarts containers itself.
// Pure functions; thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api.pb.h"
#include "common/json.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

inline constexpr char kDefaultPauseImage[] = "mk-pause:1";

// Fetches a Secret (NotFound when absent). The kubelet's goes through the ApiClient.
using SecretGetter =
    std::function<absl::StatusOr<api::Secret>(const std::string& ns, const std::string& name)>;

// "mk_<container>_<pod>_<ns>_<uid8>_<attempt>"; the sandbox is the container "POD".
std::string ContainerName(const api::Pod& pod, const std::string& container, int attempt);
std::string SandboxName(const api::Pod& pod, int attempt);
// The labels identifying the pod (node, uid, name, namespace, grace period).
Labels PodLabels(const api::Pod& pod, const std::string& node);
// A stable hash of the container's spec (changes when e.g. the image changes).
std::string SpecHash(const api::Container& container);
// The pod's hostname: spec.hostname, else the pod name, cut to 63 characters.
std::string PodHostname(const api::Pod& pod);

struct SandboxOptions {
  std::string node;
  std::string network;  // "" → "bridge"
  std::string pause_image = kDefaultPauseImage;
  int attempt = 0;
};
Json SandboxBody(const api::Pod& pod, const SandboxOptions& opts);

struct ContainerOptions {
  std::string node;
  std::string sandbox_id;
  int attempt = 0;
  bool init = false;
  std::vector<std::string> env;    // "K=V", already resolved (BuildEnv)
  std::vector<std::string> binds;  // "/host:/ctr[:ro]" (volumes.h MountBinds)
};
// Fails (InvalidArgument) only on a malformed resource quantity.
absl::StatusOr<Json> ContainerBody(const api::Pod& pod, const api::Container& container,
                                   const ContainerOptions& opts);

// Resolves env, in order: value (with $(VAR) expansion from earlier entries), secretKeyRef
// (via `secrets`), fieldRef (metadata.name/namespace/uid/labels['k']/annotations['k'],
// spec.nodeName, spec.serviceAccountName, status.podIP, status.hostIP). A missing secret or
// key fails with FailedPrecondition and Kubernetes' message (`secret "s" not found`,
// `couldn't find key k in Secret ns/s`) → the container waits in CreateContainerConfigError.
absl::StatusOr<std::vector<std::string>> BuildEnv(const api::Pod& pod,
                                                  const api::Container& container,
                                                  const SecretGetter& secrets,
                                                  const std::string& pod_ip,
                                                  const std::string& host_ip);

// Kubernetes' $(VAR) expansion: $(NAME) → env value if defined (else left as is); $$ → $.
std::string ExpandVars(const std::string& in, const std::map<std::string, std::string>& env);

// Quantities: "500m" / "1.5" cpu → millicores; "300Mi" / "1G" / "1e3" → bytes (rounded up).
absl::StatusOr<int64_t> ParseCpuMilli(const std::string& q);
absl::StatusOr<int64_t> ParseBytes(const std::string& q);

// A secret's value for `key` from data or stringData; false if absent.
bool SecretValue(const api::Secret& secret, const std::string& key, std::string* value);

}  // namespace mk::kubelet
