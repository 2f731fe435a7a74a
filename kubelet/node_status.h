#pragma once

// The kubelet's Node: registration, status and the Lease heartbeat.
//  - Register(): creates the Node (or takes over an existing one of the same name, merging
//    labels) with capacity = allocatable (cpu, memory, pods) from Docker's /info unless the
//    flags override them, addresses (InternalIP, Hostname), nodeInfo, the labels
//    kubernetes.io/hostname|os|arch plus --node-labels, conditions Ready, MemoryPressure,
//    DiskPressure, PIDPressure, and daemonEndpoints.kubeletEndpoint.Port (the log server).
//  - A thread renews the Lease kube-node-lease/<node> every lease_period and rewrites the
//    Node status when it differs from the stored one (e.g. the node lifecycle controller set
//    Ready=Unknown, or a pressure condition changed) or status_period has passed
//    (lastHeartbeatTime). Pressure conditions come from --eviction-hard (node_pressure.h).
//
// Thread-safe. Start() after Register(); Shutdown() joins the thread.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "common/json.h"
#include "kubelet/node_pressure.h"

namespace mk::kubelet {

inline constexpr char kKubeletVersion[] = "v1.28.0-mk";

struct NodeOptions {
  std::string node_name;
  std::string node_ip;
  std::string hostname;
  std::map<std::string, std::string> labels;  // --node-labels
  std::string cpu;                            // "" → Docker's NCPU
  std::string memory;                         // "" → Docker's MemTotal
  int max_pods = 110;
  int kubelet_port = 0;
  int64_t ephemeral_storage_bytes = 0;  // 0: not reported
  std::string machine_id, system_uuid, boot_id;
  absl::Duration lease_period = absl::Seconds(10);
  int lease_duration_seconds = 40;
  absl::Duration status_period = absl::Minutes(1);
  EvictionThresholds eviction;                  // --eviction-hard
  std::function<NodeSignals()> sample_signals;  // unset: no pressure is ever reported
};

// "k=v,k2=v2" → map; InvalidArgument on a malformed entry.
absl::StatusOr<std::map<std::string, std::string>> ParseNodeLabels(const std::string& s);

// Fills ephemeral storage (the file system of `root_dir`), machine/boot ids from this host.
void FillHostInfo(const std::string& root_dir, NodeOptions* opts);

// Docker's Architecture ("x86_64", "aarch64") → GOARCH ("amd64", "arm64").
std::string GoArch(const std::string& docker_arch);

// The Node object this kubelet publishes, from Docker's /info JSON and the options. `now`
// stamps the conditions (heartbeat and transition); `pressure` sets the three pressure
// conditions.
absl::StatusOr<api::Node> BuildNode(const NodeOptions& opts, const Json& docker_info,
                                    absl::Time now, const PressureState& pressure = {});

class NodeStatusManager {
 public:
  NodeStatusManager(NodeOptions opts, ApiClient* api, Clock* clock, Json docker_info);
  NodeStatusManager(const NodeStatusManager&) = delete;
  NodeStatusManager& operator=(const NodeStatusManager&) = delete;
  ~NodeStatusManager();

  // Creates or updates the Node and its Lease. Retries are the caller's.
  absl::Status Register();
  void Start();
  void Shutdown();

  // One heartbeat: renew the lease; rewrite the status if due or changed.
  absl::Status RenewLease();
  absl::Status UpdateStatus(bool force);

 private:
  void Loop();

  const NodeOptions opts_;
  ApiClient* const api_;
  Clock* const clock_;
  const Json docker_info_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_status_ = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace mk::kubelet
