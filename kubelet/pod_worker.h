#pragma once

// One pod's reconcile loop on the node. Sync(pod) is level-triggered: it reads what the
// runtime has for the pod (containers labelled mk.pod.uid=<uid>, mk.node=<node>), compares
// with the spec and takes the next steps:
//   sandbox (mk-pause) first → init containers one at a time, in order, each to exit 0 →
//   app containers; restarts per restartPolicy with CrashLoopBackOff (0, 10 s, 20 s … 300 s,
//   reset after 10 min of running); image pulls per imagePullPolicy with the pod's (and its
//   service account's) pull secrets, ErrImagePull → ImagePullBackOff; a changed container
//   spec (e.g. image) restarts the container; graceful deletion (SIGTERM, grace period,
//   SIGKILL, remove containers + sandbox + volumes).
// Everything it must remember across kubelet restarts is in the containers' labels
// (attempt = restartCount, spec hash) and in the runtime's state, so a new worker adopts
// running containers without restarting them.
//
// Thread-compatible: the kubelet's work queue never runs two Syncs of one pod at once.
// RequestKill() may be called from any thread (the prober's).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/clock.h"
#include "kubelet/backoff.h"
#include "kubelet/container_spec.h"
#include "kubelet/pod_status.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

// Where the kubelet's events go (an adapter over mk::EventRecorder in production).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // `type` "Normal" | "Warning"; `reason` e.g. "Pulling", "BackOff".
  virtual void Event(const api::Pod& pod, const std::string& type, const std::string& reason,
                     const std::string& message) = 0;
};

// The probe manager's side of the contract (implemented elsewhere; the default here says
// every running container is ready and probes nothing). A liveness failure comes back
// through Kubelet::OnLivenessFailure → PodWorker::RequestKill.
class Prober {
 public:
  virtual ~Prober() = default;
  // Readiness of a running container. Called during status computation.
  virtual bool Ready(const std::string& pod_uid, const std::string& container,
                     const std::string& container_id) {
    (void)pod_uid, (void)container, (void)container_id;
    return true;
  }
  // A container instance started (or was adopted running): start probing it.
  virtual void ContainerStarted(const api::Pod& pod, const std::string& container,
                                const std::string& container_id) {
    (void)pod, (void)container, (void)container_id;
  }
  // The pod is gone from the node: stop probing it.
  virtual void PodRemoved(const std::string& pod_uid) { (void)pod_uid; }
};

using ServiceAccountGetter = std::function<absl::StatusOr<api::ServiceAccount>(
    const std::string& ns, const std::string& name)>;
// Credentials to try for `image`, most specific first, from the dockerconfigjson /
// dockercfg Secrets given (kubelet/credentials.h does the matching).
using CredentialMatcher = std::function<std::vector<RegistryAuth>(
    const std::string& image, const std::vector<api::Secret>& pull_secrets)>;

struct PodWorkerOptions {
  std::string node_name;
  std::string root_dir = "/var/lib/mk/kubelet";
  std::string network;  // "" → Docker's bridge
  std::string pause_image = kDefaultPauseImage;
  std::string host_ip;
};

struct PodWorkerDeps {
  ContainerRuntime* runtime = nullptr;
  Clock* clock = nullptr;
  EventSink* events = nullptr;  // may be null
  Prober* prober = nullptr;     // may be null
  SecretGetter secrets;
  ServiceAccountGetter service_accounts;  // may be empty
  CredentialMatcher credentials;          // may be empty: anonymous pulls
  // Makes sure the sandbox image exists (imports mk-pause); may be empty.
  std::function<absl::Status()> ensure_sandbox_image;
};

struct SyncResult {
  api::PodStatus status;  // meaningful unless `terminated`
  // Graceful deletion finished: every container and volume is gone; the kubelet deletes
  // the API object with grace 0.
  bool terminated = false;
  // Sync again after this long (InfiniteDuration: only on events / periodic resync).
  absl::Duration requeue_after = absl::InfiniteDuration();
};

class PodWorker {
 public:
  PodWorker(PodWorkerOptions opts, PodWorkerDeps deps);
  PodWorker(const PodWorker&) = delete;
  PodWorker& operator=(const PodWorker&) = delete;

  // One reconcile pass. `pod.status` is the status last written (for transition times).
  SyncResult Sync(const api::Pod& pod);

  // Kills a running container (liveness failure): SIGTERM now, SIGKILL after the pod's grace
  // period; it is then restarted per restartPolicy. `message` goes into the Killing event.
  void RequestKill(const std::string& container, const std::string& container_id,
                   const std::string& message);

  // The last pod Sync saw (to tear it down once its API object is gone).
  const api::Pod& last_pod() const { return last_pod_; }

 private:
  struct Step {  // what one Sync decides
    std::map<std::string, api::ContainerStateWaiting> waiting;
    absl::Duration requeue = absl::InfiniteDuration();
    bool changed = false;  // the runtime was changed: observe again before the status
    void RequeueIn(absl::Duration d) { requeue = std::min(requeue, d); }
  };

  PodView Observe(const api::Pod& pod);
  SyncResult Terminate(const api::Pod& pod, PodView view, absl::Time now);
  // True when the pod has finished for good (nothing will be restarted).
  bool PodDone(const api::Pod& pod, const PodView& view) const;
  bool EnsureSandbox(const api::Pod& pod, const PodView& view, Step* step);
  void SyncInitContainers(const api::Pod& pod, const PodView& view, Step* step);
  void SyncAppContainers(const api::Pod& pod, const PodView& view, Step* step);
  // Restarts an exited container unless it is backing off.
  void Restart(const api::Pod& pod, const api::Container& c, const ContainerInfo& last,
               const std::string& sandbox_id, bool init, Step* step);
  // Pull (if needed), volumes, env, create, start. Returns true once started.
  bool StartContainer(const api::Pod& pod, const api::Container& c, int attempt, bool init,
                      const std::string& sandbox_id, Step* step);
  // Pulls per policy. On failure sets the container's waiting state and returns false.
  bool EnsureImage(const api::Pod& pod, const api::Container& c, Step* step);
  std::vector<api::Secret> PullSecrets(const api::Pod& pod);
  // SIGTERM now, SIGKILL once `grace` has passed (tracked in stopping_).
  void StopGracefully(const api::Pod& pod, const ContainerInfo& c, absl::Duration grace,
                      Step* step);
  void HandleKillRequests(const api::Pod& pod, const PodView& view, Step* step);
  void GarbageCollect(const PodView& view, Step* step);
  void Event(const api::Pod& pod, const std::string& type, const std::string& reason,
             const std::string& message);
  void SetWaiting(Step* step, const std::string& container, const std::string& reason,
                  const std::string& message);

  const PodWorkerOptions opts_;
  const PodWorkerDeps deps_;
  api::Pod last_pod_;
  Backoff crash_backoff_;
  Backoff pull_backoff_;
  // Last pull failure per image: shown as ErrImagePull for a moment before ImagePullBackOff.
  std::map<std::string, std::pair<absl::Time, std::string>> pull_errors_;
  std::map<std::string, ContainerInfo> inspected_;     // id → last inspect
  std::map<std::string, absl::Time> stopping_;         // id → when to SIGKILL
  std::set<std::string> started_reported_;             // ids handed to the prober
  absl::Time kill_deadline_ = absl::InfiniteFuture();  // graceful deletion's SIGKILL time

  absl::Mutex mu_;
  std::map<std::string, std::pair<std::string, std::string>> kill_requests_
      ABSL_GUARDED_BY(mu_);  // id → (container, message)
};

// Pod-level helpers shared with the kubelet.
std::string RestartPolicyOf(const api::Pod& pod);  // "" → "Always"
bool ShouldRestart(const std::string& policy, int exit_code);
// The pull policy after defaulting: Always for ":latest" or no tag, else IfNotPresent.
std::string PullPolicyOf(const api::Container& c);
absl::Duration GracePeriodOf(const api::Pod& pod);  // deletionGracePeriodSeconds or spec or 30s

}  // namespace mk::kubelet
