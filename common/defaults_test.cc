#include "common/defaults.h"

#include "gtest/gtest.h"

namespace mk {
namespace {

TEST(DefaultsTest, ImagePullPolicy) {
  EXPECT_EQ(DefaultImagePullPolicy("nginx"), "Always");
  EXPECT_EQ(DefaultImagePullPolicy("nginx:latest"), "Always");
  EXPECT_EQ(DefaultImagePullPolicy("nginx:1.25"), "IfNotPresent");
  EXPECT_EQ(DefaultImagePullPolicy("host:5000/img"), "Always");  // a port is not a tag
  EXPECT_EQ(DefaultImagePullPolicy("host:5000/img:v1"), "IfNotPresent");
  EXPECT_EQ(DefaultImagePullPolicy("host:5000/img:latest"), "Always");
  EXPECT_EQ(DefaultImagePullPolicy("img@sha256:abcd"), "IfNotPresent");
  EXPECT_EQ(DefaultImagePullPolicy("host:5000/img@sha256:abcd"), "IfNotPresent");
}

api::Pod MinimalPod() {
  api::Pod p;
  p.mutable_metadata()->set_name("p");
  api::Container* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("busybox:1.36");
  return p;
}

TEST(DefaultsTest, PodSpec) {
  api::Pod p = MinimalPod();
  ApplyDefaults(&p);
  const api::PodSpec& s = p.spec();
  EXPECT_EQ(s.restart_policy(), "Always");
  EXPECT_EQ(s.dns_policy(), "ClusterFirst");
  EXPECT_EQ(s.termination_grace_period_seconds(), 30);
  EXPECT_EQ(s.scheduler_name(), "default-scheduler");
  EXPECT_EQ(s.service_account_name(), "default");
  EXPECT_EQ(s.service_account(), "default");
  EXPECT_TRUE(s.has_priority());
  EXPECT_EQ(s.priority(), 0);
  EXPECT_EQ(s.preemption_policy(), "PreemptLowerPriority");
  const api::Container& c = s.containers(0);
  EXPECT_EQ(c.image_pull_policy(), "IfNotPresent");
  EXPECT_EQ(c.termination_message_path(), "/dev/termination-log");
  EXPECT_EQ(c.termination_message_policy(), "File");
  EXPECT_TRUE(p.status().phase().empty());  // the server sets Pending, not defaults
  EXPECT_EQ(s.tolerations_size(), 0);
}

TEST(DefaultsTest, KeepsExplicitValues) {
  api::Pod p = MinimalPod();
  api::PodSpec* s = p.mutable_spec();
  s->set_restart_policy("Never");
  s->set_dns_policy("Default");
  s->set_termination_grace_period_seconds(0);
  s->set_scheduler_name("mine");
  s->set_service_account("legacy");
  s->set_priority_class_name("high");
  s->set_preemption_policy("Never");
  s->mutable_containers(0)->set_image_pull_policy("Never");
  ApplyDefaults(&p);
  EXPECT_EQ(s->restart_policy(), "Never");
  EXPECT_EQ(s->dns_policy(), "Default");
  EXPECT_EQ(s->termination_grace_period_seconds(), 0);
  EXPECT_EQ(s->scheduler_name(), "mine");
  EXPECT_EQ(s->service_account_name(), "legacy");  // mirrors the deprecated field
  EXPECT_EQ(s->service_account(), "legacy");
  EXPECT_FALSE(s->has_priority());  // left to priority admission
  EXPECT_EQ(s->preemption_policy(), "Never");
  EXPECT_EQ(s->containers(0).image_pull_policy(), "Never");
}

TEST(DefaultsTest, ContainersPortsProbesResources) {
  api::Pod p = MinimalPod();
  api::PodSpec* s = p.mutable_spec();
  api::Container* c = s->mutable_containers(0);
  c->set_image("nginx");
  c->add_ports()->set_container_port(80);
  c->add_ports()->set_protocol("UDP");
  api::Probe* live = c->mutable_liveness_probe();
  live->mutable_http_get()->mutable_port()->set_int_val(8080);
  c->mutable_readiness_probe()->mutable_tcp_socket()->mutable_port()->set_int_val(80);
  c->mutable_readiness_probe()->set_period_seconds(5);
  c->mutable_startup_probe()->mutable_exec()->add_command("true");
  c->mutable_startup_probe()->set_failure_threshold(0);  // zero means unset
  (*c->mutable_resources()->mutable_limits())["cpu"] = "500m";
  (*c->mutable_resources()->mutable_limits())["memory"] = "128Mi";
  (*c->mutable_resources()->mutable_requests())["cpu"] = "100m";
  api::EnvVar* env = c->add_env();
  env->set_name("POD");
  env->mutable_value_from()->mutable_field_ref()->set_field_path("metadata.name");
  api::Container* init = s->add_init_containers();
  init->set_name("init");
  init->set_image("busybox:latest");
  ApplyDefaults(&p);

  EXPECT_EQ(c->image_pull_policy(), "Always");
  EXPECT_EQ(init->image_pull_policy(), "Always");
  EXPECT_EQ(init->termination_message_path(), "/dev/termination-log");
  EXPECT_EQ(c->ports(0).protocol(), "TCP");
  EXPECT_EQ(c->ports(1).protocol(), "UDP");
  EXPECT_EQ(c->ports(0).host_port(), 0);
  EXPECT_EQ(live->timeout_seconds(), 1);
  EXPECT_EQ(live->period_seconds(), 10);
  EXPECT_EQ(live->success_threshold(), 1);
  EXPECT_EQ(live->failure_threshold(), 3);
  EXPECT_EQ(live->http_get().path(), "/");
  EXPECT_EQ(live->http_get().scheme(), "HTTP");
  EXPECT_EQ(c->readiness_probe().period_seconds(), 5);
  EXPECT_EQ(c->readiness_probe().timeout_seconds(), 1);
  EXPECT_EQ(c->startup_probe().failure_threshold(), 3);
  // Requests copied from limits only where not given.
  EXPECT_EQ(c->resources().requests().at("cpu"), "100m");
  EXPECT_EQ(c->resources().requests().at("memory"), "128Mi");
  EXPECT_EQ(c->resources().requests().size(), 2u);
  EXPECT_EQ(env->value_from().field_ref().api_version(), "v1");
}

TEST(DefaultsTest, HostNetworkCopiesContainerPortToHostPort) {
  api::Pod p = MinimalPod();
  p.mutable_spec()->set_host_network(true);
  p.mutable_spec()->mutable_containers(0)->add_ports()->set_container_port(9100);
  ApplyDefaults(&p);
  EXPECT_EQ(p.spec().containers(0).ports(0).host_port(), 9100);
}

TEST(DefaultsTest, Volumes) {
  api::Pod p = MinimalPod();
  api::Volume* sv = p.mutable_spec()->add_volumes();
  sv->set_name("s");
  sv->mutable_secret()->set_secret_name("creds");
  api::Volume* sv2 = p.mutable_spec()->add_volumes();
  sv2->set_name("s2");
  sv2->mutable_secret()->set_secret_name("creds");
  sv2->mutable_secret()->set_default_mode(0400);
  api::Volume* hp = p.mutable_spec()->add_volumes();
  hp->set_name("h");
  hp->mutable_host_path()->set_path("/var/log");
  ApplyDefaults(&p);
  EXPECT_EQ(sv->secret().default_mode(), 420);
  EXPECT_EQ(sv2->secret().default_mode(), 0400);
  EXPECT_EQ(hp->host_path().type(), "");
}

TEST(DefaultsTest, ReplicaSet) {
  api::ReplicaSet rs;
  api::Container* c = rs.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx:1");
  ApplyDefaults(&rs);
  EXPECT_TRUE(rs.spec().has_replicas());
  EXPECT_EQ(rs.spec().replicas(), 1);
  EXPECT_EQ(rs.spec().template_().spec().restart_policy(), "Always");
  EXPECT_EQ(rs.spec().template_().spec().containers(0).image_pull_policy(), "IfNotPresent");

  api::ReplicaSet zero;
  zero.mutable_spec()->set_replicas(0);
  ApplyDefaults(&zero);
  EXPECT_EQ(zero.spec().replicas(), 0);
}

TEST(DefaultsTest, SecretMergesStringData) {
  api::Secret s;
  (*s.mutable_data())["a"] = "old";
  (*s.mutable_data())["b"] = "keep";
  (*s.mutable_string_data())["a"] = "new";
  (*s.mutable_string_data())["c"] = "added";
  ApplyDefaults(&s);
  EXPECT_EQ(s.type(), "Opaque");
  EXPECT_EQ(s.data().at("a"), "new");
  EXPECT_EQ(s.data().at("b"), "keep");
  EXPECT_EQ(s.data().at("c"), "added");
  EXPECT_TRUE(s.string_data().empty());

  api::Secret typed;
  typed.set_type("kubernetes.io/tls");
  ApplyDefaults(&typed);
  EXPECT_EQ(typed.type(), "kubernetes.io/tls");
}

TEST(DefaultsTest, NamespaceAndHpa) {
  api::Namespace ns;
  ApplyDefaults(&ns);
  ASSERT_EQ(ns.spec().finalizers_size(), 1);
  EXPECT_EQ(ns.spec().finalizers(0), "kubernetes");

  api::HorizontalPodAutoscaler h;
  ApplyDefaults(&h);
  EXPECT_EQ(h.spec().min_replicas(), 1);
  ASSERT_EQ(h.spec().metrics_size(), 1);
  EXPECT_EQ(h.spec().metrics(0).type(), "Resource");
  EXPECT_EQ(h.spec().metrics(0).resource().name(), "cpu");
  EXPECT_EQ(h.spec().metrics(0).resource().target().type(), "Utilization");
  EXPECT_EQ(h.spec().metrics(0).resource().target().average_utilization(), 80);

  api::HorizontalPodAutoscaler v1;
  v1.mutable_spec()->set_min_replicas(2);
  v1.mutable_spec()->set_target_cpu_utilization_percentage(50);
  ApplyDefaults(&v1);
  EXPECT_EQ(v1.spec().min_replicas(), 2);
  EXPECT_EQ(v1.spec().metrics_size(), 0);  // the v1 form is left for the controller
}

TEST(DefaultsTest, OtherKindsUntouched) {
  api::Lease l;
  l.mutable_metadata()->set_name("x");
  api::Lease before = l;
  ApplyDefaults(&l);
  EXPECT_EQ(l.SerializeAsString(), before.SerializeAsString());
  api::Node n;
  ApplyDefaults(&n);
  EXPECT_EQ(n.ByteSizeLong(), 0u);
}

}  // namespace
}  // namespace mk
