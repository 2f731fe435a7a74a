#pragma once

// One scheduling decision over the cache, as kube-scheduler's schedulePod: filter the nodes
// (stopping once enough feasible nodes are found on big clusters, starting where the last
// decision stopped), score the feasible ones, pick the best at random among ties. When no
// node fits, every node is diagnosed for the FailedScheduling summary and per-node reasons,
// and preemption looks for the cheapest set of lower-priority victims on one node.
//
// Not thread-safe; the caller holds the cache's lock.

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/cache.h"
#include "scheduler/plugins.h"
#include "scheduler/types.h"

namespace mk::scheduler {

struct ScheduleResult {
  std::string node;  // "" when nothing fits
  int evaluated = 0;
  int feasible = 0;
  // Success: the winner's score breakdown ("NodeResourcesFit" → normalised score) and total.
  std::vector<std::pair<std::string, int64_t>> scores;
  int64_t total_score = 0;
  // Failure: Kubernetes' FailedScheduling message and per-node lines for describe.
  std::string message;
  std::vector<std::string> node_reasons;         // "node-2: Insufficient memory: requested ..."
  std::vector<NodeInfo*> preemption_candidates;  // nodes whose reasons are all resolvable
};

// Kubernetes' summary: "0/3 nodes are available: 1 node(s) didn't match Pod's node
// affinity/selector, 2 Insufficient memory." (reasons "<count> <reason>" sorted as strings).
std::string FitErrorMessage(int num_nodes, const std::map<std::string, int>& histogram);

// kube-scheduler's adaptive percentageOfNodesToScore: all nodes below 100, else
// max(100, n * max(5, 50 - n/125) / 100).
int NumFeasibleNodesToFind(int num_nodes);

// The score breakdown as one line for the scores annotation.
std::string FormatScores(const ScheduleResult& r);

struct PreemptionResult {
  std::string node;
  std::vector<std::shared_ptr<PodInfo>> victims;
};

class Algorithm {
 public:
  explicit Algorithm(Cache* cache, uint64_t seed = 0);

  ScheduleResult Schedule(const PodInfo& pod);
  // After Schedule failed: the node and the fewest lower-priority victims that make `pod`
  // fit, if any.
  bool Preempt(const PodInfo& pod, const ScheduleResult& failed, PreemptionResult* out);

  // Cap on the per-node reason lines kept for describe.
  static constexpr int kMaxNodeReasons = 20;

 private:
  bool FitsWithout(const PodInfo& pod, NodeInfo* node, const std::vector<NodeInfo*>& all);

  Cache* const cache_;
  std::mt19937_64 rng_;
  size_t next_start_ = 0;
};

}  // namespace mk::scheduler
