// Scheduling constraints in a pod spec: node/pod (anti-)affinity and tolerations
// (Kubernetes' validateAffinity / validateTolerations).

#include "common/names.h"
#include "common/validation_internal.h"

namespace mk {
namespace validation_internal {
namespace {

void ValidateNodeSelectorRequirements(
    const google::protobuf::RepeatedPtrField<api::NodeSelectorRequirement>& reqs,
    const std::string& path, bool fields, Errors* e) {
  for (int i = 0; i < reqs.size(); ++i) {
    const api::NodeSelectorRequirement& r = reqs[i];
    std::string rp = absl::StrCat(path, "[", i, "]");
    const std::string& op = r.operator_();
    if (fields) {
      if (r.key() != "metadata.name") {
        Invalid(e, rp + ".key", Q(r.key()), "not a valid field selector key");
      }
      if (op != "In" && op != "NotIn") {
        Invalid(e, rp + ".operator", Q(op), "not a valid selector operator");
      } else if (r.values_size() != 1) {
        Required(
            e, rp + ".values",
            "must be only one value when `operator` is 'In' or 'NotIn' for node field selector");
      }
      continue;
    }
    if (op == "In" || op == "NotIn") {
      if (r.values_size() == 0) {
        Required(e, rp + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (r.values_size() > 0) {
        Forbidden(e, rp + ".values",
                  "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else if (op == "Gt" || op == "Lt") {
      if (r.values_size() != 1) {
        Required(e, rp + ".values",
                 "must be specified single value when `operator` is 'Lt' or 'Gt'");
      }
    } else {
      Invalid(e, rp + ".operator", Q(op), "not a valid selector operator");
    }
    InvalidEach(e, rp + ".key", r.key(), QualifiedNameErrors(r.key()));
  }
}

void ValidateNodeSelectorTerm(const api::NodeSelectorTerm& t, const std::string& path, Errors* e) {
  ValidateNodeSelectorRequirements(t.match_expressions(), path + ".matchExpressions", false, e);
  ValidateNodeSelectorRequirements(t.match_fields(), path + ".matchFields", true, e);
}

void ValidatePodAffinityTerm(const api::PodAffinityTerm& t, const std::string& tp, Errors* e) {
  ValidateLabelSelectorProto(t.label_selector(), tp + ".labelSelector", e);
  ValidateLabelSelectorProto(t.namespace_selector(), tp + ".namespaceSelector", e);
  for (const std::string& ns : t.namespaces()) {
    InvalidEach(e, tp + ".namespace", ns, Dns1123LabelErrors(ns));
  }
  if (t.topology_key().empty()) {
    Required(e, tp + ".topologyKey", "can not be empty");
  } else {
    InvalidEach(e, tp + ".topologyKey", t.topology_key(), QualifiedNameErrors(t.topology_key()));
  }
}

void ValidatePodAffinity(
    const google::protobuf::RepeatedPtrField<api::PodAffinityTerm>& required,
    const google::protobuf::RepeatedPtrField<api::WeightedPodAffinityTerm>& preferred,
    const std::string& path, Errors* e) {
  for (int i = 0; i < required.size(); ++i) {
    ValidatePodAffinityTerm(
        required[i], absl::StrCat(path, ".requiredDuringSchedulingIgnoredDuringExecution[", i, "]"),
        e);
  }
  for (int i = 0; i < preferred.size(); ++i) {
    std::string wp =
        absl::StrCat(path, ".preferredDuringSchedulingIgnoredDuringExecution[", i, "]");
    if (preferred[i].weight() < 1 || preferred[i].weight() > 100) {
      Invalid(e, wp + ".weight", absl::StrCat(preferred[i].weight()), "must be in the range 1-100");
    }
    ValidatePodAffinityTerm(preferred[i].pod_affinity_term(), wp + ".podAffinityTerm", e);
  }
}

}  // namespace

void ValidateAffinity(const api::Affinity& a, const std::string& path, Errors* e) {
  const api::NodeAffinity& na = a.node_affinity();
  std::string np = path + ".nodeAffinity";
  if (na.has_required_during_scheduling_ignored_during_execution()) {
    const auto& terms =
        na.required_during_scheduling_ignored_during_execution().node_selector_terms();
    std::string rp = np + ".requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
    if (terms.empty()) Required(e, rp, "must have at least one node selector term");
    for (int i = 0; i < terms.size(); ++i) {
      ValidateNodeSelectorTerm(terms[i], absl::StrCat(rp, "[", i, "]"), e);
    }
  }
  const auto& pref = na.preferred_during_scheduling_ignored_during_execution();
  for (int i = 0; i < pref.size(); ++i) {
    std::string pp = absl::StrCat(np, ".preferredDuringSchedulingIgnoredDuringExecution[", i, "]");
    if (pref[i].weight() < 1 || pref[i].weight() > 100) {
      Invalid(e, pp + ".weight", absl::StrCat(pref[i].weight()), "must be in the range 1-100");
    }
    ValidateNodeSelectorTerm(pref[i].preference(), pp + ".preference", e);
  }
  ValidatePodAffinity(a.pod_affinity().required_during_scheduling_ignored_during_execution(),
                      a.pod_affinity().preferred_during_scheduling_ignored_during_execution(),
                      path + ".podAffinity", e);
  ValidatePodAffinity(a.pod_anti_affinity().required_during_scheduling_ignored_during_execution(),
                      a.pod_anti_affinity().preferred_during_scheduling_ignored_during_execution(),
                      path + ".podAntiAffinity", e);
}

void ValidateTolerations(const google::protobuf::RepeatedPtrField<api::Toleration>& ts,
                         const std::string& path, Errors* e) {
  for (int i = 0; i < ts.size(); ++i) {
    const api::Toleration& t = ts[i];
    std::string p = absl::StrCat(path, "[", i, "]");
    if (!t.key().empty()) InvalidEach(e, p + ".key", t.key(), QualifiedNameErrors(t.key()));
    if (t.key().empty() && t.operator_() != "Exists") {
      Invalid(e, p + ".operator", Q(t.operator_()),
              "operator must be Exists when `key` is empty, which means \"match all values and "
              "all keys\"");
    }
    if (t.has_toleration_seconds() && t.effect() != "NoExecute") {
      Invalid(e, p + ".effect", Q(t.effect()),
              "effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
    if (t.operator_().empty() || t.operator_() == "Equal") {
      std::vector<std::string> errs = LabelValueErrors(t.value());
      if (!errs.empty()) Invalid(e, p + ".operator", Q(t.value()), absl::StrJoin(errs, ";"));
    } else if (t.operator_() == "Exists") {
      if (!t.value().empty()) {
        Invalid(e, p + ".operator", Q(t.value()),
                "value must be empty when `operator` is 'Exists'");
      }
    } else {
      NotSupported(e, p + ".operator", t.operator_(), {"Equal", "Exists"});
    }
    OneOf(e, p + ".effect", t.effect(), {"NoSchedule", "PreferNoSchedule", "NoExecute"},
          /*allow_empty=*/true);
  }
}

}  // namespace validation_internal
}  // namespace mk
