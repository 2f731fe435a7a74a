#include "scheduler/types.h"

#include <algorithm>
#include <utility>

#include "common/quantity.h"

namespace mk::scheduler {
namespace {

int64_t Cpu(const google::protobuf::Map<std::string, std::string>& m) {
  auto it = m.find("cpu");
  if (it == m.end()) return 0;
  absl::StatusOr<Quantity> q = ParseQuantity(it->second);
  return q.ok() ? q->MilliValue() : 0;
}

int64_t Memory(const google::protobuf::Map<std::string, std::string>& m) {
  auto it = m.find("memory");
  if (it == m.end()) return 0;
  absl::StatusOr<Quantity> q = ParseQuantity(it->second);
  return q.ok() ? q->Value() : 0;
}

void AddTerms(const google::protobuf::RepeatedPtrField<api::PodAffinityTerm>& in,
              const std::string& ns, std::vector<AffinityTerm>* out) {
  for (const api::PodAffinityTerm& t : in) {
    AffinityTerm term;
    absl::StatusOr<LabelSelector> sel = LabelSelector::FromProto(t.label_selector());
    if (!sel.ok()) continue;  // validation refuses these; ignore if one slips through
    term.selector = std::move(*sel);
    term.topology_key = t.topology_key();
    for (const std::string& n : t.namespaces()) term.namespaces.push_back(n);
    // An empty namespaceSelector ({}) selects all namespaces; a non-empty one those whose
    // labels match (resolved at match time, as kube-scheduler).
    if (t.has_namespace_selector()) {
      const api::LabelSelector& ns_sel = t.namespace_selector();
      if (ns_sel.match_labels().empty() && ns_sel.match_expressions().empty()) {
        term.all_namespaces = true;
      } else if (absl::StatusOr<LabelSelector> nss = LabelSelector::FromProto(ns_sel); nss.ok()) {
        term.namespace_selector = std::move(*nss);
      }
    }
    if (term.namespaces.empty() && !term.all_namespaces && !term.namespace_selector) {
      term.namespaces.push_back(ns);
    }
    out->push_back(std::move(term));
  }
}

void AddWeighted(const google::protobuf::RepeatedPtrField<api::WeightedPodAffinityTerm>& in,
                 const std::string& ns, std::vector<AffinityTerm>* out) {
  for (const api::WeightedPodAffinityTerm& w : in) {
    google::protobuf::RepeatedPtrField<api::PodAffinityTerm> one;
    *one.Add() = w.pod_affinity_term();
    size_t before = out->size();
    AddTerms(one, ns, out);
    if (out->size() > before) out->back().weight = w.weight();
  }
}

}  // namespace

std::shared_ptr<PodInfo> NewPodInfo(std::shared_ptr<const api::Pod> pod) {
  auto info = std::make_shared<PodInfo>();
  const api::Pod& p = *pod;
  info->ns = p.metadata().namespace_();
  info->key = info->ns + "/" + p.metadata().name();
  info->priority = p.spec().priority();
  info->terminating = !p.metadata().deletion_timestamp().empty();
  Resources req, nonzero;
  for (const api::Container& c : p.spec().containers()) {
    int64_t cpu = Cpu(c.resources().requests());
    int64_t mem = Memory(c.resources().requests());
    req.milli_cpu += cpu;
    req.memory += mem;
    nonzero.milli_cpu += c.resources().requests().count("cpu") ? cpu : kDefaultMilliCpuRequest;
    nonzero.memory += c.resources().requests().count("memory") ? mem : kDefaultMemoryRequest;
    for (const api::ContainerPort& port : c.ports()) {
      if (port.host_port() <= 0) continue;
      info->host_ports.push_back(
          {port.host_ip(), port.protocol().empty() ? "TCP" : port.protocol(), port.host_port()});
    }
  }
  for (const api::Container& c : p.spec().init_containers()) {
    req.milli_cpu = std::max(req.milli_cpu, Cpu(c.resources().requests()));
    req.memory = std::max(req.memory, Memory(c.resources().requests()));
  }
  req.pods = nonzero.pods = 1;
  info->requests = req;
  info->nonzero_requests = nonzero;
  if (p.spec().has_affinity()) {
    const api::Affinity& a = p.spec().affinity();
    AddTerms(a.pod_affinity().required_during_scheduling_ignored_during_execution(), info->ns,
             &info->required_affinity);
    AddTerms(a.pod_anti_affinity().required_during_scheduling_ignored_during_execution(), info->ns,
             &info->required_anti_affinity);
    AddWeighted(a.pod_affinity().preferred_during_scheduling_ignored_during_execution(), info->ns,
                &info->preferred_affinity);
    AddWeighted(a.pod_anti_affinity().preferred_during_scheduling_ignored_during_execution(),
                info->ns, &info->preferred_anti_affinity);
  }
  info->pod = std::move(pod);
  return info;
}

bool TermMatches(const AffinityTerm& term, const api::Pod& candidate,
                 const NamespaceLabelsFn& namespace_labels) {
  const std::string& ns = candidate.metadata().namespace_();
  bool ns_ok = term.all_namespaces || std::find(term.namespaces.begin(), term.namespaces.end(),
                                                ns) != term.namespaces.end();
  if (!ns_ok && term.namespace_selector && namespace_labels) {
    const auto* labels = namespace_labels(ns);
    ns_ok = labels != nullptr && term.namespace_selector->Matches(*labels);
  }
  return ns_ok && term.selector.Matches(candidate.metadata().labels());
}

Resources NodeAllocatable(const api::Node& node) {
  const auto& alloc = node.status().allocatable();
  const auto& cap = node.status().capacity();
  Resources r;
  r.milli_cpu = alloc.count("cpu") ? Cpu(alloc) : Cpu(cap);
  r.memory = alloc.count("memory") ? Memory(alloc) : Memory(cap);
  const auto* m = alloc.count("pods") ? &alloc : (cap.count("pods") ? &cap : nullptr);
  r.pods = 110;
  if (m != nullptr) {
    absl::StatusOr<Quantity> q = ParseQuantity(m->at("pods"));
    if (q.ok()) r.pods = q->Value();
  }
  return r;
}

bool NodeIsReady(const api::Node& node) {
  for (const api::NodeCondition& c : node.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

void NodeInfo::SetNode(std::shared_ptr<const api::Node> n) {
  node = std::move(n);
  name = node->metadata().name();
  allocatable = NodeAllocatable(*node);
  ready = NodeIsReady(*node);
}

void NodeInfo::AddPod(std::shared_ptr<PodInfo> p) {
  requested.milli_cpu += p->requests.milli_cpu;
  requested.memory += p->requests.memory;
  requested.pods += 1;
  nonzero_requested.milli_cpu += p->nonzero_requests.milli_cpu;
  nonzero_requested.memory += p->nonzero_requests.memory;
  nonzero_requested.pods += 1;
  for (const HostPort& hp : p->host_ports) used_ports.push_back(hp);
  if (!p->required_anti_affinity.empty()) ++anti_affinity_pods;
  pods.push_back(std::move(p));
}

bool NodeInfo::RemovePod(const std::string& key) {
  for (size_t i = 0; i < pods.size(); ++i) {
    if (pods[i]->key != key) continue;
    const PodInfo& p = *pods[i];
    requested.milli_cpu -= p.requests.milli_cpu;
    requested.memory -= p.requests.memory;
    requested.pods -= 1;
    nonzero_requested.milli_cpu -= p.nonzero_requests.milli_cpu;
    nonzero_requested.memory -= p.nonzero_requests.memory;
    nonzero_requested.pods -= 1;
    if (!p.required_anti_affinity.empty()) --anti_affinity_pods;
    for (const HostPort& hp : p.host_ports) {
      for (size_t j = 0; j < used_ports.size(); ++j) {
        if (used_ports[j].port == hp.port && used_ports[j].protocol == hp.protocol &&
            used_ports[j].ip == hp.ip) {
          used_ports.erase(used_ports.begin() + j);
          break;
        }
      }
    }
    pods[i] = std::move(pods.back());
    pods.pop_back();
    return true;
  }
  return false;
}

const std::string& NodeInfo::Label(const std::string& key, bool* present) const {
  static const std::string kEmpty;
  const auto& labels = node->metadata().labels();
  auto it = labels.find(key);
  *present = it != labels.end();
  return *present ? it->second : kEmpty;
}

}  // namespace mk::scheduler
