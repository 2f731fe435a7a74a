#pragma once

// Filter and score plugins, as kube-scheduler's default profile has them.
//
// Filters run in kube-scheduler's order and stop at the first plugin that rejects a node.
// Each returns true if the node passes; when it does not and `d` is non-null, it adds
// Kubernetes' summary reason(s) ("Insufficient memory") and, if d->want_detail, a detail for
// `mkctl describe` ("Insufficient memory: requested 300Mi, free 120Mi").
//
// Scores are 0–100 after normalisation; the weights are kube-scheduler's defaults.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api.pb.h"
#include "scheduler/types.h"

namespace mk::scheduler {

// Kubernetes' reason strings.
extern const char kReasonNodeName[];
extern const char kReasonUnschedulable[];
extern const char kReasonNotReady[];
extern const char kReasonNodeAffinity[];
extern const char kReasonHostPorts[];
extern const char kReasonTooManyPods[];
extern const char kReasonPodAffinity[];
extern const char kReasonPodAntiAffinity[];
extern const char kReasonExistingAntiAffinity[];

struct Diagnosis {
  std::vector<std::string> reasons;
  std::vector<std::string> details;
  bool want_detail = false;
  // Some reason cannot be fixed by evicting pods (preemption skips the node).
  bool unresolvable = false;
  void Add(const std::string& reason, std::string detail, bool unresolvable_reason);
};

// Per-pod state computed once per scheduling attempt (kube-scheduler's PreFilter/PreScore).
struct CycleState {
  // Per required (anti-)affinity term of the pod: topology value → matching pods there.
  std::vector<absl::flat_hash_map<std::string, int>> affinity_counts;
  std::vector<absl::flat_hash_map<std::string, int>> anti_affinity_counts;
  int affinity_matches_total = 0;
  bool pod_matches_own_affinity = false;
  // "key\x1fvalue" → existing pods there whose required anti-affinity selects this pod.
  absl::flat_hash_map<std::string, int> existing_anti;
  // "key\x1fvalue" → preferred (anti-)affinity score of the domain.
  absl::flat_hash_map<std::string, int64_t> preferred_scores;
  bool has_preferred = false;
};

std::string TopologyPair(const std::string& key, const std::string& value);

class Cache;

// Builds the affinity state by looking at the pods on `nodes`. With `cache`, a term whose
// selector has an equality requirement visits only the pods carrying that label (the cache's
// label index; `nodes` must then be the cache's own nodes).
CycleState PreFilter(const PodInfo& pod, const std::vector<NodeInfo*>& nodes,
                     Cache* cache = nullptr);

// --- Matching helpers (shared with tests and preemption).
bool NodeMatchesSelectorTerm(const api::NodeSelectorTerm& term, const api::Node& node);
// nodeSelector and required node affinity.
bool NodeMatchesPodNodeAffinity(const api::Pod& pod, const api::Node& node);
bool TolerationTolerates(const api::Toleration& t, const api::Taint& taint);
bool TaintTolerated(const api::Taint& taint,
                    const google::protobuf::RepeatedPtrField<api::Toleration>& tolerations);

// --- Filters.
bool FilterNodeUnschedulable(const PodInfo& pod, const NodeInfo& node, Diagnosis* d);
bool FilterNodeReady(const PodInfo& pod, const NodeInfo& node, Diagnosis* d);
bool FilterNodeName(const PodInfo& pod, const NodeInfo& node, Diagnosis* d);
bool FilterTaints(const PodInfo& pod, const NodeInfo& node, Diagnosis* d);
bool FilterNodeAffinity(const PodInfo& pod, const NodeInfo& node, Diagnosis* d);
bool FilterHostPorts(const PodInfo& pod, const NodeInfo& node, Diagnosis* d);
// `extra` is added to the node's requests (pods nominated to it with priority >= the pod's).
bool FilterResources(const PodInfo& pod, const NodeInfo& node, const Resources& extra,
                     Diagnosis* d);
bool FilterPodAffinity(const CycleState& s, const PodInfo& pod, const NodeInfo& node, Diagnosis* d);

// All filters in order; stops at the first that fails.
bool RunFilters(const CycleState& s, const PodInfo& pod, const NodeInfo& node,
                const Resources& extra, Diagnosis* d);

// --- Scores (raw; see Normalize*).
int64_t ScoreLeastAllocated(const PodInfo& pod, const NodeInfo& node);      // 0..100
int64_t ScoreBalancedAllocation(const PodInfo& pod, const NodeInfo& node);  // 0..100
int64_t ScoreNodeAffinityRaw(const PodInfo& pod, const NodeInfo& node);     // sum of weights
int64_t ScoreTaintRaw(const PodInfo& pod, const NodeInfo& node);  // untolerated PreferNoSchedule
int64_t ScorePodAffinityRaw(const CycleState& s, const NodeInfo& node);

// Scales so the maximum becomes 100 (all zero stays zero); `reverse`: 100 - that.
void NormalizeMax(std::vector<int64_t>* scores, bool reverse);
// Min-max to 0..100 (all equal: all zero).
void NormalizeMinMax(std::vector<int64_t>* scores);

constexpr int64_t kWeightLeastAllocated = 1;
constexpr int64_t kWeightBalanced = 1;
constexpr int64_t kWeightNodeAffinity = 2;
constexpr int64_t kWeightPodAffinity = 2;
constexpr int64_t kWeightTaint = 3;

}  // namespace mk::scheduler
