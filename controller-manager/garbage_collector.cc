#include "controller-manager/garbage_collector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/object.h"
#include "common/resources.h"

namespace mk::controller_manager {
namespace {

constexpr char kForeground[] = "foregroundDeletion";
constexpr char kOrphan[] = "orphan";

bool HasFinalizer(const api::ObjectMeta& m, const std::string& f) {
  for (const std::string& x : m.finalizers()) {
    if (x == f) return true;
  }
  return false;
}

std::string QueueKey(const std::string& resource, const api::ObjectMeta& m) {
  return absl::StrCat(resource, "|", KeyFor(m.namespace_(), m.name()));
}

}  // namespace

GarbageCollector::GarbageCollector(ApiClient* client, Informer* rs_informer, Informer* pod_informer,
                                   Clock* clock)
    : client_(client),
      rs_informer_(rs_informer),
      pod_informer_(pod_informer),
      queue_(WorkQueueOptions{absl::Milliseconds(5), absl::Seconds(60), clock}),
      workers_(
          &queue_, [this](const std::string& key) { return Sync(key); }, "garbagecollector") {
  for (const char* res : {"replicasets", "pods"}) {
    std::string resource = res;
    EventHandlers h;
    h.on_add = [this, resource](const google::protobuf::Message& m) { OnChange(resource, m); };
    h.on_update = [this, resource](const google::protobuf::Message&,
                                   const google::protobuf::Message& m) { OnChange(resource, m); };
    h.on_delete = [this, resource](const google::protobuf::Message& m) { OnDelete(resource, m); };
    InformerFor(resource)->AddHandlers(std::move(h));
  }
}

GarbageCollector::~GarbageCollector() { Shutdown(); }

void GarbageCollector::Run(int workers) { workers_.Start(workers); }
void GarbageCollector::Shutdown() { workers_.Stop(); }

Informer* GarbageCollector::InformerFor(const std::string& resource) {
  return resource == "pods" ? pod_informer_ : rs_informer_;
}

void GarbageCollector::OnChange(const std::string& resource, const google::protobuf::Message& obj) {
  const api::ObjectMeta& m = Meta(obj);
  if (m.owner_references_size() > 0 ||
      (!m.deletion_timestamp().empty() &&
       (HasFinalizer(m, kForeground) || HasFinalizer(m, kOrphan)))) {
    queue_.Add(QueueKey(resource, m));
  }
}

void GarbageCollector::OnDelete(const std::string& resource, const google::protobuf::Message& obj) {
  (void)resource;
  const api::ObjectMeta& m = Meta(obj);
  // Its dependents may now be garbage; an owner waiting in foreground deletion may be done.
  for (const auto& [key, dep] : Dependents(m.namespace_(), m.uid())) queue_.Add(key);
  for (const api::OwnerReference& ref : m.owner_references()) {
    if (ref.kind() == "ReplicaSet") {
      queue_.Add(absl::StrCat("replicasets|", KeyFor(m.namespace_(), ref.name())));
    }
  }
}

std::vector<std::pair<std::string, CachedObject>> GarbageCollector::Dependents(
    const std::string& ns, const std::string& uid) {
  std::vector<std::pair<std::string, CachedObject>> out;
  for (const char* res : {"pods", "replicasets"}) {
    for (CachedObject& o : InformerFor(res)->List()) {
      const api::ObjectMeta& m = Meta(*o);
      if (m.namespace_() != ns) continue;
      for (const api::OwnerReference& ref : m.owner_references()) {
        if (ref.uid() == uid) {
          out.emplace_back(QueueKey(res, m), o);
          break;
        }
      }
    }
  }
  return out;
}

absl::Status GarbageCollector::Sync(const std::string& key) {
  size_t bar = key.find('|');
  if (bar == std::string::npos) return absl::OkStatus();
  std::string resource = key.substr(0, bar);
  CachedObject obj = InformerFor(resource)->Get(key.substr(bar + 1));
  if (obj == nullptr) return absl::OkStatus();
  const api::ObjectMeta& m = Meta(*obj);
  if (!m.deletion_timestamp().empty() &&
      (HasFinalizer(m, kForeground) || HasFinalizer(m, kOrphan))) {
    if (absl::Status s = SyncOwner(resource, *obj); !s.ok()) return s;
  }
  if (m.owner_references_size() > 0) return SyncDependent(resource, *obj);
  return absl::OkStatus();
}

absl::Status GarbageCollector::SyncOwner(const std::string& resource,
                                         const google::protobuf::Message& obj) {
  const api::ObjectMeta& m = Meta(obj);
  auto deps = Dependents(m.namespace_(), m.uid());
  if (HasFinalizer(m, kOrphan)) {
    // Read the dependents live: a reference added just before the owner started terminating
    // may not be in the cache yet.
    for (const char* dres : {"pods", "replicasets"}) {
      absl::StatusOr<ListResult> list = client_->List(dres, m.namespace_());
      if (!list.ok()) return list.status();
      for (ObjectPtr& dep : list->items) {
        auto* refs = MutableMeta(dep.get())->mutable_owner_references();
        bool owned = false;
        for (int i = refs->size() - 1; i >= 0; --i) {
          if (refs->Get(i).uid() == m.uid()) {
            refs->DeleteSubrange(i, 1);
            owned = true;
          }
        }
        if (!owned) continue;
        MK_VLOG(2) << "gc: orphaning " << dres << " " << Meta(*dep).name();
        absl::StatusOr<ObjectPtr> r = client_->Update(dres, m.namespace_(), *dep);
        if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
      }
    }
    return RemoveFinalizer(resource, obj, kOrphan);
  }
  // Foreground: delete the dependents, then let the owner go.
  bool remaining = false;
  for (const auto& [dkey, dep] : deps) {
    remaining = true;
    const api::ObjectMeta& dm = Meta(*dep);
    if (!dm.deletion_timestamp().empty()) continue;  // on its way
    std::string dres = dkey.substr(0, dkey.find('|'));
    DeleteOptions opts;
    opts.propagation_policy = dres == "pods" ? "Background" : "Foreground";
    opts.precondition_uid = dm.uid();
    MK_VLOG(2) << "gc: foreground deletion of " << m.name() << ": deleting " << dkey;
    absl::StatusOr<ObjectPtr> r = client_->Delete(dres, dm.namespace_(), dm.name(), opts);
    if (!r.ok() && !absl::IsNotFound(r.status()) && !absl::IsAborted(r.status())) {
      return r.status();
    }
  }
  if (remaining) return absl::OkStatus();  // dependents' delete events requeue the owner
  return RemoveFinalizer(resource, obj, kForeground);
}

absl::Status GarbageCollector::RemoveFinalizer(const std::string& resource,
                                               const google::protobuf::Message& obj,
                                               const std::string& finalizer) {
  const api::ObjectMeta& m = Meta(obj);
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<ObjectPtr> cur = client_->Get(resource, m.namespace_(), m.name());
    if (!cur.ok()) return absl::IsNotFound(cur.status()) ? absl::OkStatus() : cur.status();
    api::ObjectMeta* cm = MutableMeta(cur->get());
    if (cm->uid() != m.uid()) return absl::OkStatus();
    auto* fs = cm->mutable_finalizers();
    bool found = false;
    for (int i = fs->size() - 1; i >= 0; --i) {
      if (fs->Get(i) == finalizer) {
        fs->DeleteSubrange(i, 1);
        found = true;
      }
    }
    if (!found) return absl::OkStatus();
    absl::StatusOr<ObjectPtr> r = client_->Update(resource, m.namespace_(), **cur);
    if (r.ok() || absl::IsNotFound(r.status())) return absl::OkStatus();
    if (!absl::IsAborted(r.status())) return r.status();
  }
  return absl::AbortedError("conflict removing finalizer");
}

absl::StatusOr<bool> GarbageCollector::OwnerExists(const std::string& ns,
                                                   const api::OwnerReference& ref,
                                                   bool* deleting_foreground) {
  *deleting_foreground = false;
  const ResourceInfo* info = FindResourceByKind(ref.api_version(), ref.kind());
  if (info == nullptr) return true;  // an owner kind we do not know: leave it alone
  std::string owner_ns = info->namespaced ? ns : "";
  if (info->name == "replicasets") {
    CachedObject cached = rs_informer_->Get(KeyFor(owner_ns, ref.name()));
    if (cached != nullptr && Meta(*cached).uid() == ref.uid()) {
      const api::ObjectMeta& om = Meta(*cached);
      *deleting_foreground = !om.deletion_timestamp().empty() && HasFinalizer(om, kForeground);
      return true;
    }
  }
  // Absent from the cache (or not cached): confirm with the apiserver.
  absl::StatusOr<ObjectPtr> live = client_->Get(info->name, owner_ns, ref.name());
  if (!live.ok()) {
    if (absl::IsNotFound(live.status())) return false;
    return live.status();
  }
  const api::ObjectMeta& om = Meta(**live);
  if (om.uid() != ref.uid()) return false;
  *deleting_foreground = !om.deletion_timestamp().empty() && HasFinalizer(om, kForeground);
  return true;
}

absl::Status GarbageCollector::SyncDependent(const std::string& resource,
                                             const google::protobuf::Message& obj) {
  const api::ObjectMeta& m = Meta(obj);
  std::vector<std::string> dangling;
  int alive = 0;
  for (const api::OwnerReference& ref : m.owner_references()) {
    bool foreground = false;
    absl::StatusOr<bool> exists = OwnerExists(m.namespace_(), ref, &foreground);
    if (!exists.ok()) return exists.status();
    if (*exists) {
      ++alive;
      if (foreground && ref.kind() == "ReplicaSet") {
        queue_.Add(absl::StrCat("replicasets|", KeyFor(m.namespace_(), ref.name())));
      }
    } else {
      dangling.push_back(ref.uid());
    }
  }
  if (dangling.empty()) return absl::OkStatus();
  if (alive == 0) {
    if (!m.deletion_timestamp().empty()) return absl::OkStatus();
    DeleteOptions opts;
    opts.propagation_policy = "Background";
    opts.precondition_uid = m.uid();
    MK_VLOG(2) << "gc: deleting " << resource << " " << KeyFor(m.namespace_(), m.name())
               << ": its owners are gone";
    absl::StatusOr<ObjectPtr> r = client_->Delete(resource, m.namespace_(), m.name(), opts);
    if (!r.ok() && !absl::IsNotFound(r.status()) && !absl::IsAborted(r.status())) {
      return r.status();
    }
    return absl::OkStatus();
  }
  // Some owners remain: drop only the dangling references.
  ObjectPtr copy(obj.New());
  copy->CopyFrom(obj);
  auto* refs = MutableMeta(copy.get())->mutable_owner_references();
  for (int i = refs->size() - 1; i >= 0; --i) {
    for (const std::string& uid : dangling) {
      if (refs->Get(i).uid() == uid) {
        refs->DeleteSubrange(i, 1);
        break;
      }
    }
  }
  absl::StatusOr<ObjectPtr> r = client_->Update(resource, m.namespace_(), *copy);
  if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  return absl::OkStatus();
}

}  // namespace mk::controller_manager
