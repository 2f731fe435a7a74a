// Validation per kind (metadata, ReplicaSet, Secret, Node, Namespace, Lease, Event, HPA;
// CertificateSigningRequest in validation_csr.cc)
// and update rules. Pod specs are validated in validation_pod.cc.

#include "common/validation.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/json.h"
#include "common/names.h"
#include "common/object.h"
#include "common/quantity.h"
#include "common/selectors.h"
#include "common/validation_internal.h"
#include "google/protobuf/util/message_differencer.h"

namespace mk {

using namespace validation_internal;  // NOLINT

namespace {

constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;
constexpr size_t kMaxSecretSize = 1024 * 1024;
constexpr char kImmutable[] = "field is immutable";
constexpr char kPodUpdateForbidden[] =
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
    "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
    "set to 1 if it was previously negative)";

using google::protobuf::util::MessageDifferencer;

void ValidateMetaInto(const api::ObjectMeta& m, bool namespaced, bool subdomain, Errors* e) {
  if (m.name().empty()) {
    Required(e, "metadata.name", "name or generateName is required");
  } else {
    InvalidEach(e, "metadata.name", m.name(),
                subdomain ? Dns1123SubdomainErrors(m.name()) : Dns1123LabelErrors(m.name()));
  }
  if (namespaced) {
    if (!m.namespace_().empty()) {
      InvalidEach(e, "metadata.namespace", m.namespace_(), Dns1123LabelErrors(m.namespace_()));
    }
  } else if (!m.namespace_().empty()) {
    Forbidden(e, "metadata.namespace", "not allowed on this type");
  }
  Append(e, ValidateLabels(m.labels(), "metadata.labels"));
  size_t total = 0;
  std::map<std::string, std::string> ann(m.annotations().begin(), m.annotations().end());
  for (const auto& [k, v] : ann) {
    InvalidEach(e, "metadata.annotations", k, QualifiedNameErrors(absl::AsciiStrToLower(k)));
    total += k.size() + v.size();
  }
  if (total > kTotalAnnotationSizeLimit) {
    TooLong(e, "metadata.annotations", kTotalAnnotationSizeLimit);
  }
  int controllers = 0;
  for (const api::OwnerReference& o : m.owner_references()) {
    const std::string p = "metadata.ownerReferences";
    if (o.api_version().empty()) Invalid(e, p + ".apiVersion", "\"\"", "version must not be empty");
    if (o.kind().empty()) Invalid(e, p + ".kind", "\"\"", "kind must not be empty");
    if (o.name().empty()) Invalid(e, p + ".name", "\"\"", "name must not be empty");
    if (o.uid().empty()) Invalid(e, p + ".uid", "\"\"", "uid must not be empty");
    if (o.controller()) ++controllers;
  }
  if (controllers > 1) {
    Invalid(e, "metadata.ownerReferences", "\"\"",
            "Only one reference can have Controller set to true");
  }
  for (const std::string& f : m.finalizers()) {
    InvalidEach(e, "metadata.finalizers", f, QualifiedNameErrors(f));
  }
}

void ValidateReplicaSet(const api::ReplicaSet& rs, Errors* e) {
  ValidateMetaInto(rs.metadata(), true, true, e);
  const api::ReplicaSetSpec& s = rs.spec();
  NonNegative(e, "spec.replicas", s.replicas());
  NonNegative(e, "spec.minReadySeconds", s.min_ready_seconds());
  const api::LabelSelector& sel = s.selector();
  const auto& labels = s.template_().metadata().labels();
  if (!s.has_selector() || (sel.match_labels_size() == 0 && sel.match_expressions_size() == 0)) {
    Required(e, "spec.selector");
  } else {
    ValidateLabelSelectorProto(sel, "spec.selector", e);
    absl::StatusOr<LabelSelector> ls = LabelSelector::FromProto(sel);
    if (!ls.ok()) {
      Invalid(e, "spec.selector", Q(""), "invalid label selector");
    } else if (!ls->Matches(labels)) {
      Invalid(e, "spec.template.metadata.labels", GoMapString(labels),
              "`selector` does not match template `labels`");
    }
  }
  Append(e, ValidateLabels(labels, "spec.template.metadata.labels"));
  const api::PodSpec& ps = s.template_().spec();
  Append(e, ValidatePodSpec(ps, "spec.template.spec"));
  if (!ps.restart_policy().empty() && ps.restart_policy() != "Always") {
    NotSupported(e, "spec.template.spec.restartPolicy", ps.restart_policy(), {"Always"});
  }
  if (ps.has_active_deadline_seconds()) {
    Invalid(e, "spec.template.spec.activeDeadlineSeconds",
            absl::StrCat(ps.active_deadline_seconds()),
            "activeDeadlineSeconds in ReplicaSet is not Supported");
  }
}

std::vector<std::string> ConfigKeyErrors(const std::string& k) {
  std::vector<std::string> errs;
  if (k.size() > 253) errs.push_back("must be no more than 253 characters");
  bool ok = !k.empty();
  for (char c : k) ok = ok && (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.');
  if (!ok) {
    errs.push_back(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')");
  }
  if (k == ".") {
    errs.push_back("must not be '.'");
  } else if (k == "..") {
    errs.push_back("must not be '..'");
  } else if (absl::StartsWith(k, "..")) {
    errs.push_back("must not start with '..'");
  }
  return errs;
}

void ValidateSecret(const api::Secret& s, Errors* e) {
  ValidateMetaInto(s.metadata(), true, true, e);
  std::map<std::string, std::string> data(s.data().begin(), s.data().end());
  size_t total = 0;
  for (const auto& [k, v] : data) {
    InvalidEach(e, absl::StrCat("data[", k, "]"), k, ConfigKeyErrors(k));
    total += v.size();
  }
  if (total > kMaxSecretSize) TooLong(e, "data", kMaxSecretSize);
  auto require_json = [&](const std::string& key) {
    auto it = data.find(key);
    std::string p = absl::StrCat("data[", key, "]");
    if (it == data.end()) {
      Required(e, p);
      return;
    }
    Json j = Json::parse(it->second, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      Invalid(e, p, "\"<secret contents redacted>\"",
              j.is_discarded() ? "invalid JSON" : "must be a JSON object");
    }
  };
  const std::string& t = s.type();
  if (t == "kubernetes.io/dockerconfigjson") {
    require_json(".dockerconfigjson");
  } else if (t == "kubernetes.io/dockercfg") {
    require_json(".dockercfg");
  } else if (t == "kubernetes.io/basic-auth") {
    if (!data.count("username") && !data.count("password")) {
      Required(e, "data[username]");
      Required(e, "data[password]");
    }
  } else if (t == "kubernetes.io/ssh-auth") {
    if (data["ssh-privatekey"].empty()) Required(e, "data[ssh-privatekey]");
  } else if (t == "kubernetes.io/tls") {
    if (!data.count("tls.crt")) Required(e, "data[tls.crt]");
    if (!data.count("tls.key")) Required(e, "data[tls.key]");
  } else if (t == "kubernetes.io/service-account-token") {
    if (!s.metadata().annotations().contains("kubernetes.io/service-account.name")) {
      Required(e, "metadata.annotations[kubernetes.io/service-account.name]");
    }
  }
}

void ValidateNode(const api::Node& n, Errors* e) {
  ValidateMetaInto(n.metadata(), false, true, e);
  std::set<std::string> seen;
  for (int i = 0; i < n.spec().taints_size(); ++i) {
    const api::Taint& t = n.spec().taints(i);
    std::string p = absl::StrCat("spec.taints[", i, "]");
    if (t.key().empty()) {
      Required(e, p + ".key");
    } else {
      InvalidEach(e, p + ".key", t.key(), QualifiedNameErrors(t.key()));
    }
    InvalidEach(e, p + ".value", t.value(), LabelValueErrors(t.value()));
    OneOf(e, p + ".effect", t.effect(), {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    if (!seen.insert(t.key() + "\n" + t.effect()).second) {
      e->push_back({p, "FieldValueDuplicate",
                    absl::StrCat("Duplicate value: ", Q(t.key() + ":" + t.effect()),
                                 ": taints must be unique by key and effect pair")});
    }
  }
}

void ValidateEvent(const api::Event& ev, Errors* e) {
  ValidateMetaInto(ev.metadata(), true, true, e);
  const std::string& ns = ev.metadata().namespace_();
  const std::string& ons = ev.involved_object().namespace_();
  bool ok = ons.empty() ? (ns.empty() || ns == "default" || ns == "kube-system") : ns == ons;
  if (!ok) Invalid(e, "involvedObject.namespace", Q(ons), "does not match event.namespace");
  if (!ev.type().empty()) OneOf(e, "type", ev.type(), {"Normal", "Warning"});
  if (ev.reason().size() > 128) TooLong(e, "reason", 128);
}

void ValidateLease(const api::Lease& l, Errors* e) {
  ValidateMetaInto(l.metadata(), true, true, e);
  const api::LeaseSpec& s = l.spec();
  if (s.has_lease_duration_seconds() && s.lease_duration_seconds() <= 0) {
    Invalid(e, "spec.leaseDurationSeconds", absl::StrCat(s.lease_duration_seconds()),
            "must be greater than 0");
  }
  if (s.has_lease_transitions()) NonNegative(e, "spec.leaseTransitions", s.lease_transitions());
}

void ValidateMetricTarget(const api::MetricTarget& t, const std::string& p, Errors* e) {
  if (t.type().empty()) {
    Required(e, p + ".type", "must specify a metric target type");
  } else if (t.type() != "Utilization" && t.type() != "Value" && t.type() != "AverageValue") {
    Invalid(e, p + ".type", Q(t.type()), "must be either Utilization, Value, or AverageValue");
  }
  for (auto [v, name] : {std::pair<const std::string*, const char*>{&t.value(), "value"},
                         {&t.average_value(), "averageValue"}}) {
    if (v->empty()) continue;
    absl::StatusOr<Quantity> q = ParseQuantity(*v);
    if (!q.ok()) {
      Invalid(e, absl::StrCat(p, ".", name), Q(*v), std::string(q.status().message()));
    } else if (q->IsNegative() || q->IsZero()) {
      Invalid(e, absl::StrCat(p, ".", name), Q(*v), "must be positive");
    }
  }
  if (t.has_average_utilization() && t.average_utilization() < 1) {
    Invalid(e, p + ".averageUtilization", absl::StrCat(t.average_utilization()),
            "must be greater than 0");
  }
}

void ValidateHpa(const api::HorizontalPodAutoscaler& h, Errors* e) {
  ValidateMetaInto(h.metadata(), true, true, e);
  const api::HorizontalPodAutoscalerSpec& s = h.spec();
  const api::CrossVersionObjectReference& ref = s.scale_target_ref();
  if (ref.kind().empty()) Required(e, "spec.scaleTargetRef.kind");
  if (ref.name().empty()) Required(e, "spec.scaleTargetRef.name");
  for (auto [v, name] :
       {std::pair<const std::string*, const char*>{&ref.kind(), "kind"}, {&ref.name(), "name"}}) {
    if (*v == "." || *v == ".." || absl::StrContains(*v, "/") || absl::StrContains(*v, "%")) {
      Invalid(e, absl::StrCat("spec.scaleTargetRef.", name), Q(*v),
              "may not contain '/' or '%' or be '.' or '..'");
    }
  }
  if (s.has_min_replicas() && s.min_replicas() < 1) {
    Invalid(e, "spec.minReplicas", absl::StrCat(s.min_replicas()),
            "must be greater than or equal to 1");
  }
  if (s.max_replicas() < 1) {
    Invalid(e, "spec.maxReplicas", absl::StrCat(s.max_replicas()), "must be greater than 0");
  }
  if (s.has_min_replicas() && s.max_replicas() < s.min_replicas()) {
    Invalid(e, "spec.maxReplicas", absl::StrCat(s.max_replicas()),
            "must be greater than or equal to `minReplicas`");
  }
  if (s.has_target_cpu_utilization_percentage() && s.target_cpu_utilization_percentage() < 1) {
    Invalid(e, "spec.targetCPUUtilizationPercentage",
            absl::StrCat(s.target_cpu_utilization_percentage()), "must be greater than 0");
  }
  for (int i = 0; i < s.metrics_size(); ++i) {
    const api::MetricSpec& m = s.metrics(i);
    std::string p = absl::StrCat("spec.metrics[", i, "]");
    if (m.type().empty()) {
      Required(e, p + ".type", "must specify a metric source type");
    } else if (m.type() != "Resource") {
      OneOf(e, p + ".type", m.type(),
            {"ContainerResource", "External", "Object", "Pods", "Resource"});
      continue;  // mk supports only resource metrics; other sources are not modelled
    }
    if (!m.has_resource()) {
      Required(e, p + ".resource", "must populate information for the given metric source");
      continue;
    }
    const api::ResourceMetricSource& r = m.resource();
    std::string rp = p + ".resource";
    if (r.name().empty()) {
      Required(e, rp + ".name", "must specify a resource name");
    } else {
      ValidateContainerResourceName(r.name(), rp + ".name", e);
    }
    bool legacy = r.has_target_average_utilization() || !r.target_average_value().empty();
    if (legacy && !r.has_target()) {
      if (r.has_target_average_utilization() && r.target_average_utilization() < 1) {
        Invalid(e, rp + ".targetAverageUtilization", absl::StrCat(r.target_average_utilization()),
                "must be greater than 0");
      }
      continue;
    }
    ValidateMetricTarget(r.target(), rp + ".target", e);
    bool util = r.target().has_average_utilization();
    bool avg = !r.target().average_value().empty();
    if (!util && !avg) {
      Required(e, rp + ".target.averageUtilization",
               "must set either a target raw value or a target utilization");
    } else if (util && avg) {
      Forbidden(e, rp + ".target.averageValue",
                "may not set both a target raw value and a target utilization");
    }
  }
  for (auto [rules, name] :
       {std::pair<const api::HPAScalingRules*, const char*>{&s.behavior().scale_up(), "scaleUp"},
        {&s.behavior().scale_down(), "scaleDown"}}) {
    std::string p = absl::StrCat("spec.behavior.", name);
    if (rules->has_stabilization_window_seconds() &&
        (rules->stabilization_window_seconds() < 0 ||
         rules->stabilization_window_seconds() > 3600)) {
      Invalid(e, p + ".stabilizationWindowSeconds",
              absl::StrCat(rules->stabilization_window_seconds()),
              "must be less than or equal to 3600");
    }
    OneOf(e, p + ".selectPolicy", rules->select_policy(), {"Disabled", "Max", "Min"},
          /*allow_empty=*/true);
    for (int i = 0; i < rules->policies_size(); ++i) {
      const api::HPAScalingPolicy& pol = rules->policies(i);
      std::string pp = absl::StrCat(p, ".policies[", i, "]");
      OneOf(e, pp + ".type", pol.type(), {"Percent", "Pods"});
      if (pol.value() <= 0) {
        Invalid(e, pp + ".value", absl::StrCat(pol.value()), "must be greater than zero");
      }
      if (pol.period_seconds() <= 0 || pol.period_seconds() > 1800) {
        Invalid(e, pp + ".periodSeconds", absl::StrCat(pol.period_seconds()),
                pol.period_seconds() <= 0 ? "must be greater than zero"
                                          : "must be less than or equal to 1800");
      }
    }
  }
}

void ValidatePodUpdate(const api::Pod& o, const api::Pod& n, Errors* e) {
  const api::PodSpec& os = o.spec();
  const api::PodSpec& ns = n.spec();
  if (ns.has_active_deadline_seconds()) {
    if (os.has_active_deadline_seconds() &&
        os.active_deadline_seconds() < ns.active_deadline_seconds()) {
      Invalid(e, "spec.activeDeadlineSeconds", absl::StrCat(ns.active_deadline_seconds()),
              "must be less than or equal to previous value");
      return;
    }
  } else if (os.has_active_deadline_seconds()) {
    Invalid(e, "spec.activeDeadlineSeconds", "null",
            "must not update from a positive integer to nil value");
  }
  // Tolerations: only additions (an existing one may change only its tolerationSeconds).
  for (const api::Toleration& t : os.tolerations()) {
    bool found = false;
    for (const api::Toleration& u : ns.tolerations()) {
      api::Toleration a = t, b = u;
      a.clear_toleration_seconds();
      b.clear_toleration_seconds();
      if (MessageDifferencer::Equals(a, b)) found = true;
    }
    if (!found) {
      Forbidden(e, "spec.tolerations",
                "existing toleration can not be modified except its tolerationSeconds");
      break;
    }
  }
  // Compare the specs with the mutable fields neutralised.
  api::PodSpec a = os, b = ns;
  for (api::PodSpec* s : {&a, &b}) {
    for (auto& c : *s->mutable_containers()) c.clear_image();
    for (auto& c : *s->mutable_init_containers()) c.clear_image();
    s->clear_active_deadline_seconds();
    s->clear_tolerations();
  }
  // A negative grace period may be set to 1.
  if (os.has_termination_grace_period_seconds() && os.termination_grace_period_seconds() < 0 &&
      ns.termination_grace_period_seconds() == 1) {
    b.set_termination_grace_period_seconds(os.termination_grace_period_seconds());
  }
  // Binding sets nodeName once; after that it is immutable like the rest of the spec.
  if (os.node_name().empty()) b.set_node_name("");
  if (!MessageDifferencer::Equals(a, b)) Forbidden(e, "spec", kPodUpdateForbidden);
}

}  // namespace

std::vector<FieldError> ValidateObjectMeta(const api::ObjectMeta& meta, bool namespaced,
                                           bool name_is_subdomain) {
  Errors e;
  ValidateMetaInto(meta, namespaced, name_is_subdomain, &e);
  return e;
}

std::vector<FieldError> Validate(const google::protobuf::Message& obj) {
  Errors e;
  if (const auto* pod = dynamic_cast<const api::Pod*>(&obj)) {
    ValidateMetaInto(pod->metadata(), true, true, &e);
    Append(&e, ValidatePodSpec(pod->spec(), "spec"));
  } else if (const auto* rs = dynamic_cast<const api::ReplicaSet*>(&obj)) {
    ValidateReplicaSet(*rs, &e);
  } else if (const auto* secret = dynamic_cast<const api::Secret*>(&obj)) {
    ValidateSecret(*secret, &e);
  } else if (const auto* ns = dynamic_cast<const api::Namespace*>(&obj)) {
    ValidateMetaInto(ns->metadata(), false, false, &e);
    for (const std::string& f : ns->spec().finalizers()) {
      InvalidEach(&e, "spec.finalizers", f, QualifiedNameErrors(f));
    }
  } else if (const auto* node = dynamic_cast<const api::Node*>(&obj)) {
    ValidateNode(*node, &e);
  } else if (const auto* ev = dynamic_cast<const api::Event*>(&obj)) {
    ValidateEvent(*ev, &e);
  } else if (const auto* lease = dynamic_cast<const api::Lease*>(&obj)) {
    ValidateLease(*lease, &e);
  } else if (const auto* hpa = dynamic_cast<const api::HorizontalPodAutoscaler*>(&obj)) {
    ValidateHpa(*hpa, &e);
  } else if (const auto* csr = dynamic_cast<const api::CertificateSigningRequest*>(&obj)) {
    ValidateCsr(*csr, &e);
  } else {
    // ServiceAccount and anything else with metadata: names are DNS subdomains.
    ValidateMetaInto(Meta(obj), true, true, &e);
  }
  return e;
}

std::vector<FieldError> ValidateUpdate(const google::protobuf::Message& old_obj,
                                       const google::protobuf::Message& new_obj) {
  Errors e;
  const api::ObjectMeta& om = Meta(old_obj);
  const api::ObjectMeta& nm = Meta(new_obj);
  if (nm.name() != om.name()) Invalid(&e, "metadata.name", Q(nm.name()), kImmutable);
  if (nm.namespace_() != om.namespace_()) {
    Invalid(&e, "metadata.namespace", Q(nm.namespace_()), kImmutable);
  }
  if (!nm.uid().empty() && nm.uid() != om.uid())
    Invalid(&e, "metadata.uid", Q(nm.uid()), kImmutable);
  if (const auto* o = dynamic_cast<const api::Pod*>(&old_obj)) {
    if (const auto* n = dynamic_cast<const api::Pod*>(&new_obj)) ValidatePodUpdate(*o, *n, &e);
  } else if (const auto* o = dynamic_cast<const api::ReplicaSet*>(&old_obj)) {
    const auto* n = dynamic_cast<const api::ReplicaSet*>(&new_obj);
    if (n != nullptr && !MessageDifferencer::Equals(o->spec().selector(), n->spec().selector())) {
      absl::StatusOr<LabelSelector> sel = LabelSelector::FromProto(n->spec().selector());
      Invalid(&e, "spec.selector", Q(sel.ok() ? sel->ToString() : ""), kImmutable);
    }
  } else if (const auto* o = dynamic_cast<const api::CertificateSigningRequest*>(&old_obj)) {
    const auto* n = dynamic_cast<const api::CertificateSigningRequest*>(&new_obj);
    if (n != nullptr) ValidateCsrUpdate(*o, *n, &e);
  } else if (const auto* o = dynamic_cast<const api::Secret*>(&old_obj)) {
    const auto* n = dynamic_cast<const api::Secret*>(&new_obj);
    if (n != nullptr && o->has_immutable() && o->immutable()) {
      if (!MessageDifferencer::Equals(*o, *n)) {
        api::Secret a = *o, b = *n;
        a.clear_metadata();
        b.clear_metadata();
        if (!MessageDifferencer::Equals(a, b)) {
          if (!(n->has_immutable() && n->immutable())) {
            Forbidden(&e, "immutable", "field is immutable when `immutable` is set");
          } else {
            Forbidden(&e, "data", "field is immutable when `immutable` is set");
          }
        }
      }
    }
  }
  return e;
}

std::string FieldErrorsString(const std::vector<FieldError>& errs) {
  std::vector<std::string> parts;
  for (const FieldError& f : errs) parts.push_back(absl::StrCat(f.field, ": ", f.message));
  return absl::StrJoin(parts, ", ");
}

}  // namespace mk
