#include "common/validation.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api.pb.h"
#include "common/json_codec.h"
#include "common/names.h"
#include "common/object.h"
#include "common/quantity.h"
#include "common/selectors.h"
#include "google/protobuf/util/message_differencer.h"

namespace mk {
namespace {

using Errors = std::vector<FieldError>;

void Required(Errors* e, const std::string& path, const std::string& detail = "") {
  e->push_back({path, "FieldValueRequired",
                detail.empty() ? "Required value" : absl::StrCat("Required value: ", detail)});
}

void Invalid(Errors* e, const std::string& path, const std::string& value,
             const std::string& detail) {
  e->push_back({path, "FieldValueInvalid", absl::StrCat("Invalid value: ", value, ": ", detail)});
}

std::string Q(const std::string& s) { return absl::StrCat("\"", s, "\""); }

void NotSupported(Errors* e, const std::string& path, const std::string& value,
                  const std::vector<std::string>& allowed) {
  std::vector<std::string> quoted;
  for (const std::string& a : allowed) quoted.push_back(Q(a));
  e->push_back({path, "FieldValueNotSupported",
                absl::StrCat("Unsupported value: ", Q(value),
                             ": supported values: ", absl::StrJoin(quoted, ", "))});
}

void OneOf(Errors* e, const std::string& path, const std::string& value,
           const std::vector<std::string>& allowed) {
  for (const std::string& a : allowed) {
    if (a == value) return;
  }
  NotSupported(e, path, value, allowed);
}

void ValidateMeta(const api::ObjectMeta& m, bool namespaced, bool subdomain, Errors* e) {
  if (m.name().empty()) {
    Required(e, "metadata.name", "name or generateName is required");
  } else {
    std::string why = subdomain ? CheckDns1123Subdomain(m.name()) : CheckDns1123Label(m.name());
    if (!why.empty()) Invalid(e, "metadata.name", Q(m.name()), why);
  }
  if (namespaced && !m.namespace_().empty()) {
    std::string why = CheckDns1123Label(m.namespace_());
    if (!why.empty()) Invalid(e, "metadata.namespace", Q(m.namespace_()), why);
  }
  for (FieldError& f : ValidateLabels(m.labels(), "metadata.labels")) e->push_back(std::move(f));
  size_t ann = 0;
  for (const auto& [k, v] : m.annotations()) ann += k.size() + v.size();
  if (ann > 256 * 1024) {
    e->push_back(
        {"metadata.annotations", "FieldValueTooLong", "Too long: must have at most 262144 bytes"});
  }
}

void ValidateResources(const api::ResourceRequirements& r, const std::string& path, Errors* e) {
  std::map<std::string, Quantity> limits;
  for (const auto& [k, v] : r.limits()) {
    std::string p = absl::StrCat(path, ".limits[", k, "]");
    absl::StatusOr<Quantity> q = ParseQuantity(v);
    if (!q.ok()) {
      Invalid(e, p, Q(v), std::string(q.status().message()));
    } else if (q->IsNegative()) {
      Invalid(e, p, Q(v), "must be greater than or equal to 0");
    } else {
      limits[k] = *q;
    }
  }
  for (const auto& [k, v] : r.requests()) {
    std::string p = absl::StrCat(path, ".requests[", k, "]");
    absl::StatusOr<Quantity> q = ParseQuantity(v);
    if (!q.ok()) {
      Invalid(e, p, Q(v), std::string(q.status().message()));
    } else if (q->IsNegative()) {
      Invalid(e, p, Q(v), "must be greater than or equal to 0");
    } else if (limits.count(k) && limits[k] < *q) {
      Invalid(e, p, Q(v),
              absl::StrCat("must be less than or equal to ", k, " limit of ", r.limits().at(k)));
    }
  }
}

void ValidatePort(int port, const std::string& path, Errors* e, bool allow_zero) {
  if ((allow_zero && port == 0)) return;
  if (port < 1 || port > 65535) {
    Invalid(e, path, absl::StrCat(port), "must be between 1 and 65535, inclusive");
  }
}

void ValidateProbe(const api::Probe& p, const std::string& path, Errors* e) {
  int handlers = p.has_exec() + p.has_http_get() + p.has_tcp_socket();
  if (handlers == 0) {
    Required(e, path, "must specify a handler type");
  } else if (handlers > 1) {
    e->push_back(
        {path, "FieldValueForbidden", "Forbidden: may not specify more than 1 handler type"});
  }
  if (p.has_http_get()) {
    const auto& port = p.http_get().port();
    if (port.has_int_val()) {
      ValidatePort(port.int_val(), path + ".httpGet.port", e, false);
    } else if (port.str_val().empty()) {
      Required(e, path + ".httpGet.port");
    }
    if (!p.http_get().scheme().empty()) {
      OneOf(e, path + ".httpGet.scheme", p.http_get().scheme(), {"HTTP", "HTTPS"});
    }
  }
  if (p.has_tcp_socket() && p.tcp_socket().port().has_int_val()) {
    ValidatePort(p.tcp_socket().port().int_val(), path + ".tcpSocket.port", e, false);
  }
  if (p.has_exec() && p.exec().command_size() == 0) Required(e, path + ".exec.command");
  if (p.initial_delay_seconds() < 0) {
    Invalid(e, path + ".initialDelaySeconds", absl::StrCat(p.initial_delay_seconds()),
            "must be greater than or equal to 0");
  }
  for (auto [v, name] : {std::pair<int, const char*>{p.timeout_seconds(), "timeoutSeconds"},
                         {p.period_seconds(), "periodSeconds"},
                         {p.success_threshold(), "successThreshold"},
                         {p.failure_threshold(), "failureThreshold"}}) {
    if (v < 1)
      Invalid(e, absl::StrCat(path, ".", name), absl::StrCat(v),
              "must be greater than or equal to 1");
  }
}

void ValidateContainers(const google::protobuf::RepeatedPtrField<api::Container>& cs,
                        const std::string& path, const std::set<std::string>& volumes,
                        std::set<std::string>* names, Errors* e) {
  for (int i = 0; i < cs.size(); ++i) {
    const api::Container& c = cs[i];
    std::string p = absl::StrCat(path, "[", i, "]");
    if (c.name().empty()) {
      Required(e, p + ".name");
    } else {
      std::string why = CheckDns1123Label(c.name());
      if (!why.empty()) Invalid(e, p + ".name", Q(c.name()), why);
      if (!names->insert(c.name()).second) {
        e->push_back(
            {p + ".name", "FieldValueDuplicate", absl::StrCat("Duplicate value: ", Q(c.name()))});
      }
    }
    if (c.image().empty()) Required(e, p + ".image");
    OneOf(e, p + ".imagePullPolicy", c.image_pull_policy(), {"Always", "IfNotPresent", "Never"});
    std::set<std::string> port_names;
    for (int k = 0; k < c.ports_size(); ++k) {
      const api::ContainerPort& port = c.ports(k);
      std::string pp = absl::StrCat(p, ".ports[", k, "]");
      ValidatePort(port.container_port(), pp + ".containerPort", e, false);
      ValidatePort(port.host_port(), pp + ".hostPort", e, true);
      OneOf(e, pp + ".protocol", port.protocol(), {"SCTP", "TCP", "UDP"});
      if (!port.name().empty() && !port_names.insert(port.name()).second) {
        e->push_back({pp + ".name", "FieldValueDuplicate",
                      absl::StrCat("Duplicate value: ", Q(port.name()))});
      }
    }
    for (int k = 0; k < c.env_size(); ++k) {
      if (c.env(k).name().empty()) Required(e, absl::StrCat(p, ".env[", k, "].name"));
    }
    ValidateResources(c.resources(), p + ".resources", e);
    for (int k = 0; k < c.volume_mounts_size(); ++k) {
      const api::VolumeMount& m = c.volume_mounts(k);
      std::string mp = absl::StrCat(p, ".volumeMounts[", k, "]");
      if (m.mount_path().empty()) Required(e, mp + ".mountPath");
      if (!volumes.count(m.name())) {
        e->push_back(
            {mp + ".name", "FieldValueNotFound", absl::StrCat("Not found: ", Q(m.name()))});
      }
      if (m.sub_path().find("..") != std::string::npos ||
          (!m.sub_path().empty() && m.sub_path()[0] == '/')) {
        Invalid(e, mp + ".subPath", Q(m.sub_path()), "must be a relative path without '..'");
      }
    }
    if (c.has_liveness_probe()) ValidateProbe(c.liveness_probe(), p + ".livenessProbe", e);
    if (c.has_readiness_probe()) ValidateProbe(c.readiness_probe(), p + ".readinessProbe", e);
    if (c.has_startup_probe()) ValidateProbe(c.startup_probe(), p + ".startupProbe", e);
  }
}

void ValidatePodSpec(const api::PodSpec& s, const std::string& path, Errors* e) {
  std::set<std::string> volumes;
  for (int i = 0; i < s.volumes_size(); ++i) {
    const api::Volume& v = s.volumes(i);
    std::string p = absl::StrCat(path, ".volumes[", i, "]");
    if (v.name().empty()) Required(e, p + ".name");
    if (!volumes.insert(v.name()).second) {
      e->push_back(
          {p + ".name", "FieldValueDuplicate", absl::StrCat("Duplicate value: ", Q(v.name()))});
    }
    int sources = v.has_empty_dir() + v.has_host_path() + v.has_secret();
    if (sources == 0) Required(e, p, "must specify a volume type");
    if (sources > 1) {
      e->push_back(
          {p, "FieldValueForbidden", "Forbidden: may not specify more than 1 volume type"});
    }
    if (v.has_host_path() && v.host_path().path().empty()) Required(e, p + ".hostPath.path");
    if (v.has_secret() && v.secret().secret_name().empty()) Required(e, p + ".secret.secretName");
  }
  if (s.containers_size() == 0) Required(e, path + ".containers");
  std::set<std::string> names;
  ValidateContainers(s.init_containers(), path + ".initContainers", volumes, &names, e);
  ValidateContainers(s.containers(), path + ".containers", volumes, &names, e);
  OneOf(e, path + ".restartPolicy", s.restart_policy(), {"Always", "OnFailure", "Never"});
  OneOf(e, path + ".dnsPolicy", s.dns_policy(),
        {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  if (s.termination_grace_period_seconds() < 0) {
    Invalid(e, path + ".terminationGracePeriodSeconds",
            absl::StrCat(s.termination_grace_period_seconds()),
            "must be greater than or equal to 0");
  }
  for (const auto& [k, v] : s.node_selector()) {
    google::protobuf::Map<std::string, std::string> one;
    one[k] = v;
    for (FieldError& f : ValidateLabels(one, path + ".nodeSelector")) e->push_back(std::move(f));
  }
  for (int i = 0; i < s.image_pull_secrets_size(); ++i) {
    if (s.image_pull_secrets(i).name().empty()) {
      Required(e, absl::StrCat(path, ".imagePullSecrets[", i, "].name"));
    }
  }
  for (int i = 0; i < s.tolerations_size(); ++i) {
    const api::Toleration& t = s.tolerations(i);
    std::string p = absl::StrCat(path, ".tolerations[", i, "]");
    if (!t.operator_().empty()) OneOf(e, p + ".operator", t.operator_(), {"Equal", "Exists"});
    if (!t.effect().empty()) {
      OneOf(e, p + ".effect", t.effect(), {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    }
    if (t.operator_() == "Exists" && !t.value().empty()) {
      Invalid(e, p + ".operator", Q(t.operator_()),
              "value must be empty when `operator` is 'Exists'");
    }
  }
  auto check_ops = [&](const google::protobuf::RepeatedPtrField<api::NodeSelectorRequirement>& reqs,
                       const std::string& p) {
    for (int i = 0; i < reqs.size(); ++i) {
      const auto& r = reqs[i];
      std::string rp = absl::StrCat(p, "[", i, "]");
      OneOf(e, rp + ".operator", r.operator_(),
            {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"});
      if ((r.operator_() == "In" || r.operator_() == "NotIn") && r.values_size() == 0) {
        Required(e, rp + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
      }
      if ((r.operator_() == "Exists" || r.operator_() == "DoesNotExist") && r.values_size() > 0) {
        e->push_back(
            {rp + ".values", "FieldValueForbidden",
             "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"});
      }
      if ((r.operator_() == "Gt" || r.operator_() == "Lt") && r.values_size() != 1) {
        Required(e, rp + ".values",
                 "must be specified single value when `operator` is 'Lt' or 'Gt'");
      }
    }
  };
  const auto& na = s.affinity().node_affinity();
  const auto& terms =
      na.required_during_scheduling_ignored_during_execution().node_selector_terms();
  std::string ap =
      path +
      ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms";
  for (int i = 0; i < terms.size(); ++i) {
    check_ops(terms[i].match_expressions(), absl::StrCat(ap, "[", i, "].matchExpressions"));
  }
}

void ValidateSelector(const api::LabelSelector& sel, const std::string& path, Errors* e) {
  absl::StatusOr<LabelSelector> s = LabelSelector::FromProto(sel);
  if (!s.ok()) Invalid(e, path, "", std::string(s.status().message()));
}

std::string MapString(const google::protobuf::Map<std::string, std::string>& m) {
  std::map<std::string, std::string> sorted(m.begin(), m.end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : sorted) parts.push_back(absl::StrCat(Q(k), ":", Q(v)));
  return absl::StrCat("map[string]string{", absl::StrJoin(parts, ", "), "}");
}

}  // namespace

std::vector<FieldError> Validate(const google::protobuf::Message& obj) {
  Errors e;
  if (const auto* pod = dynamic_cast<const api::Pod*>(&obj)) {
    ValidateMeta(pod->metadata(), true, true, &e);
    ValidatePodSpec(pod->spec(), "spec", &e);
  } else if (const auto* rs = dynamic_cast<const api::ReplicaSet*>(&obj)) {
    ValidateMeta(rs->metadata(), true, true, &e);
    if (rs->spec().replicas() < 0) {
      Invalid(&e, "spec.replicas", absl::StrCat(rs->spec().replicas()),
              "must be greater than or equal to 0");
    }
    const api::LabelSelector& sel = rs->spec().selector();
    if (sel.match_labels_size() == 0 && sel.match_expressions_size() == 0) {
      Required(&e, "spec.selector");
    } else {
      ValidateSelector(sel, "spec.selector", &e);
      absl::StatusOr<LabelSelector> s = LabelSelector::FromProto(sel);
      const auto& labels = rs->spec().template_().metadata().labels();
      if (s.ok() && !s->Matches(labels)) {
        Invalid(&e, "spec.template.metadata.labels", MapString(labels),
                "`selector` does not match template `labels`");
      }
    }
    for (FieldError& f : ValidateLabels(rs->spec().template_().metadata().labels(),
                                        "spec.template.metadata.labels")) {
      e.push_back(std::move(f));
    }
    ValidatePodSpec(rs->spec().template_().spec(), "spec.template.spec", &e);
    const std::string& rp = rs->spec().template_().spec().restart_policy();
    if (rp != "Always") NotSupported(&e, "spec.template.spec.restartPolicy", rp, {"Always"});
  } else if (const auto* secret = dynamic_cast<const api::Secret*>(&obj)) {
    ValidateMeta(secret->metadata(), true, true, &e);
    size_t total = 0;
    for (const auto& [k, v] : secret->data()) {
      total += v.size();
      bool ok = !k.empty();
      for (char c : k)
        ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.');
      if (!ok) {
        Invalid(&e, absl::StrCat("data[", k, "]"), Q(k),
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
      }
    }
    if (total > 1024 * 1024)
      e.push_back({"data", "FieldValueTooLong", "Too long: must have at most 1048576 bytes"});
    if (secret->type() == "kubernetes.io/dockerconfigjson") {
      auto it = secret->data().find(".dockerconfigjson");
      if (it == secret->data().end()) {
        Required(&e, "data[.dockerconfigjson]");
      } else if (!Json::accept(it->second)) {
        Invalid(&e, "data[.dockerconfigjson]", "<secret contents redacted>", "invalid JSON");
      }
    } else if (secret->type() == "kubernetes.io/dockercfg") {
      if (!secret->data().contains(".dockercfg")) Required(&e, "data[.dockercfg]");
    }
  } else if (const auto* ns = dynamic_cast<const api::Namespace*>(&obj)) {
    ValidateMeta(ns->metadata(), false, false, &e);
  } else if (const auto* node = dynamic_cast<const api::Node*>(&obj)) {
    ValidateMeta(node->metadata(), false, true, &e);
    for (int i = 0; i < node->spec().taints_size(); ++i) {
      const api::Taint& t = node->spec().taints(i);
      std::string p = absl::StrCat("spec.taints[", i, "]");
      if (t.key().empty()) Required(&e, p + ".key");
      OneOf(&e, p + ".effect", t.effect(), {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    }
  } else if (const auto* hpa = dynamic_cast<const api::HorizontalPodAutoscaler*>(&obj)) {
    ValidateMeta(hpa->metadata(), true, true, &e);
    const auto& s = hpa->spec();
    if (s.scale_target_ref().kind().empty()) Required(&e, "spec.scaleTargetRef.kind");
    if (s.scale_target_ref().name().empty()) Required(&e, "spec.scaleTargetRef.name");
    if (s.min_replicas() < 1) {
      Invalid(&e, "spec.minReplicas", absl::StrCat(s.min_replicas()),
              "must be greater than or equal to 1");
    }
    if (s.max_replicas() < s.min_replicas()) {
      Invalid(&e, "spec.maxReplicas", absl::StrCat(s.max_replicas()),
              "must be greater than or equal to `minReplicas`");
    }
    for (int i = 0; i < s.metrics_size(); ++i) {
      OneOf(&e, absl::StrCat("spec.metrics[", i, "].type"), s.metrics(i).type(),
            {"ContainerResource", "External", "Object", "Pods", "Resource"});
    }
  } else {
    // ServiceAccount, Event, Lease, ...: metadata only.
    ValidateMeta(Meta(obj), true, true, &e);
  }
  return e;
}

std::vector<FieldError> ValidateUpdate(const google::protobuf::Message& old_obj,
                                       const google::protobuf::Message& new_obj) {
  Errors e;
  const auto* o = dynamic_cast<const api::Pod*>(&old_obj);
  const auto* n = dynamic_cast<const api::Pod*>(&new_obj);
  if (o == nullptr || n == nullptr) return e;
  if (!o->spec().node_name().empty() && o->spec().node_name() != n->spec().node_name()) {
    e.push_back(
        {"spec.nodeName", "FieldValueForbidden",
         "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
         "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, "
         "`spec.tolerations` (only additions to existing tolerations) or "
         "`spec.terminationGracePeriodSeconds`"});
    return e;
  }
  // Compare with the mutable fields neutralised.
  api::PodSpec a = o->spec(), b = n->spec();
  for (api::PodSpec* s : {&a, &b}) {
    for (auto& c : *s->mutable_containers()) c.clear_image();
    for (auto& c : *s->mutable_init_containers()) c.clear_image();
    s->clear_active_deadline_seconds();
    s->clear_tolerations();
    s->clear_termination_grace_period_seconds();
    s->clear_node_name();
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(a, b)) {
    e.push_back(
        {"spec", "FieldValueForbidden",
         "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
         "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, "
         "`spec.tolerations` (only additions to existing tolerations) or "
         "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
         "negative)"});
  }
  return e;
}

}  // namespace mk
