#include "common/defaults.h"

#include "absl/strings/match.h"
#include "api.pb.h"

namespace mk {
namespace {

void DefaultProbe(api::Probe* p) {
  // Zero means unset, as in Kubernetes (whose fields are plain ints).
  if (p->timeout_seconds() == 0) p->set_timeout_seconds(1);
  if (p->period_seconds() == 0) p->set_period_seconds(10);
  if (p->success_threshold() == 0) p->set_success_threshold(1);
  if (p->failure_threshold() == 0) p->set_failure_threshold(3);
  if (p->has_http_get()) {
    if (p->http_get().path().empty()) p->mutable_http_get()->set_path("/");
    if (p->http_get().scheme().empty()) p->mutable_http_get()->set_scheme("HTTP");
  }
}

void DefaultContainer(api::Container* c, bool host_network) {
  if (c->image_pull_policy().empty()) {
    c->set_image_pull_policy(DefaultImagePullPolicy(c->image()));
  }
  if (c->termination_message_path().empty()) {
    c->set_termination_message_path("/dev/termination-log");
  }
  if (c->termination_message_policy().empty()) c->set_termination_message_policy("File");
  for (api::ContainerPort& p : *c->mutable_ports()) {
    if (p.protocol().empty()) p.set_protocol("TCP");
    if (host_network && p.host_port() == 0) p.set_host_port(p.container_port());
  }
  for (api::EnvVar& e : *c->mutable_env()) {
    if (e.has_value_from() && e.value_from().has_field_ref() &&
        e.value_from().field_ref().api_version().empty()) {
      e.mutable_value_from()->mutable_field_ref()->set_api_version("v1");
    }
  }
  auto* res = c->mutable_resources();
  for (const auto& [k, v] : res->limits()) {
    if (!res->requests().contains(k)) (*res->mutable_requests())[k] = v;
  }
  if (c->has_liveness_probe()) DefaultProbe(c->mutable_liveness_probe());
  if (c->has_readiness_probe()) DefaultProbe(c->mutable_readiness_probe());
  if (c->has_startup_probe()) DefaultProbe(c->mutable_startup_probe());
}

}  // namespace

std::string DefaultImagePullPolicy(absl::string_view image) {
  if (image.find('@') != absl::string_view::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  bool has_tag =
      colon != absl::string_view::npos && (slash == absl::string_view::npos || colon > slash);
  if (!has_tag) return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

void ApplyPodSpecDefaults(api::PodSpec* s) {
  if (s->restart_policy().empty()) s->set_restart_policy("Always");
  if (s->dns_policy().empty()) s->set_dns_policy("ClusterFirst");
  if (!s->has_termination_grace_period_seconds()) s->set_termination_grace_period_seconds(30);
  if (s->scheduler_name().empty()) s->set_scheduler_name("default-scheduler");
  if (s->service_account_name().empty()) {
    s->set_service_account_name(s->service_account().empty() ? "default" : s->service_account());
  }
  if (s->service_account().empty()) s->set_service_account(s->service_account_name());
  if (!s->has_priority() && s->priority_class_name().empty()) s->set_priority(0);
  if (s->preemption_policy().empty()) s->set_preemption_policy("PreemptLowerPriority");
  for (api::Container& c : *s->mutable_init_containers()) DefaultContainer(&c, s->host_network());
  for (api::Container& c : *s->mutable_containers()) DefaultContainer(&c, s->host_network());
  for (api::Volume& v : *s->mutable_volumes()) {
    if (v.has_secret() && !v.secret().has_default_mode()) v.mutable_secret()->set_default_mode(420);
  }
}

void ApplyDefaults(google::protobuf::Message* obj) {
  if (auto* pod = dynamic_cast<api::Pod*>(obj)) {
    ApplyPodSpecDefaults(pod->mutable_spec());
  } else if (auto* rs = dynamic_cast<api::ReplicaSet*>(obj)) {
    if (!rs->spec().has_replicas()) rs->mutable_spec()->set_replicas(1);
    ApplyPodSpecDefaults(rs->mutable_spec()->mutable_template_()->mutable_spec());
  } else if (auto* secret = dynamic_cast<api::Secret*>(obj)) {
    if (secret->type().empty()) secret->set_type("Opaque");
    for (const auto& [k, v] : secret->string_data()) (*secret->mutable_data())[k] = v;
    secret->clear_string_data();
  } else if (auto* hpa = dynamic_cast<api::HorizontalPodAutoscaler*>(obj)) {
    api::HorizontalPodAutoscalerSpec* spec = hpa->mutable_spec();
    if (!spec->has_min_replicas()) spec->set_min_replicas(1);
    // autoscaling/v2: no metrics (and no v1 target) means 80% average CPU utilization.
    if (spec->metrics_size() == 0 && !spec->has_target_cpu_utilization_percentage()) {
      api::MetricSpec* m = spec->add_metrics();
      m->set_type("Resource");
      m->mutable_resource()->set_name("cpu");
      m->mutable_resource()->mutable_target()->set_type("Utilization");
      m->mutable_resource()->mutable_target()->set_average_utilization(80);
    }
  } else if (auto* ns = dynamic_cast<api::Namespace*>(obj)) {
    if (ns->spec().finalizers_size() == 0) ns->mutable_spec()->add_finalizers("kubernetes");
  }
}

}  // namespace mk
