// mkctl drain NODE: cordon the node, then delete (evict) its pods and wait for them to go, as
// kubectl drain does. Pods without a controller need --force (they would not come back);
// DaemonSet pods need --ignore-daemonsets (then they are left); pods with emptyDir volumes
// need --delete-emptydir-data; mirror pods are left alone.

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/resources.h"
#include "kubectl/commands.h"
#include "kubectl/util.h"

namespace mk::kubectl {

void DrainFlags(Args* a) {
  a->Bool("force")
      .Bool("ignore-daemonsets")
      .Bool("delete-emptydir-data")
      .Bool("delete-local-data")
      .Bool("disable-eviction")
      .Flag("grace-period", 0, "-1")
      .Flag("timeout", 0, "0s")
      .Flag("selector", 'l')
      .Flag("pod-selector");
}

namespace {

const Json* ControllerOf(const Json& pod) {
  auto m = pod.find("metadata");  // a pointer into `pod`, not into a copy
  if (m == pod.end() || !m->is_object()) return nullptr;
  auto it = m->find("ownerReferences");
  if (it == m->end() || !it->is_array()) return nullptr;
  for (const Json& ref : *it) {
    if (ref.value("controller", false)) return &ref;
  }
  return nullptr;
}

std::string PodName(const Json& pod) {
  const Json& meta = pod.value("metadata", Json::object());
  return absl::StrCat(meta.value("namespace", ""), "/", meta.value("name", ""));
}

}  // namespace

int RunDrain(Env& env) {
  const auto& pos = env.args.positional();
  if (pos.size() != 1) return FailMsg(env, "USAGE: drain NODE [flags]");
  std::string node = pos[0];
  if (absl::StartsWith(node, "node/") || absl::StartsWith(node, "nodes/")) {
    node = node.substr(node.find('/') + 1);
  }
  int64_t grace = -1;
  env.args.GetInt("grace-period", &grace);
  absl::Duration timeout = absl::ZeroDuration();
  if (!absl::ParseDuration(env.args.Get("timeout"), &timeout)) {
    return FailMsg(env, "invalid --timeout");
  }
  bool force = env.args.GetBool("force");
  bool ignore_ds = env.args.GetBool("ignore-daemonsets");
  bool emptydir = env.args.GetBool("delete-emptydir-data") || env.args.GetBool("delete-local-data");

  // 1. Cordon.
  const ResourceInfo* nodes = FindResource("nodes");
  std::string npath = ResourcePath(*nodes, "", node);
  auto live = env.api().Get(npath);
  if (!live.ok()) return Fail(env, live.status());
  if (live->value("spec", Json::object()).value("unschedulable", false)) {
    *env.out << "node/" << node << " already cordoned\n";
  } else {
    Json patch = {{"spec", {{"unschedulable", true}}}};
    auto res = env.api().Patch(npath, patch.dump(), "application/merge-patch+json");
    if (!res.ok()) return Fail(env, res.status());
    *env.out << "node/" << node << " cordoned\n";
  }

  // 2. Pick the pods.
  const ResourceInfo* pods = FindResource("pods");
  Query query = {{"fieldSelector", "spec.nodeName=" + node}};
  if (env.args.Has("pod-selector"))
    query.push_back({"labelSelector", env.args.Get("pod-selector")});
  std::string q = WithQuery(ResourcePath(*pods, "", ""), query);
  auto list = env.api().Get(q);
  if (!list.ok()) return Fail(env, list.status());
  std::vector<Json> victims;
  std::vector<std::string> unmanaged, daemonsets, local, ignored;
  for (const Json& pod : list->value("items", Json::array())) {
    const Json& meta = pod.value("metadata", Json::object());
    if (meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null()) continue;
    const Json& ann = meta.value("annotations", Json::object());
    if (ann.contains("kubernetes.io/config.mirror")) continue;
    const std::string phase = pod.value("status", Json::object()).value("phase", "");
    bool finished = phase == "Succeeded" || phase == "Failed";
    const Json* ctl = ControllerOf(pod);
    if (ctl != nullptr && ctl->value("kind", "") == "DaemonSet") {
      if (ignore_ds) {
        ignored.push_back(PodName(pod));
      } else {
        daemonsets.push_back(PodName(pod));
      }
      continue;
    }
    if (ctl == nullptr && !finished && !force) unmanaged.push_back(PodName(pod));
    bool has_emptydir = false;
    for (const Json& v : pod.value("spec", Json::object()).value("volumes", Json::array())) {
      has_emptydir |= v.contains("emptyDir");
    }
    if (has_emptydir && !finished && !emptydir) local.push_back(PodName(pod));
    victims.push_back(pod);
  }
  std::vector<std::string> problems;
  if (!unmanaged.empty()) {
    problems.push_back(
        absl::StrCat("cannot delete Pods that declare no controller (use --force to override): ",
                     absl::StrJoin(unmanaged, ", ")));
  }
  if (!daemonsets.empty()) {
    problems.push_back(
        absl::StrCat("cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ",
                     absl::StrJoin(daemonsets, ", ")));
  }
  if (!local.empty()) {
    problems.push_back(absl::StrCat(
        "cannot delete Pods with local storage (use --delete-emptydir-data to override): ",
        absl::StrJoin(local, ", ")));
  }
  if (!problems.empty()) {
    *env.err << "error: unable to drain node \"" << node
             << "\" due to error: " << absl::StrJoin(problems, ", ") << ", continuing command...\n"
             << "There are pending nodes to be drained:\n " << node << "\n";
    for (const std::string& p : problems) *env.err << "error: " << p << "\n";
    return 1;
  }
  if (!ignored.empty()) {
    *env.err << "Warning: ignoring DaemonSet-managed Pods: " << absl::StrJoin(ignored, ", ")
             << "\n";
  }
  if (force && !unmanaged.empty()) {
    *env.err << "Warning: deleting Pods that declare no controller: "
             << absl::StrJoin(unmanaged, ", ") << "\n";
  }

  // 3. Delete them and wait until they are gone.
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (grace >= 0) options["gracePeriodSeconds"] = grace;
  std::vector<std::pair<std::string, std::string>> waiting;  // path, uid
  int rc = 0;
  for (const Json& pod : victims) {
    const Json& meta = pod.value("metadata", Json::object());
    std::string name = meta.value("name", "");
    std::string path = ResourcePath(*pods, meta.value("namespace", ""), name);
    *env.out << "evicting pod " << PodName(pod) << "\n";
    auto res = env.api().Delete(path, options);
    if (!res.ok()) {
      if (res.status().code() == absl::StatusCode::kNotFound) continue;
      PrintError(*env.err, res.status());
      rc = 1;
      continue;
    }
    waiting.emplace_back(path, meta.value("uid", ""));
  }
  absl::Time deadline =
      timeout == absl::ZeroDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
  for (const auto& [path, uid] : waiting) {
    std::string name = path.substr(path.rfind('/') + 1);
    for (;;) {
      auto cur = env.api().Get(path);
      bool gone = !cur.ok() && cur.status().code() == absl::StatusCode::kNotFound;
      if (cur.ok()) gone = cur->value("metadata", Json::object()).value("uid", "") != uid;
      if (gone) {
        *env.out << "pod/" << name << " evicted\n";
        break;
      }
      if (absl::Now() >= deadline) {
        *env.err << "error: drain did not complete within " << env.args.Get("timeout") << "\n";
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  if (rc == 0) *env.out << "node/" << node << " drained\n";
  return rc;
}

}  // namespace mk::kubectl
