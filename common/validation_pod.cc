// Pod spec validation (ValidatePodSpec in Kubernetes' pkg/apis/core/validation).

#include <cstring>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/names.h"
#include "common/quantity.h"
#include "common/selectors.h"
#include "common/validation.h"
#include "common/validation_internal.h"

namespace mk {
namespace validation_internal {
namespace {

constexpr char kFileModeError[] = "must be a number between 0 and 0777 (octal), both inclusive";
constexpr char kMoreThanOneHandler[] = "may not specify more than 1 handler type";
constexpr char kMoreThanOneVolume[] = "may not specify more than 1 volume type";

void ValidatePortNum(int64_t port, const std::string& path, Errors* e) {
  if (port < 1 || port > 65535) {
    Invalid(e, path, absl::StrCat(port), "must be between 1 and 65535, inclusive");
  }
}

std::vector<std::string> PortNameErrors(const std::string& p) {
  std::vector<std::string> errs;
  if (p.size() > 15) errs.push_back("must be no more than 15 characters");
  bool charset = !p.empty(), letter = false;
  for (char c : p) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) charset = false;
    if (absl::ascii_islower(c)) letter = true;
  }
  if (!charset)
    errs.push_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!letter) errs.push_back("must contain at least one letter (a-z)");
  if (absl::StrContains(p, "--")) errs.push_back("must not contain consecutive hyphens");
  if (!p.empty() && (p.front() == '-' || p.back() == '-')) {
    errs.push_back("must not begin or end with a hyphen");
  }
  return errs;
}

void ValidatePortNumOrName(const api::IntOrString& port, const std::string& path, Errors* e) {
  if (port.has_int_val()) {
    ValidatePortNum(port.int_val(), path, e);
  } else {
    InvalidEach(e, path, port.str_val(), PortNameErrors(port.str_val()));
  }
}

// validateLocalDescendingPath: relative, no ".." component.
void ValidateRelativePath(const std::string& p, const std::string& path, Errors* e) {
  if (!p.empty() && p[0] == '/') Invalid(e, path, Q(p), "must be a relative path");
  for (absl::string_view part : absl::StrSplit(p, '/')) {
    if (part == "..") {
      Invalid(e, path, Q(p), "must not contain '..'");
      break;
    }
  }
}

void ValidateQuantityValue(const std::string& v, const std::string& path, Errors* e,
                           Quantity* out) {
  absl::StatusOr<Quantity> q = ParseQuantity(v);
  if (!q.ok()) {
    Invalid(e, path, Q(v), std::string(q.status().message()));
    return;
  }
  if (q->IsNegative()) {
    Invalid(e, path, Q(q->CanonicalString()), "must be greater than or equal to 0");
    return;
  }
  if (out != nullptr) *out = *q;
}

bool IsNativeResource(const std::string& name) {
  return !absl::StrContains(name, "/") || absl::StrContains(name, "kubernetes.io/");
}

void ValidateResources(const api::ResourceRequirements& r, const std::string& path, Errors* e) {
  std::map<std::string, std::string> limits(r.limits().begin(), r.limits().end());
  std::map<std::string, std::string> requests(r.requests().begin(), r.requests().end());
  std::map<std::string, Quantity> parsed_limits;
  for (const auto& [k, v] : limits) {
    std::string p = absl::StrCat(path, ".limits[", k, "]");
    ValidateContainerResourceName(k, p, e);
    Quantity q;
    size_t before = e->size();
    ValidateQuantityValue(v, p, e, &q);
    if (e->size() == before) parsed_limits[k] = q;
  }
  for (const auto& [k, v] : requests) {
    std::string p = absl::StrCat(path, ".requests[", k, "]");
    ValidateContainerResourceName(k, p, e);
    Quantity q;
    size_t before = e->size();
    ValidateQuantityValue(v, p, e, &q);
    if (e->size() != before) continue;
    auto lim = parsed_limits.find(k);
    if (lim == parsed_limits.end()) continue;
    bool overcommit = IsNativeResource(k) && !absl::StartsWith(k, "hugepages-");
    if (!overcommit && q != lim->second) {
      Invalid(e, path + ".requests", Q(q.CanonicalString()),
              absl::StrCat("must be equal to ", k, " limit of ", lim->second.CanonicalString()));
    } else if (q > lim->second) {
      Invalid(e, path + ".requests", Q(q.CanonicalString()),
              absl::StrCat("must be less than or equal to ", k, " limit of ",
                           lim->second.CanonicalString()));
    }
  }
}

void ValidateProbe(const api::Probe& p, const std::string& path, Errors* e) {
  int handlers = 0;
  if (p.has_exec()) {
    ++handlers;
    if (p.exec().command_size() == 0) Required(e, path + ".exec.command");
  }
  if (p.has_http_get()) {
    if (handlers++ > 0) {
      Forbidden(e, path + ".httpGet", kMoreThanOneHandler);
    } else {
      const api::HTTPGetAction& h = p.http_get();
      if (h.path().empty()) Required(e, path + ".httpGet.path");
      ValidatePortNumOrName(h.port(), path + ".httpGet.port", e);
      OneOf(e, path + ".httpGet.scheme", h.scheme(), {"HTTP", "HTTPS"});
      for (int i = 0; i < h.http_headers_size(); ++i) {
        const std::string& n = h.http_headers(i).name();
        bool ok = !n.empty();
        for (char c : n) ok = ok && (absl::ascii_isalnum(c) || c == '-');
        if (!ok) {
          Invalid(e, absl::StrCat(path, ".httpGet.httpHeaders[", i, "].name"), Q(n),
                  "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "
                  "'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')");
        }
      }
    }
  }
  if (p.has_tcp_socket()) {
    if (handlers++ > 0) {
      Forbidden(e, path + ".tcpSocket", kMoreThanOneHandler);
    } else {
      ValidatePortNumOrName(p.tcp_socket().port(), path + ".tcpSocket.port", e);
    }
  }
  if (handlers == 0) Required(e, path, "must specify a handler type");
  NonNegative(e, path + ".initialDelaySeconds", p.initial_delay_seconds());
  NonNegative(e, path + ".timeoutSeconds", p.timeout_seconds());
  NonNegative(e, path + ".periodSeconds", p.period_seconds());
  NonNegative(e, path + ".successThreshold", p.success_threshold());
  NonNegative(e, path + ".failureThreshold", p.failure_threshold());
  if (p.has_termination_grace_period_seconds() && p.termination_grace_period_seconds() <= 0) {
    Invalid(e, path + ".terminationGracePeriodSeconds",
            absl::StrCat(p.termination_grace_period_seconds()), "must be greater than 0");
  }
}

bool ValidEnvName(const std::string& n) {
  if (n.empty() || absl::ascii_isdigit(n[0])) return false;
  for (char c : n) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool SupportedFieldPath(const std::string& f) {
  static const std::set<std::string> kPaths = {"metadata.name",
                                               "metadata.namespace",
                                               "metadata.uid",
                                               "metadata.labels",
                                               "metadata.annotations",
                                               "spec.nodeName",
                                               "spec.serviceAccountName",
                                               "status.hostIP",
                                               "status.hostIPs",
                                               "status.podIP",
                                               "status.podIPs"};
  if (kPaths.count(f)) return true;
  for (const char* prefix : {"metadata.labels['", "metadata.annotations['"}) {
    if (absl::StartsWith(f, prefix) && absl::EndsWith(f, "']") && f.size() > strlen(prefix) + 2) {
      return true;
    }
  }
  return false;
}

void ValidateEnv(const google::protobuf::RepeatedPtrField<api::EnvVar>& env,
                 const std::string& path, Errors* e) {
  for (int i = 0; i < env.size(); ++i) {
    const api::EnvVar& v = env[i];
    std::string p = absl::StrCat(path, "[", i, "]");
    if (v.name().empty()) {
      Required(e, p + ".name");
    } else if (!ValidEnvName(v.name())) {
      Invalid(e, p + ".name", Q(v.name()),
              "a valid environment variable name must consist of alphabetic characters, "
              "digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  "
              "or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is "
              "'[-._a-zA-Z][-._a-zA-Z0-9]*')");
    }
    if (!v.has_value_from()) continue;
    const api::EnvVarSource& src = v.value_from();
    std::string vp = p + ".valueFrom";
    int sources = src.has_field_ref() + src.has_secret_key_ref();
    if (src.has_field_ref()) {
      const api::ObjectFieldSelector& f = src.field_ref();
      if (f.api_version().empty()) Required(e, vp + ".fieldRef.apiVersion");
      if (f.field_path().empty()) {
        Required(e, vp + ".fieldRef.fieldPath");
      } else if (!SupportedFieldPath(f.field_path())) {
        NotSupported(e, vp + ".fieldRef.fieldPath", f.field_path(),
                     {"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                      "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                      "status.podIPs"});
      }
    }
    if (src.has_secret_key_ref()) {
      const api::SecretKeySelector& s = src.secret_key_ref();
      if (s.name().empty()) {
        Required(e, vp + ".secretKeyRef.name");
      } else {
        InvalidEach(e, vp + ".secretKeyRef.name", s.name(), Dns1123SubdomainErrors(s.name()));
      }
      if (s.key().empty()) Required(e, vp + ".secretKeyRef.key");
    }
    if (sources == 0) {
      Invalid(e, vp, "\"\"",
              "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
              "`secretKeyRef`");
    } else if (!v.value().empty()) {
      Invalid(e, vp, "\"\"", "may not be specified when `value` is not empty");
    } else if (sources > 1) {
      Invalid(e, vp, "\"\"", "may not have more than one field specified at a time");
    }
  }
}

void ValidateContainers(const google::protobuf::RepeatedPtrField<api::Container>& cs,
                        const std::string& path, bool init, bool host_network,
                        const std::set<std::string>& volumes, std::set<std::string>* names,
                        std::set<std::string>* host_ports, Errors* e) {
  for (int i = 0; i < cs.size(); ++i) {
    const api::Container& c = cs[i];
    std::string p = absl::StrCat(path, "[", i, "]");
    if (c.name().empty()) {
      Required(e, p + ".name");
    } else {
      InvalidEach(e, p + ".name", c.name(), Dns1123LabelErrors(c.name()));
      if (!names->insert(c.name()).second) Duplicate(e, p + ".name", c.name());
    }
    if (c.image().empty()) {
      Required(e, p + ".image");
    } else if (c.image() != absl::StripAsciiWhitespace(c.image())) {
      Invalid(e, p + ".image", Q(c.image()), "must not have leading or trailing whitespace");
    }
    if (init) {
      for (auto [has, name] :
           {std::pair<bool, const char*>{c.has_liveness_probe(), "livenessProbe"},
            {c.has_readiness_probe(), "readinessProbe"},
            {c.has_startup_probe(), "startupProbe"}}) {
        if (has) Forbidden(e, absl::StrCat(p, ".", name), "may not be set for init containers");
      }
    } else {
      if (c.has_liveness_probe()) {
        ValidateProbe(c.liveness_probe(), p + ".livenessProbe", e);
        if (c.liveness_probe().success_threshold() != 1) {
          Invalid(e, p + ".livenessProbe.successThreshold",
                  absl::StrCat(c.liveness_probe().success_threshold()), "must be 1");
        }
      }
      if (c.has_readiness_probe()) {
        ValidateProbe(c.readiness_probe(), p + ".readinessProbe", e);
        if (c.readiness_probe().has_termination_grace_period_seconds()) {
          Invalid(e, p + ".readinessProbe.terminationGracePeriodSeconds",
                  absl::StrCat(c.readiness_probe().termination_grace_period_seconds()),
                  "must not be set for readinessProbes");
        }
      }
      if (c.has_startup_probe()) {
        ValidateProbe(c.startup_probe(), p + ".startupProbe", e);
        if (c.startup_probe().success_threshold() != 1) {
          Invalid(e, p + ".startupProbe.successThreshold",
                  absl::StrCat(c.startup_probe().success_threshold()), "must be 1");
        }
      }
    }
    std::set<std::string> port_names;
    for (int k = 0; k < c.ports_size(); ++k) {
      const api::ContainerPort& port = c.ports(k);
      std::string pp = absl::StrCat(p, ".ports[", k, "]");
      if (!port.name().empty()) {
        InvalidEach(e, pp + ".name", port.name(), PortNameErrors(port.name()));
        if (!port_names.insert(port.name()).second) Duplicate(e, pp + ".name", port.name());
      }
      if (port.container_port() == 0) {
        Required(e, pp + ".containerPort");
      } else {
        ValidatePortNum(port.container_port(), pp + ".containerPort", e);
      }
      if (port.host_port() != 0) ValidatePortNum(port.host_port(), pp + ".hostPort", e);
      OneOf(e, pp + ".protocol", port.protocol(), {"SCTP", "TCP", "UDP"});
      if (host_network && port.host_port() != port.container_port()) {
        Invalid(e, pp + ".hostPort", absl::StrCat(port.host_port()),
                "must match `containerPort` when `hostNetwork` is true");
      }
      if (port.host_port() != 0 && !init) {
        std::string key = absl::StrCat(port.host_ip(), "/", port.host_port(), "/", port.protocol());
        if (!host_ports->insert(key).second) {
          Duplicate(e, pp, absl::StrCat(port.host_port(), "/", port.protocol()));
        }
      }
    }
    ValidateEnv(c.env(), p + ".env", e);
    std::set<std::string> mount_paths;
    for (int k = 0; k < c.volume_mounts_size(); ++k) {
      const api::VolumeMount& m = c.volume_mounts(k);
      std::string mp = absl::StrCat(p, ".volumeMounts[", k, "]");
      if (m.name().empty()) Required(e, mp + ".name");
      if (!volumes.count(m.name())) NotFound(e, mp + ".name", m.name());
      if (m.mount_path().empty()) {
        Required(e, mp + ".mountPath");
      } else if (!mount_paths.insert(m.mount_path()).second) {
        Invalid(e, mp + ".mountPath", Q(m.mount_path()), "must be unique");
      }
      if (!m.sub_path().empty()) ValidateRelativePath(m.sub_path(), mp + ".subPath", e);
    }
    OneOf(e, p + ".imagePullPolicy", c.image_pull_policy(), {"Always", "IfNotPresent", "Never"});
    const std::string& tmp = c.termination_message_policy();
    if (tmp.empty()) {
      Required(e, p + ".terminationMessagePolicy");
    } else if (tmp != "File" && tmp != "FallbackToLogsOnError") {
      Invalid(e, p + ".terminationMessagePolicy", Q(tmp),
              "must be 'File' or 'FallbackToLogsOnError'");
    }
    ValidateResources(c.resources(), p + ".resources", e);
  }
}

void ValidateVolumes(const api::PodSpec& s, const std::string& path, std::set<std::string>* names,
                     Errors* e) {
  for (int i = 0; i < s.volumes_size(); ++i) {
    const api::Volume& v = s.volumes(i);
    std::string p = absl::StrCat(path, ".volumes[", i, "]");
    if (v.name().empty()) {
      Required(e, p + ".name");
    } else {
      InvalidEach(e, p + ".name", v.name(), Dns1123LabelErrors(v.name()));
      if (!names->insert(v.name()).second) Duplicate(e, p + ".name", v.name());
    }
    int sources = 0;
    if (v.has_empty_dir()) {
      ++sources;
      const std::string& sl = v.empty_dir().size_limit();
      if (!sl.empty()) {
        absl::StatusOr<Quantity> q = ParseQuantity(sl);
        if (!q.ok()) {
          Invalid(e, p + ".emptyDir.sizeLimit", Q(sl), std::string(q.status().message()));
        } else if (q->IsNegative()) {
          Forbidden(e, p + ".emptyDir.sizeLimit",
                    "SizeLimit field must be a valid resource quantity");
        }
      }
      const std::string& medium = v.empty_dir().medium();
      if (!medium.empty() && medium != "Memory" && !absl::StartsWith(medium, "HugePages")) {
        NotSupported(e, p + ".emptyDir.medium", medium, {"", "Memory", "HugePages"});
      }
    }
    if (v.has_host_path()) {
      if (sources++ > 0) {
        Forbidden(e, p + ".hostPath", kMoreThanOneVolume);
      } else {
        const api::HostPathVolumeSource& h = v.host_path();
        if (h.path().empty()) {
          Required(e, p + ".hostPath.path");
        } else {
          for (absl::string_view part : absl::StrSplit(h.path(), '/')) {
            if (part == "..") {
              Invalid(e, p + ".hostPath.path", Q(h.path()), "must not contain '..'");
              break;
            }
          }
        }
        OneOf(e, p + ".hostPath.type", h.type(),
              {"", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File",
               "FileOrCreate", "Socket"},
              /*allow_empty=*/true);
      }
    }
    if (v.has_secret()) {
      if (sources++ > 0) {
        Forbidden(e, p + ".secret", kMoreThanOneVolume);
      } else {
        const api::SecretVolumeSource& sv = v.secret();
        std::string sp = p + ".secret";
        if (sv.secret_name().empty()) Required(e, sp + ".secretName");
        if (sv.has_default_mode() && (sv.default_mode() < 0 || sv.default_mode() > 0777)) {
          Invalid(e, sp + ".defaultMode", absl::StrCat(sv.default_mode()), kFileModeError);
        }
        for (int k = 0; k < sv.items_size(); ++k) {
          const api::KeyToPath& item = sv.items(k);
          std::string ip = absl::StrCat(sp, ".items[", k, "]");
          if (item.key().empty()) Required(e, ip + ".key");
          if (item.path().empty()) {
            Required(e, ip + ".path");
          } else {
            ValidateRelativePath(item.path(), ip + ".path", e);
            if (absl::StartsWith(item.path(), "..")) {
              Invalid(e, ip + ".path", Q(item.path()), "must not start with '..'");
            }
          }
          if (item.has_mode() && (item.mode() < 0 || item.mode() > 0777)) {
            Invalid(e, ip + ".mode", absl::StrCat(item.mode()), kFileModeError);
          }
        }
      }
    }
    if (sources == 0) Required(e, p, "must specify a volume type");
  }
}

}  // namespace

void ValidateContainerResourceName(const std::string& name, const std::string& path, Errors* e) {
  static const std::set<std::string> kStandard = {"cpu", "memory", "ephemeral-storage"};
  if (kStandard.count(name) || absl::StartsWith(name, "hugepages-")) return;
  std::vector<std::string> errs = QualifiedNameErrors(name);
  if (!errs.empty()) {
    InvalidEach(e, path, name, errs);
    return;
  }
  if (!absl::StrContains(name, "/") || absl::StrContains(name, "kubernetes.io/")) {
    Invalid(e, path, Q(name), "must be a standard resource for containers");
  }
}

void ValidateLabelSelectorProto(const api::LabelSelector& sel, const std::string& path, Errors* e) {
  for (int i = 0; i < sel.match_expressions_size(); ++i) {
    const api::LabelSelectorRequirement& r = sel.match_expressions(i);
    std::string rp = absl::StrCat(path, ".matchExpressions[", i, "]");
    const std::string& op = r.operator_();
    if (op == "In" || op == "NotIn") {
      if (r.values_size() == 0) {
        Required(e, rp + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (r.values_size() > 0) {
        Forbidden(e, rp + ".values",
                  "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      Invalid(e, rp + ".operator", Q(op), "not a valid selector operator");
    }
    InvalidEach(e, rp + ".key", r.key(), QualifiedNameErrors(r.key()));
    for (int k = 0; k < r.values_size(); ++k) {
      InvalidEach(e, absl::StrCat(rp, ".values[", k, "]"), r.values(k),
                  LabelValueErrors(r.values(k)));
    }
  }
  Append(e, ValidateLabels(sel.match_labels(), path + ".matchLabels"));
}

}  // namespace validation_internal

std::vector<FieldError> ValidatePodSpec(const api::PodSpec& s, const std::string& path) {
  using namespace validation_internal;  // NOLINT
  Errors errs;
  Errors* e = &errs;
  std::set<std::string> volumes;
  ValidateVolumes(s, path, &volumes, e);
  if (s.containers_size() == 0) Required(e, path + ".containers");
  std::set<std::string> names, host_ports;
  ValidateContainers(s.init_containers(), path + ".initContainers", true, s.host_network(), volumes,
                     &names, &host_ports, e);
  ValidateContainers(s.containers(), path + ".containers", false, s.host_network(), volumes, &names,
                     &host_ports, e);
  OneOf(e, path + ".restartPolicy", s.restart_policy(), {"Always", "OnFailure", "Never"});
  OneOf(e, path + ".dnsPolicy", s.dns_policy(),
        {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"});
  Append(e, ValidateLabels(s.node_selector(), path + ".nodeSelector"));
  if (!s.service_account_name().empty()) {
    InvalidEach(e, path + ".serviceAccountName", s.service_account_name(),
                Dns1123SubdomainErrors(s.service_account_name()));
  }
  if (!s.node_name().empty()) {
    InvalidEach(e, path + ".nodeName", s.node_name(), Dns1123SubdomainErrors(s.node_name()));
  }
  if (s.has_active_deadline_seconds() &&
      (s.active_deadline_seconds() < 1 || s.active_deadline_seconds() > 2147483647)) {
    Invalid(e, path + ".activeDeadlineSeconds", absl::StrCat(s.active_deadline_seconds()),
            "must be between 1 and 2147483647, inclusive");
  }
  if (s.has_termination_grace_period_seconds()) {
    NonNegative(e, path + ".terminationGracePeriodSeconds", s.termination_grace_period_seconds());
  }
  if (!s.hostname().empty()) {
    InvalidEach(e, path + ".hostname", s.hostname(), Dns1123LabelErrors(s.hostname()));
  }
  if (!s.subdomain().empty()) {
    InvalidEach(e, path + ".subdomain", s.subdomain(), Dns1123LabelErrors(s.subdomain()));
  }
  for (int i = 0; i < s.image_pull_secrets_size(); ++i) {
    if (s.image_pull_secrets(i).name().empty()) {
      Required(e, absl::StrCat(path, ".imagePullSecrets[", i, "].name"));
    }
  }
  if (!s.scheduler_name().empty()) {
    InvalidEach(e, path + ".schedulerName", s.scheduler_name(),
                Dns1123SubdomainErrors(s.scheduler_name()));
  }
  if (!s.priority_class_name().empty()) {
    InvalidEach(e, path + ".priorityClassName", s.priority_class_name(),
                Dns1123SubdomainErrors(s.priority_class_name()));
  }
  OneOf(e, path + ".preemptionPolicy", s.preemption_policy(), {"Never", "PreemptLowerPriority"},
        /*allow_empty=*/true);
  ValidateTolerations(s.tolerations(), path + ".tolerations", e);
  ValidateAffinity(s.affinity(), path + ".affinity", e);
  return errs;
}

}  // namespace mk
