#pragma once

// The pod's volumes on the node's disk, under <root-dir>/pods/<uid>/volumes/:
//   emptyDir → empty-dir/<name>/ (mode 0777, shared by the pod's containers, removed with
//              the pod);
//   secret   → secret/<name>/<key> files (mode defaultMode or 0644, rewritten atomically
//              when the Secret changes, always mounted read-only);
//   hostPath → the path itself (DirectoryOrCreate / FileOrCreate create it).
// MountBinds turns a container's volumeMounts into Docker Binds; subPath is resolved inside
// the volume and may not escape it (no absolute paths, no "..", no symlink leading out).
//
// NOTE: Binds name paths on the Docker host, so when the kubelet runs in a container its
// root dir must be mounted at the same path inside as outside.
//
// Stateless functions over the filesystem; concurrent calls for different pods are safe.

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api.pb.h"
#include "kubelet/container_spec.h"

namespace mk::kubelet {

struct VolumeInfo {
  std::string host_path;
  bool read_only = false;  // secret volumes
};
using VolumeMap = std::map<std::string, VolumeInfo>;  // volume name → where it is

std::string PodDir(const std::string& root_dir, const std::string& uid);

// Creates or refreshes every volume of `pod`. A missing (non-optional) Secret fails with
// FailedPrecondition `secret "name" not found`.
absl::StatusOr<VolumeMap> SetUpVolumes(const api::Pod& pod, const std::string& root_dir,
                                       const SecretGetter& secrets);

// Binds ("/host:/ctr[:ro]") for the container's volumeMounts. FailedPrecondition for an
// unknown volume or a bad subPath.
absl::StatusOr<std::vector<std::string>> MountBinds(const api::Container& container,
                                                    const VolumeMap& volumes);

// The host path of `sub_path` inside `volume_dir`, created as a directory when missing.
// Rejects absolute paths, ".." components and anything whose real path leaves the volume.
absl::StatusOr<std::string> ResolveSubPath(const std::string& volume_dir,
                                           const std::string& sub_path);

// Removes <root-dir>/pods/<uid> (emptyDirs, secrets). Never follows symlinks out of it.
absl::Status RemovePodDir(const std::string& root_dir, const std::string& uid);

}  // namespace mk::kubelet
