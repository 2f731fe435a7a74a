#include "common/validation.h"

#include "common/defaults.h"
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

api::ReplicaSet GoodRs() {
  api::ReplicaSet rs;
  rs.mutable_metadata()->set_name("web");
  rs.mutable_metadata()->set_namespace_("default");
  rs.mutable_spec()->set_replicas(3);
  (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "x";
  api::PodTemplateSpec* t = rs.mutable_spec()->mutable_template_();
  (*t->mutable_metadata()->mutable_labels())["app"] = "x";
  api::Container* c = t->mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  ApplyDefaults(&rs);
  return rs;
}

TEST(ValidateReplicaSetTest, Rules) {
  EXPECT_TRUE(Validate(GoodRs()).empty()) << FieldErrorsString(Validate(GoodRs()));

  api::ReplicaSet mismatch = GoodRs();
  (*mismatch.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "y";
  EXPECT_THAT(Validate(mismatch),
              HasError("spec.template.metadata.labels: Invalid value: "
                       "map[string]string{\"app\":\"x\"}: `selector` does not match template "
                       "`labels`"));

  api::ReplicaSet nosel = GoodRs();
  nosel.mutable_spec()->clear_selector();
  EXPECT_THAT(Validate(nosel), HasError("spec.selector: Required value"));
  nosel.mutable_spec()->mutable_selector();  // present but empty
  EXPECT_THAT(Validate(nosel), HasError("spec.selector: Required value"));

  api::ReplicaSet neg = GoodRs();
  neg.mutable_spec()->set_replicas(-1);
  EXPECT_THAT(Validate(neg),
              HasError("spec.replicas: Invalid value: -1: must be greater than or equal to 0"));

  api::ReplicaSet never = GoodRs();
  never.mutable_spec()->mutable_template_()->mutable_spec()->set_restart_policy("Never");
  EXPECT_THAT(Validate(never), HasError("spec.template.spec.restartPolicy: Unsupported value: "
                                        "\"Never\": supported values: \"Always\""));

  api::ReplicaSet badimg = GoodRs();
  badimg.mutable_spec()->mutable_template_()->mutable_spec()->mutable_containers(0)->clear_image();
  EXPECT_THAT(Validate(badimg), HasError("spec.template.spec.containers[0].image: Required value"));

  api::ReplicaSet badop = GoodRs();
  auto* e = badop.mutable_spec()->mutable_selector()->add_match_expressions();
  e->set_key("tier");
  e->set_operator_("Maybe");
  EXPECT_THAT(Validate(badop), HasError("spec.selector.matchExpressions[0].operator: Invalid "
                                        "value: \"Maybe\": not a valid selector operator"));

  api::ReplicaSet expr = GoodRs();
  auto* e2 = expr.mutable_spec()->mutable_selector()->add_match_expressions();
  e2->set_key("tier");
  e2->set_operator_("NotIn");
  e2->add_values("cache");
  EXPECT_TRUE(Validate(expr).empty()) << FieldErrorsString(Validate(expr));
}

TEST(ValidateSecretTest, Rules) {
  api::Secret s;
  s.mutable_metadata()->set_name("creds");
  s.mutable_metadata()->set_namespace_("default");
  ApplyDefaults(&s);
  (*s.mutable_data())["good.key_1-x"] = "v";
  EXPECT_TRUE(Validate(s).empty());
  (*s.mutable_data())["bad/key"] = "v";
  (*s.mutable_data())[".."] = "v";
  std::vector<FieldError> errs = Validate(s);
  EXPECT_THAT(errs, HasErrorContaining("data[bad/key]: Invalid value: \"bad/key\": a valid config "
                                       "key must consist of alphanumeric characters"));
  EXPECT_THAT(errs, HasError("data[..]: Invalid value: \"..\": must not be '..'"));

  api::Secret docker;
  docker.mutable_metadata()->set_name("reg");
  docker.set_type("kubernetes.io/dockerconfigjson");
  EXPECT_THAT(Validate(docker), HasError("data[.dockerconfigjson]: Required value"));
  (*docker.mutable_data())[".dockerconfigjson"] = "{not json";
  EXPECT_THAT(Validate(docker), HasError("data[.dockerconfigjson]: Invalid value: \"<secret "
                                         "contents redacted>\": invalid JSON"));
  (*docker.mutable_data())[".dockerconfigjson"] = R"({"auths":{"r:5000":{"auth":"dTpw"}}})";
  EXPECT_TRUE(Validate(docker).empty());

  api::Secret tls;
  tls.mutable_metadata()->set_name("tls");
  tls.set_type("kubernetes.io/tls");
  EXPECT_THAT(Validate(tls), HasError("data[tls.crt]: Required value"));
  EXPECT_THAT(Validate(tls), HasError("data[tls.key]: Required value"));

  api::Secret big;
  big.mutable_metadata()->set_name("big");
  (*big.mutable_data())["a"] = std::string(1024 * 1024 + 1, 'x');
  EXPECT_THAT(Validate(big), HasError("data: Too long: must have at most 1048576 bytes"));
}

TEST(ValidateOtherKindsTest, NamespaceNodeLeaseEventSaHpa) {
  api::Namespace ns;
  ns.mutable_metadata()->set_name("team.a");
  EXPECT_THAT(Validate(ns), HasError("metadata.name: Invalid value: \"team.a\": must not contain "
                                     "dots"));
  ns.mutable_metadata()->set_name("team-a");
  EXPECT_TRUE(Validate(ns).empty());
  ns.mutable_metadata()->set_namespace_("default");
  EXPECT_THAT(Validate(ns), HasError("metadata.namespace: Forbidden: not allowed on this type"));

  api::Node node;
  node.mutable_metadata()->set_name("node-1.example.com");
  api::Taint* t = node.mutable_spec()->add_taints();
  t->set_key("dedicated");
  t->set_effect("NoSchedule");
  EXPECT_TRUE(Validate(node).empty());
  api::Taint* t2 = node.mutable_spec()->add_taints();
  t2->set_key("dedicated");
  t2->set_effect("NoSchedule");
  node.mutable_spec()->add_taints()->set_key("x");
  std::vector<FieldError> errs = Validate(node);
  EXPECT_THAT(errs, HasErrorContaining("spec.taints[1]: Duplicate value"));
  EXPECT_THAT(errs, HasError("spec.taints[2].effect: Required value"));

  api::Lease lease;
  lease.mutable_metadata()->set_name("kube-scheduler");
  lease.mutable_spec()->set_lease_duration_seconds(0);
  EXPECT_THAT(Validate(lease), HasError("spec.leaseDurationSeconds: Invalid value: 0: must be "
                                        "greater than 0"));

  api::Event ev;
  ev.mutable_metadata()->set_name("web-1.17a8b");
  ev.mutable_metadata()->set_namespace_("default");
  ev.mutable_involved_object()->set_namespace_("other");
  ev.set_type("Normal");
  EXPECT_THAT(Validate(ev), HasError("involvedObject.namespace: Invalid value: \"other\": does not "
                                     "match event.namespace"));
  ev.mutable_involved_object()->clear_namespace_();  // e.g. a Node: event lives in default
  EXPECT_TRUE(Validate(ev).empty());
  ev.set_type("Info");
  EXPECT_THAT(Validate(ev), HasErrorContaining("type: Unsupported value: \"Info\""));

  api::ServiceAccount sa;
  sa.mutable_metadata()->set_name("default");
  EXPECT_TRUE(Validate(sa).empty());
  sa.mutable_metadata()->clear_name();
  EXPECT_THAT(Validate(sa), HasError("metadata.name: Required value: name or generateName is "
                                     "required"));
}

TEST(ValidateHpaTest, Rules) {
  api::HorizontalPodAutoscaler h;
  h.mutable_metadata()->set_name("web");
  h.mutable_spec()->mutable_scale_target_ref()->set_kind("ReplicaSet");
  h.mutable_spec()->mutable_scale_target_ref()->set_name("web");
  h.mutable_spec()->set_max_replicas(5);
  ApplyDefaults(&h);
  EXPECT_TRUE(Validate(h).empty()) << FieldErrorsString(Validate(h));

  api::HorizontalPodAutoscaler bad = h;
  bad.mutable_spec()->set_min_replicas(0);
  bad.mutable_spec()->set_max_replicas(0);
  bad.mutable_spec()->mutable_scale_target_ref()->clear_name();
  std::vector<FieldError> errs = Validate(bad);
  EXPECT_THAT(errs, HasError("spec.minReplicas: Invalid value: 0: must be greater than or equal "
                             "to 1"));
  EXPECT_THAT(errs, HasError("spec.maxReplicas: Invalid value: 0: must be greater than 0"));
  EXPECT_THAT(errs, HasError("spec.scaleTargetRef.name: Required value"));

  api::HorizontalPodAutoscaler inv = h;
  inv.mutable_spec()->set_min_replicas(4);
  inv.mutable_spec()->set_max_replicas(2);
  EXPECT_THAT(Validate(inv), HasError("spec.maxReplicas: Invalid value: 2: must be greater than or "
                                      "equal to `minReplicas`"));

  api::HorizontalPodAutoscaler metric = h;
  auto* res = metric.mutable_spec()->mutable_metrics(0)->mutable_resource();
  res->set_name("bogus");
  res->mutable_target()->set_average_value("100m");
  errs = Validate(metric);
  EXPECT_THAT(errs, HasError("spec.metrics[0].resource.name: Invalid value: \"bogus\": must be a "
                             "standard resource for containers"));
  EXPECT_THAT(errs, HasError("spec.metrics[0].resource.target.averageValue: Forbidden: may not "
                             "set both a target raw value and a target utilization"));

  api::HorizontalPodAutoscaler mtype = h;
  mtype.mutable_spec()->mutable_metrics(0)->set_type("Magic");
  EXPECT_THAT(Validate(mtype), HasErrorContaining("spec.metrics[0].type: Unsupported value: "
                                                  "\"Magic\""));
}

TEST(ValidateUpdateTest, PodSpecImmutableExceptImagesDeadlineTolerations) {
  api::Pod old_pod = GoodPod();
  api::Pod p = old_pod;
  p.mutable_spec()->mutable_containers(0)->set_image("nginx:1.26");
  p.mutable_spec()->set_active_deadline_seconds(100);
  api::Toleration* t = p.mutable_spec()->add_tolerations();
  t->set_key("k");
  t->set_operator_("Exists");
  (*p.mutable_metadata()->mutable_labels())["new"] = "label";
  EXPECT_TRUE(ValidateUpdate(old_pod, p).empty()) << FieldErrorsString(ValidateUpdate(old_pod, p));

  api::Pod changed = old_pod;
  changed.mutable_spec()->set_restart_policy("Never");
  std::vector<FieldError> errs = ValidateUpdate(old_pod, changed);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "spec");
  EXPECT_EQ(errs[0].reason, "FieldValueForbidden");
  EXPECT_THAT(errs[0].message, HasSubstr("Forbidden: pod updates may not change fields other than "
                                         "`spec.containers[*].image`"));

  api::Pod removed = p;  // p has a toleration; dropping it is not allowed
  removed.mutable_spec()->clear_tolerations();
  EXPECT_THAT(ValidateUpdate(p, removed),
              HasError("spec.tolerations: Forbidden: existing toleration can not be modified "
                       "except its tolerationSeconds"));

  api::Pod longer = p;
  longer.mutable_spec()->set_active_deadline_seconds(200);
  EXPECT_THAT(ValidateUpdate(p, longer), HasError("spec.activeDeadlineSeconds: Invalid value: "
                                                  "200: must be less than or equal to previous "
                                                  "value"));
  api::Pod unset = p;
  unset.mutable_spec()->clear_active_deadline_seconds();
  EXPECT_THAT(ValidateUpdate(p, unset), HasError("spec.activeDeadlineSeconds: Invalid value: "
                                                 "null: must not update from a positive integer "
                                                 "to nil value"));
}

TEST(ValidateUpdateTest, NodeNameSetOnceThenImmutable) {
  api::Pod unbound = GoodPod();
  api::Pod bound = unbound;
  bound.mutable_spec()->set_node_name("n1");
  EXPECT_TRUE(ValidateUpdate(unbound, bound).empty());  // binding
  api::Pod moved = bound;
  moved.mutable_spec()->set_node_name("n2");
  EXPECT_THAT(ValidateUpdate(bound, moved), HasErrorContaining("spec: Forbidden: pod updates"));
  api::Pod cleared = bound;
  cleared.mutable_spec()->clear_node_name();
  EXPECT_FALSE(ValidateUpdate(bound, cleared).empty());
}

TEST(ValidateUpdateTest, MetadataAndOtherKinds) {
  api::Pod a = GoodPod();
  a.mutable_metadata()->set_uid("u1");
  api::Pod b = a;
  b.mutable_metadata()->set_name("other");
  b.mutable_metadata()->set_namespace_("ns2");
  b.mutable_metadata()->set_uid("u2");
  std::vector<FieldError> errs = ValidateUpdate(a, b);
  EXPECT_THAT(errs, HasError("metadata.name: Invalid value: \"other\": field is immutable"));
  EXPECT_THAT(errs, HasError("metadata.namespace: Invalid value: \"ns2\": field is immutable"));
  EXPECT_THAT(errs, HasError("metadata.uid: Invalid value: \"u2\": field is immutable"));

  api::ReplicaSet rs = GoodRs();
  api::ReplicaSet scaled = rs;
  scaled.mutable_spec()->set_replicas(10);
  EXPECT_TRUE(ValidateUpdate(rs, scaled).empty());
  api::ReplicaSet resel = rs;
  (*resel.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "y";
  EXPECT_THAT(ValidateUpdate(rs, resel),
              HasError("spec.selector: Invalid value: \"app=y\": field is immutable"));

  api::Secret s;
  s.mutable_metadata()->set_name("s");
  s.set_immutable(true);
  (*s.mutable_data())["a"] = "1";
  api::Secret s2 = s;
  (*s2.mutable_metadata()->mutable_labels())["x"] = "y";
  EXPECT_TRUE(ValidateUpdate(s, s2).empty());
  (*s2.mutable_data())["a"] = "2";
  EXPECT_THAT(ValidateUpdate(s, s2),
              HasError("data: Forbidden: field is immutable when `immutable` is set"));
}

TEST(FieldErrorsStringTest, Joins) {
  EXPECT_EQ(FieldErrorsString({{"a", "FieldValueRequired", "Required value"},
                               {"b", "FieldValueInvalid", "Invalid value: 1: bad"}}),
            "a: Required value, b: Invalid value: 1: bad");
  EXPECT_EQ(FieldErrorsString({}), "");
}

}  // namespace
}  // namespace mk
