// PodWorker: starting one container (pull, volumes, env, create, start) and tearing the pod
// down on graceful deletion.

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "kubelet/pod_worker.h"
#include "kubelet/volumes.h"

namespace mk::kubelet {
namespace {

constexpr absl::Duration kRetry = absl::Seconds(10);
constexpr absl::Duration kKillPoll = absl::Seconds(1);
constexpr absl::Duration kErrImagePullShown = absl::Seconds(2);

std::string Seconds(absl::Duration d) { return absl::StrFormat("%.3fs", absl::ToDoubleSeconds(d)); }

}  // namespace

std::vector<api::Secret> PodWorker::PullSecrets(const api::Pod& pod) {
  const std::string& ns = pod.metadata().namespace_();
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (const auto& ref : pod.spec().image_pull_secrets()) {
    if (seen.insert(ref.name()).second) names.push_back(ref.name());
  }
  if (deps_.service_accounts) {
    std::string sa = pod.spec().service_account_name();
    if (sa.empty()) sa = pod.spec().service_account();
    if (sa.empty()) sa = "default";
    absl::StatusOr<api::ServiceAccount> account = deps_.service_accounts(ns, sa);
    if (account.ok()) {
      for (const auto& ref : account->image_pull_secrets()) {
        if (seen.insert(ref.name()).second) names.push_back(ref.name());
      }
    }
  }
  std::vector<api::Secret> out;
  for (const std::string& name : names) {
    absl::StatusOr<api::Secret> s =
        deps_.secrets ? deps_.secrets(ns, name) : absl::NotFoundError("no secret getter");
    if (s.ok()) {
      out.push_back(std::move(*s));
    } else {
      MK_LOG(WARNING) << "pull secret " << ns << "/" << name << " of pod " << pod.metadata().name()
                      << ": " << s.status();
    }
  }
  return out;
}

bool PodWorker::EnsureImage(const api::Pod& pod, const api::Container& c, Step* step) {
  const std::string& image = c.image();
  std::string policy = PullPolicyOf(c);
  bool present = deps_.runtime->ImageId(image).ok();
  if (policy == "Never" || (policy == "IfNotPresent" && present)) {
    if (present) {
      Event(pod, "Normal", "Pulled",
            absl::StrCat("Container image \"", image, "\" already present on machine"));
      return true;
    }
    std::string msg =
        absl::StrCat("Container image \"", image, "\" is not present with pull policy of Never");
    Event(pod, "Warning", "ErrImageNeverPull", msg);
    SetWaiting(step, c.name(), "ErrImageNeverPull", msg);
    step->RequeueIn(kRetry);
    return false;
  }
  absl::Time now = deps_.clock->Now();
  std::string key = absl::StrCat("pull/", image);
  absl::Duration left = pull_backoff_.RemainingSinceUpdate(key, now);
  if (left > absl::ZeroDuration()) {
    // Right after a failure (the sync its own sandbox start triggers) keep ErrImagePull, so
    // it is observable as in Kubernetes, where the next sync comes a relist (~1 s) later.
    auto last = pull_errors_.find(key);
    if (last != pull_errors_.end() && now - last->second.first < kErrImagePullShown) {
      SetWaiting(step, c.name(), "ErrImagePull", last->second.second);
      step->RequeueIn(kErrImagePullShown - (now - last->second.first));
      return false;
    }
    std::string msg = absl::StrCat("Back-off pulling image \"", image, "\"");
    Event(pod, "Normal", "BackOff", msg);
    Event(pod, "Warning", "Failed", "Error: ImagePullBackOff");
    SetWaiting(step, c.name(), "ImagePullBackOff", msg);
    step->RequeueIn(left);
    return false;
  }
  Event(pod, "Normal", "Pulling", absl::StrCat("Pulling image \"", image, "\""));
  std::vector<RegistryAuth> auths;
  if (deps_.credentials) auths = deps_.credentials(image, PullSecrets(pod));
  absl::Status s;
  if (auths.empty()) {
    s = deps_.runtime->PullImage(image, absl::nullopt);
  } else {
    for (const RegistryAuth& auth : auths) {  // most specific first; stop at the first success
      s = deps_.runtime->PullImage(image, auth);
      if (s.ok()) break;
    }
  }
  absl::Time after = deps_.clock->Now();
  if (!s.ok()) {
    std::string err(s.message());
    Event(pod, "Warning", "Failed", absl::StrCat("Failed to pull image \"", image, "\": ", err));
    Event(pod, "Warning", "Failed", "Error: ErrImagePull");
    SetWaiting(step, c.name(), "ErrImagePull", err);
    pull_errors_[key] = {after, err};
    pull_backoff_.Next(key, after, after);
    step->RequeueIn(pull_backoff_.Get(key));
    return false;
  }
  pull_backoff_.Reset(key);
  pull_errors_.erase(key);
  Event(pod, "Normal", "Pulled",
        absl::StrCat("Successfully pulled image \"", image, "\" in ", Seconds(after - now)));
  return true;
}

bool PodWorker::StartContainer(const api::Pod& pod, const api::Container& c, int attempt, bool init,
                               const std::string& sandbox_id, Step* step) {
  if (!EnsureImage(pod, c, step)) return false;
  auto config_error = [&](const absl::Status& s) {
    std::string msg(s.message());
    Event(pod, "Warning", "Failed", absl::StrCat("Error: ", msg));
    SetWaiting(step, c.name(), "CreateContainerConfigError", msg);
    step->RequeueIn(kRetry);
    return false;
  };
  absl::StatusOr<VolumeMap> volumes = SetUpVolumes(pod, opts_.root_dir, deps_.secrets);
  if (!volumes.ok()) return config_error(volumes.status());
  std::string pod_ip;
  if (auto it = inspected_.find(sandbox_id); it != inspected_.end()) {
    pod_ip = it->second.ip_address;
  }
  absl::StatusOr<std::vector<std::string>> env =
      BuildEnv(pod, c, deps_.secrets, pod_ip, opts_.host_ip);
  if (!env.ok()) return config_error(env.status());
  absl::StatusOr<std::vector<std::string>> binds = MountBinds(c, *volumes);
  if (!binds.ok()) return config_error(binds.status());
  ContainerOptions co;
  co.node = opts_.node_name;
  co.sandbox_id = sandbox_id;
  co.attempt = attempt;
  co.init = init;
  co.env = std::move(*env);
  co.binds = std::move(*binds);
  absl::StatusOr<Json> body = ContainerBody(pod, c, co);
  if (!body.ok()) return config_error(body.status());

  step->changed = true;
  absl::StatusOr<std::string> id =
      deps_.runtime->CreateContainer(ContainerName(pod, c.name(), attempt), *body);
  if (!id.ok()) {
    std::string msg(id.status().message());
    Event(pod, "Warning", "Failed", absl::StrCat("Error: ", msg));
    SetWaiting(step, c.name(), "CreateContainerError", msg);
    step->RequeueIn(kRetry);
    return false;
  }
  Event(pod, "Normal", "Created", absl::StrCat("Created container ", c.name()));
  absl::Status s = deps_.runtime->StartContainer(*id);
  if (!s.ok()) {
    std::string msg = absl::StrCat("failed to start container \"", c.name(), "\": ", s.message());
    Event(pod, "Warning", "Failed", absl::StrCat("Error: ", msg));
    (void)deps_.runtime->RemoveContainer(*id);
    SetWaiting(step, c.name(), "RunContainerError", msg);
    step->RequeueIn(kRetry);
    return false;
  }
  Event(pod, "Normal", "Started", absl::StrCat("Started container ", c.name()));
  return true;
}

SyncResult PodWorker::Terminate(const api::Pod& pod, PodView view, absl::Time now) {
  SyncResult result;
  bool any_running = false;
  if (kill_deadline_ == absl::InfiniteFuture()) {
    absl::Duration grace = GracePeriodOf(pod);
    kill_deadline_ = now + grace;
    for (const auto& [name, cv] : view.containers) {
      for (const ContainerInfo& inst : cv.instances) {
        if (!inst.running) continue;
        Event(pod, "Normal", "Killing", absl::StrCat("Stopping container ", name));
        (void)deps_.runtime->KillContainer(inst.id,
                                           grace > absl::ZeroDuration() ? "SIGTERM" : "SIGKILL");
      }
    }
    view = Observe(pod);
  }
  for (const auto& [name, cv] : view.containers) {
    for (const ContainerInfo& inst : cv.instances) any_running |= inst.running;
  }
  if (any_running && now < kill_deadline_) {
    result.requeue_after = std::min(kill_deadline_ - now, kKillPoll);
    return result;
  }
  for (const auto& [name, cv] : view.containers) {
    for (const ContainerInfo& inst : cv.instances) {
      if (inst.running) (void)deps_.runtime->KillContainer(inst.id, "SIGKILL");
    }
  }
  // Remove everything of the pod, the sandbox last.
  Labels filter{{kLabelPodUid, pod.metadata().uid()}, {kLabelNode, opts_.node_name}};
  absl::StatusOr<std::vector<ContainerSummary>> all = deps_.runtime->ListContainers(filter);
  if (!all.ok()) {
    result.requeue_after = kRetry;
    return result;
  }
  absl::Status failed;
  for (int pass = 0; pass < 2; ++pass) {
    for (const ContainerSummary& s : *all) {
      if ((s.labels.count(kLabelSandbox) > 0) != (pass == 1)) continue;
      absl::Status r = deps_.runtime->RemoveContainer(s.id);
      if (!r.ok()) failed = r;
    }
  }
  if (failed.ok()) failed = RemovePodDir(opts_.root_dir, pod.metadata().uid());
  if (!failed.ok()) {
    MK_LOG(WARNING) << "tearing down pod " << pod.metadata().namespace_() << "/"
                    << pod.metadata().name() << ": " << failed;
    result.requeue_after = kRetry;
    return result;
  }
  inspected_.clear();
  stopping_.clear();
  if (deps_.prober != nullptr) deps_.prober->PodRemoved(pod.metadata().uid());
  result.terminated = true;
  return result;
}

}  // namespace mk::kubelet
