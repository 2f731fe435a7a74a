#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apiserver/registry_internal.h"
#include "common/object.h"

namespace mk::apiserver {

using google::protobuf::Message;

namespace {

void AddTolerationIfMissing(api::Pod* pod, const std::string& key) {
  for (const api::Toleration& t : pod->spec().tolerations()) {
    if ((t.key() == key || (t.key().empty() && t.operator_() == "Exists")) &&
        (t.effect() == "NoExecute" || t.effect().empty())) {
      return;
    }
  }
  api::Toleration* t = pod->mutable_spec()->add_tolerations();
  t->set_key(key);
  t->set_operator_("Exists");
  t->set_effect("NoExecute");
  t->set_toleration_seconds(300);
}

}  // namespace

absl::Status AdmitPod(Store* store, api::Pod* pod) {
  const std::string& sa_name = pod->spec().service_account_name();
  if (pod->spec().image_pull_secrets_size() == 0 && !sa_name.empty()) {
    absl::StatusOr<KeyValue> kv = store->Get(
        Registry::Key(*FindResource("serviceaccounts"), pod->metadata().namespace_(), sa_name));
    api::ServiceAccount sa;
    if (kv.ok() && sa.ParseFromString(kv->value)) {
      *pod->mutable_spec()->mutable_image_pull_secrets() = sa.image_pull_secrets();
    }
  }
  AddTolerationIfMissing(pod, "node.kubernetes.io/not-ready");
  AddTolerationIfMissing(pod, "node.kubernetes.io/unreachable");
  return absl::OkStatus();
}

void InitStatus(const ResourceInfo& r, Message* obj) {
  if (r.name == "pods") {
    auto* pod = static_cast<api::Pod*>(obj);
    if (pod->status().phase().empty()) pod->mutable_status()->set_phase("Pending");
    if (!pod->spec().node_name().empty()) {
      SetPodCondition(pod, "PodScheduled", "True", "", pod->metadata().creation_timestamp());
    }
  } else if (r.name == "namespaces") {
    static_cast<api::Namespace*>(obj)->mutable_status()->set_phase("Active");
  } else if (r.name == "certificatesigningrequests") {
    // Approval and the certificate come only through the subresources.
    static_cast<api::CertificateSigningRequest*>(obj)->clear_status();
  }
}

absl::Status EnsureDefaultServiceAccount(Registry* registry, const std::string& ns) {
  auto sa = std::make_unique<api::ServiceAccount>();
  sa->mutable_metadata()->set_name("default");
  absl::StatusOr<ObjectPtr> out =
      registry->Create(*FindResource("serviceaccounts"), ns, std::move(sa));
  return out.status();
}

void SetPodCondition(api::Pod* pod, const std::string& type, const std::string& status,
                     const std::string& reason, const std::string& now) {
  for (api::PodCondition& c : *pod->mutable_status()->mutable_conditions()) {
    if (c.type() != type) continue;
    if (c.status() != status) c.set_last_transition_time(now);
    c.set_status(status);
    c.set_reason(reason);
    c.clear_message();  // e.g. the scheduler's Unschedulable message once the pod is bound
    return;
  }
  api::PodCondition* c = pod->mutable_status()->add_conditions();
  c->set_type(type);
  c->set_status(status);
  c->set_reason(reason);
  c->set_last_transition_time(now);
}

absl::StatusOr<DeletePlan> PlanDelete(const ResourceInfo& r, const Message& current,
                                      const DeleteOptions& opts, absl::Time now) {
  DeletePlan plan;
  const api::ObjectMeta& meta = Meta(current);
  std::string policy = opts.propagation_policy;
  if (!policy.empty() && policy != "Orphan" && policy != "Background" && policy != "Foreground") {
    return InvalidError("DeleteOptions", "",
                        {{"propagationPolicy", "FieldValueNotSupported",
                          absl::StrCat("Unsupported value: \"", policy,
                                       "\": supported values: \"Foreground\", \"Background\", "
                                       "\"Orphan\", \"nil\"")}});
  }
  if (opts.grace_period_seconds && *opts.grace_period_seconds < 0) {
    return InvalidError("DeleteOptions", "",
                        {{"gracePeriodSeconds", "FieldValueInvalid",
                          "Invalid value: must be greater than or equal to 0"}});
  }
  // Orphan (not for pods, which own nothing) is done by the garbage collector behind the
  // `orphan` finalizer added below, so the owner is terminating before its dependents are
  // released and its controller cannot re-adopt them in between.
  plan.orphan_dependents = policy == "Orphan" && r.name == "pods";
  ObjectPtr next(current.New());
  next->CopyFrom(current);
  api::ObjectMeta* m = MutableMeta(next.get());

  if (r.name == "pods") {
    const auto& pod = static_cast<const api::Pod&>(current);
    int64_t grace = opts.grace_period_seconds ? *opts.grace_period_seconds
                                              : (pod.spec().has_termination_grace_period_seconds()
                                                     ? pod.spec().termination_grace_period_seconds()
                                                     : 30);
    bool unbound = pod.spec().node_name().empty();
    if ((unbound || grace == 0) && meta.finalizers_size() == 0) {
      plan.delete_now = true;
      return plan;
    }
    if (!meta.deletion_timestamp().empty()) {
      absl::Time deadline = ParseTime(meta.deletion_timestamp());
      if (now + absl::Seconds(grace) >= deadline) return plan;  // no shortening: no change
    }
    m->set_deletion_timestamp(mk::FormatTime(now + absl::Seconds(grace)));
    m->set_deletion_grace_period_seconds(grace);
    plan.updated = std::move(next);
    return plan;
  }

  if (policy == "Foreground" || policy == "Orphan") {
    // Orphan: the garbage collector removes the dependents' references to the (now
    // terminating) owner, then this finalizer, as in Kubernetes.
    const char* finalizer = policy == "Foreground" ? "foregroundDeletion" : "orphan";
    bool has = false;
    for (const std::string& f : meta.finalizers()) has |= f == finalizer;
    if (!has) m->add_finalizers(finalizer);
  }
  if (m->finalizers_size() == 0) {
    plan.delete_now = true;
    return plan;
  }
  if (!meta.deletion_timestamp().empty() && m->finalizers_size() == meta.finalizers_size()) {
    return plan;
  }
  if (meta.deletion_timestamp().empty()) {
    m->set_deletion_timestamp(mk::FormatTime(now));
    m->set_deletion_grace_period_seconds(0);
  }
  plan.updated = std::move(next);
  return plan;
}

ObjectPtr ScaleOf(const Message& obj) {
  const auto& rs = static_cast<const api::ReplicaSet&>(obj);
  auto scale = std::make_unique<api::Scale>();
  scale->set_api_version("autoscaling/v1");
  scale->set_kind("Scale");
  api::ObjectMeta* m = scale->mutable_metadata();
  m->set_name(rs.metadata().name());
  m->set_namespace_(rs.metadata().namespace_());
  m->set_uid(rs.metadata().uid());
  m->set_resource_version(rs.metadata().resource_version());
  m->set_creation_timestamp(rs.metadata().creation_timestamp());
  scale->mutable_spec()->set_replicas(rs.spec().has_replicas() ? rs.spec().replicas() : 1);
  scale->mutable_status()->set_replicas(rs.status().replicas());
  absl::StatusOr<LabelSelector> sel = LabelSelector::FromProto(rs.spec().selector());
  if (sel.ok()) scale->mutable_status()->set_selector(sel->ToString());
  return scale;
}

}  // namespace mk::apiserver
