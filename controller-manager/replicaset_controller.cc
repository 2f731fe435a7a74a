#include "controller-manager/replicaset_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/object.h"
#include "common/selectors.h"

namespace mk::controller_manager {
namespace {

std::string PodKey(const api::Pod& pod) {
  return KeyFor(pod.metadata().namespace_(), pod.metadata().name());
}

std::string RsKey(const api::ReplicaSet& rs) {
  return KeyFor(rs.metadata().namespace_(), rs.metadata().name());
}

int PhaseRank(const std::string& phase) {
  if (phase == "Pending" || phase.empty()) return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 3;
}

int MaxRestarts(const api::Pod& pod) {
  int m = 0;
  for (const api::ContainerStatus& s : pod.status().container_statuses()) {
    m = std::max(m, s.restart_count());
  }
  return m;
}

api::OwnerReference OwnerRefFor(const api::ReplicaSet& rs) {
  api::OwnerReference ref;
  ref.set_api_version("apps/v1");
  ref.set_kind("ReplicaSet");
  ref.set_name(rs.metadata().name());
  ref.set_uid(rs.metadata().uid());
  ref.set_controller(true);
  ref.set_block_owner_deletion(true);
  return ref;
}

}  // namespace

ReplicaSetController::ReplicaSetController(ApiClient* client, Informer* rs_informer,
                                           Informer* pod_informer, EventRecorder* recorder,
                                           ReplicaSetControllerOptions opts)
    : client_(client),
      rs_informer_(rs_informer),
      pod_informer_(pod_informer),
      recorder_(recorder),
      opts_(opts),
      clock_(opts.clock != nullptr ? opts.clock : Clock::Real()),
      queue_(WorkQueueOptions{absl::Milliseconds(5), absl::Seconds(60), clock_}),
      expectations_(clock_),
      workers_(
          &queue_, [this](const std::string& key) { return Sync(key); }, "replicaset") {
  EventHandlers rs_handlers;
  rs_handlers.on_add = [this](const google::protobuf::Message& m) {
    Enqueue(static_cast<const api::ReplicaSet&>(m));
  };
  rs_handlers.on_update = [this](const google::protobuf::Message&,
                                 const google::protobuf::Message& m) {
    Enqueue(static_cast<const api::ReplicaSet&>(m));
  };
  rs_handlers.on_delete = [this](const google::protobuf::Message& m) {
    const auto& rs = static_cast<const api::ReplicaSet&>(m);
    expectations_.Delete(RsKey(rs));
    Enqueue(rs);
  };
  rs_informer_->AddHandlers(std::move(rs_handlers));

  EventHandlers pod_handlers;
  pod_handlers.on_add = [this](const google::protobuf::Message& m) {
    AddPod(static_cast<const api::Pod&>(m));
  };
  pod_handlers.on_update = [this](const google::protobuf::Message& o,
                                  const google::protobuf::Message& m) {
    UpdatePod(static_cast<const api::Pod&>(o), static_cast<const api::Pod&>(m));
  };
  pod_handlers.on_delete = [this](const google::protobuf::Message& m) {
    DeletePod(static_cast<const api::Pod&>(m));
  };
  pod_informer_->AddHandlers(std::move(pod_handlers));
}

ReplicaSetController::~ReplicaSetController() { Shutdown(); }

void ReplicaSetController::Run(int workers) { workers_.Start(workers); }

void ReplicaSetController::Shutdown() { workers_.Stop(); }

void ReplicaSetController::Enqueue(const api::ReplicaSet& rs) { queue_.Add(RsKey(rs)); }

std::shared_ptr<const api::ReplicaSet> ReplicaSetController::ResolveRef(
    const std::string& ns, const api::OwnerReference& ref) {
  if (ref.kind() != "ReplicaSet") return nullptr;
  auto rs = rs_informer_->GetAs<api::ReplicaSet>(KeyFor(ns, ref.name()));
  if (rs == nullptr || rs->metadata().uid() != ref.uid()) return nullptr;
  return rs;
}

void ReplicaSetController::EnqueueMatching(const api::Pod& pod) {
  const std::string& ns = pod.metadata().namespace_();
  for (const auto& rs : rs_informer_->ListAs<api::ReplicaSet>()) {
    if (rs->metadata().namespace_() != ns) continue;
    absl::StatusOr<LabelSelector> sel = LabelSelector::FromProto(rs->spec().selector());
    if (!sel.ok() || sel->Empty()) continue;
    if (sel->Matches(pod.metadata().labels())) Enqueue(*rs);
  }
}

void ReplicaSetController::AddPod(const api::Pod& pod) {
  if (!pod.metadata().deletion_timestamp().empty()) {
    // Seen for the first time already terminating (e.g. after a restart): a deletion.
    DeletePod(pod);
    return;
  }
  if (const api::OwnerReference* ref = ControllerRef(pod.metadata())) {
    auto rs = ResolveRef(pod.metadata().namespace_(), *ref);
    if (rs == nullptr) return;
    expectations_.CreationObserved(RsKey(*rs));
    Enqueue(*rs);
    return;
  }
  EnqueueMatching(pod);
}

void ReplicaSetController::UpdatePod(const api::Pod& old_pod, const api::Pod& pod) {
  if (old_pod.metadata().resource_version() == pod.metadata().resource_version()) {
    return;  // periodic resync: nothing changed
  }
  bool labels_changed = old_pod.metadata().labels().size() != pod.metadata().labels().size();
  if (!labels_changed) {
    for (const auto& [k, v] : pod.metadata().labels()) {
      auto it = old_pod.metadata().labels().find(k);
      if (it == old_pod.metadata().labels().end() || it->second != v) {
        labels_changed = true;
        break;
      }
    }
  }
  if (!pod.metadata().deletion_timestamp().empty()) {
    // Graceful deletion: the pod stops counting now.
    DeletePod(pod);
    if (labels_changed) DeletePod(old_pod);
    return;
  }
  const api::OwnerReference* old_ref = ControllerRef(old_pod.metadata());
  const api::OwnerReference* cur_ref = ControllerRef(pod.metadata());
  bool ref_changed = (old_ref == nullptr) != (cur_ref == nullptr) ||
                     (old_ref != nullptr && old_ref->uid() != cur_ref->uid());
  if (ref_changed && old_ref != nullptr) {
    if (auto rs = ResolveRef(old_pod.metadata().namespace_(), *old_ref)) Enqueue(*rs);
  }
  if (cur_ref != nullptr) {
    auto rs = ResolveRef(pod.metadata().namespace_(), *cur_ref);
    if (rs == nullptr) return;
    Enqueue(*rs);
    // A pod that just became ready becomes available after minReadySeconds.
    if (!IsPodReady(old_pod) && IsPodReady(pod) && rs->spec().min_ready_seconds() > 0) {
      queue_.AddAfter(RsKey(*rs),
                      absl::Seconds(rs->spec().min_ready_seconds()) + absl::Milliseconds(100));
    }
    return;
  }
  if (labels_changed || ref_changed) EnqueueMatching(pod);
}

void ReplicaSetController::DeletePod(const api::Pod& pod) {
  const api::OwnerReference* ref = ControllerRef(pod.metadata());
  if (ref == nullptr) return;
  auto rs = ResolveRef(pod.metadata().namespace_(), *ref);
  if (rs == nullptr) return;
  expectations_.DeletionObserved(RsKey(*rs), PodKey(pod));
  Enqueue(*rs);
}

void ReplicaSetController::SortForDeletion(std::vector<std::shared_ptr<const api::Pod>>* pods) {
  std::stable_sort(pods->begin(), pods->end(), [](const auto& a, const auto& b) {
    // 1. Unassigned before assigned.
    bool ua = a->spec().node_name().empty(), ub = b->spec().node_name().empty();
    if (ua != ub) return ua;
    // 2. Pending < Unknown < Running.
    int pa = PhaseRank(a->status().phase()), pb = PhaseRank(b->status().phase());
    if (pa != pb) return pa < pb;
    // 3. Not ready before ready.
    bool ra = IsPodReady(*a), rb = IsPodReady(*b);
    if (ra != rb) return !ra;
    // 4. Ready for less time first.
    if (ra && rb) {
      absl::Time ta = PodReadySince(*a), tb = PodReadySince(*b);
      if (ta != tb) return ta > tb;
    }
    // 5. More restarts first.
    int ca = MaxRestarts(*a), cb = MaxRestarts(*b);
    if (ca != cb) return ca > cb;
    // 6. Newer first.
    absl::Time na = ParseTime(a->metadata().creation_timestamp());
    absl::Time nb = ParseTime(b->metadata().creation_timestamp());
    if (na != nb) return na > nb;
    return a->metadata().name() > b->metadata().name();
  });
}

absl::Status ReplicaSetController::Sync(const std::string& key) {
  auto rs = rs_informer_->GetAs<api::ReplicaSet>(key);
  if (rs == nullptr) {
    expectations_.Delete(key);
    return absl::OkStatus();
  }
  bool needs_sync = expectations_.Satisfied(key);
  std::vector<std::shared_ptr<const api::Pod>> claimed;
  absl::Status claim_status = ClaimPods(*rs, &claimed);
  absl::Status manage_status;
  if (claim_status.ok() && needs_sync && rs->metadata().deletion_timestamp().empty()) {
    manage_status = ManageReplicas(*rs, claimed);
  }
  api::ReplicaSetStatus status = CalculateStatus(*rs, claimed);
  absl::Status status_status = UpdateStatus(*rs, status);
  if (!claim_status.ok()) return claim_status;
  if (!manage_status.ok()) return manage_status;
  if (!status_status.ok()) return status_status;
  // Pods ready but not yet available: look again once they are.
  if (rs->spec().min_ready_seconds() > 0 && status.ready_replicas() > status.available_replicas()) {
    queue_.AddAfter(key, absl::Seconds(rs->spec().min_ready_seconds()));
  }
  return absl::OkStatus();
}

absl::Status ReplicaSetController::ClaimPods(
    const api::ReplicaSet& rs, std::vector<std::shared_ptr<const api::Pod>>* claimed) {
  const std::string& ns = rs.metadata().namespace_();
  absl::StatusOr<LabelSelector> sel = LabelSelector::FromProto(rs.spec().selector());
  if (!sel.ok()) {
    recorder_->Event(rs, "Warning", "InvalidSelector", std::string(sel.status().message()));
    return absl::OkStatus();  // retrying will not help; the next spec change requeues
  }
  bool rs_deleting = !rs.metadata().deletion_timestamp().empty();
  bool adoption_checked = false, can_adopt = false;
  absl::Status result;
  for (const auto& pod : pod_informer_->ListAs<api::Pod>()) {
    if (pod->metadata().namespace_() != ns || !IsPodActive(*pod)) continue;
    const api::OwnerReference* ref = ControllerRef(pod->metadata());
    bool matches = !sel->Empty() && sel->Matches(pod->metadata().labels());
    if (ref != nullptr) {
      if (ref->uid() != rs.metadata().uid()) continue;
      if (matches) {
        claimed->push_back(pod);
        continue;
      }
      if (rs_deleting) continue;
      // Release: drop our ownerReference.
      api::Pod updated = *pod;
      auto* refs = updated.mutable_metadata()->mutable_owner_references();
      for (int i = refs->size() - 1; i >= 0; --i) {
        if (refs->Get(i).uid() == rs.metadata().uid()) refs->DeleteSubrange(i, 1);
      }
      absl::StatusOr<api::Pod> r = client_->UpdateAs<api::Pod>("pods", ns, updated);
      if (!r.ok() && !absl::IsNotFound(r.status())) {
        result = r.status();
      } else if (r.ok()) {
        MK_VLOG(2) << "replicaset " << RsKey(rs) << " released pod " << pod->metadata().name();
      }
      continue;
    }
    if (!matches || rs_deleting) continue;
    if (!adoption_checked) {
      // Adopt only if the ReplicaSet really still exists as we know it (not a stale cache).
      adoption_checked = true;
      absl::StatusOr<api::ReplicaSet> fresh =
          client_->GetAs<api::ReplicaSet>("replicasets", ns, rs.metadata().name());
      can_adopt = fresh.ok() && fresh->metadata().uid() == rs.metadata().uid() &&
                  fresh->metadata().deletion_timestamp().empty();
      if (!fresh.ok() && !absl::IsNotFound(fresh.status())) result = fresh.status();
    }
    if (!can_adopt) continue;
    api::Pod updated = *pod;
    *updated.mutable_metadata()->add_owner_references() = OwnerRefFor(rs);
    absl::StatusOr<api::Pod> r = client_->UpdateAs<api::Pod>("pods", ns, updated);
    if (r.ok()) {
      MK_VLOG(2) << "replicaset " << RsKey(rs) << " adopted pod " << pod->metadata().name();
      claimed->push_back(std::make_shared<const api::Pod>(std::move(*r)));
    } else if (!absl::IsNotFound(r.status())) {
      result = r.status();
    }
  }
  return result;
}

absl::Status ReplicaSetController::ManageReplicas(
    const api::ReplicaSet& rs, const std::vector<std::shared_ptr<const api::Pod>>& pods) {
  const std::string key = RsKey(rs);
  const std::string& ns = rs.metadata().namespace_();
  int want = rs.spec().has_replicas() ? rs.spec().replicas() : 1;
  int diff = static_cast<int>(pods.size()) - want;
  if (diff < 0) {
    int n = std::min(-diff, opts_.burst_replicas);
    expectations_.ExpectCreations(key, n);
    MK_VLOG(2) << "replicaset " << key << ": too few replicas, need " << want << ", creating " << n;
    api::Pod tmpl;
    tmpl.set_api_version("v1");
    tmpl.set_kind("Pod");
    api::ObjectMeta* m = tmpl.mutable_metadata();
    m->set_namespace_(ns);
    m->set_generate_name(rs.metadata().name() + "-");
    *m->mutable_labels() = rs.spec().template_().metadata().labels();
    *m->mutable_annotations() = rs.spec().template_().metadata().annotations();
    *m->add_owner_references() = OwnerRefFor(rs);
    *tmpl.mutable_spec() = rs.spec().template_().spec();
    // Slow start: batches of 1, 2, 4, ... so a failing create does not fail n times.
    int created = 0, batch = 1;
    while (created < n) {
      int this_batch = std::min(batch, n - created);
      for (int i = 0; i < this_batch; ++i) {
        absl::StatusOr<api::Pod> r = client_->CreateAs<api::Pod>("pods", ns, tmpl);
        if (!r.ok()) {
          // The pods we will not create will never be observed.
          for (int j = created; j < n; ++j) expectations_.CreationObserved(key);
          recorder_->Event(rs, "Warning", "FailedCreate",
                           absl::StrCat("Error creating: ", r.status().message()));
          return r.status();
        }
        ++created;
        recorder_->Event(rs, "Normal", "SuccessfulCreate",
                         absl::StrCat("Created pod: ", r->metadata().name()));
      }
      batch *= 2;
    }
    return absl::OkStatus();
  }
  if (diff > 0) {
    int n = std::min(diff, opts_.burst_replicas);
    std::vector<std::shared_ptr<const api::Pod>> sorted = pods;
    SortForDeletion(&sorted);
    sorted.resize(n);
    std::vector<std::string> keys;
    for (const auto& p : sorted) keys.push_back(PodKey(*p));
    expectations_.ExpectDeletions(key, keys);
    MK_VLOG(2) << "replicaset " << key << ": too many replicas, need " << want << ", deleting "
               << n;
    absl::Status result;
    for (const auto& p : sorted) {
      DeleteOptions opts;
      opts.precondition_uid = p->metadata().uid();
      absl::StatusOr<ObjectPtr> r = client_->Delete("pods", ns, p->metadata().name(), opts);
      if (!r.ok()) {
        expectations_.DeletionObserved(key, PodKey(*p));
        if (absl::IsNotFound(r.status())) continue;
        recorder_->Event(rs, "Warning", "FailedDelete",
                         absl::StrCat("Error deleting: ", r.status().message()));
        result = r.status();
        continue;
      }
      recorder_->Event(rs, "Normal", "SuccessfulDelete",
                       absl::StrCat("Deleted pod: ", p->metadata().name()));
    }
    return result;
  }
  return absl::OkStatus();
}

api::ReplicaSetStatus ReplicaSetController::CalculateStatus(
    const api::ReplicaSet& rs, const std::vector<std::shared_ptr<const api::Pod>>& pods) {
  api::ReplicaSetStatus s = rs.status();
  int fully = 0, ready = 0, available = 0;
  absl::Time now = clock_->Now();
  const auto& tmpl_labels = rs.spec().template_().metadata().labels();
  for (const auto& p : pods) {
    bool all = true;
    for (const auto& [k, v] : tmpl_labels) {
      auto it = p->metadata().labels().find(k);
      if (it == p->metadata().labels().end() || it->second != v) {
        all = false;
        break;
      }
    }
    if (all) ++fully;
    if (IsPodReady(*p)) {
      ++ready;
      if (rs.spec().min_ready_seconds() == 0 ||
          PodReadySince(*p) + absl::Seconds(rs.spec().min_ready_seconds()) <= now) {
        ++available;
      }
    }
  }
  s.set_replicas(static_cast<int32_t>(pods.size()));
  s.set_fully_labeled_replicas(fully);
  s.set_ready_replicas(ready);
  s.set_available_replicas(available);
  s.set_observed_generation(rs.metadata().generation());
  return s;
}

absl::Status ReplicaSetController::UpdateStatus(const api::ReplicaSet& rs,
                                                const api::ReplicaSetStatus& status) {
  const auto& cur = rs.status();
  if (cur.replicas() == status.replicas() &&
      cur.fully_labeled_replicas() == status.fully_labeled_replicas() &&
      cur.ready_replicas() == status.ready_replicas() &&
      cur.available_replicas() == status.available_replicas() &&
      cur.observed_generation() == status.observed_generation()) {
    return absl::OkStatus();
  }
  api::ReplicaSet updated = rs;
  *updated.mutable_status() = status;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<api::ReplicaSet> r = client_->UpdateAs<api::ReplicaSet>(
        "replicasets", rs.metadata().namespace_(), updated, "status");
    if (r.ok() || absl::IsNotFound(r.status())) return absl::OkStatus();
    if (!absl::IsAborted(r.status()) || attempt >= 1) return r.status();
    absl::StatusOr<api::ReplicaSet> fresh = client_->GetAs<api::ReplicaSet>(
        "replicasets", rs.metadata().namespace_(), rs.metadata().name());
    if (!fresh.ok()) return absl::IsNotFound(fresh.status()) ? absl::OkStatus() : fresh.status();
    if (fresh->metadata().uid() != rs.metadata().uid()) return absl::OkStatus();
    updated = *fresh;
    *updated.mutable_status() = status;
    // observedGeneration must not claim a generation we have not seen.
    updated.mutable_status()->set_observed_generation(rs.metadata().generation());
  }
}

}  // namespace mk::controller_manager
