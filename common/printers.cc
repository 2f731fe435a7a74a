#include "common/printers.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api.pb.h"
#include "common/object.h"

namespace mk {
namespace {

using google::protobuf::Message;

Column C(std::string name, std::string type = "string", int priority = 0,
         std::string description = "") {
  Column c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.format = c.name == "Name" ? "name" : "";
  c.description = std::move(description);
  c.priority = priority;
  return c;
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

template <typename T>
const T* As(const Message& m) {
  return dynamic_cast<const T*>(&m);
}

std::string Age(const api::ObjectMeta& meta, absl::Time now) {
  return AgeSince(meta.creation_timestamp(), now);
}

std::vector<std::string> PodRow(const api::Pod& pod, absl::Time now) {
  PodSummary s = SummarizePod(pod, now);
  std::string ip =
      pod.status().pod_ips_size() > 0 ? pod.status().pod_ips(0).ip() : pod.status().pod_ip();
  return {pod.metadata().name(),
          s.ready,
          s.status,
          s.restarts,
          Age(pod.metadata(), now),
          OrNone(ip),
          OrNone(pod.spec().node_name()),
          OrNone(pod.status().nominated_node_name()),
          "<none>"};
}

std::string NodeAddress(const api::Node& n, const std::string& type) {
  for (const auto& a : n.status().addresses()) {
    if (a.type() == type) return a.address();
  }
  return "<none>";
}

std::string OrUnknown(const std::string& s) { return s.empty() ? "<unknown>" : s; }

std::vector<std::string> NodeRow(const api::Node& n, absl::Time now) {
  const auto& info = n.status().node_info();
  return {n.metadata().name(),
          NodeStatus(n),
          NodeRoles(n),
          Age(n.metadata(), now),
          info.kubelet_version(),
          NodeAddress(n, "InternalIP"),
          NodeAddress(n, "ExternalIP"),
          OrUnknown(info.os_image()),
          OrUnknown(info.kernel_version()),
          OrUnknown(info.container_runtime_version())};
}

std::vector<std::string> ReplicaSetRow(const api::ReplicaSet& rs, absl::Time now) {
  std::vector<std::string> names, images;
  for (const auto& c : rs.spec().template_().spec().containers()) {
    names.push_back(c.name());
    images.push_back(c.image());
  }
  int desired = rs.spec().has_replicas() ? rs.spec().replicas() : 1;
  return {rs.metadata().name(),
          absl::StrCat(desired),
          absl::StrCat(rs.status().replicas()),
          absl::StrCat(rs.status().ready_replicas()),
          Age(rs.metadata(), now),
          absl::StrJoin(names, ","),
          absl::StrJoin(images, ","),
          FormatLabelSelector(rs.spec().selector())};
}

std::string EventSource(const api::Event& e) {
  std::string component = e.source().component();
  if (component.empty()) component = e.reporting_component();
  std::string s = component;
  if (!e.source().host().empty()) absl::StrAppend(&s, ", ", e.source().host());
  return s;
}

std::vector<std::string> EventRow(const api::Event& e, absl::Time now) {
  std::string first = e.first_timestamp().empty() ? AgeSince(e.event_time(), now)
                                                  : AgeSince(e.first_timestamp(), now);
  std::string last = e.last_timestamp().empty() ? first : AgeSince(e.last_timestamp(), now);
  if (e.count() > 1) last = absl::StrCat(last, " (x", e.count(), " over ", first, ")");
  std::string kind = e.involved_object().kind();
  std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
  return {last,
          e.type(),
          e.reason(),
          absl::StrCat(kind, "/", e.involved_object().name()),
          e.involved_object().field_path(),
          EventSource(e),
          e.message(),
          first,
          absl::StrCat(e.count()),
          e.metadata().name()};
}

std::string HpaTargets(const api::HorizontalPodAutoscaler& h) {
  std::vector<std::string> out;
  const auto& spec = h.spec();
  const auto& status = h.status();
  if (spec.metrics_size() == 0 && spec.has_target_cpu_utilization_percentage()) {
    std::string cur = status.has_current_cpu_utilization_percentage()
                          ? absl::StrCat(status.current_cpu_utilization_percentage(), "%")
                          : "<unknown>";
    return absl::StrCat(cur, "/", spec.target_cpu_utilization_percentage(), "%");
  }
  for (int i = 0; i < spec.metrics_size(); ++i) {
    const auto& m = spec.metrics(i);
    if (m.type() != "Resource" && !m.has_resource()) {
      out.push_back("<unknown>/<unknown>");
      continue;
    }
    const auto& r = m.resource();
    const api::MetricValueStatus* cur = nullptr;
    for (const auto& ms : status.current_metrics()) {
      if (ms.has_resource() && ms.resource().name() == r.name()) cur = &ms.resource().current();
    }
    bool util = r.target().has_average_utilization() || r.has_target_average_utilization();
    if (util) {
      int target = r.target().has_average_utilization() ? r.target().average_utilization()
                                                        : r.target_average_utilization();
      std::string c = cur != nullptr && cur->has_average_utilization()
                          ? absl::StrCat(cur->average_utilization(), "%")
                          : "<unknown>";
      out.push_back(absl::StrCat(c, "/", target, "%"));
    } else {
      std::string target = !r.target().average_value().empty() ? r.target().average_value()
                           : !r.target().value().empty()       ? r.target().value()
                                                               : r.target_average_value();
      std::string c =
          cur != nullptr && !cur->average_value().empty() ? cur->average_value() : "<unknown>";
      out.push_back(absl::StrCat(c, "/", target));
    }
  }
  if (out.empty()) return "<none>";
  if (out.size() > 2) {
    return absl::StrCat(out[0], ", ", out[1], " + ", out.size() - 2, " more...");
  }
  return absl::StrJoin(out, ", ");
}

// Go's time.Time zero value prints as "0001-01-01T00:00:00Z"; treat as unset too.
absl::Time Parsed(const std::string& s) {
  if (s.empty() || absl::StartsWith(s, "0001-01-01")) return absl::InfinitePast();
  return ParseTime(s);
}

}  // namespace

std::string FormatAge(absl::Duration d) {
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return absl::StrCat(seconds, "s");
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? absl::StrCat(minutes, "m") : absl::StrCat(minutes, "m", s, "s");
  }
  if (minutes < 60 * 3) return absl::StrCat(minutes, "m");
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? absl::StrCat(hours, "h") : absl::StrCat(hours, "h", m, "m");
  }
  if (hours < 48) return absl::StrCat(hours, "h");
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? absl::StrCat(hours / 24, "d") : absl::StrCat(hours / 24, "d", h, "h");
  }
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? absl::StrCat(hours / 24 / 365, "y")
                   : absl::StrCat(hours / 24 / 365, "y", dy, "d");
  }
  return absl::StrCat(hours / 24 / 365, "y");
}

std::string AgeSince(const std::string& rfc3339, absl::Time now) {
  absl::Time t = Parsed(rfc3339);
  if (t == absl::InfinitePast()) return "<unknown>";
  return FormatAge(now - t);
}

PodSummary SummarizePod(const Message& msg, absl::Time now) {
  PodSummary out;
  const api::Pod* pod = As<api::Pod>(msg);
  if (pod == nullptr) return out;
  const auto& st = pod->status();
  int restarts = 0;
  int total = pod->spec().containers_size();
  int ready = 0;
  absl::Time last_restart = absl::InfinitePast();
  std::string reason = st.phase();
  if (!st.reason().empty()) reason = st.reason();
  for (const auto& c : st.conditions()) {
    if (c.type() == "PodScheduled" && c.reason() == "SchedulingGated") reason = "SchedulingGated";
  }
  auto note_restart = [&](const api::ContainerStatus& c) {
    restarts += c.restart_count();
    if (c.last_state().has_terminated()) {
      absl::Time t = Parsed(c.last_state().terminated().finished_at());
      if (t > last_restart) last_restart = t;
    }
  };
  bool initializing = false;
  int n_init = pod->spec().init_containers_size();
  for (int i = 0; i < st.init_container_statuses_size(); ++i) {
    const auto& c = st.init_container_statuses(i);
    note_restart(c);
    const auto& state = c.state();
    if (state.has_terminated() && state.terminated().exit_code() == 0) continue;
    if (state.has_terminated()) {
      const auto& t = state.terminated();
      if (t.reason().empty()) {
        reason = t.signal() != 0 ? absl::StrCat("Init:Signal:", t.signal())
                                 : absl::StrCat("Init:ExitCode:", t.exit_code());
      } else {
        reason = "Init:" + t.reason();
      }
    } else if (state.has_waiting() && !state.waiting().reason().empty() &&
               state.waiting().reason() != "PodInitializing") {
      reason = "Init:" + state.waiting().reason();
    } else {
      reason = absl::StrCat("Init:", i, "/", n_init);
    }
    initializing = true;
    break;
  }
  bool initialized = false;
  for (const auto& c : st.conditions()) {
    if (c.type() == "Initialized" && c.status() == "True") initialized = true;
  }
  if (!initializing || initialized) {
    restarts = 0;
    last_restart = absl::InfinitePast();
    bool has_running = false;
    for (int i = st.container_statuses_size() - 1; i >= 0; --i) {
      const auto& c = st.container_statuses(i);
      note_restart(c);
      const auto& state = c.state();
      if (state.has_waiting() && !state.waiting().reason().empty()) {
        reason = state.waiting().reason();
      } else if (state.has_terminated() && !state.terminated().reason().empty()) {
        reason = state.terminated().reason();
      } else if (state.has_terminated()) {
        reason = state.terminated().signal() != 0
                     ? absl::StrCat("Signal:", state.terminated().signal())
                     : absl::StrCat("ExitCode:", state.terminated().exit_code());
      } else if (c.ready() && state.has_running()) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) {
      bool pod_ready = false;
      for (const auto& c : st.conditions()) {
        if (c.type() == "Ready" && c.status() == "True") pod_ready = true;
      }
      reason = pod_ready ? "Running" : "NotReady";
    }
  }
  if (!pod->metadata().deletion_timestamp().empty()) {
    if (st.reason() == "NodeLost") {
      reason = "Unknown";
    } else if (st.phase() != "Succeeded" && st.phase() != "Failed") {
      reason = "Terminating";
    }
  }
  out.ready = absl::StrCat(ready, "/", total);
  out.status = reason;
  out.restarts = absl::StrCat(restarts);
  if (restarts != 0 && last_restart != absl::InfinitePast()) {
    out.restarts = absl::StrCat(restarts, " (", FormatAge(now - last_restart), " ago)");
  }
  return out;
}

std::string NodeStatus(const Message& msg) {
  const api::Node* n = As<api::Node>(msg);
  if (n == nullptr) return "";
  std::vector<std::string> status;
  for (const auto& c : n->status().conditions()) {
    if (c.type() == "Ready") {
      status.push_back(c.status() == "True" ? "Ready" : "NotReady");
      break;
    }
  }
  if (status.empty()) status.push_back("Unknown");
  if (n->spec().unschedulable()) status.push_back("SchedulingDisabled");
  return absl::StrJoin(status, ",");
}

std::string NodeRoles(const Message& msg) {
  const api::Node* n = As<api::Node>(msg);
  if (n == nullptr) return "";
  std::set<std::string> roles;
  constexpr absl::string_view kPrefix = "node-role.kubernetes.io/";
  for (const auto& [k, v] : n->metadata().labels()) {
    if (absl::StartsWith(k, kPrefix)) {
      std::string role = k.substr(kPrefix.size());
      if (!role.empty()) roles.insert(role);
    } else if (k == "kubernetes.io/role" && !v.empty()) {
      roles.insert(v);
    }
  }
  if (roles.empty()) return "<none>";
  return absl::StrJoin(roles, ",");
}

std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  if (sorted.empty()) return "<none>";
  return absl::StrJoin(sorted, ",", absl::PairFormatter("="));
}

std::string FormatLabelSelector(const api::LabelSelector& sel) {
  // Requirements sorted by key, as labels.Selector.String() prints them.
  std::vector<std::pair<std::string, std::string>> reqs;
  for (const auto& [k, v] : sel.match_labels()) reqs.push_back({k, absl::StrCat(k, "=", v)});
  for (const auto& e : sel.match_expressions()) {
    std::vector<std::string> values(e.values().begin(), e.values().end());
    std::sort(values.begin(), values.end());
    std::string vs = absl::StrJoin(values, ",");
    std::string s;
    if (e.operator_() == "In") {
      s = absl::StrCat(e.key(), " in (", vs, ")");
    } else if (e.operator_() == "NotIn") {
      s = absl::StrCat(e.key(), " notin (", vs, ")");
    } else if (e.operator_() == "Exists") {
      s = e.key();
    } else if (e.operator_() == "DoesNotExist") {
      s = "!" + e.key();
    } else {
      return "<error>";
    }
    reqs.push_back({e.key(), s});
  }
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> parts;
  for (auto& r : reqs) parts.push_back(r.second);
  if (parts.empty()) return "<none>";
  return absl::StrJoin(parts, ",");
}

namespace {

// kubectl's CSR row: CONDITION lists the condition types, then "Issued" once a certificate
// is set, or "Pending".
std::vector<std::string> CsrRow(const api::CertificateSigningRequest& csr, absl::Time now) {
  std::vector<std::string> conds;
  for (const auto& c : csr.status().conditions()) conds.push_back(c.type());
  if (!csr.status().certificate().empty()) conds.push_back("Issued");
  const auto& spec = csr.spec();
  return {csr.metadata().name(),
          Age(csr.metadata(), now),
          spec.signer_name(),
          spec.username(),
          spec.has_expiration_seconds() ? FormatAge(absl::Seconds(spec.expiration_seconds()))
                                        : "<none>",
          conds.empty() ? "Pending" : absl::StrJoin(conds, ",")};
}

}  // namespace

const std::vector<Column>& ColumnsFor(const ResourceInfo& r) {
  static const auto* kColumns = new std::map<std::string, std::vector<Column>>{
      {"pods",
       {C("Name"), C("Ready"), C("Status"), C("Restarts", "string"), C("Age"), C("IP", "string", 1),
        C("Node", "string", 1), C("Nominated Node", "string", 1),
        C("Readiness Gates", "string", 1)}},
      {"nodes",
       {C("Name"), C("Status"), C("Roles"), C("Age"), C("Version"), C("Internal-IP", "string", 1),
        C("External-IP", "string", 1), C("OS-Image", "string", 1), C("Kernel-Version", "string", 1),
        C("Container-Runtime", "string", 1)}},
      {"replicasets",
       {C("Name"), C("Desired", "integer"), C("Current", "integer"), C("Ready", "integer"),
        C("Age"), C("Containers", "string", 1), C("Images", "string", 1),
        C("Selector", "string", 1)}},
      {"secrets", {C("Name"), C("Type"), C("Data", "integer"), C("Age")}},
      {"serviceaccounts", {C("Name"), C("Secrets", "integer"), C("Age")}},
      {"events",
       {C("Last Seen"), C("Type"), C("Reason"), C("Object"), C("Subobject", "string", 1),
        C("Source", "string", 1), C("Message"), C("First Seen", "string", 1),
        C("Count", "string", 1), C("Name", "string", 1)}},
      {"namespaces", {C("Name"), C("Status"), C("Age")}},
      {"leases", {C("Name"), C("Holder"), C("Age")}},
      {"certificatesigningrequests",
       {C("Name"), C("Age"), C("SignerName", "string"), C("Requestor", "string"),
        C("RequestedDuration", "string"), C("Condition", "string")}},
      {"horizontalpodautoscalers",
       {C("Name"), C("Reference"), C("Targets"), C("MinPods", "string"), C("MaxPods", "integer"),
        C("Replicas", "integer"), C("Age")}},
  };
  static const auto* kDefault = new std::vector<Column>{C("Name"), C("Age")};
  auto it = kColumns->find(r.name);
  return it == kColumns->end() ? *kDefault : it->second;
}

std::vector<std::string> RowFor(const Message& obj, absl::Time now) {
  if (const auto* p = As<api::Pod>(obj)) return PodRow(*p, now);
  if (const auto* n = As<api::Node>(obj)) return NodeRow(*n, now);
  if (const auto* rs = As<api::ReplicaSet>(obj)) return ReplicaSetRow(*rs, now);
  if (const auto* s = As<api::Secret>(obj)) {
    return {s->metadata().name(), s->type(), absl::StrCat(s->data_size()), Age(s->metadata(), now)};
  }
  if (const auto* sa = As<api::ServiceAccount>(obj)) {
    return {sa->metadata().name(), absl::StrCat(sa->secrets_size()), Age(sa->metadata(), now)};
  }
  if (const auto* e = As<api::Event>(obj)) return EventRow(*e, now);
  if (const auto* ns = As<api::Namespace>(obj)) {
    return {ns->metadata().name(), ns->status().phase(), Age(ns->metadata(), now)};
  }
  if (const auto* l = As<api::Lease>(obj)) {
    return {l->metadata().name(), OrNone(l->spec().holder_identity()), Age(l->metadata(), now)};
  }
  if (const auto* h = As<api::HorizontalPodAutoscaler>(obj)) {
    const auto& ref = h->spec().scale_target_ref();
    return {h->metadata().name(),
            absl::StrCat(ref.kind(), "/", ref.name()),
            HpaTargets(*h),
            h->spec().has_min_replicas() ? absl::StrCat(h->spec().min_replicas()) : "1",
            absl::StrCat(h->spec().max_replicas()),
            absl::StrCat(h->status().current_replicas()),
            Age(h->metadata(), now)};
  }
  if (const auto* csr = As<api::CertificateSigningRequest>(obj)) return CsrRow(*csr, now);
  const api::ObjectMeta& meta = Meta(obj);
  return {meta.name(), Age(meta, now)};
}

}  // namespace mk
