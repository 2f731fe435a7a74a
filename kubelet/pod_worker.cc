#include "kubelet/pod_worker.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/object.h"
#include "kubelet/volumes.h"

namespace mk::kubelet {
namespace {

constexpr absl::Duration kRetry = absl::Seconds(10);    // after create/start errors
constexpr absl::Duration kKillPoll = absl::Seconds(1);  // while waiting for SIGTERM
constexpr int kKeepInstances = 2;                       // current + lastState

bool Exited(const ContainerInfo& c) {
  return !c.running && (c.status == "exited" || c.status == "dead");
}

std::string PodRef(const api::Pod& pod) {
  return absl::StrCat(pod.metadata().name(), "_", pod.metadata().namespace_(), "(",
                      pod.metadata().uid(), ")");
}

}  // namespace

std::string RestartPolicyOf(const api::Pod& pod) {
  return pod.spec().restart_policy().empty() ? "Always" : pod.spec().restart_policy();
}

bool ShouldRestart(const std::string& policy, int exit_code) {
  if (policy == "Never") return false;
  if (policy == "OnFailure") return exit_code != 0;
  return true;
}

std::string PullPolicyOf(const api::Container& c) {
  if (!c.image_pull_policy().empty()) return c.image_pull_policy();
  const std::string& image = c.image();
  if (absl::StrContains(image, "@")) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return "Always";  // no tag
  }
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

absl::Duration GracePeriodOf(const api::Pod& pod) {
  if (pod.metadata().has_deletion_grace_period_seconds()) {
    return absl::Seconds(pod.metadata().deletion_grace_period_seconds());
  }
  if (pod.spec().has_termination_grace_period_seconds()) {
    return absl::Seconds(pod.spec().termination_grace_period_seconds());
  }
  return absl::Seconds(30);
}

PodWorker::PodWorker(PodWorkerOptions opts, PodWorkerDeps deps)
    : opts_(std::move(opts)), deps_(std::move(deps)) {}

void PodWorker::Event(const api::Pod& pod, const std::string& type, const std::string& reason,
                      const std::string& message) {
  if (deps_.events != nullptr) deps_.events->Event(pod, type, reason, message);
}

void PodWorker::SetWaiting(Step* step, const std::string& container, const std::string& reason,
                           const std::string& message) {
  api::ContainerStateWaiting w;
  w.set_reason(reason);
  w.set_message(message);
  step->waiting[container] = std::move(w);
}

void PodWorker::RequestKill(const std::string& container, const std::string& container_id,
                            const std::string& message) {
  absl::MutexLock l(&mu_);
  kill_requests_[container_id] = {container, message};
}

PodView PodWorker::Observe(const api::Pod& pod) {
  PodView view;
  Labels filter{{kLabelPodUid, pod.metadata().uid()}, {kLabelNode, opts_.node_name}};
  absl::StatusOr<std::vector<ContainerSummary>> list = deps_.runtime->ListContainers(filter);
  if (!list.ok()) {
    MK_LOG(WARNING) << "list containers of pod " << PodRef(pod) << ": " << list.status();
    return view;
  }
  std::map<std::string, ContainerInfo> fresh;
  for (const ContainerSummary& s : *list) {
    auto cached = inspected_.find(s.id);
    // Exited containers never change; running ones only by changing state.
    if (cached != inspected_.end() && cached->second.status == s.state) {
      fresh[s.id] = cached->second;
      continue;
    }
    absl::StatusOr<ContainerInfo> info = deps_.runtime->InspectContainer(s.id);
    if (!info.ok()) continue;  // removed meanwhile
    if (cached != inspected_.end() && cached->second.running && !info->running &&
        info->oom_killed) {
      auto name = info->labels.find(kLabelContainerName);
      Event(pod, "Warning", "OOMKilling",
            absl::StrCat("Memory cgroup out of memory: killed container ",
                         name == info->labels.end() ? info->name : name->second));
    }
    fresh[s.id] = *info;
  }
  inspected_ = fresh;
  for (auto& [id, info] : fresh) {
    if (info.labels.count(kLabelSandbox)) {
      if (!view.sandbox || AttemptOf(info) > AttemptOf(*view.sandbox) ||
          (AttemptOf(info) == AttemptOf(*view.sandbox) && info.created > view.sandbox->created)) {
        view.sandbox = info;
      }
      continue;
    }
    auto name = info.labels.find(kLabelContainerName);
    if (name == info.labels.end()) continue;
    view.containers[name->second].instances.push_back(info);
  }
  for (auto& [name, cv] : view.containers) {
    std::sort(cv.instances.begin(), cv.instances.end(),
              [](const ContainerInfo& a, const ContainerInfo& b) {
                int aa = AttemptOf(a), ab = AttemptOf(b);
                return aa != ab ? aa > ab : a.created > b.created;
              });
  }
  return view;
}

bool PodWorker::PodDone(const api::Pod& pod, const PodView& view) const {
  std::string policy = RestartPolicyOf(pod);
  if (policy == "Always") return false;
  for (const api::Container& c : pod.spec().init_containers()) {
    auto it = view.containers.find(c.name());
    if (it == view.containers.end() || it->second.instances.empty()) break;
    const ContainerInfo& cur = it->second.instances[0];
    if (policy == "Never" && Exited(cur) && cur.exit_code != 0) return true;
  }
  if (!PodInitialized(pod, view)) return false;
  for (const api::Container& c : pod.spec().containers()) {
    auto it = view.containers.find(c.name());
    if (it == view.containers.end() || it->second.instances.empty()) return false;
    const ContainerInfo& cur = it->second.instances[0];
    if (!Exited(cur) || ShouldRestart(policy, cur.exit_code)) return false;
  }
  return true;
}

SyncResult PodWorker::Sync(const api::Pod& pod) {
  last_pod_ = pod;
  absl::Time now = deps_.clock->Now();
  PodView view = Observe(pod);
  if (!pod.metadata().deletion_timestamp().empty()) return Terminate(pod, std::move(view), now);

  Step step;
  HandleKillRequests(pod, view, &step);
  bool done =
      PodDone(pod, view) || pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed";
  if (done) {
    // Finished for good: nothing restarts; free the sandbox (its IP stays in the status).
    if (view.sandbox && view.sandbox->running) {
      StopGracefully(pod, *view.sandbox, absl::ZeroDuration(), &step);
    }
  } else if (EnsureSandbox(pod, view, &step)) {
    if (step.changed) {
      view = Observe(pod);
      step.changed = false;
    }
    if (!PodInitialized(pod, view)) {
      SyncInitContainers(pod, view, &step);
    } else {
      SyncAppContainers(pod, view, &step);
    }
  }
  GarbageCollect(view, &step);
  if (step.changed) view = Observe(pod);
  for (auto& [name, w] : step.waiting) {
    ContainerView& cv = view.containers[name];
    if (cv.instances.empty() || !cv.instances[0].running) cv.waiting = w;
  }
  // Hand running containers (new or adopted) to the prober once.
  if (deps_.prober != nullptr) {
    for (const auto& [name, cv] : view.containers) {
      if (!cv.instances.empty() && cv.instances[0].running &&
          started_reported_.insert(cv.instances[0].id).second) {
        deps_.prober->ContainerStarted(pod, name, cv.instances[0].id);
      }
    }
  }
  StatusContext ctx;
  ctx.now = now;
  ctx.host_ip = opts_.host_ip;
  if (deps_.prober != nullptr) {
    Prober* prober = deps_.prober;
    std::string uid = pod.metadata().uid();
    ctx.ready = [prober, uid](const std::string& c, const std::string& id) {
      return prober->Ready(uid, c, id);
    };
  }
  SyncResult result;
  result.status = ComputePodStatus(pod, view, pod.status(), ctx);
  if (pod.spec().host_network() && result.status.pod_ip().empty() && !opts_.host_ip.empty()) {
    result.status.set_pod_ip(opts_.host_ip);
    result.status.add_pod_ips()->set_ip(opts_.host_ip);
  }
  result.requeue_after = step.requeue;
  return result;
}

bool PodWorker::EnsureSandbox(const api::Pod& pod, const PodView& view, Step* step) {
  if (view.sandbox && view.sandbox->running) return true;
  int attempt = 0;
  if (view.sandbox) {
    attempt = AttemptOf(*view.sandbox) + 1;
    Event(pod, "Normal", "SandboxChanged",
          "Pod sandbox changed, it will be killed and re-created.");
    // The containers lost their network namespace: stop them; they restart per policy.
    for (const auto& [name, cv] : view.containers) {
      if (!cv.instances.empty() && cv.instances[0].running) {
        (void)deps_.runtime->KillContainer(cv.instances[0].id, "SIGKILL");
      }
    }
  }
  if (deps_.ensure_sandbox_image) {
    absl::Status s = deps_.ensure_sandbox_image();
    if (!s.ok()) {
      Event(pod, "Warning", "FailedCreatePodSandBox",
            absl::StrCat("Failed to create pod sandbox: ", s.message()));
      step->RequeueIn(kRetry);
      return false;
    }
  }
  SandboxOptions so;
  so.node = opts_.node_name;
  so.network = opts_.network;
  so.pause_image = opts_.pause_image;
  so.attempt = attempt;
  step->changed = true;
  absl::StatusOr<std::string> id =
      deps_.runtime->CreateContainer(SandboxName(pod, attempt), SandboxBody(pod, so));
  absl::Status s = id.status();
  if (s.ok()) s = deps_.runtime->StartContainer(*id);
  if (!s.ok()) {
    Event(pod, "Warning", "FailedCreatePodSandBox",
          absl::StrCat("Failed to create pod sandbox: ", s.message()));
    if (id.ok()) (void)deps_.runtime->RemoveContainer(*id);
    step->RequeueIn(kRetry);
    return false;
  }
  return true;
}

void PodWorker::SyncInitContainers(const api::Pod& pod, const PodView& view, Step* step) {
  std::string policy = RestartPolicyOf(pod);
  std::string sandbox_id = view.sandbox ? view.sandbox->id : "";
  for (const api::Container& c : pod.spec().init_containers()) {
    auto it = view.containers.find(c.name());
    if (it == view.containers.end() || it->second.instances.empty()) {
      StartContainer(pod, c, 0, true, sandbox_id, step);
      return;
    }
    const ContainerInfo& cur = it->second.instances[0];
    if (cur.running) return;  // wait for it
    if (!Exited(cur)) {       // created but never started (kubelet died in between)
      (void)deps_.runtime->RemoveContainer(cur.id);
      step->changed = true;
      StartContainer(pod, c, AttemptOf(cur) + 1, true, sandbox_id, step);
      return;
    }
    if (cur.exit_code == 0) continue;
    if (policy == "Never") return;  // the pod has failed
    Restart(pod, c, cur, sandbox_id, true, step);
    return;
  }
}

void PodWorker::SyncAppContainers(const api::Pod& pod, const PodView& view, Step* step) {
  std::string policy = RestartPolicyOf(pod);
  std::string sandbox_id = view.sandbox ? view.sandbox->id : "";
  for (const api::Container& c : pod.spec().containers()) {
    auto it = view.containers.find(c.name());
    if (it == view.containers.end() || it->second.instances.empty()) {
      StartContainer(pod, c, 0, false, sandbox_id, step);
      continue;
    }
    const ContainerInfo& cur = it->second.instances[0];
    if (cur.running) {
      auto hash = cur.labels.find(kLabelSpecHash);
      if (hash != cur.labels.end() && hash->second != SpecHash(c) && !stopping_.count(cur.id)) {
        Event(pod, "Normal", "Killing",
              absl::StrCat("Container ", c.name(), " definition changed, will be restarted"));
        StopGracefully(pod, cur, GracePeriodOf(pod), step);
      }
      continue;
    }
    if (!Exited(cur)) {
      (void)deps_.runtime->RemoveContainer(cur.id);
      step->changed = true;
      StartContainer(pod, c, AttemptOf(cur) + 1, false, sandbox_id, step);
      continue;
    }
    stopping_.erase(cur.id);
    // A container killed for a spec change restarts at once, without back-off.
    auto hash = cur.labels.find(kLabelSpecHash);
    if (hash != cur.labels.end() && hash->second != SpecHash(c)) {
      StartContainer(pod, c, AttemptOf(cur) + 1, false, sandbox_id, step);
      continue;
    }
    if (!ShouldRestart(policy, cur.exit_code)) continue;
    Restart(pod, c, cur, sandbox_id, false, step);
  }
}

void PodWorker::Restart(const api::Pod& pod, const api::Container& c, const ContainerInfo& last,
                        const std::string& sandbox_id, bool init, Step* step) {
  absl::Time now = deps_.clock->Now();
  std::string key = c.name();
  absl::Duration left = crash_backoff_.RemainingSince(key, last.finished_at, now);
  if (left > absl::ZeroDuration()) {
    SetWaiting(step, c.name(), "CrashLoopBackOff",
               absl::StrCat("back-off ", GoDuration(crash_backoff_.Get(key)),
                            " restarting failed container=", c.name(), " pod=", PodRef(pod)));
    Event(pod, "Warning", "BackOff", "Back-off restarting failed container");
    step->RequeueIn(left);
    return;
  }
  if (StartContainer(pod, c, AttemptOf(last) + 1, init, sandbox_id, step)) {
    crash_backoff_.Next(key, last.finished_at, now);
  }
}

void PodWorker::StopGracefully(const api::Pod& pod, const ContainerInfo& c, absl::Duration grace,
                               Step* step) {
  (void)pod;
  absl::Time now = deps_.clock->Now();
  auto it = stopping_.find(c.id);
  step->changed = true;
  if (it == stopping_.end()) {
    if (grace <= absl::ZeroDuration()) {
      (void)deps_.runtime->KillContainer(c.id, "SIGKILL");
      return;
    }
    stopping_[c.id] = now + grace;
    (void)deps_.runtime->KillContainer(c.id, "SIGTERM");
    step->RequeueIn(std::min(grace, kKillPoll));
    return;
  }
  if (now >= it->second) {
    (void)deps_.runtime->KillContainer(c.id, "SIGKILL");
  } else {
    step->RequeueIn(std::min(it->second - now, kKillPoll));
  }
}

void PodWorker::HandleKillRequests(const api::Pod& pod, const PodView& view, Step* step) {
  std::map<std::string, std::pair<std::string, std::string>> requests;
  {
    absl::MutexLock l(&mu_);
    requests.swap(kill_requests_);
  }
  for (const auto& [id, req] : requests) {
    auto it = view.containers.find(req.first);
    if (it == view.containers.end() || it->second.instances.empty()) continue;
    const ContainerInfo& cur = it->second.instances[0];
    if (cur.id != id || !cur.running) continue;  // stale request
    Event(pod, "Normal", "Killing", req.second);
    StopGracefully(pod, cur, GracePeriodOf(pod), step);
  }
  // Keep escalating earlier stops (SIGKILL once their grace ran out).
  for (const auto& [name, cv] : view.containers) {
    if (cv.instances.empty() || !cv.instances[0].running) continue;
    if (stopping_.count(cv.instances[0].id)) StopGracefully(pod, cv.instances[0], {}, step);
  }
}

void PodWorker::GarbageCollect(const PodView& view, Step* step) {
  for (const auto& [name, cv] : view.containers) {
    for (size_t i = kKeepInstances; i < cv.instances.size(); ++i) {
      if (cv.instances[i].running) continue;
      (void)deps_.runtime->RemoveContainer(cv.instances[i].id);
      stopping_.erase(cv.instances[i].id);
      step->changed = true;
    }
  }
}

}  // namespace mk::kubelet
