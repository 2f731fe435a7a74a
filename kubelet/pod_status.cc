#include "kubelet/pod_status.h"

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/object.h"

namespace mk::kubelet {
namespace {

bool Exited(const ContainerInfo& c) {
  return !c.running && (c.status == "exited" || c.status == "dead");
}

std::string ImageIdUri(const std::string& image_id) {
  if (image_id.empty()) return "";
  if (absl::StrContains(image_id, "://")) return image_id;
  if (absl::StrContains(image_id, "@")) return absl::StrCat("docker-pullable://", image_id);
  return absl::StrCat("docker://", image_id);
}

std::string TimeOrEmpty(absl::Time t) { return t == absl::InfinitePast() ? "" : mk::FormatTime(t); }

const ContainerView* FindView(const PodView& view, const std::string& name) {
  auto it = view.containers.find(name);
  return it == view.containers.end() ? nullptr : &it->second;
}

api::ContainerStatus BuildStatus(const api::Container& spec, const ContainerView* cv,
                                 const std::string& default_reason, const StatusContext& ctx) {
  api::ContainerStatus st;
  st.set_name(spec.name());
  st.set_image(spec.image());
  st.set_ready(false);
  st.set_restart_count(0);
  if (cv == nullptr || cv->instances.empty()) {
    if (cv != nullptr && cv->waiting) {
      *st.mutable_state()->mutable_waiting() = *cv->waiting;
    } else {
      st.mutable_state()->mutable_waiting()->set_reason(default_reason);
    }
    st.set_started(false);
    return st;
  }
  const ContainerInfo& cur = cv->instances[0];
  st.set_restart_count(AttemptOf(cur));
  st.set_image_id(ImageIdUri(cur.image_id));
  st.set_container_id(ContainerIdUri(cur.id));
  const ContainerInfo* last = nullptr;  // the instance shown as lastState
  if (cur.running) {
    st.mutable_state()->mutable_running()->set_started_at(TimeOrEmpty(cur.started_at));
    bool ready = ctx.ready ? ctx.ready(spec.name(), cur.id) : true;
    st.set_ready(ready);
    if (cv->instances.size() > 1 && Exited(cv->instances[1])) last = &cv->instances[1];
  } else if (Exited(cur)) {
    if (cv->waiting) {
      *st.mutable_state()->mutable_waiting() = *cv->waiting;
      last = &cur;
    } else {
      *st.mutable_state()->mutable_terminated() = TerminatedState(cur);
      if (cv->instances.size() > 1 && Exited(cv->instances[1])) last = &cv->instances[1];
    }
  } else {  // created, not started yet
    if (cv->waiting) {
      *st.mutable_state()->mutable_waiting() = *cv->waiting;
    } else {
      st.mutable_state()->mutable_waiting()->set_reason("ContainerCreating");
    }
    if (cv->instances.size() > 1 && Exited(cv->instances[1])) last = &cv->instances[1];
  }
  if (last != nullptr) *st.mutable_last_state()->mutable_terminated() = TerminatedState(*last);
  st.set_started(cur.running);
  return st;
}

void SetCondition(const api::PodStatus& prev, api::PodStatus* out, const std::string& type, bool ok,
                  const std::string& reason, const std::string& message, absl::Time now) {
  api::PodCondition* c = out->add_conditions();
  c->set_type(type);
  c->set_status(ok ? "True" : "False");
  c->set_reason(reason);
  c->set_message(message);
  c->set_last_transition_time(mk::FormatTime(now));
  for (const api::PodCondition& p : prev.conditions()) {
    if (p.type() == type && p.status() == c->status() && !p.last_transition_time().empty()) {
      c->set_last_transition_time(p.last_transition_time());
    }
  }
}

std::string Phase(const api::Pod& pod, const api::PodStatus& st, bool initialized,
                  bool init_failed) {
  const std::string& policy =
      pod.spec().restart_policy().empty() ? std::string("Always") : pod.spec().restart_policy();
  if (init_failed && policy == "Never") return "Failed";
  if (!initialized) return "Pending";
  int running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const api::ContainerStatus& cs : st.container_statuses()) {
    if (cs.state().has_running()) {
      ++running;
    } else if (cs.state().has_terminated()) {
      ++stopped;
      if (cs.state().terminated().exit_code() == 0) ++succeeded;
    } else if (cs.last_state().has_terminated()) {
      ++stopped;  // waiting to restart
    } else {
      ++waiting;
    }
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy == "Always") return "Running";
    if (stopped == succeeded) return "Succeeded";
    if (policy == "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

}  // namespace

int AttemptOf(const ContainerInfo& info) {
  auto it = info.labels.find(kLabelAttempt);
  return it == info.labels.end() ? 0 : std::atoi(it->second.c_str());
}

std::string ContainerIdUri(const std::string& id) {
  return id.empty() ? "" : absl::StrCat("docker://", id);
}

api::ContainerStateTerminated TerminatedState(const ContainerInfo& info) {
  api::ContainerStateTerminated t;
  t.set_exit_code(info.exit_code);
  if (info.oom_killed) {
    t.set_reason("OOMKilled");
  } else if (info.exit_code == 0) {
    t.set_reason("Completed");
  } else {
    t.set_reason("Error");
  }
  if (!info.error.empty()) t.set_message(info.error);
  t.set_started_at(TimeOrEmpty(info.started_at));
  t.set_finished_at(TimeOrEmpty(info.finished_at));
  t.set_container_id(ContainerIdUri(info.id));
  return t;
}

bool PodInitialized(const api::Pod& pod, const PodView& view) {
  for (const api::Container& c : pod.spec().containers()) {
    const ContainerView* cv = FindView(view, c.name());
    if (cv != nullptr && !cv->instances.empty()) return true;
  }
  for (const api::Container& c : pod.spec().init_containers()) {
    const ContainerView* cv = FindView(view, c.name());
    if (cv == nullptr || cv->instances.empty()) return false;
    const ContainerInfo& cur = cv->instances[0];
    if (!Exited(cur) || cur.exit_code != 0) return false;
  }
  return true;
}

api::PodStatus ComputePodStatus(const api::Pod& pod, const PodView& view,
                                const api::PodStatus& prev, const StatusContext& ctx) {
  api::PodStatus st;
  bool initialized = PodInitialized(pod, view);
  bool init_failed = false;
  std::vector<std::string> incomplete_init;
  for (const api::Container& c : pod.spec().init_containers()) {
    const ContainerView* cv = FindView(view, c.name());
    api::ContainerStatus cs = BuildStatus(c, cv, "PodInitializing", ctx);
    if (initialized && (cv == nullptr || cv->instances.empty())) {
      // Garbage-collected after success: report it as completed.
      cs.mutable_state()->Clear();
      cs.mutable_state()->mutable_terminated()->set_reason("Completed");
    }
    const auto& term = cs.state().terminated();
    bool done = cs.state().has_terminated() && term.exit_code() == 0;
    if (!done) incomplete_init.push_back(c.name());
    if (cs.state().has_terminated() && term.exit_code() != 0) init_failed = true;
    if (cv != nullptr && !cv->instances.empty() && Exited(cv->instances[0]) &&
        cv->instances[0].exit_code != 0) {
      init_failed = true;
    }
    *st.add_init_container_statuses() = std::move(cs);
  }
  std::vector<std::string> unready;
  for (const api::Container& c : pod.spec().containers()) {
    api::ContainerStatus cs = BuildStatus(
        c, FindView(view, c.name()), initialized ? "ContainerCreating" : "PodInitializing", ctx);
    if (!cs.ready()) unready.push_back(c.name());
    *st.add_container_statuses() = std::move(cs);
  }

  std::string phase = Phase(pod, st, initialized, init_failed);
  if (prev.phase() == "Succeeded" || prev.phase() == "Failed") phase = prev.phase();
  st.set_phase(phase);
  bool completed = phase == "Succeeded" || phase == "Failed";

  // Conditions in Kubernetes' order: Initialized, Ready, ContainersReady, PodScheduled.
  std::string init_msg = incomplete_init.empty()
                             ? ""
                             : absl::StrCat("containers with incomplete status: [",
                                            absl::StrJoin(incomplete_init, " "), "]");
  if (completed && initialized) {
    SetCondition(prev, &st, "Initialized", true, "PodCompleted", "", ctx.now);
  } else {
    SetCondition(prev, &st, "Initialized", initialized,
                 initialized ? "" : "ContainersNotInitialized", initialized ? "" : init_msg,
                 ctx.now);
  }
  bool ready = unready.empty() && initialized && !completed;
  std::string ready_reason, ready_msg;
  if (completed) {
    ready_reason = "PodCompleted";
  } else if (!ready) {
    ready_reason = "ContainersNotReady";
    ready_msg = absl::StrCat("containers with unready status: [", absl::StrJoin(unready, " "), "]");
  }
  SetCondition(prev, &st, "Ready", ready, ready_reason, ready_msg, ctx.now);
  SetCondition(prev, &st, "ContainersReady", ready, ready_reason, ready_msg, ctx.now);
  SetCondition(prev, &st, "PodScheduled", true, "", "", ctx.now);

  st.set_host_ip(ctx.host_ip);
  if (view.sandbox && view.sandbox->running && !view.sandbox->ip_address.empty()) {
    st.set_pod_ip(view.sandbox->ip_address);
    st.add_pod_ips()->set_ip(view.sandbox->ip_address);
  } else if (completed && !prev.pod_ip().empty()) {
    st.set_pod_ip(prev.pod_ip());  // keep the last IP of a finished pod, as Kubernetes does
    *st.mutable_pod_ips() = prev.pod_ips();
  }
  st.set_start_time(prev.start_time().empty() ? mk::FormatTime(ctx.now) : prev.start_time());
  st.set_qos_class(prev.qos_class());
  st.set_nominated_node_name(prev.nominated_node_name());
  return st;
}

}  // namespace mk::kubelet
