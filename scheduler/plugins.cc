#include "scheduler/plugins.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/quantity.h"
#include "scheduler/cache.h"

namespace mk::scheduler {

const char kReasonNodeName[] = "node(s) didn't match the requested node name";
const char kReasonUnschedulable[] = "node(s) were unschedulable";
const char kReasonNotReady[] = "node(s) were not ready";
const char kReasonNodeAffinity[] = "node(s) didn't match Pod's node affinity/selector";
const char kReasonHostPorts[] = "node(s) didn't have free ports for the requested pod ports";
const char kReasonTooManyPods[] = "Too many pods";
const char kReasonPodAffinity[] = "node(s) didn't match pod affinity rules";
const char kReasonPodAntiAffinity[] = "node(s) didn't match pod anti-affinity rules";
const char kReasonExistingAntiAffinity[] =
    "node(s) didn't satisfy existing pods anti-affinity rules";

void Diagnosis::Add(const std::string& reason, std::string detail, bool unresolvable_reason) {
  reasons.push_back(reason);
  if (want_detail) details.push_back(detail.empty() ? reason : std::move(detail));
  if (unresolvable_reason) unresolvable = true;
}

std::string TopologyPair(const std::string& key, const std::string& value) {
  return absl::StrCat(key, "\x1f", value);
}

CycleState PreFilter(const PodInfo& pod, const std::vector<NodeInfo*>& nodes, Cache* cache) {
  CycleState s;
  NamespaceLabelsFn ns_labels;
  if (cache != nullptr) {
    ns_labels = [cache](const std::string& ns) { return cache->NamespaceLabels(ns); };
  }
  s.has_preferred = !pod.preferred_affinity.empty() || !pod.preferred_anti_affinity.empty();
  s.affinity_counts.resize(pod.required_affinity.size());
  s.anti_affinity_counts.resize(pod.required_anti_affinity.size());
  if (!pod.required_affinity.empty()) {
    s.pod_matches_own_affinity = true;
    for (const AffinityTerm& t : pod.required_affinity) {
      if (!TermMatches(t, *pod.pod, ns_labels)) s.pod_matches_own_affinity = false;
    }
  }
  bool present = false;
  // Existing pods whose required anti-affinity selects this pod.
  for (NodeInfo* n : nodes) {
    if (n->anti_affinity_pods == 0) continue;
    for (const auto& other : n->pods) {
      if (other->key == pod.key) continue;
      for (const AffinityTerm& t : other->required_anti_affinity) {
        if (!TermMatches(t, *pod.pod, ns_labels)) continue;
        const std::string& v = n->Label(t.topology_key, &present);
        if (present) s.existing_anti[TopologyPair(t.topology_key, v)]++;
      }
    }
  }
  // Calls fn(node) for every other pod matching `t`.
  auto visit = [&](const AffinityTerm& t, const auto& fn) {
    const LabelSelector::Requirement* eq = nullptr;
    for (const auto& r : t.selector.requirements()) {
      if ((r.op == "=" || r.op == "==") && r.values.size() == 1) {
        eq = &r;
        break;
      }
    }
    if (cache != nullptr && eq != nullptr) {
      const auto* bucket = cache->PodsWithLabel(eq->key, eq->values[0]);
      if (bucket == nullptr) return;
      for (const auto& [key, entry] : *bucket) {
        if (key == pod.key || !TermMatches(t, *entry.pod->pod, ns_labels)) continue;
        if (NodeInfo* n = cache->FindNode(entry.node)) fn(n);
      }
      return;
    }
    for (NodeInfo* n : nodes) {
      for (const auto& other : n->pods) {
        if (other->key != pod.key && TermMatches(t, *other->pod, ns_labels)) fn(n);
      }
    }
  };
  for (size_t i = 0; i < pod.required_affinity.size(); ++i) {
    const AffinityTerm& t = pod.required_affinity[i];
    visit(t, [&](NodeInfo* n) {
      const std::string& v = n->Label(t.topology_key, &present);
      if (!present) return;
      s.affinity_counts[i][v]++;
      s.affinity_matches_total++;
    });
  }
  for (size_t i = 0; i < pod.required_anti_affinity.size(); ++i) {
    const AffinityTerm& t = pod.required_anti_affinity[i];
    visit(t, [&](NodeInfo* n) {
      const std::string& v = n->Label(t.topology_key, &present);
      if (present) s.anti_affinity_counts[i][v]++;
    });
  }
  for (const AffinityTerm& t : pod.preferred_affinity) {
    visit(t, [&](NodeInfo* n) {
      const std::string& v = n->Label(t.topology_key, &present);
      if (present) s.preferred_scores[TopologyPair(t.topology_key, v)] += t.weight;
    });
  }
  for (const AffinityTerm& t : pod.preferred_anti_affinity) {
    visit(t, [&](NodeInfo* n) {
      const std::string& v = n->Label(t.topology_key, &present);
      if (present) s.preferred_scores[TopologyPair(t.topology_key, v)] -= t.weight;
    });
  }
  return s;
}

namespace {

bool RequirementMatches(const api::NodeSelectorRequirement& r, bool present,
                        const std::string& value) {
  const std::string& op = r.operator_();
  auto in_values = [&] {
    return std::find(r.values().begin(), r.values().end(), value) != r.values().end();
  };
  if (op == "In") return present && in_values();
  if (op == "NotIn") return !present || !in_values();
  if (op == "Exists") return present;
  if (op == "DoesNotExist") return !present;
  if (op == "Gt" || op == "Lt") {
    if (!present || r.values_size() != 1) return false;
    int64_t have = 0, want = 0;
    if (!absl::SimpleAtoi(value, &have) || !absl::SimpleAtoi(r.values(0), &want)) return false;
    return op == "Gt" ? have > want : have < want;
  }
  return false;
}

}  // namespace

bool NodeMatchesSelectorTerm(const api::NodeSelectorTerm& term, const api::Node& node) {
  if (term.match_expressions_size() == 0 && term.match_fields_size() == 0) return false;
  const auto& labels = node.metadata().labels();
  for (const api::NodeSelectorRequirement& r : term.match_expressions()) {
    auto it = labels.find(r.key());
    bool present = it != labels.end();
    if (!RequirementMatches(r, present, present ? it->second : std::string())) return false;
  }
  for (const api::NodeSelectorRequirement& r : term.match_fields()) {
    if (r.key() != "metadata.name") return false;
    if (!RequirementMatches(r, true, node.metadata().name())) return false;
  }
  return true;
}

bool NodeMatchesPodNodeAffinity(const api::Pod& pod, const api::Node& node) {
  const auto& labels = node.metadata().labels();
  for (const auto& [k, v] : pod.spec().node_selector()) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  if (!pod.spec().has_affinity() || !pod.spec().affinity().has_node_affinity()) return true;
  const api::NodeAffinity& na = pod.spec().affinity().node_affinity();
  if (!na.has_required_during_scheduling_ignored_during_execution()) return true;
  for (const api::NodeSelectorTerm& t :
       na.required_during_scheduling_ignored_during_execution().node_selector_terms()) {
    if (NodeMatchesSelectorTerm(t, node)) return true;
  }
  return false;
}

bool TolerationTolerates(const api::Toleration& t, const api::Taint& taint) {
  if (!t.effect().empty() && t.effect() != taint.effect()) return false;
  if (t.key().empty()) return t.operator_() == "Exists";  // empty key + Exists: everything
  if (t.key() != taint.key()) return false;
  if (t.operator_() == "Exists") return true;
  return t.value() == taint.value();  // "Equal" or ""
}

bool TaintTolerated(const api::Taint& taint,
                    const google::protobuf::RepeatedPtrField<api::Toleration>& tolerations) {
  for (const api::Toleration& t : tolerations) {
    if (TolerationTolerates(t, taint)) return true;
  }
  return false;
}

namespace {

bool Tolerates(const api::Pod& pod, const std::string& key, const std::string& effect) {
  api::Taint taint;
  taint.set_key(key);
  taint.set_effect(effect);
  return TaintTolerated(taint, pod.spec().tolerations());
}

}  // namespace

bool FilterNodeUnschedulable(const PodInfo& pod, const NodeInfo& node, Diagnosis* d) {
  if (!node.node->spec().unschedulable()) return true;
  if (Tolerates(*pod.pod, "node.kubernetes.io/unschedulable", "NoSchedule")) return true;
  if (d) d->Add(kReasonUnschedulable, "node is cordoned (spec.unschedulable)", true);
  return false;
}

bool FilterNodeReady(const PodInfo& pod, const NodeInfo& node, Diagnosis* d) {
  if (node.ready) return true;
  if (Tolerates(*pod.pod, "node.kubernetes.io/not-ready", "NoSchedule")) return true;
  if (d) d->Add(kReasonNotReady, "node is not Ready", true);
  return false;
}

bool FilterNodeName(const PodInfo& pod, const NodeInfo& node, Diagnosis* d) {
  const std::string& want = pod.pod->spec().node_name();
  if (want.empty() || want == node.name) return true;
  if (d) d->Add(kReasonNodeName, absl::StrCat("pod asks for node \"", want, "\""), true);
  return false;
}

bool FilterTaints(const PodInfo& pod, const NodeInfo& node, Diagnosis* d) {
  for (const api::Taint& taint : node.node->spec().taints()) {
    if (taint.effect() != "NoSchedule" && taint.effect() != "NoExecute") continue;
    if (TaintTolerated(taint, pod.pod->spec().tolerations())) continue;
    if (d) {
      std::string r =
          absl::StrCat("node(s) had untolerated taint {", taint.key(), ": ", taint.value(), "}");
      d->Add(r,
             absl::StrCat("untolerated taint ", taint.key(), taint.value().empty() ? "" : "=",
                          taint.value(), ":", taint.effect()),
             true);
    }
    return false;
  }
  return true;
}

bool FilterNodeAffinity(const PodInfo& pod, const NodeInfo& node, Diagnosis* d) {
  if (NodeMatchesPodNodeAffinity(*pod.pod, *node.node)) return true;
  if (d) {
    std::string detail = "node labels do not match";
    if (d->want_detail) {
      for (const auto& [k, v] : pod.pod->spec().node_selector()) {
        bool present = false;
        const std::string& have = node.Label(k, &present);
        if (!present || have != v) {
          detail = absl::StrCat("nodeSelector ", k, "=", v, " (node has ",
                                present ? absl::StrCat(k, "=", have) : "no " + k, ")");
          break;
        }
      }
      if (detail == "node labels do not match") detail = "required node affinity not matched";
    }
    d->Add(kReasonNodeAffinity, detail, true);
  }
  return false;
}

bool FilterHostPorts(const PodInfo& pod, const NodeInfo& node, Diagnosis* d) {
  for (const HostPort& want : pod.host_ports) {
    for (const HostPort& used : node.used_ports) {
      if (used.port != want.port || used.protocol != want.protocol) continue;
      bool any_want = want.ip.empty() || want.ip == "0.0.0.0";
      bool any_used = used.ip.empty() || used.ip == "0.0.0.0";
      if (any_want || any_used || want.ip == used.ip) {
        if (d) {
          d->Add(kReasonHostPorts,
                 absl::StrCat("host port ", want.port, "/", want.protocol, " in use"), false);
        }
        return false;
      }
    }
  }
  return true;
}

bool FilterResources(const PodInfo& pod, const NodeInfo& node, const Resources& extra,
                     Diagnosis* d) {
  const Resources& a = node.allocatable;
  const Resources& r = pod.requests;
  bool ok = true;
  int64_t pods_used = node.requested.pods + extra.pods;
  if (pods_used + 1 > a.pods) {
    ok = false;
    if (!d) return false;
    d->Add(kReasonTooManyPods, absl::StrCat("Too many pods: ", pods_used, " of ", a.pods), false);
  }
  int64_t free_cpu = a.milli_cpu - node.requested.milli_cpu - extra.milli_cpu;
  if (r.milli_cpu > 0 && r.milli_cpu > free_cpu) {
    ok = false;
    if (!d) return false;
    d->Add("Insufficient cpu",
           d->want_detail
               ? absl::StrCat("Insufficient cpu: requested ", FormatCpuMilli(r.milli_cpu),
                              ", free ", FormatCpuMilli(std::max<int64_t>(0, free_cpu)))
               : "",
           false);
  }
  int64_t free_mem = a.memory - node.requested.memory - extra.memory;
  if (r.memory > 0 && r.memory > free_mem) {
    ok = false;
    if (!d) return false;
    d->Add("Insufficient memory",
           d->want_detail
               ? absl::StrCat("Insufficient memory: requested ", FormatMemoryBytes(r.memory),
                              ", free ", FormatMemoryBytes(std::max<int64_t>(0, free_mem)))
               : "",
           false);
  }
  return ok;
}

bool FilterPodAffinity(const CycleState& s, const PodInfo& pod, const NodeInfo& node,
                       Diagnosis* d) {
  bool present = false;
  // kube-scheduler's order: affinity, anti-affinity, existing pods' anti-affinity.
  if (!pod.required_affinity.empty()) {
    bool all = true;
    for (size_t i = 0; i < pod.required_affinity.size() && all; ++i) {
      const AffinityTerm& t = pod.required_affinity[i];
      const std::string& v = node.Label(t.topology_key, &present);
      if (!present) {
        all = false;
        break;
      }
      auto it = s.affinity_counts[i].find(v);
      if (it == s.affinity_counts[i].end() || it->second == 0) all = false;
    }
    // The first pod of a group that selects itself may go anywhere.
    if (!all && !(s.affinity_matches_total == 0 && s.pod_matches_own_affinity)) {
      if (d) d->Add(kReasonPodAffinity, "no matching pod in this node's topology domain", true);
      return false;
    }
  }
  for (size_t i = 0; i < pod.required_anti_affinity.size(); ++i) {
    const AffinityTerm& t = pod.required_anti_affinity[i];
    const std::string& v = node.Label(t.topology_key, &present);
    if (!present) continue;
    auto it = s.anti_affinity_counts[i].find(v);
    if (it != s.anti_affinity_counts[i].end() && it->second > 0) {
      if (d) {
        d->Add(kReasonPodAntiAffinity,
               absl::StrCat("anti-affinity: ", it->second, " matching pod(s) in ", t.topology_key,
                            "=", v),
               false);
      }
      return false;
    }
  }
  if (!s.existing_anti.empty()) {
    for (const auto& [k, v] : node.node->metadata().labels()) {
      auto it = s.existing_anti.find(TopologyPair(k, v));
      if (it != s.existing_anti.end() && it->second > 0) {
        if (d) {
          d->Add(kReasonExistingAntiAffinity,
                 absl::StrCat("a pod in ", k, "=", v, " has anti-affinity against this pod"),
                 false);
        }
        return false;
      }
    }
  }
  return true;
}

bool RunFilters(const CycleState& s, const PodInfo& pod, const NodeInfo& node,
                const Resources& extra, Diagnosis* d) {
  return FilterNodeUnschedulable(pod, node, d) && FilterNodeReady(pod, node, d) &&
         FilterNodeName(pod, node, d) && FilterTaints(pod, node, d) &&
         FilterNodeAffinity(pod, node, d) && FilterHostPorts(pod, node, d) &&
         FilterResources(pod, node, extra, d) && FilterPodAffinity(s, pod, node, d);
}

namespace {

// Fraction in [0,1] of `alloc` that `used` takes.
double Fraction(int64_t used, int64_t alloc) {
  if (alloc <= 0) return 1.0;
  return std::min(1.0, static_cast<double>(used) / static_cast<double>(alloc));
}

}  // namespace

int64_t ScoreLeastAllocated(const PodInfo& pod, const NodeInfo& node) {
  auto least = [](int64_t requested, int64_t alloc) -> int64_t {
    if (alloc <= 0 || requested > alloc) return 0;
    return (alloc - requested) * 100 / alloc;
  };
  int64_t cpu = least(node.nonzero_requested.milli_cpu + pod.nonzero_requests.milli_cpu,
                      node.allocatable.milli_cpu);
  int64_t mem =
      least(node.nonzero_requested.memory + pod.nonzero_requests.memory, node.allocatable.memory);
  return (cpu + mem) / 2;
}

int64_t ScoreBalancedAllocation(const PodInfo& pod, const NodeInfo& node) {
  double cpu = Fraction(node.nonzero_requested.milli_cpu + pod.nonzero_requests.milli_cpu,
                        node.allocatable.milli_cpu);
  double mem = Fraction(node.nonzero_requested.memory + pod.nonzero_requests.memory,
                        node.allocatable.memory);
  double std = std::abs(cpu - mem) / 2;
  return static_cast<int64_t>((1 - std) * 100);
}

int64_t ScoreNodeAffinityRaw(const PodInfo& pod, const NodeInfo& node) {
  const api::Pod& p = *pod.pod;
  if (!p.spec().has_affinity() || !p.spec().affinity().has_node_affinity()) return 0;
  int64_t sum = 0;
  for (const api::PreferredSchedulingTerm& t :
       p.spec().affinity().node_affinity().preferred_during_scheduling_ignored_during_execution()) {
    if (t.weight() != 0 && NodeMatchesSelectorTerm(t.preference(), *node.node)) sum += t.weight();
  }
  return sum;
}

int64_t ScoreTaintRaw(const PodInfo& pod, const NodeInfo& node) {
  int64_t n = 0;
  for (const api::Taint& taint : node.node->spec().taints()) {
    if (taint.effect() != "PreferNoSchedule") continue;
    bool tolerated = false;
    for (const api::Toleration& t : pod.pod->spec().tolerations()) {
      if ((t.effect().empty() || t.effect() == "PreferNoSchedule") &&
          TolerationTolerates(t, taint)) {
        tolerated = true;
        break;
      }
    }
    if (!tolerated) ++n;
  }
  return n;
}

int64_t ScorePodAffinityRaw(const CycleState& s, const NodeInfo& node) {
  if (s.preferred_scores.empty()) return 0;
  int64_t sum = 0;
  for (const auto& [k, v] : node.node->metadata().labels()) {
    auto it = s.preferred_scores.find(TopologyPair(k, v));
    if (it != s.preferred_scores.end()) sum += it->second;
  }
  return sum;
}

void NormalizeMax(std::vector<int64_t>* scores, bool reverse) {
  int64_t max = 0;
  for (int64_t v : *scores) max = std::max(max, v);
  for (int64_t& v : *scores) {
    if (max == 0) {
      v = reverse ? 100 : 0;
    } else {
      v = v * 100 / max;
      if (reverse) v = 100 - v;
    }
  }
}

void NormalizeMinMax(std::vector<int64_t>* scores) {
  if (scores->empty()) return;
  int64_t lo = *std::min_element(scores->begin(), scores->end());
  int64_t hi = *std::max_element(scores->begin(), scores->end());
  for (int64_t& v : *scores) v = hi == lo ? 0 : (v - lo) * 100 / (hi - lo);
}

}  // namespace mk::scheduler
