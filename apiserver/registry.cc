#include "apiserver/registry.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "apiserver/patch.h"
#include "apiserver/registry_internal.h"
#include "common/api_error.h"
#include "common/defaults.h"
#include "common/json_codec.h"
#include "common/names.h"
#include "common/object.h"
#include "common/validation.h"
#include "google/protobuf/util/message_differencer.h"

namespace mk::apiserver {

using google::protobuf::Message;

namespace {

// "replicasets.apps", "pods": the group-qualified resource Kubernetes names in its errors.
std::string Qualified(const ResourceInfo& r) {
  return r.group.empty() ? r.name : absl::StrCat(r.name, ".", r.group);
}

constexpr int kMaxConflictRetries = 16;
constexpr int kMaxGenerateNameRetries = 8;

bool HasStatus(const ResourceInfo& r) {
  for (const std::string& s : r.subresources) {
    if (s == "status") return true;
  }
  return false;
}

// Copies field `name` (a message field: "spec" or "status") from `from` to `to`.
void CopyField(const Message& from, Message* to, const char* name) {
  const auto* f = from.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr) return;
  to->GetReflection()->MutableMessage(to, f)->CopyFrom(from.GetReflection()->GetMessage(from, f));
}

// certificatesigningrequests/approval: only status.conditions change (Kubernetes'
// approvalStrategy); the certificate stays as stored.
void CopyApprovalConditions(const Message& from, Message* to) {
  const auto* f = dynamic_cast<const api::CertificateSigningRequest*>(&from);
  auto* t = dynamic_cast<api::CertificateSigningRequest*>(to);
  if (f == nullptr || t == nullptr) return;
  *t->mutable_status()->mutable_conditions() = f->status().conditions();
}

bool SameField(const Message& a, const Message& b, const char* name) {
  const auto* f = a.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr) return true;
  return google::protobuf::util::MessageDifferencer::Equals(a.GetReflection()->GetMessage(a, f),
                                                            b.GetReflection()->GetMessage(b, f));
}

}  // namespace

Registry::Registry(Store* store, NowFn now)
    : store_(store), now_(std::move(now)), decoded_(std::make_shared<WatchDecodeCache>()) {
  if (!now_) now_ = [] { return absl::Now(); };
}

std::string Registry::Key(const ResourceInfo& r, const std::string& ns, const std::string& name) {
  if (!r.namespaced) return absl::StrCat("/registry/", r.name, "/", name);
  return absl::StrCat("/registry/", r.name, "/", ns, "/", name);
}

std::string Registry::Prefix(const ResourceInfo& r, const std::string& ns) {
  if (!r.namespaced || ns.empty()) return absl::StrCat("/registry/", r.name, "/");
  return absl::StrCat("/registry/", r.name, "/", ns, "/");
}

absl::StatusOr<ObjectPtr> Registry::Decode(const ResourceInfo& r, const KeyValue& kv) const {
  ObjectPtr obj = r.New();
  if (!obj->ParseFromString(kv.value)) {
    return absl::InternalError(absl::StrCat("corrupt object at ", kv.key));
  }
  MutableMeta(obj.get())->set_resource_version(absl::StrCat(kv.mod_revision));
  return obj;
}

absl::StatusOr<ObjectPtr> Registry::Get(const ResourceInfo& r, const std::string& ns,
                                        const std::string& name) {
  absl::StatusOr<KeyValue> kv = store_->Get(Key(r, ns, name));
  if (!kv.ok()) {
    if (absl::IsNotFound(kv.status())) return NotFoundError(Qualified(r), name);
    return kv.status();
  }
  return Decode(r, *kv);
}

absl::StatusOr<ObjectList> Registry::List(const ResourceInfo& r, const std::string& ns,
                                          const ListOptions& opts) {
  absl::StatusOr<ObjectFilter> filter =
      ObjectFilter::Make(r, opts.label_selector, opts.field_selector);
  if (!filter.ok()) return filter.status();
  ObjectList out;
  std::vector<KeyValue> kvs = store_->List(Prefix(r, ns), &out.resource_version);
  for (const KeyValue& kv : kvs) {
    absl::StatusOr<ObjectPtr> obj = Decode(r, kv);
    if (!obj.ok()) return obj.status();
    if (filter->Matches(**obj)) out.items.push_back(std::move(*obj));
  }
  return out;
}

absl::Status Registry::Admit(const ResourceInfo& r, const std::string& ns, Message* obj) {
  if (r.namespaced && r.name != "events") {
    absl::StatusOr<KeyValue> nsobj = store_->Get(Key(*FindResource("namespaces"), "", ns));
    if (!nsobj.ok()) {
      if (absl::IsNotFound(nsobj.status())) return NotFoundError("namespaces", ns);
      return nsobj.status();
    }
    api::Namespace n;
    if (n.ParseFromString(nsobj->value) && !n.metadata().deletion_timestamp().empty()) {
      return ForbiddenError(absl::StrCat("unable to create new content in namespace ", ns,
                                         " because it is being terminated"));
    }
  }
  if (r.name == "pods") return AdmitPod(store_, static_cast<api::Pod*>(obj));
  return absl::OkStatus();
}

absl::StatusOr<ObjectPtr> Registry::CreateOnce(const ResourceInfo& r, const std::string& ns,
                                               const Message& in, bool dry_run) {
  ObjectPtr obj(in.New());
  obj->CopyFrom(in);
  api::ObjectMeta* meta = MutableMeta(obj.get());
  if (meta->name().empty() && !meta->generate_name().empty()) {
    meta->set_name(absl::StrCat(meta->generate_name().substr(0, 58), GenerateNameSuffix()));
  }
  SetTypeMeta(obj.get(), r.ApiVersion(), r.kind);
  meta->set_namespace_(r.namespaced ? ns : "");
  meta->set_uid(NewUid());
  meta->set_creation_timestamp(mk::FormatTime(now_()));
  meta->clear_resource_version();
  meta->clear_deletion_timestamp();
  meta->clear_deletion_grace_period_seconds();
  meta->set_generation(1);
  meta->clear_self_link();
  ApplyDefaults(obj.get());
  InitStatus(r, obj.get());
  if (absl::Status s = Admit(r, ns, obj.get()); !s.ok()) return s;
  std::vector<FieldError> errs = Validate(*obj);
  if (!errs.empty()) return InvalidError(r.kind, meta->name(), errs);
  if (dry_run) {
    if (store_->Get(Key(r, ns, meta->name())).ok()) {
      return AlreadyExistsError(Qualified(r), meta->name());
    }
    return obj;
  }
  absl::StatusOr<int64_t> rev = store_->Create(Key(r, ns, meta->name()), obj->SerializeAsString());
  if (!rev.ok()) {
    if (absl::IsAlreadyExists(rev.status())) return AlreadyExistsError(Qualified(r), meta->name());
    return rev.status();
  }
  meta->set_resource_version(absl::StrCat(*rev));
  if (r.name == "namespaces") {
    absl::Status s = EnsureDefaultServiceAccount(this, meta->name());
    if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
  }
  return obj;
}

absl::StatusOr<ObjectPtr> Registry::Create(const ResourceInfo& r, const std::string& ns,
                                           ObjectPtr obj, bool dry_run) {
  const api::ObjectMeta& meta = Meta(*obj);
  if (r.namespaced && !meta.namespace_().empty() && meta.namespace_() != ns) {
    return BadRequestError(
        "the namespace of the provided object does not match the namespace sent on the "
        "request");
  }
  if (meta.name().empty() && meta.generate_name().empty()) {
    return InvalidError(r.kind, "",
                        {{"metadata.name", "FieldValueRequired",
                          "Required value: name or generateName is required"}});
  }
  bool generated = meta.name().empty();
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<ObjectPtr> out = CreateOnce(r, r.namespaced ? ns : "", *obj, dry_run);
    if (out.ok() || !generated || !absl::IsAlreadyExists(out.status()) ||
        attempt + 1 >= kMaxGenerateNameRetries) {
      return out;
    }
  }
}

absl::StatusOr<ObjectPtr> Registry::StoreUpdate(const ResourceInfo& r, const std::string& ns,
                                                const std::string& name, const Message& old_obj,
                                                ObjectPtr obj, int64_t expected_revision) {
  api::ObjectMeta* meta = MutableMeta(obj.get());
  const api::ObjectMeta& old_meta = Meta(old_obj);
  // System-owned metadata cannot be changed by an update.
  SetTypeMeta(obj.get(), r.ApiVersion(), r.kind);
  meta->set_name(old_meta.name());
  meta->set_namespace_(old_meta.namespace_());
  meta->set_uid(old_meta.uid());
  meta->set_creation_timestamp(old_meta.creation_timestamp());
  meta->set_deletion_timestamp(old_meta.deletion_timestamp());
  if (old_meta.has_deletion_grace_period_seconds()) {
    meta->set_deletion_grace_period_seconds(old_meta.deletion_grace_period_seconds());
  } else {
    meta->clear_deletion_grace_period_seconds();
  }
  meta->set_generation(old_meta.generation());
  if (!SameField(*obj, old_obj, "spec")) {
    meta->set_generation(old_meta.generation() + 1);
  }
  meta->clear_resource_version();
  ApplyDefaults(obj.get());
  std::vector<FieldError> errs = Validate(*obj);
  std::vector<FieldError> uerrs = ValidateUpdate(old_obj, *obj);
  errs.insert(errs.end(), uerrs.begin(), uerrs.end());
  if (!errs.empty()) return InvalidError(r.kind, name, errs);

  // Deletion completes when the last finalizer goes.
  if (!meta->deletion_timestamp().empty() && meta->finalizers_size() == 0 && r.name != "pods") {
    absl::StatusOr<int64_t> rev = store_->Delete(Key(r, ns, name), expected_revision);
    if (!rev.ok()) {
      if (absl::IsAborted(rev.status())) {
        return ConflictError(Qualified(r), name, kModifiedMessage);
      }
      return rev.status();
    }
    meta->set_resource_version(absl::StrCat(*rev));
    return obj;
  }
  absl::StatusOr<int64_t> rev =
      store_->Update(Key(r, ns, name), obj->SerializeAsString(), expected_revision);
  if (!rev.ok()) {
    if (absl::IsAborted(rev.status())) return ConflictError(Qualified(r), name, kModifiedMessage);
    if (absl::IsNotFound(rev.status())) return NotFoundError(Qualified(r), name);
    return rev.status();
  }
  meta->set_resource_version(absl::StrCat(*rev));
  return obj;
}

absl::StatusOr<ObjectPtr> Registry::Update(const ResourceInfo& r, const std::string& ns,
                                           const std::string& name, const std::string& subresource,
                                           ObjectPtr obj) {
  const api::ObjectMeta& in_meta = Meta(*obj);
  if (!in_meta.name().empty() && in_meta.name() != name) {
    return BadRequestError("the name of the object does not match the name on the URL");
  }
  absl::StatusOr<KeyValue> kv = store_->GetForUpdate(Key(r, r.namespaced ? ns : "", name));
  if (!kv.ok()) {
    if (absl::IsNotFound(kv.status())) return NotFoundError(Qualified(r), name);
    return kv.status();
  }
  absl::StatusOr<ObjectPtr> current = Decode(r, *kv);
  if (!current.ok()) return current.status();
  int64_t expected = kv->mod_revision;
  if (!in_meta.resource_version().empty()) {
    int64_t rv = 0;
    if (!absl::SimpleAtoi(in_meta.resource_version(), &rv)) {
      return BadRequestError("invalid resourceVersion");
    }
    if (rv != kv->mod_revision) return ConflictError(Qualified(r), name, kModifiedMessage);
  }
  if (subresource == "status" || subresource == "approval") {
    // Only status changes; spec and metadata come from the stored object.
    ObjectPtr merged((*current)->New());
    merged->CopyFrom(**current);
    if (subresource == "status") {
      CopyField(*obj, merged.get(), "status");
    } else {
      CopyApprovalConditions(*obj, merged.get());
    }
    obj = std::move(merged);
  } else if (HasStatus(r)) {
    CopyField(**current, obj.get(), "status");
  }
  return StoreUpdate(r, r.namespaced ? ns : "", name, **current, std::move(obj), expected);
}

absl::StatusOr<ObjectPtr> Registry::GuaranteedUpdate(
    const ResourceInfo& r, const std::string& ns, const std::string& name,
    const std::function<absl::Status(Message*)>& mutate) {
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    absl::StatusOr<KeyValue> kv = store_->GetForUpdate(Key(r, ns, name));
    if (!kv.ok()) {
      if (absl::IsNotFound(kv.status())) return NotFoundError(Qualified(r), name);
      return kv.status();
    }
    absl::StatusOr<ObjectPtr> current = Decode(r, *kv);
    if (!current.ok()) return current.status();
    ObjectPtr next((*current)->New());
    next->CopyFrom(**current);
    if (absl::Status s = mutate(next.get()); !s.ok()) return s;
    absl::StatusOr<ObjectPtr> out =
        StoreUpdate(r, ns, name, **current, std::move(next), kv->mod_revision);
    if (out.ok() || !absl::IsAborted(out.status())) return out;
  }
  return ConflictError(Qualified(r), name, kModifiedMessage);
}

absl::StatusOr<ObjectPtr> Registry::Patch(const ResourceInfo& r, const std::string& ns,
                                          const std::string& name, const std::string& subresource,
                                          const std::string& content_type, const Json& patch) {
  absl::StatusOr<PatchType> type = ParsePatchType(content_type);
  if (!type.ok()) return type.status();
  const std::string key_ns = r.namespaced ? ns : "";
  return GuaranteedUpdate(r, key_ns, name, [&](Message* obj) -> absl::Status {
    Json original = EncodeJson(*obj);
    absl::StatusOr<Json> patched = ApplyPatch(original, patch, *type, r.kind);
    if (!patched.ok()) return patched.status();
    ObjectPtr next(obj->New());
    std::vector<FieldError> errs;
    DecodeJsonInto(*patched, next.get(), "", &errs);
    if (!errs.empty()) return InvalidError(r.kind, name, errs);
    // A patch carrying a resourceVersion is a precondition.
    const std::string& want = Meta(*next).resource_version();
    if (!want.empty() && want != Meta(*obj).resource_version()) {
      return ConflictError(Qualified(r), name, kModifiedMessage);
    }
    if (subresource == "status") {
      CopyField(*next, obj, "status");
    } else if (subresource == "approval") {
      CopyApprovalConditions(*next, obj);
    } else {
      if (HasStatus(r)) CopyField(*obj, next.get(), "status");
      obj->CopyFrom(*next);
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<ObjectPtr> Registry::DeleteNow(const ResourceInfo& r, const std::string& ns,
                                              const std::string& name, const KeyValue& kv) {
  absl::StatusOr<ObjectPtr> obj = Decode(r, kv);
  if (!obj.ok()) return obj.status();
  absl::StatusOr<int64_t> rev = store_->Delete(Key(r, ns, name), kv.mod_revision);
  if (!rev.ok()) {
    if (absl::IsAborted(rev.status())) return ConflictError(Qualified(r), name, kModifiedMessage);
    if (absl::IsNotFound(rev.status())) return NotFoundError(Qualified(r), name);
    return rev.status();
  }
  MutableMeta(obj->get())->set_resource_version(absl::StrCat(*rev));
  return obj;
}

absl::StatusOr<ObjectPtr> Registry::Delete(const ResourceInfo& r, const std::string& ns_in,
                                           const std::string& name, const DeleteOptions& opts) {
  const std::string ns = r.namespaced ? ns_in : "";
  for (int attempt = 0; attempt < kMaxConflictRetries; ++attempt) {
    absl::StatusOr<KeyValue> kv = store_->GetForUpdate(Key(r, ns, name));
    if (!kv.ok()) {
      if (absl::IsNotFound(kv.status())) return NotFoundError(Qualified(r), name);
      return kv.status();
    }
    absl::StatusOr<ObjectPtr> current = Decode(r, *kv);
    if (!current.ok()) return current.status();
    const api::ObjectMeta& meta = Meta(**current);
    if (opts.precondition_uid && *opts.precondition_uid != meta.uid()) {
      return ConflictError(
          r.name, name,
          absl::StrCat("Precondition failed: UID in precondition: ", *opts.precondition_uid,
                       ", UID in object meta: ", meta.uid()));
    }
    if (opts.precondition_resource_version &&
        *opts.precondition_resource_version != meta.resource_version()) {
      return ConflictError(Qualified(r), name, kModifiedMessage);
    }
    absl::StatusOr<DeletePlan> plan = PlanDelete(r, **current, opts, now_());
    if (!plan.ok()) return plan.status();
    if (plan->orphan_dependents) {
      if (absl::Status s = OrphanDependents(ns, meta.uid()); !s.ok()) return s;
    }
    absl::StatusOr<ObjectPtr> out;
    if (plan->delete_now) {
      out = DeleteNow(r, ns, name, *kv);
    } else if (plan->updated == nullptr) {
      return current;  // already terminating; nothing changes
    } else {
      absl::StatusOr<int64_t> rev =
          store_->Update(Key(r, ns, name), plan->updated->SerializeAsString(), kv->mod_revision);
      if (rev.ok()) {
        MutableMeta(plan->updated.get())->set_resource_version(absl::StrCat(*rev));
        out = std::move(plan->updated);
      } else if (absl::IsAborted(rev.status())) {
        out = ConflictError(Qualified(r), name, kModifiedMessage);
      } else {
        out = rev.status();
      }
    }
    if (out.ok() || !absl::IsAborted(out.status())) return out;
  }
  return ConflictError(Qualified(r), name, kModifiedMessage);
}

absl::Status Registry::OrphanDependents(const std::string& ns, const std::string& owner_uid) {
  for (const char* res : {"pods", "replicasets"}) {
    const ResourceInfo* r = FindResource(res);
    int64_t rev;
    for (const KeyValue& kv : store_->List(Prefix(*r, ns), &rev)) {
      absl::StatusOr<ObjectPtr> obj = Decode(*r, kv);
      if (!obj.ok()) continue;
      bool owned = false;
      for (const auto& ref : Meta(**obj).owner_references()) owned |= ref.uid() == owner_uid;
      if (!owned) continue;
      absl::StatusOr<ObjectPtr> s = GuaranteedUpdate(*r, ns, Meta(**obj).name(), [&](Message* m) {
        auto* refs = MutableMeta(m)->mutable_owner_references();
        for (int i = refs->size() - 1; i >= 0; --i) {
          if (refs->Get(i).uid() == owner_uid) refs->DeleteSubrange(i, 1);
        }
        return absl::OkStatus();
      });
      if (!s.ok() && !absl::IsNotFound(s.status())) return s.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ObjectPtr> Registry::Bind(const std::string& ns, const std::string& name,
                                         const std::string& node,
                                         const std::map<std::string, std::string>& annotations) {
  const ResourceInfo& pods = *FindResource("pods");
  std::string now = mk::FormatTime(now_());
  return GuaranteedUpdate(pods, ns, name, [&](Message* m) -> absl::Status {
    auto* pod = static_cast<api::Pod*>(m);
    if (!pod->spec().node_name().empty()) {
      return ConflictError("pods", name,
                           absl::StrCat("pod ", name, " is already assigned to node \"",
                                        pod->spec().node_name(), "\""));
    }
    if (!pod->metadata().deletion_timestamp().empty()) {
      return ConflictError("pods", name, "pod is being deleted, cannot be assigned to a host");
    }
    pod->mutable_spec()->set_node_name(node);
    auto* ann = pod->mutable_metadata()->mutable_annotations();
    ann->erase("scheduler.mk.io/filter-reasons");  // reasons it could not be placed before
    for (const auto& [k, v] : annotations) (*ann)[k] = v;
    SetPodCondition(pod, "PodScheduled", "True", "", now);
    return absl::OkStatus();
  });
}

absl::StatusOr<ObjectPtr> Registry::GetScale(const ResourceInfo& r, const std::string& ns,
                                             const std::string& name) {
  absl::StatusOr<ObjectPtr> obj = Get(r, ns, name);
  if (!obj.ok()) return obj.status();
  return ScaleOf(**obj);
}

absl::StatusOr<ObjectPtr> Registry::UpdateScale(const ResourceInfo& r, const std::string& ns,
                                                const std::string& name, const Json& scale) {
  api::Scale s;
  if (absl::Status st = DecodeJson(scale, &s); !st.ok()) return st;
  if (s.spec().replicas() < 0) {
    return InvalidError("Scale", name,
                        {{"spec.replicas", "FieldValueInvalid",
                          absl::StrCat("Invalid value: ", s.spec().replicas(),
                                       ": must be greater than or equal to 0")}});
  }
  absl::StatusOr<ObjectPtr> out = GuaranteedUpdate(r, ns, name, [&](Message* m) {
    const std::string& want = s.metadata().resource_version();
    if (!want.empty() && want != Meta(*m).resource_version()) {
      return ConflictError(Qualified(r), name, kModifiedMessage);
    }
    static_cast<api::ReplicaSet*>(m)->mutable_spec()->set_replicas(s.spec().replicas());
    return absl::OkStatus();
  });
  if (!out.ok()) return out.status();
  return ScaleOf(**out);
}

absl::StatusOr<ObjectPtr> Registry::PatchScale(const ResourceInfo& r, const std::string& ns,
                                               const std::string& name,
                                               const std::string& content_type, const Json& patch) {
  absl::StatusOr<PatchType> type = ParsePatchType(content_type);
  if (!type.ok()) return type.status();
  absl::StatusOr<ObjectPtr> current = GetScale(r, ns, name);
  if (!current.ok()) return current.status();
  absl::StatusOr<Json> patched = ApplyPatch(EncodeJson(**current), patch, *type, "Scale");
  if (!patched.ok()) return patched.status();
  return UpdateScale(r, ns, name, *patched);
}

absl::Status Registry::Bootstrap() {
  const ResourceInfo& nsr = *FindResource("namespaces");
  for (const char* name : {"default", "kube-system", "kube-node-lease"}) {
    auto ns = std::make_unique<api::Namespace>();
    ns->mutable_metadata()->set_name(name);
    absl::StatusOr<ObjectPtr> out = Create(nsr, "", std::move(ns));
    if (!out.ok() && !absl::IsAlreadyExists(out.status())) return out.status();
    absl::Status s = EnsureDefaultServiceAccount(this, name);
    if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
  }
  return absl::OkStatus();
}

}  // namespace mk::apiserver
