// Pod spec validation (common/validation_pod.cc, validation_scheduling.cc).

#include "common/defaults.h"
#include "common/validation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

using ::testing::HasSubstr;

// "field: message" lines, for readable assertions.
std::vector<std::string> Lines(const std::vector<FieldError>& errs) {
  std::vector<std::string> out;
  for (const FieldError& f : errs) out.push_back(f.field + ": " + f.message);
  return out;
}

MATCHER_P(HasError, line, "") {
  std::vector<std::string> lines = Lines(arg);
  for (const std::string& l : lines) {
    if (l == line) return true;
  }
  *result_listener << "errors: " << FieldErrorsString(arg);
  return false;
}

MATCHER_P(HasErrorContaining, fragment, "") {
  for (const std::string& l : Lines(arg)) {
    if (l.find(fragment) != std::string::npos) return true;
  }
  *result_listener << "errors: " << FieldErrorsString(arg);
  return false;
}

api::Pod GoodPod() {
  api::Pod p;
  p.mutable_metadata()->set_name("web-1");
  p.mutable_metadata()->set_namespace_("default");
  (*p.mutable_metadata()->mutable_labels())["app"] = "web";
  api::Container* c = p.mutable_spec()->add_containers();
  c->set_name("web");
  c->set_image("nginx:1.25");
  ApplyDefaults(&p);
  return p;
}

std::vector<FieldError> V(api::Pod p) {
  ApplyDefaults(&p);
  return Validate(p);
}

TEST(ValidatePodTest, GoodPodIsValid) {
  EXPECT_TRUE(Validate(GoodPod()).empty()) << FieldErrorsString(Validate(GoodPod()));
}

TEST(ValidatePodTest, MetadataName) {
  api::Pod p = GoodPod();
  p.mutable_metadata()->clear_name();
  EXPECT_THAT(V(p), HasError("metadata.name: Required value: name or generateName is required"));
  p.mutable_metadata()->set_name("Web_1");
  std::vector<FieldError> errs = V(p);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "metadata.name");
  EXPECT_EQ(errs[0].reason, "FieldValueInvalid");
  EXPECT_THAT(errs[0].message,
              HasSubstr("Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist"));
  p.mutable_metadata()->set_name("web.example");  // pods: subdomain, dots allowed
  EXPECT_TRUE(V(p).empty());
  p.mutable_metadata()->set_namespace_("Bad");
  EXPECT_THAT(V(p), HasErrorContaining("metadata.namespace: Invalid value: \"Bad\""));
}

TEST(ValidatePodTest, LabelsAndAnnotations) {
  api::Pod p = GoodPod();
  (*p.mutable_metadata()->mutable_labels())["bad key"] = "v";
  (*p.mutable_metadata()->mutable_annotations())["example.com/ok"] = "anything goes here";
  (*p.mutable_metadata()->mutable_annotations())["-bad"] = "x";
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasErrorContaining("metadata.labels: Invalid value: \"bad key\": name part"));
  EXPECT_THAT(errs, HasErrorContaining("metadata.annotations: Invalid value: \"-bad\": name part"));
  EXPECT_EQ(errs.size(), 2u);
  api::Pod big = GoodPod();
  (*big.mutable_metadata()->mutable_annotations())["big"] = std::string(300 * 1024, 'x');
  EXPECT_THAT(V(big), HasError("metadata.annotations: Too long: must have at most 262144 bytes"));
}

TEST(ValidatePodTest, ContainersNamesAndImages) {
  api::Pod p = GoodPod();
  p.mutable_spec()->mutable_containers(0)->clear_image();
  EXPECT_THAT(V(p), HasError("spec.containers[0].image: Required value"));

  api::Pod dup = GoodPod();
  api::Container* c2 = dup.mutable_spec()->add_containers();
  c2->set_name("web");
  c2->set_image("x");
  EXPECT_THAT(V(dup), HasError("spec.containers[1].name: Duplicate value: \"web\""));

  api::Pod init_dup = GoodPod();
  api::Container* i = init_dup.mutable_spec()->add_init_containers();
  i->set_name("web");
  i->set_image("x");
  EXPECT_THAT(V(init_dup), HasError("spec.containers[0].name: Duplicate value: \"web\""));

  api::Pod bad = GoodPod();
  bad.mutable_spec()->mutable_containers(0)->set_name("Web.1");
  EXPECT_THAT(V(bad), HasErrorContaining("spec.containers[0].name: Invalid value: \"Web.1\": "
                                         "a lowercase RFC 1123 label"));
  bad.mutable_spec()->mutable_containers(0)->clear_name();
  EXPECT_THAT(V(bad), HasError("spec.containers[0].name: Required value"));

  api::Pod none = GoodPod();
  none.mutable_spec()->clear_containers();
  EXPECT_THAT(V(none), HasError("spec.containers: Required value"));

  api::Pod ws = GoodPod();
  ws.mutable_spec()->mutable_containers(0)->set_image(" nginx");
  EXPECT_THAT(V(ws), HasError("spec.containers[0].image: Invalid value: \" nginx\": must not "
                              "have leading or trailing whitespace"));
}

TEST(ValidatePodTest, Enums) {
  api::Pod p = GoodPod();
  p.mutable_spec()->set_restart_policy("Sometimes");
  EXPECT_THAT(V(p), HasError("spec.restartPolicy: Unsupported value: \"Sometimes\": supported "
                             "values: \"Always\", \"OnFailure\", \"Never\""));
  api::Pod pp = GoodPod();
  pp.mutable_spec()->mutable_containers(0)->set_image_pull_policy("Sometimes");
  EXPECT_THAT(V(pp), HasError("spec.containers[0].imagePullPolicy: Unsupported value: "
                              "\"Sometimes\": supported values: \"Always\", \"IfNotPresent\", "
                              "\"Never\""));
  api::Pod dns = GoodPod();
  dns.mutable_spec()->set_dns_policy("Cluster");
  EXPECT_THAT(V(dns), HasErrorContaining("spec.dnsPolicy: Unsupported value: \"Cluster\""));
  api::Pod pre = GoodPod();
  pre.mutable_spec()->set_preemption_policy("Sometimes");
  EXPECT_THAT(V(pre), HasErrorContaining("spec.preemptionPolicy: Unsupported value"));
  api::Pod tmp = GoodPod();
  tmp.mutable_spec()->mutable_containers(0)->set_termination_message_policy("X");
  EXPECT_THAT(V(tmp), HasError("spec.containers[0].terminationMessagePolicy: Invalid value: "
                               "\"X\": must be 'File' or 'FallbackToLogsOnError'"));
}

TEST(ValidatePodTest, Ports) {
  api::Pod p = GoodPod();
  api::Container* c = p.mutable_spec()->mutable_containers(0);
  c->add_ports()->set_container_port(70000);
  c->add_ports()->set_container_port(0);
  api::ContainerPort* named = c->add_ports();
  named->set_container_port(80);
  named->set_name("http");
  api::ContainerPort* named2 = c->add_ports();
  named2->set_container_port(81);
  named2->set_name("http");
  api::ContainerPort* proto = c->add_ports();
  proto->set_container_port(82);
  proto->set_protocol("ICMP");
  proto->set_host_port(-1);
  api::ContainerPort* badname = c->add_ports();
  badname->set_container_port(83);
  badname->set_name("HTTP_1");
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasError("spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
                             "must be between 1 and 65535, inclusive"));
  EXPECT_THAT(errs, HasError("spec.containers[0].ports[1].containerPort: Required value"));
  EXPECT_THAT(errs, HasError("spec.containers[0].ports[3].name: Duplicate value: \"http\""));
  EXPECT_THAT(errs, HasError("spec.containers[0].ports[4].protocol: Unsupported value: \"ICMP\": "
                             "supported values: \"SCTP\", \"TCP\", \"UDP\""));
  EXPECT_THAT(errs, HasError("spec.containers[0].ports[4].hostPort: Invalid value: -1: must be "
                             "between 1 and 65535, inclusive"));
  EXPECT_THAT(errs, HasError("spec.containers[0].ports[5].name: Invalid value: \"HTTP_1\": must "
                             "contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"));
}

TEST(ValidatePodTest, HostPortsAndHostNetwork) {
  api::Pod p = GoodPod();
  api::ContainerPort* a = p.mutable_spec()->mutable_containers(0)->add_ports();
  a->set_container_port(80);
  a->set_host_port(8080);
  api::Container* c2 = p.mutable_spec()->add_containers();
  c2->set_name("two");
  c2->set_image("x");
  api::ContainerPort* b = c2->add_ports();
  b->set_container_port(81);
  b->set_host_port(8080);
  EXPECT_THAT(V(p), HasError("spec.containers[1].ports[0]: Duplicate value: \"8080/TCP\""));

  api::Pod hn = GoodPod();
  hn.mutable_spec()->set_host_network(true);
  api::ContainerPort* h = hn.mutable_spec()->mutable_containers(0)->add_ports();
  h->set_container_port(80);
  h->set_host_port(81);
  EXPECT_THAT(V(hn), HasError("spec.containers[0].ports[0].hostPort: Invalid value: 81: must "
                              "match `containerPort` when `hostNetwork` is true"));
}

TEST(ValidatePodTest, Resources) {
  auto with = [](const std::map<std::string, std::string>& limits,
                 const std::map<std::string, std::string>& requests) {
    api::Pod p = GoodPod();
    auto* r = p.mutable_spec()->mutable_containers(0)->mutable_resources();
    for (const auto& [k, v] : limits) (*r->mutable_limits())[k] = v;
    for (const auto& [k, v] : requests) (*r->mutable_requests())[k] = v;
    return Validate(p);  // no defaulting: requests stay as given
  };
  EXPECT_TRUE(
      with({{"cpu", "1"}, {"memory", "1Gi"}}, {{"cpu", "500m"}, {"memory", "1Gi"}}).empty());
  EXPECT_THAT(with({{"memory", "5 Mi"}}, {}),
              HasError("spec.containers[0].resources.limits[memory]: Invalid value: \"5 Mi\": "
                       "quantities must match the regular expression "
                       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  EXPECT_THAT(with({}, {{"cpu", "-1"}}),
              HasError("spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must "
                       "be greater than or equal to 0"));
  EXPECT_THAT(with({{"cpu", "1"}}, {{"cpu", "2"}}),
              HasError("spec.containers[0].resources.requests: Invalid value: \"2\": must be "
                       "less than or equal to cpu limit of 1"));
  EXPECT_THAT(with({{"memory", "1Gi"}}, {{"memory", "2048Mi"}}),
              HasError("spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be "
                       "less than or equal to memory limit of 1Gi"));
  EXPECT_THAT(with({{"widgets", "1"}}, {}),
              HasError("spec.containers[0].resources.limits[widgets]: Invalid value: "
                       "\"widgets\": must be a standard resource for containers"
                       ""));
}

TEST(ValidatePodTest, ExtendedResources) {
  api::Pod p = GoodPod();
  auto* r = p.mutable_spec()->mutable_containers(0)->mutable_resources();
  (*r->mutable_limits())["example.com/gpu"] = "2";
  (*r->mutable_requests())["example.com/gpu"] = "1";
  EXPECT_THAT(Validate(p), HasError("spec.containers[0].resources.requests: Invalid value: "
                                    "\"1\": must be equal to example.com/gpu limit of 2"));
  (*r->mutable_requests())["example.com/gpu"] = "2";
  EXPECT_TRUE(Validate(p).empty()) << FieldErrorsString(Validate(p));
}

TEST(ValidatePodTest, Probes) {
  api::Pod p = GoodPod();
  api::Container* c = p.mutable_spec()->mutable_containers(0);
  c->mutable_liveness_probe();  // no handler
  api::Probe* ready = c->mutable_readiness_probe();
  ready->mutable_exec()->add_command("true");
  ready->mutable_http_get()->mutable_port()->set_int_val(80);
  api::Probe* startup = c->mutable_startup_probe();
  startup->mutable_http_get()->mutable_port()->set_int_val(0);
  startup->mutable_http_get()->set_scheme("FTP");
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasError("spec.containers[0].livenessProbe: Required value: must specify a "
                             "handler type"));
  EXPECT_THAT(errs, HasError("spec.containers[0].readinessProbe.httpGet: Forbidden: may not "
                             "specify more than 1 handler type"));
  EXPECT_THAT(errs, HasError("spec.containers[0].startupProbe.httpGet.port: Invalid value: 0: "
                             "must be between 1 and 65535, inclusive"));
  EXPECT_THAT(errs, HasError("spec.containers[0].startupProbe.httpGet.scheme: Unsupported value: "
                             "\"FTP\": supported values: \"HTTP\", \"HTTPS\""));

  api::Pod ok = GoodPod();
  api::Probe* live = ok.mutable_spec()->mutable_containers(0)->mutable_liveness_probe();
  live->mutable_http_get()->mutable_port()->set_str_val("http");
  live->set_initial_delay_seconds(-1);
  live->set_success_threshold(2);
  errs = V(ok);
  EXPECT_THAT(errs, HasError("spec.containers[0].livenessProbe.initialDelaySeconds: Invalid "
                             "value: -1: must be greater than or equal to 0"));
  EXPECT_THAT(errs, HasError("spec.containers[0].livenessProbe.successThreshold: Invalid value: "
                             "2: must be 1"));
  EXPECT_EQ(errs.size(), 2u) << FieldErrorsString(errs);

  api::Pod init = GoodPod();
  api::Container* ic = init.mutable_spec()->add_init_containers();
  ic->set_name("init");
  ic->set_image("busybox");
  ic->mutable_readiness_probe()->mutable_exec()->add_command("true");
  EXPECT_THAT(V(init), HasError("spec.initContainers[0].readinessProbe: Forbidden: may not be "
                                "set for init containers"));
}

TEST(ValidatePodTest, VolumesAndMounts) {
  api::Pod p = GoodPod();
  api::PodSpec* s = p.mutable_spec();
  api::Volume* v0 = s->add_volumes();
  v0->set_name("data");
  v0->mutable_empty_dir();
  api::Volume* v1 = s->add_volumes();
  v1->set_name("data");
  v1->mutable_empty_dir();
  api::Volume* v2 = s->add_volumes();
  v2->set_name("none");
  api::Volume* v3 = s->add_volumes();
  v3->set_name("two");
  v3->mutable_empty_dir();
  v3->mutable_secret()->set_secret_name("s");
  api::Volume* v4 = s->add_volumes();
  v4->set_name("hp");
  v4->mutable_host_path()->set_type("Bogus");
  api::Volume* v5 = s->add_volumes();
  v5->set_name("sec");
  v5->mutable_secret()->set_default_mode(01000);
  api::Container* c = s->mutable_containers(0);
  api::VolumeMount* m0 = c->add_volume_mounts();
  m0->set_name("data");
  m0->set_mount_path("/data");
  api::VolumeMount* m1 = c->add_volume_mounts();
  m1->set_name("missing");
  m1->set_mount_path("/data");
  api::VolumeMount* m2 = c->add_volume_mounts();
  m2->set_name("data");
  m2->set_sub_path("../etc");
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasError("spec.volumes[1].name: Duplicate value: \"data\""));
  EXPECT_THAT(errs, HasError("spec.volumes[2]: Required value: must specify a volume type"));
  EXPECT_THAT(errs, HasError("spec.volumes[3].secret: Forbidden: may not specify more than 1 "
                             "volume type"));
  EXPECT_THAT(errs, HasError("spec.volumes[4].hostPath.path: Required value"));
  EXPECT_THAT(errs, HasErrorContaining("spec.volumes[4].hostPath.type: Unsupported value: "
                                       "\"Bogus\": supported values: \"\", \"BlockDevice\""));
  EXPECT_THAT(errs, HasError("spec.volumes[5].secret.secretName: Required value"));
  EXPECT_THAT(errs, HasError("spec.volumes[5].secret.defaultMode: Invalid value: 512: must be a "
                             "number between 0 and 0777 (octal), both inclusive"));
  EXPECT_THAT(errs, HasError("spec.containers[0].volumeMounts[1].name: Not found: \"missing\""));
  EXPECT_THAT(errs, HasError("spec.containers[0].volumeMounts[1].mountPath: Invalid value: "
                             "\"/data\": must be unique"));
  EXPECT_THAT(errs, HasError("spec.containers[0].volumeMounts[2].mountPath: Required value"));
  EXPECT_THAT(errs, HasError("spec.containers[0].volumeMounts[2].subPath: Invalid value: "
                             "\"../etc\": must not contain '..'"));
}

TEST(ValidatePodTest, Env) {
  api::Pod p = GoodPod();
  api::Container* c = p.mutable_spec()->mutable_containers(0);
  c->add_env()->set_value("x");
  api::EnvVar* digit = c->add_env();
  digit->set_name("1X");
  api::EnvVar* both = c->add_env();
  both->set_name("BOTH");
  both->set_value("v");
  both->mutable_value_from()->mutable_field_ref()->set_field_path("metadata.name");
  api::EnvVar* bad_field = c->add_env();
  bad_field->set_name("F");
  bad_field->mutable_value_from()->mutable_field_ref()->set_field_path("spec.bogus");
  api::EnvVar* label = c->add_env();
  label->set_name("L");
  label->mutable_value_from()->mutable_field_ref()->set_field_path("metadata.labels['app']");
  api::EnvVar* secret = c->add_env();
  secret->set_name("S");
  secret->mutable_value_from()->mutable_secret_key_ref()->set_name("creds");
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasError("spec.containers[0].env[0].name: Required value"));
  EXPECT_THAT(errs, HasErrorContaining("spec.containers[0].env[1].name: Invalid value: \"1X\": a "
                                       "valid environment variable name"));
  EXPECT_THAT(errs, HasError("spec.containers[0].env[2].valueFrom: Invalid value: \"\": may not "
                             "be specified when `value` is not empty"));
  EXPECT_THAT(errs, HasErrorContaining("spec.containers[0].env[3].valueFrom.fieldRef.fieldPath: "
                                       "Unsupported value: \"spec.bogus\""));
  EXPECT_THAT(errs, HasError("spec.containers[0].env[5].valueFrom.secretKeyRef.key: Required "
                             "value"));
  EXPECT_EQ(errs.size(), 5u) << FieldErrorsString(errs);
}

TEST(ValidatePodTest, TolerationsAndAffinity) {
  api::Pod p = GoodPod();
  api::PodSpec* s = p.mutable_spec();
  api::Toleration* t0 = s->add_tolerations();
  t0->set_key("k");
  t0->set_operator_("Sometimes");
  api::Toleration* t1 = s->add_tolerations();
  t1->set_key("k");
  t1->set_operator_("Exists");
  t1->set_value("v");
  api::Toleration* t2 = s->add_tolerations();
  t2->set_key("k");
  t2->set_effect("NoWay");
  api::Toleration* t3 = s->add_tolerations();
  t3->set_operator_("Equal");
  api::Toleration* t4 = s->add_tolerations();
  t4->set_operator_("Exists");  // match everything: valid
  api::Toleration* t5 = s->add_tolerations();
  t5->set_key("k");
  t5->set_effect("NoSchedule");
  t5->set_toleration_seconds(5);
  auto* terms = s->mutable_affinity()
                    ->mutable_node_affinity()
                    ->mutable_required_during_scheduling_ignored_during_execution();
  auto* term = terms->add_node_selector_terms();
  auto* r0 = term->add_match_expressions();
  r0->set_key("zone");
  r0->set_operator_("In");
  auto* r1 = term->add_match_expressions();
  r1->set_key("zone");
  r1->set_operator_("Exists");
  r1->add_values("a");
  auto* r2 = term->add_match_expressions();
  r2->set_key("cores");
  r2->set_operator_("Gt");
  r2->add_values("1");
  r2->add_values("2");
  auto* r3 = term->add_match_expressions();
  r3->set_key("zone");
  r3->set_operator_("Like");
  auto* r4 = term->add_match_expressions();
  r4->set_key("cores");
  r4->set_operator_("Lt");
  r4->add_values("8");
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasError("spec.tolerations[0].operator: Unsupported value: \"Sometimes\": "
                             "supported values: \"Equal\", \"Exists\""));
  EXPECT_THAT(errs, HasError("spec.tolerations[1].operator: Invalid value: \"v\": value must be "
                             "empty when `operator` is 'Exists'"));
  EXPECT_THAT(errs, HasError("spec.tolerations[2].effect: Unsupported value: \"NoWay\": supported "
                             "values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\""));
  EXPECT_THAT(errs, HasErrorContaining("spec.tolerations[3].operator: Invalid value: \"Equal\": "
                                       "operator must be Exists when `key` is empty"));
  EXPECT_THAT(errs, HasError("spec.tolerations[5].effect: Invalid value: \"NoSchedule\": effect "
                             "must be 'NoExecute' when `tolerationSeconds` is set"));
  const std::string ap =
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
      "nodeSelectorTerms[0].matchExpressions";
  EXPECT_THAT(errs, HasError(ap + "[0].values: Required value: must be specified when "
                                  "`operator` is 'In' or 'NotIn'"));
  EXPECT_THAT(errs, HasError(ap + "[1].values: Forbidden: may not be specified when `operator` "
                                  "is 'Exists' or 'DoesNotExist'"));
  EXPECT_THAT(errs, HasError(ap + "[2].values: Required value: must be specified single value "
                                  "when `operator` is 'Lt' or 'Gt'"));
  EXPECT_THAT(errs, HasError(ap + "[3].operator: Invalid value: \"Like\": not a valid selector "
                                  "operator"));
  EXPECT_EQ(errs.size(), 9u) << FieldErrorsString(errs);
}

TEST(ValidatePodTest, PodAffinity) {
  api::Pod p = GoodPod();
  auto* anti = p.mutable_spec()->mutable_affinity()->mutable_pod_anti_affinity();
  auto* term = anti->add_required_during_scheduling_ignored_during_execution();
  (*term->mutable_label_selector()->mutable_match_labels())["app"] = "web";
  auto* w = anti->add_preferred_during_scheduling_ignored_during_execution();
  w->set_weight(0);
  w->mutable_pod_affinity_term()->set_topology_key("kubernetes.io/hostname");
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasError("spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuring"
                             "Execution[0].topologyKey: Required value: can not be empty"));
  EXPECT_THAT(errs, HasError("spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuring"
                             "Execution[0].weight: Invalid value: 0: must be in the range 1-100"));
  EXPECT_EQ(errs.size(), 2u) << FieldErrorsString(errs);
}

TEST(ValidatePodTest, MiscSpecFields) {
  api::Pod p = GoodPod();
  p.mutable_spec()->set_active_deadline_seconds(0);
  p.mutable_spec()->set_service_account_name("Bad!");
  (*p.mutable_spec()->mutable_node_selector())["disk"] = "ssd fast";
  p.mutable_spec()->add_image_pull_secrets();
  std::vector<FieldError> errs = V(p);
  EXPECT_THAT(errs, HasError("spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 "
                             "and 2147483647, inclusive"));
  EXPECT_THAT(errs, HasErrorContaining("spec.serviceAccountName: Invalid value: \"Bad!\""));
  EXPECT_THAT(errs, HasErrorContaining("spec.nodeSelector: Invalid value: \"ssd fast\""));
  EXPECT_THAT(errs, HasError("spec.imagePullSecrets[0].name: Required value"));
}

}  // namespace
}  // namespace mk
