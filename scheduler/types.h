#pragma once

// The scheduler's view of pods and nodes: requests, host ports and affinity terms parsed once
// per pod (PodInfo), and per-node sums of what the pods bound or assumed there request
// (NodeInfo). Filters and scores read only these.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/types/optional.h"
#include "api.pb.h"
#include "common/selectors.h"

namespace mk::scheduler {

// CPU in millicores, memory in bytes, pods as a count.
struct Resources {
  int64_t milli_cpu = 0;
  int64_t memory = 0;
  int64_t pods = 0;
};

// What kube-scheduler assumes for a container without requests when scoring (not when
// filtering): 100m CPU and 200 MB memory.
constexpr int64_t kDefaultMilliCpuRequest = 100;
constexpr int64_t kDefaultMemoryRequest = 200 * 1024 * 1024;

struct HostPort {
  std::string ip;  // "" or "0.0.0.0" = every address
  std::string protocol;
  int32_t port = 0;
};

struct AffinityTerm {
  LabelSelector selector;
  std::vector<std::string> namespaces;  // empty with all_namespaces=false: never matches
  bool all_namespaces = false;          // an empty namespaceSelector ({})
  // A non-empty namespaceSelector: also the namespaces whose labels it matches.
  absl::optional<LabelSelector> namespace_selector;
  std::string topology_key;
  int32_t weight = 0;  // preferred terms only
};

struct PodInfo {
  std::shared_ptr<const api::Pod> pod;
  std::string key;  // ns/name
  std::string ns;
  int32_t priority = 0;
  Resources requests;          // exact, for filtering
  Resources nonzero_requests;  // with kube-scheduler's defaults, for scoring
  std::vector<HostPort> host_ports;
  std::vector<AffinityTerm> required_affinity, required_anti_affinity;
  std::vector<AffinityTerm> preferred_affinity, preferred_anti_affinity;
  bool terminating = false;
  bool assumed = false;  // placed by this scheduler, binding not yet seen in a watch
};

// Builds a PodInfo (requests = sum of containers, at least the largest init container).
std::shared_ptr<PodInfo> NewPodInfo(std::shared_ptr<const api::Pod> pod);

// True if `term` selects `candidate` (namespace and labels).
// `namespace_labels` gives a namespace's labels (nullptr if unknown) for namespaceSelector;
// without it a namespaceSelector term matches no namespace beyond its `namespaces` list.
using NamespaceLabelsFn =
    std::function<const google::protobuf::Map<std::string, std::string>*(const std::string&)>;
bool TermMatches(const AffinityTerm& term, const api::Pod& candidate,
                 const NamespaceLabelsFn& namespace_labels = nullptr);

struct NodeInfo {
  std::shared_ptr<const api::Node> node;
  std::string name;
  Resources allocatable;
  Resources requested;          // sum over pods
  Resources nonzero_requested;  // sum over pods, with defaults
  std::vector<std::shared_ptr<PodInfo>> pods;
  std::vector<HostPort> used_ports;
  int anti_affinity_pods = 0;  // pods here with required anti-affinity terms
  bool ready = false;

  void SetNode(std::shared_ptr<const api::Node> n);
  void AddPod(std::shared_ptr<PodInfo> p);
  // False if the pod is not on this node.
  bool RemovePod(const std::string& key);
  const std::string& Label(const std::string& key, bool* present) const;
};

// Parsed allocatable (falls back to capacity; pods default to 110 when absent).
Resources NodeAllocatable(const api::Node& node);
bool NodeIsReady(const api::Node& node);

}  // namespace mk::scheduler
