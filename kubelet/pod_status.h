#pragma once

// PodStatus as the Kubernetes kubelet computes it (generateAPIPodStatus / getPhase), from
// what the runtime reports about the pod's containers plus the pod worker's pending
// decisions (a container waiting in CrashLoopBackOff, ErrImagePull …).
// Pure function; thread-safe.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "api.pb.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

// One container of the spec as the runtime knows it.
struct ContainerView {
  // Instances of this container, newest first (highest attempt first).
  std::vector<ContainerInfo> instances;
  // Set when the next instance is held back (ErrImagePull, ImagePullBackOff,
  // CrashLoopBackOff, CreateContainerConfigError …): shown as the current state.
  absl::optional<api::ContainerStateWaiting> waiting;
};

// The runtime's picture of one pod.
struct PodView {
  absl::optional<ContainerInfo> sandbox;            // the newest sandbox
  std::map<std::string, ContainerView> containers;  // by container name (init and app)
};

struct StatusContext {
  absl::Time now;
  std::string host_ip;
  // Readiness of a running container (the prober's answer); nullptr → always ready.
  std::function<bool(const std::string& container, const std::string& container_id)> ready;
};

// Attempt number of a container from its mk.container.attempt label (0 if absent).
int AttemptOf(const ContainerInfo& info);

// True when every init container has succeeded (or an app container already exists, as
// after a kubelet restart that garbage-collected the init containers).
bool PodInitialized(const api::Pod& pod, const PodView& view);

// The full status; `prev` (the last status written) keeps startTime, transition times and a
// terminal phase.
api::PodStatus ComputePodStatus(const api::Pod& pod, const PodView& view,
                                const api::PodStatus& prev, const StatusContext& ctx);

// The ContainerStateTerminated for an exited instance (reason OOMKilled / Completed / Error).
api::ContainerStateTerminated TerminatedState(const ContainerInfo& info);

// "docker://<id>".
std::string ContainerIdUri(const std::string& id);

}  // namespace mk::kubelet
