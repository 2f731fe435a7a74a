// mkctl describe pod, after kubectl's describePod.

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/printers.h"
#include "kubectl/describe.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

std::string QosClass(const api::Pod& pod) {
  if (!pod.status().qos_class().empty()) return pod.status().qos_class();
  bool any = false, guaranteed = true;
  auto check = [&](const api::Container& c) {
    const auto& req = c.resources().requests();
    const auto& lim = c.resources().limits();
    if (!req.empty() || !lim.empty()) any = true;
    for (const char* r : {"cpu", "memory"}) {
      auto l = lim.find(r);
      if (l == lim.end()) {
        guaranteed = false;
        continue;
      }
      auto q = req.find(r);
      if (q != req.end() && q->second != l->second) guaranteed = false;
    }
  };
  for (const auto& c : pod.spec().containers()) check(c);
  for (const auto& c : pod.spec().init_containers()) check(c);
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

}  // namespace

absl::StatusOr<std::string> DescribePod(Env& env, const Json& obj) {
  auto msg = DecodeObject(*FindResource("pods"), obj);
  const auto& pod = static_cast<const api::Pod&>(*msg);
  const auto& meta = pod.metadata();
  const auto& spec = pod.spec();
  const auto& st = pod.status();
  DescribeWriter w;
  w.W(0, "Name:\t" + meta.name() + "\n");
  w.W(0, "Namespace:\t" + meta.namespace_() + "\n");
  if (spec.has_priority()) w.W(0, absl::StrCat("Priority:\t", spec.priority(), "\n"));
  if (!spec.priority_class_name().empty()) {
    w.W(0, "Priority Class Name:\t" + spec.priority_class_name() + "\n");
  }
  std::string sa = spec.service_account_name();
  if (sa.empty()) sa = spec.service_account();
  w.W(0, "Service Account:\t" + sa + "\n");
  if (!spec.node_name().empty()) {
    w.W(0, absl::StrCat("Node:\t", spec.node_name(), "/", st.host_ip(), "\n"));
  } else {
    w.W(0, "Node:\t<none>\n");
  }
  if (!st.start_time().empty()) w.W(0, "Start Time:\t" + DescribeTime(st.start_time()) + "\n");
  LabelsMultiline(w, "Labels", SortedMap(meta.labels()));
  std::map<std::string, std::string> annotations = SortedMap(meta.annotations());
  // mk-scheduler's per-node reasons and scores are shown under "Scheduling:" instead.
  std::string filter_reasons = annotations["scheduler.mk.io/filter-reasons"];
  std::string scores = annotations["scheduler.mk.io/scores"];
  annotations.erase("scheduler.mk.io/filter-reasons");
  annotations.erase("scheduler.mk.io/scores");
  AnnotationsMultiline(w, "Annotations", annotations);
  if (!meta.deletion_timestamp().empty()) {
    w.W(0, absl::StrCat("Status:\tTerminating (lasts ",
                        AgeSince(meta.deletion_timestamp(), env.now), ")\n"));
    w.W(0, absl::StrCat(
               "Termination Grace Period:\t",
               meta.has_deletion_grace_period_seconds() ? meta.deletion_grace_period_seconds() : 0,
               "s\n"));
  } else {
    w.W(0, "Status:\t" + st.phase() + "\n");
  }
  if (!st.reason().empty()) w.W(0, "Reason:\t" + st.reason() + "\n");
  if (!st.message().empty()) w.W(0, "Message:\t" + st.message() + "\n");
  w.W(0, "IP:\t" + st.pod_ip() + "\n");
  if (st.pod_ips().empty()) {
    w.W(0, "IPs:\t<none>\n");
  } else {
    w.W(0, "IPs:\n");
    for (const auto& ip : st.pod_ips()) w.W(1, "IP:\t" + ip.ip() + "\n");
  }
  std::string owner = ControlledBy(meta);
  if (!owner.empty()) w.W(0, "Controlled By:\t" + owner + "\n");
  if (!st.nominated_node_name().empty()) {
    w.W(0, "NominatedNodeName:\t" + st.nominated_node_name() + "\n");
  }
  if (!spec.init_containers().empty()) {
    DescribeContainers(w, "Init Containers", spec.init_containers(), &st.init_container_statuses(),
                       "");
  }
  DescribeContainers(w, "Containers", spec.containers(), &st.container_statuses(), "");
  if (!st.conditions().empty()) {
    w.W(0, "Conditions:\n  Type\tStatus\n");
    for (const auto& c : st.conditions()) {
      w.W(1, absl::StrCat(c.type(), " \t", c.status(), " \n"));
    }
  }
  DescribeVolumes(w, spec.volumes(), "");
  w.W(0, "QoS Class:\t" + QosClass(pod) + "\n");
  LabelsMultiline(w, "Node-Selectors", SortedMap(spec.node_selector()));
  TolerationsMultiline(w, "Tolerations", spec.tolerations());
  if (spec.node_name().empty() && !filter_reasons.empty()) {
    w.W(0, "Scheduling:\n");
    for (const auto& c : st.conditions()) {
      if (c.type() == "PodScheduled" && c.status() == "False") w.W(1, c.message() + "\n");
    }
    for (absl::string_view line : absl::StrSplit(filter_reasons, '\n')) {
      w.W(2, std::string(line) + "\n");
    }
  } else if (!spec.node_name().empty() && !scores.empty()) {
    w.W(0, "Scheduling:\n");
    w.W(1, "Scores:\t" + scores + "\n");
  }
  DescribeEvents(env, w, "Pod", meta.namespace_(), meta.name(), meta.uid());
  return w.Render();
}

}  // namespace mk::kubectl
