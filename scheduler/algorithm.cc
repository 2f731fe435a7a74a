#include "scheduler/algorithm.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mk::scheduler {

std::string FitErrorMessage(int num_nodes, const std::map<std::string, int>& histogram) {
  std::vector<std::string> parts;
  for (const auto& [reason, count] : histogram) parts.push_back(absl::StrCat(count, " ", reason));
  std::sort(parts.begin(), parts.end());
  std::string msg = absl::StrCat("0/", num_nodes, " nodes are available:");
  if (!parts.empty()) absl::StrAppend(&msg, " ", absl::StrJoin(parts, ", "));
  return msg + ".";
}

int NumFeasibleNodesToFind(int num_nodes) {
  constexpr int kMin = 100;
  if (num_nodes < kMin) return num_nodes;
  int pct = std::max(5, 50 - num_nodes / 125);
  return std::max(kMin, num_nodes * pct / 100);
}

std::string FormatScores(const ScheduleResult& r) {
  std::vector<std::string> parts;
  for (const auto& [name, v] : r.scores) parts.push_back(absl::StrCat(name, "=", v));
  return absl::StrCat(r.node, ": total ", r.total_score, " (", absl::StrJoin(parts, ", "), "); ",
                      r.feasible, " feasible of ", r.evaluated, " evaluated");
}

Algorithm::Algorithm(Cache* cache, uint64_t seed)
    : cache_(cache), rng_(seed != 0 ? seed : std::random_device{}()) {}

ScheduleResult Algorithm::Schedule(const PodInfo& pod) {
  ScheduleResult r;
  const std::vector<NodeInfo*>& nodes = cache_->Nodes();
  const int n = static_cast<int>(nodes.size());
  if (n == 0) {
    r.message = "no nodes available to schedule pods";
    return r;
  }
  CycleState state = PreFilter(pod, nodes, cache_);
  const std::string& self = pod.key;
  auto extra_for = [&](const NodeInfo& node) {
    return cache_->NominatedExtra(node.name, pod.priority, self);
  };

  std::vector<NodeInfo*> feasible;
  // A nominated node (after preemption) is tried first, as kube-scheduler does.
  const std::string& nominated = pod.pod->status().nominated_node_name();
  if (!nominated.empty()) {
    if (NodeInfo* nn = cache_->FindNode(nominated)) {
      if (RunFilters(state, pod, *nn, extra_for(*nn), nullptr)) feasible.push_back(nn);
    }
  }
  if (feasible.empty()) {
    const int want = NumFeasibleNodesToFind(n);
    size_t start = next_start_ % n;
    int processed = 0;
    for (int i = 0; i < n && static_cast<int>(feasible.size()) < want; ++i) {
      NodeInfo* node = nodes[(start + i) % n];
      ++processed;
      if (RunFilters(state, pod, *node, extra_for(*node), nullptr)) feasible.push_back(node);
    }
    next_start_ = (start + processed) % n;
    r.evaluated = processed;
  } else {
    r.evaluated = 1;
  }
  r.feasible = static_cast<int>(feasible.size());

  if (feasible.empty()) {
    std::map<std::string, int> histogram;
    int rejected_shown = 0;
    for (NodeInfo* node : nodes) {
      Diagnosis d;
      d.want_detail = rejected_shown < kMaxNodeReasons;
      RunFilters(state, pod, *node, extra_for(*node), &d);
      for (const std::string& reason : d.reasons) histogram[reason]++;
      if (d.want_detail) {
        r.node_reasons.push_back(absl::StrCat(node->name, ": ", absl::StrJoin(d.details, "; ")));
        ++rejected_shown;
      }
      if (!d.unresolvable) r.preemption_candidates.push_back(node);
    }
    if (n > rejected_shown) {
      r.node_reasons.push_back(absl::StrCat("and ", n - rejected_shown, " more"));
    }
    r.message = FitErrorMessage(n, histogram);
    return r;
  }

  if (feasible.size() == 1) {
    r.node = feasible[0]->name;
    r.scores = {{"NodeResourcesFit", ScoreLeastAllocated(pod, *feasible[0])}};
    r.total_score = r.scores[0].second;
    return r;
  }

  const size_t m = feasible.size();
  std::vector<int64_t> least(m), balanced(m), node_aff(m), taint(m), pod_aff(m);
  bool any_node_aff = false, any_taint = false;
  for (size_t i = 0; i < m; ++i) {
    least[i] = ScoreLeastAllocated(pod, *feasible[i]);
    balanced[i] = ScoreBalancedAllocation(pod, *feasible[i]);
    node_aff[i] = ScoreNodeAffinityRaw(pod, *feasible[i]);
    taint[i] = ScoreTaintRaw(pod, *feasible[i]);
    pod_aff[i] = state.has_preferred ? ScorePodAffinityRaw(state, *feasible[i]) : 0;
    any_node_aff |= node_aff[i] != 0;
    any_taint |= taint[i] != 0;
  }
  if (any_node_aff) NormalizeMax(&node_aff, false);
  NormalizeMax(&taint, true);
  if (state.has_preferred) NormalizeMinMax(&pod_aff);

  int64_t best = std::numeric_limits<int64_t>::min();
  size_t best_i = 0;
  int ties = 0;
  for (size_t i = 0; i < m; ++i) {
    int64_t total = least[i] * kWeightLeastAllocated + balanced[i] * kWeightBalanced +
                    node_aff[i] * kWeightNodeAffinity + pod_aff[i] * kWeightPodAffinity +
                    taint[i] * kWeightTaint;
    if (total > best) {
      best = total;
      best_i = i;
      ties = 1;
    } else if (total == best) {
      // Reservoir sampling: each of the tied nodes wins with equal probability.
      ++ties;
      if (std::uniform_int_distribution<int>(0, ties - 1)(rng_) == 0) best_i = i;
    }
  }
  r.node = feasible[best_i]->name;
  r.total_score = best;
  r.scores = {{"NodeResourcesFit", least[best_i]},
              {"NodeResourcesBalancedAllocation", balanced[best_i]},
              {"NodeAffinity", node_aff[best_i]},
              {"InterPodAffinity", pod_aff[best_i]},
              {"TaintToleration", taint[best_i]}};
  return r;
}

bool Algorithm::FitsWithout(const PodInfo& pod, NodeInfo* node, const std::vector<NodeInfo*>& all) {
  CycleState state;
  bool needs_state = !pod.required_affinity.empty() || !pod.required_anti_affinity.empty();
  for (NodeInfo* n : all) {
    if (needs_state) break;
    if (n->anti_affinity_pods > 0) needs_state = true;
  }
  if (needs_state) {
    std::vector<NodeInfo*> swapped = all;
    for (NodeInfo*& n : swapped) {
      if (n->name == node->name) n = node;
    }
    state = PreFilter(pod, swapped);
  }
  return RunFilters(state, pod, *node, cache_->NominatedExtra(node->name, pod.priority, pod.key),
                    nullptr);
}

bool Algorithm::Preempt(const PodInfo& pod, const ScheduleResult& failed, PreemptionResult* out) {
  if (pod.pod->spec().preemption_policy() == "Never") return false;
  const std::vector<NodeInfo*>& all = cache_->Nodes();
  struct Candidate {
    NodeInfo* node;
    std::vector<std::shared_ptr<PodInfo>> victims;
    int32_t max_priority;
    int64_t sum_priority;
  };
  std::vector<Candidate> candidates;
  constexpr size_t kMaxCandidates = 100;
  for (NodeInfo* node : failed.preemption_candidates) {
    if (candidates.size() >= kMaxCandidates) break;
    NodeInfo copy = *node;
    std::vector<std::shared_ptr<PodInfo>> lower;
    for (const auto& p : node->pods) {
      if (p->priority < pod.priority) lower.push_back(p);
    }
    if (lower.empty()) continue;
    for (const auto& p : lower) copy.RemovePod(p->key);
    if (!FitsWithout(pod, &copy, all)) continue;
    // Reprieve as many as possible, most important first.
    std::sort(lower.begin(), lower.end(),
              [](const std::shared_ptr<PodInfo>& a, const std::shared_ptr<PodInfo>& b) {
                if (a->priority != b->priority) return a->priority > b->priority;
                return a->key < b->key;
              });
    Candidate c{node, {}, std::numeric_limits<int32_t>::min(), 0};
    for (const auto& p : lower) {
      copy.AddPod(p);
      if (!FitsWithout(pod, &copy, all)) {
        copy.RemovePod(p->key);
        c.victims.push_back(p);
        c.max_priority = std::max(c.max_priority, p->priority);
        c.sum_priority += p->priority;
      }
    }
    if (c.victims.empty()) continue;  // fits already (a race with the cache); just retry
    candidates.push_back(std::move(c));
  }
  if (candidates.empty()) return false;
  auto better = [](const Candidate& a, const Candidate& b) {
    if (a.max_priority != b.max_priority) return a.max_priority < b.max_priority;
    if (a.sum_priority != b.sum_priority) return a.sum_priority < b.sum_priority;
    if (a.victims.size() != b.victims.size()) return a.victims.size() < b.victims.size();
    return a.node->name < b.node->name;
  };
  const Candidate* best = &candidates[0];
  for (const Candidate& c : candidates) {
    if (better(c, *best)) best = &c;
  }
  out->node = best->node->name;
  out->victims = best->victims;
  return true;
}

}  // namespace mk::scheduler
