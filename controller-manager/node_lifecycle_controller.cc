#include "controller-manager/node_lifecycle_controller.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/object.h"
#include "controller-manager/controller_util.h"

namespace mk::controller_manager {
namespace {

const api::NodeCondition* ReadyCondition(const api::Node& node) {
  for (const api::NodeCondition& c : node.status().conditions()) {
    if (c.type() == "Ready") return &c;
  }
  return nullptr;
}

bool IsControllerTaint(const api::Taint& t) {
  return (t.key() == kTaintUnreachable || t.key() == kTaintNotReady) &&
         (t.effect() == "NoExecute" || t.effect() == "NoSchedule");
}

}  // namespace

bool Tolerates(const api::Toleration& t, const api::Taint& taint) {
  if (!t.effect().empty() && t.effect() != taint.effect()) return false;
  if (!t.key().empty() && t.key() != taint.key()) return false;
  if (t.operator_() == "Exists") return true;
  if (t.operator_().empty() || t.operator_() == "Equal") return t.value() == taint.value();
  return false;
}

NodeLifecycleController::NodeLifecycleController(ApiClient* client, Informer* node_informer,
                                                 Informer* lease_informer, Informer* pod_informer,
                                                 EventRecorder* recorder, NodeLifecycleOptions opts)
    : client_(client),
      node_informer_(node_informer),
      lease_informer_(lease_informer),
      pod_informer_(pod_informer),
      recorder_(recorder),
      opts_(opts),
      clock_(opts.clock != nullptr ? opts.clock : Clock::Real()) {}

NodeLifecycleController::~NodeLifecycleController() { Shutdown(); }

void NodeLifecycleController::Run() {
  thread_ = std::thread([this] {
    for (;;) {
      absl::Status s = MonitorOnce();
      if (!s.ok()) MK_VLOG(1) << "node lifecycle: " << s;
      absl::MutexLock l(&mu_);
      absl::Time deadline = clock_->Now() + opts_.monitor_period;
      if (clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_), deadline)) return;
    }
  });
}

void NodeLifecycleController::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status NodeLifecycleController::MonitorOnce() {
  absl::Time now = clock_->Now();
  absl::Status first;
  std::set<std::string> names;
  for (const auto& node : node_informer_->ListAs<api::Node>()) {
    names.insert(node->metadata().name());
    absl::Status s = MonitorNode(*node, now);
    if (!s.ok() && first.ok()) first = s;
  }
  for (auto it = health_.begin(); it != health_.end();) {  // forget deleted nodes
    if (names.count(it->first)) {
      ++it;
    } else {
      it = health_.erase(it);
    }
  }
  return first;
}

absl::Status NodeLifecycleController::MonitorNode(const api::Node& node, absl::Time now) {
  const std::string& name = node.metadata().name();
  auto lease = lease_informer_->GetAs<api::Lease>(KeyFor("kube-node-lease", name));
  std::string renew = lease != nullptr ? lease->spec().renew_time() : "";
  const api::NodeCondition* ready = ReadyCondition(node);
  std::string heartbeat = ready != nullptr ? ready->last_heartbeat_time() : "";
  auto it = health_.find(name);
  if (it == health_.end()) {
    // First sight (or a restart of the controller): a full grace period from now.
    health_[name] = Health{renew, heartbeat, now};
  } else if (it->second.lease_renew != renew || it->second.ready_heartbeat != heartbeat) {
    it->second = Health{renew, heartbeat, now};
  }
  absl::Status result;
  const Health& h = health_[name];
  if (now - h.probe > opts_.grace_period && (ready == nullptr || ready->status() != "Unknown")) {
    MK_LOG(INFO) << "node " << name << " has not been heard from for "
                 << absl::FormatDuration(now - h.probe) << ": marking it Unknown";
    result = MarkUnknown(name, now);
    if (!result.ok()) return result;
  }
  if (absl::Status s = SyncTaints(name); !s.ok()) return s;
  auto fresh = node_informer_->GetAs<api::Node>(name);
  return EvictPods(fresh != nullptr ? *fresh : node, now);
}

absl::Status NodeLifecycleController::MarkUnknown(const std::string& name, absl::Time now) {
  absl::StatusOr<api::Node> cur = client_->GetAs<api::Node>("nodes", "", name);
  if (!cur.ok()) return absl::IsNotFound(cur.status()) ? absl::OkStatus() : cur.status();
  std::string ts = mk::FormatTime(now);
  bool have_ready = false;
  for (api::NodeCondition& c : *cur->mutable_status()->mutable_conditions()) {
    have_ready |= c.type() == "Ready";
    if (c.status() == "Unknown") continue;
    c.set_status("Unknown");
    c.set_reason("NodeStatusUnknown");
    c.set_message("Kubelet stopped posting node status.");
    c.set_last_transition_time(ts);
  }
  if (!have_ready) {
    api::NodeCondition* c = cur->mutable_status()->add_conditions();
    c->set_type("Ready");
    c->set_status("Unknown");
    c->set_reason("NodeStatusNeverUpdated");
    c->set_message("Kubelet never posted node status.");
    c->set_last_transition_time(ts);
  }
  absl::StatusOr<ObjectPtr> r = client_->Update("nodes", "", *cur, "status");
  if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  if (r.ok()) {
    recorder_->Event(*cur, "Normal", "NodeNotReady",
                     absl::StrCat("Node ", name, " status is now: NodeNotReady"));
  }
  return absl::OkStatus();
}

absl::Status NodeLifecycleController::SyncTaints(const std::string& name) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto cached = node_informer_->GetAs<api::Node>(name);
    absl::StatusOr<api::Node> cur = attempt == 0 && cached != nullptr
                                        ? absl::StatusOr<api::Node>(*cached)
                                        : client_->GetAs<api::Node>("nodes", "", name);
    if (!cur.ok()) return absl::IsNotFound(cur.status()) ? absl::OkStatus() : cur.status();
    // Our MarkUnknown may not be in the cache yet: read it live when it matters.
    const api::NodeCondition* ready = ReadyCondition(*cur);
    std::string want_key;
    if (ready == nullptr || ready->status() == "Unknown") {
      want_key = kTaintUnreachable;
    } else if (ready->status() == "False") {
      want_key = kTaintNotReady;
    }
    std::vector<api::Taint> keep;
    std::map<std::string, api::Taint> existing;  // effect → our taint with want_key
    bool changed = false;
    for (const api::Taint& t : cur->spec().taints()) {
      if (!IsControllerTaint(t)) {
        keep.push_back(t);
      } else if (t.key() == want_key) {
        existing[t.effect()] = t;
      } else {
        changed = true;  // a stale controller taint goes
      }
    }
    if (!want_key.empty()) {
      for (const char* effect : {"NoSchedule", "NoExecute"}) {
        if (existing.count(effect)) {
          keep.push_back(existing[effect]);
          continue;
        }
        api::Taint t;
        t.set_key(want_key);
        t.set_effect(effect);
        t.set_time_added(mk::FormatTime(clock_->Now()));
        keep.push_back(t);
        changed = true;
      }
    }
    if (!changed) return absl::OkStatus();
    cur->mutable_spec()->clear_taints();
    for (api::Taint& t : keep) *cur->mutable_spec()->add_taints() = std::move(t);
    absl::StatusOr<ObjectPtr> r = client_->Update("nodes", "", *cur);
    if (r.ok()) {
      MK_LOG(INFO) << "node " << name << ": taints now "
                   << (want_key.empty() ? std::string("(none of ours)") : want_key);
      return absl::OkStatus();
    }
    if (absl::IsNotFound(r.status())) return absl::OkStatus();
    if (!absl::IsAborted(r.status())) return r.status();
  }
  return absl::AbortedError("conflict updating taints of node " + name);
}

absl::Status NodeLifecycleController::EvictPods(const api::Node& node, absl::Time now) {
  std::vector<const api::Taint*> noexec;
  for (const api::Taint& t : node.spec().taints()) {
    if (t.effect() == "NoExecute") noexec.push_back(&t);
  }
  if (noexec.empty()) return absl::OkStatus();
  absl::Status result;
  for (const auto& pod : pod_informer_->ListAs<api::Pod>()) {
    if (pod->spec().node_name() != node.metadata().name()) continue;
    if (!pod->metadata().deletion_timestamp().empty()) continue;
    absl::Time evict_at = absl::InfiniteFuture();
    for (const api::Taint* taint : noexec) {
      bool tolerated = false;
      absl::Duration allowed = absl::InfiniteDuration();
      for (const api::Toleration& tol : pod->spec().tolerations()) {
        if (!Tolerates(tol, *taint)) continue;
        tolerated = true;
        if (tol.has_toleration_seconds()) {
          allowed =
              std::min(allowed, absl::Seconds(std::max<int64_t>(0, tol.toleration_seconds())));
        }
      }
      if (!tolerated) {
        evict_at = absl::InfinitePast();
        break;
      }
      if (allowed == absl::InfiniteDuration()) continue;
      absl::Time added = ParseTime(taint->time_added());
      evict_at = std::min(evict_at, added == absl::InfinitePast() ? now : added + allowed);
    }
    if (now < evict_at) continue;
    MK_LOG(INFO) << "evicting pod " << pod->metadata().namespace_() << "/" << pod->metadata().name()
                 << " from node " << node.metadata().name();
    DeleteOptions opts;
    opts.precondition_uid = pod->metadata().uid();
    absl::StatusOr<ObjectPtr> r =
        client_->Delete("pods", pod->metadata().namespace_(), pod->metadata().name(), opts);
    if (r.ok()) {
      recorder_->Event(*pod, "Normal", "TaintManagerEviction",
                       absl::StrCat("Marking for deletion Pod ", pod->metadata().namespace_(), "/",
                                    pod->metadata().name()));
    } else if (!absl::IsNotFound(r.status()) && !absl::IsAborted(r.status()) && result.ok()) {
      result = r.status();
    }
  }
  return result;
}

}  // namespace mk::controller_manager
