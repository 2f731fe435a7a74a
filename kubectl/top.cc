// mkctl top node|pod: resource usage from the metrics.k8s.io/v1beta1 API, with kubectl's
// columns and units (CPU in millicores "250m", memory in "Mi", node percentages of
// allocatable).

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "common/quantity.h"
#include "kubectl/commands.h"
#include "kubectl/table_writer.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

// kubectl's top printer ends every cell, the last one too, with a tab: lines carry the last
// column's padding. An empty final cell reproduces that with TableWriter.
void AddTopRow(TableWriter* w, std::vector<std::string> cells) {
  cells.emplace_back();
  w->AddRow(std::move(cells));
}

constexpr char kMetricsPrefix[] = "/apis/metrics.k8s.io/v1beta1";

int64_t Milli(const Json& usage, const char* key) {
  if (!usage.is_object() || !usage.contains(key) || !usage[key].is_string()) return 0;
  absl::StatusOr<Quantity> q = ParseQuantity(usage[key].get<std::string>());
  return q.ok() ? q->MilliValue() : 0;
}

int64_t Bytes(const Json& usage, const char* key) {
  if (!usage.is_object() || !usage.contains(key) || !usage[key].is_string()) return 0;
  absl::StatusOr<Quantity> q = ParseQuantity(usage[key].get<std::string>());
  return q.ok() ? q->Value() : 0;
}

std::string Cpu(int64_t milli) { return absl::StrCat(milli, "m"); }
std::string Mem(int64_t bytes) { return absl::StrCat(bytes / (1024 * 1024), "Mi"); }

absl::Status MetricsUnavailable(const absl::Status& s) {
  if (absl::IsNotFound(s) || absl::IsUnavailable(s)) {
    return absl::UnavailableError("Metrics API not available");
  }
  return s;
}

std::string SortBy(const Env& env) {
  std::string s = env.args.Get("sort-by");
  return s == "cpu" || s == "memory" ? s : "";
}

int TopNode(Env& env, const std::string& name) {
  std::string path = absl::StrCat(kMetricsPrefix, "/nodes");
  absl::StatusOr<Json> metrics =
      env.api().Get(WithQuery(path, {{"labelSelector", env.args.Get("selector")}}));
  if (!metrics.ok()) return Fail(env, MetricsUnavailable(metrics.status()));
  absl::StatusOr<Json> nodes =
      env.api().Get(WithQuery("/api/v1/nodes", {{"labelSelector", env.args.Get("selector")}}));
  if (!nodes.ok()) return Fail(env, nodes.status());
  std::map<std::string, Json> usage;
  for (const Json& m : (*metrics)["items"]) usage[m["metadata"]["name"]] = m["usage"];
  struct Row {
    std::string name;
    bool known;
    int64_t cpu, mem, cpu_alloc, mem_alloc;
  };
  std::vector<Row> rows;
  for (const Json& n : (*nodes)["items"]) {
    std::string nn = n["metadata"]["name"];
    if (!name.empty() && nn != name) continue;
    Json alloc = n["status"].value("allocatable", Json::object());
    if (alloc.empty()) alloc = n["status"].value("capacity", Json::object());
    auto it = usage.find(nn);
    rows.push_back({nn, it != usage.end(), it != usage.end() ? Milli(it->second, "cpu") : 0,
                    it != usage.end() ? Bytes(it->second, "memory") : 0, Milli(alloc, "cpu"),
                    Bytes(alloc, "memory")});
  }
  if (!name.empty() && rows.empty()) {
    return FailMsg(env, absl::StrCat("nodes \"", name, "\" not found"));
  }
  if (!name.empty() && !rows[0].known) {
    return FailMsg(env, absl::StrCat("metrics not available yet"));
  }
  std::string sort = SortBy(env);
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (sort == "cpu") return a.cpu > b.cpu;
    if (sort == "memory") return a.mem > b.mem;
    return a.name < b.name;
  });
  TableWriter w;
  if (!env.args.GetBool("no-headers")) {
    AddTopRow(&w, {"NAME", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"});
  }
  for (const Row& r : rows) {
    if (!r.known) {
      AddTopRow(&w, {r.name, "<unknown>", "<unknown>", "<unknown>", "<unknown>"});
      continue;
    }
    auto pct = [](int64_t used, int64_t total) {
      return total > 0 ? absl::StrCat(static_cast<int64_t>(static_cast<double>(used) /
                                                           static_cast<double>(total) * 100),
                                      "%")
                       : std::string("<unknown>");
    };
    AddTopRow(&w,
              {r.name, Cpu(r.cpu), pct(r.cpu, r.cpu_alloc), Mem(r.mem), pct(r.mem, r.mem_alloc)});
  }
  w.Flush(*env.out);
  return 0;
}

int TopPod(Env& env, const std::string& name) {
  bool all = env.all_namespaces;
  std::string path = all ? absl::StrCat(kMetricsPrefix, "/pods")
                         : absl::StrCat(kMetricsPrefix, "/namespaces/", env.ns, "/pods");
  if (!name.empty()) absl::StrAppend(&path, "/", name);
  absl::StatusOr<Json> metrics =
      env.api().Get(WithQuery(path, {{"labelSelector", env.args.Get("selector")}}));
  if (!metrics.ok()) {
    if (!name.empty() && absl::IsNotFound(metrics.status())) {
      // The pod may exist without figures yet (kubectl's message).
      absl::StatusOr<Json> pod =
          env.api().Get(absl::StrCat("/api/v1/namespaces/", env.ns, "/pods/", name));
      if (!pod.ok()) return Fail(env, pod.status());
      return FailMsg(env, absl::StrCat("Metrics not available for pod ", env.ns, "/", name));
    }
    return Fail(env, MetricsUnavailable(metrics.status()));
  }
  std::vector<Json> items;
  if (!name.empty()) {
    items.push_back(*metrics);
  } else {
    for (const Json& m : (*metrics)["items"]) items.push_back(m);
  }
  if (items.empty()) {
    *env.err << (all ? std::string("No resources found\n")
                     : absl::StrCat("No resources found in ", env.ns, " namespace.\n"));
    return 0;
  }
  bool containers = env.args.GetBool("containers");
  struct Row {
    std::string ns, pod, container;
    int64_t cpu, mem;
  };
  std::vector<Row> rows;
  for (const Json& m : items) {
    Row pod_row{m["metadata"].value("namespace", ""), m["metadata"]["name"], "", 0, 0};
    for (const Json& c : m["containers"]) {
      int64_t cpu = Milli(c["usage"], "cpu"), mem = Bytes(c["usage"], "memory");
      if (containers) {
        rows.push_back({pod_row.ns, pod_row.pod, c["name"], cpu, mem});
      } else {
        pod_row.cpu += cpu;
        pod_row.mem += mem;
      }
    }
    if (!containers) rows.push_back(pod_row);
  }
  std::string sort = SortBy(env);
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (sort == "cpu") return a.cpu > b.cpu;
    if (sort == "memory") return a.mem > b.mem;
    return std::tie(a.ns, a.pod, a.container) < std::tie(b.ns, b.pod, b.container);
  });
  TableWriter w;
  if (!env.args.GetBool("no-headers")) {
    std::vector<std::string> h;
    if (all) h.push_back("NAMESPACE");
    if (containers) {
      h.insert(h.end(), {"POD", "NAME"});
    } else {
      h.push_back("NAME");
    }
    h.insert(h.end(), {"CPU(cores)", "MEMORY(bytes)"});
    AddTopRow(&w, h);
  }
  for (const Row& r : rows) {
    std::vector<std::string> cells;
    if (all) cells.push_back(r.ns);
    cells.push_back(r.pod);
    if (containers) cells.push_back(r.container);
    cells.insert(cells.end(), {Cpu(r.cpu), Mem(r.mem)});
    AddTopRow(&w, cells);
  }
  w.Flush(*env.out);
  return 0;
}

}  // namespace

void TopFlags(Args* a) {
  a->Flag("selector", 'l')
      .Bool("all-namespaces", 'A')
      .Bool("containers")
      .Bool("no-headers")
      .Flag("sort-by");
}

int RunTop(Env& env) {
  const std::vector<std::string>& pos = env.args.positional();
  if (pos.empty() || (pos[0] != "node" && pos[0] != "nodes" && pos[0] != "no" && pos[0] != "pod" &&
                      pos[0] != "pods" && pos[0] != "po")) {
    return FailMsg(env, "usage: mkctl top (node|pod) [NAME] [flags]");
  }
  std::string name = pos.size() > 1 ? pos[1] : "";
  if (pos[0][0] == 'n') return TopNode(env, name);
  return TopPod(env, name);
}

}  // namespace mk::kubectl
