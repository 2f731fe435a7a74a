#pragma once

// Node pressure: the kubelet's eviction signals (memory.available, nodefs.available,
// pid.available) measured on this host, compared against --eviction-hard thresholds (the
// Kubernetes flag and its defaults), giving the MemoryPressure, DiskPressure and PIDPressure
// conditions of the Node. mk reports pressure; it does not evict pods.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/optional.h"

namespace mk::kubelet {

// Kubernetes' Linux default: memory.available<100Mi,nodefs.available<10%,... (pid.available
// has no default).
inline constexpr char kDefaultEvictionHard[] = "memory.available<100Mi,nodefs.available<10%";

// A threshold is a quantity ("100Mi", or a plain count for pid.available) or a percentage of
// the signal's capacity ("10%").
struct Threshold {
  int64_t value = 0;
  double percent = -1;  // >= 0 when given as "N%"
  bool Crossed(int64_t available, int64_t capacity) const;
};

struct EvictionThresholds {
  absl::optional<Threshold> memory_available;
  absl::optional<Threshold> nodefs_available;
  absl::optional<Threshold> pid_available;
};

// "memory.available<100Mi,nodefs.available<10%,pid.available<1000"; unknown signals and
// operators other than "<" are errors naming the entry (as the kubelet refuses to start).
absl::StatusOr<EvictionThresholds> ParseEvictionHard(const std::string& s);

// What the host has now; -1 where a signal could not be read.
struct NodeSignals {
  int64_t memory_available_bytes = -1;
  int64_t memory_capacity_bytes = -1;
  int64_t nodefs_available_bytes = -1;
  int64_t nodefs_capacity_bytes = -1;
  int64_t pid_available = -1;
  int64_t pid_capacity = -1;
};

// /proc/meminfo (MemAvailable, MemTotal), statvfs(root_dir), /proc/sys/kernel/pid_max minus
// the processes in /proc.
NodeSignals SampleNodeSignals(const std::string& root_dir);

struct PressureState {
  bool memory = false;
  bool disk = false;
  bool pid = false;
};
PressureState EvaluatePressure(const EvictionThresholds& t, const NodeSignals& s);

}  // namespace mk::kubelet
