// mkctl describe node, after kubectl's describeNode and describeNodeResource.

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/printers.h"
#include "kubectl/client.h"
#include "kubectl/describe.h"
#include "kubectl/qty.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

using ResourceMap = std::map<std::string, Qty>;

// Pod requests/limits as the scheduler counts them: max(sum of containers, each init
// container).
void PodRequestsAndLimits(const api::Pod& pod, ResourceMap* reqs, ResourceMap* limits) {
  auto add = [](ResourceMap* m, const google::protobuf::Map<std::string, std::string>& src) {
    for (const auto& [k, v] : src) {
      Qty q;
      if (ParseQty(v, &q)) AddQty(&(*m)[k], q);
    }
  };
  ResourceMap r, l;
  for (const auto& c : pod.spec().containers()) {
    add(&r, c.resources().requests());
    add(&l, c.resources().limits());
  }
  for (const auto& c : pod.spec().init_containers()) {
    ResourceMap ir, il;
    add(&ir, c.resources().requests());
    add(&il, c.resources().limits());
    for (auto& [k, q] : ir) {
      if (q.value > r[k].value) r[k] = q;
    }
    for (auto& [k, q] : il) {
      if (q.value > l[k].value) l[k] = q;
    }
  }
  *reqs = r;
  *limits = l;
}

int64_t Percent(const Qty& part, const Qty& whole, bool milli) {
  long double w = milli ? MilliValue(whole) : whole.value;
  if (w == 0) return 0;
  long double p = milli ? MilliValue(part) : part.value;
  return static_cast<int64_t>(p / w * 100);
}

std::string Cell(const Qty& q, const Qty& alloc, bool milli) {
  return absl::StrCat(FormatQty(q), " (", Percent(q, alloc, milli), "%)");
}

}  // namespace

absl::StatusOr<std::string> DescribeNode(Env& env, const Json& obj) {
  auto msg = DecodeObject(*FindResource("nodes"), obj);
  const auto& node = static_cast<const api::Node&>(*msg);
  const auto& meta = node.metadata();
  DescribeWriter w;
  w.W(0, "Name:\t" + meta.name() + "\n");
  w.W(0, "Roles:\t" + NodeRoles(node) + "\n");
  LabelsMultiline(w, "Labels", SortedMap(meta.labels()));
  AnnotationsMultiline(w, "Annotations", SortedMap(meta.annotations()));
  w.W(0, "CreationTimestamp:\t" + DescribeTime(meta.creation_timestamp()) + "\n");
  w.W(0, "Taints:\t");
  if (node.spec().taints().empty()) {
    w.W(0, "<none>\n");
  } else {
    bool first = true;
    for (const auto& t : node.spec().taints()) {
      if (!first) w.W(0, "\t");
      first = false;
      std::string s = t.key();
      if (!t.value().empty()) absl::StrAppend(&s, "=", t.value());
      absl::StrAppend(&s, ":", t.effect(), "\n");
      w.W(0, s);
    }
  }
  w.W(0, absl::StrCat("Unschedulable:\t", node.spec().unschedulable() ? "true" : "false", "\n"));
  const ResourceInfo* leases = FindResource("leases");
  auto lease = env.api().Get(ResourcePath(*leases, "kube-node-lease", meta.name()));
  if (lease.ok()) {
    auto lm = DecodeObject(*leases, *lease);
    const auto& spec = static_cast<const api::Lease&>(*lm).spec();
    w.W(0, "Lease:\n");
    w.W(1, "HolderIdentity:\t" +
               (spec.has_holder_identity() ? spec.holder_identity() : std::string("<unset>")) +
               "\n");
    w.W(1, "AcquireTime:\t" + DescribeTime(spec.acquire_time()) + "\n");
    w.W(1, "RenewTime:\t" + DescribeTime(spec.renew_time()) + "\n");
  }
  const auto& st = node.status();
  if (!st.conditions().empty()) {
    w.W(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n");
    w.W(1, "----\t------\t-----------------\t------------------\t------\t-------\n");
    for (const auto& c : st.conditions()) {
      w.W(1, absl::StrCat(c.type(), " \t", c.status(), " \t", DescribeTime(c.last_heartbeat_time()),
                          " \t", DescribeTime(c.last_transition_time()), " \t", c.reason(), " \t",
                          c.message(), "\n"));
    }
  }
  w.W(0, "Addresses:\n");
  for (const auto& a : st.addresses()) w.W(1, a.type() + ":\t" + a.address() + "\n");
  if (!st.capacity().empty()) {
    w.W(0, "Capacity:\n");
    for (const auto& [k, v] : SortedMap(st.capacity())) w.W(0, "  " + k + ":\t" + v + "\n");
  }
  if (!st.allocatable().empty()) {
    w.W(0, "Allocatable:\n");
    for (const auto& [k, v] : SortedMap(st.allocatable())) w.W(0, "  " + k + ":\t" + v + "\n");
  }
  const auto& info = st.node_info();
  w.W(0, "System Info:\n");
  w.W(0, "  Machine ID:\t" + info.machine_id() + "\n");
  w.W(0, "  System UUID:\t" + info.system_uuid() + "\n");
  w.W(0, "  Boot ID:\t" + info.boot_id() + "\n");
  w.W(0, "  Kernel Version:\t" + info.kernel_version() + "\n");
  w.W(0, "  OS Image:\t" + info.os_image() + "\n");
  w.W(0, "  Operating System:\t" + info.operating_system() + "\n");
  w.W(0, "  Architecture:\t" + info.architecture() + "\n");
  w.W(0, "  Container Runtime Version:\t" + info.container_runtime_version() + "\n");
  w.W(0, "  Kubelet Version:\t" + info.kubelet_version() + "\n");
  w.W(0, "  Kube-Proxy Version:\t" + info.kube_proxy_version() + "\n");
  if (!node.spec().pod_cidr().empty()) w.W(0, "PodCIDR:\t" + node.spec().pod_cidr() + "\n");
  if (!node.spec().pod_cidrs().empty()) {
    w.W(0, "PodCIDRs:\t" + absl::StrJoin(node.spec().pod_cidrs(), ",") + "\n");
  }
  if (!node.spec().provider_id().empty()) {
    w.W(0, "ProviderID:\t" + node.spec().provider_id() + "\n");
  }

  const ResourceInfo* pods_r = FindResource("pods");
  auto pods = env.api().Get(WithQuery(
      ResourcePath(*pods_r, ""),
      {{"fieldSelector", absl::StrCat("spec.nodeName=", meta.name(),
                                      ",status.phase!=Succeeded,status.phase!=Failed")}}));
  if (pods.ok()) {
    ResourceMap alloc;
    const auto& src = st.allocatable().empty() ? st.capacity() : st.allocatable();
    for (const auto& [k, v] : src) ParseQty(v, &alloc[k]);
    std::vector<api::Pod> items;
    for (const Json& j : pods->value("items", Json::array())) {
      auto pm = DecodeObject(*pods_r, j);
      const auto& p = static_cast<const api::Pod&>(*pm);
      // A server that ignores the selector: filter here too.
      if (p.spec().node_name() != meta.name()) continue;
      if (p.status().phase() == "Succeeded" || p.status().phase() == "Failed") continue;
      items.push_back(p);
    }
    w.W(0, absl::StrCat("Non-terminated Pods:\t(", items.size(), " in total)\n"));
    w.W(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n");
    w.W(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n");
    ResourceMap total_req, total_lim;
    for (const api::Pod& p : items) {
      ResourceMap r, l;
      PodRequestsAndLimits(p, &r, &l);
      for (auto& [k, q] : r) AddQty(&total_req[k], q);
      for (auto& [k, q] : l) AddQty(&total_lim[k], q);
      w.W(1,
          absl::StrCat(p.metadata().namespace_(), "\t", p.metadata().name(), "\t\t",
                       Cell(r["cpu"], alloc["cpu"], true), "\t", Cell(l["cpu"], alloc["cpu"], true),
                       "\t", Cell(r["memory"], alloc["memory"], false), "\t",
                       Cell(l["memory"], alloc["memory"], false), "\t",
                       AgeSince(p.metadata().creation_timestamp(), env.now), "\n"));
    }
    w.W(0,
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., "
        "overcommitted.)\n");
    w.W(1, "Resource\tRequests\tLimits\n");
    w.W(1, "--------\t--------\t------\n");
    w.W(1, absl::StrCat("cpu\t", Cell(total_req["cpu"], alloc["cpu"], true), "\t",
                        Cell(total_lim["cpu"], alloc["cpu"], true), "\n"));
    w.W(1, absl::StrCat("memory\t", Cell(total_req["memory"], alloc["memory"], false), "\t",
                        Cell(total_lim["memory"], alloc["memory"], false), "\n"));
    std::set<std::string> huge, ext;
    for (const auto& [k, v] : alloc) {
      if (absl::StartsWith(k, "hugepages-")) {
        huge.insert(k);
      } else if (k != "cpu" && k != "memory" && k != "pods" && k != "ephemeral-storage" &&
                 k.find('/') != std::string::npos) {
        ext.insert(k);
      } else if (k == "ephemeral-storage") {
        w.W(1, absl::StrCat(k, "\t", Cell(total_req[k], alloc[k], false), "\t",
                            Cell(total_lim[k], alloc[k], false), "\n"));
      }
    }
    for (const std::string& k : huge) {
      w.W(1, absl::StrCat(k, "\t", Cell(total_req[k], alloc[k], false), "\t",
                          Cell(total_lim[k], alloc[k], false), "\n"));
    }
    for (const std::string& k : ext) {
      w.W(1, absl::StrCat(k, "\t", FormatQty(total_req[k]), "\t", FormatQty(total_lim[k]), "\n"));
    }
  }
  DescribeEvents(env, w, "Node", "", meta.name(), meta.uid());
  return w.Render();
}

}  // namespace mk::kubectl
