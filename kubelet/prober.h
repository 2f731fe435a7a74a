#pragma once

// ProbeManager: the kubelet's Prober (pod_worker.h) for real. Every started container
// instance with probes gets one thread per probe (startup, liveness, readiness), each
// running as Kubernetes' prober workers do:
//   wait initialDelaySeconds, then every periodSeconds run the probe with timeoutSeconds;
//   the result flips after successThreshold consecutive successes / failureThreshold
//   consecutive failures (defaults 10 s, 1 s, 1, 3);
//   liveness/readiness wait until the startup probe (if any) has succeeded;
//   each failed run emits `Unhealthy` "<Kind> probe failed: <why>";
//   liveness (and startup) failure → on_kill(uid, container, id, "Container c failed
//   liveness probe, will be restarted"); the instance's workers stop there;
//   readiness changes → on_change(uid) so the pod's status is recomputed.
// Probe actions: httpGet (GET http://<host or pod IP>:<port>/<path> with httpHeaders,
// 200–399 passes, "HTTP probe failed with statuscode: N"), tcpSocket (connect), exec (Docker
// exec, exit 0 passes). Ports may be named (the container's ports[].name).
//
// Thread-safe.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "kubelet/pod_worker.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

struct ProbeResult {
  bool success = false;
  std::string message;  // why it failed ("HTTP probe failed with statuscode: 500")
};

// One run of `probe` against container `container_id` of a pod at `pod_ip`.
ProbeResult RunProbe(ContainerRuntime* runtime, const api::Probe& probe,
                     const api::Container& container, const std::string& pod_ip,
                     const std::string& container_id);

class ProbeManager : public Prober {
 public:
  using KillFn = std::function<void(const std::string& pod_uid, const std::string& container,
                                    const std::string& container_id, const std::string& message)>;
  using ChangeFn = std::function<void(const std::string& pod_uid)>;

  ProbeManager(ContainerRuntime* runtime, EventSink* events, std::string node_name);
  ~ProbeManager() override;

  // Before the first ContainerStarted.
  void set_on_kill(KillFn f) { on_kill_ = std::move(f); }
  void set_on_change(ChangeFn f) { on_change_ = std::move(f); }

  bool Ready(const std::string& pod_uid, const std::string& container,
             const std::string& container_id) override;
  void ContainerStarted(const api::Pod& pod, const std::string& container,
                        const std::string& container_id) override;
  void PodRemoved(const std::string& pod_uid) override;
  void Shutdown();

 private:
  struct Instance {
    std::string pod_uid;
    std::string container;
    bool started = true;  // startup probe passed (or none)
    bool ready = true;    // readiness (true when there is no readiness probe)
    bool stop = false;
  };
  enum class Kind { kStartup, kLiveness, kReadiness };
  void Worker(std::shared_ptr<Instance> inst, api::Pod pod, api::Container c, std::string id,
              Kind kind);
  std::string PodIp(const api::Pod& pod);
  // Sleeps up to `d`; false when the instance (or the manager) was stopped.
  bool Sleep(const std::shared_ptr<Instance>& inst, absl::Duration d);

  ContainerRuntime* const runtime_;
  EventSink* const events_;
  const std::string node_name_;
  KillFn on_kill_;
  ChangeFn on_change_;

  absl::Mutex mu_;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::shared_ptr<Instance>> instances_ ABSL_GUARDED_BY(mu_);  // by id
  struct Thread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  // Starts a probe worker thread; finished ones are joined by later calls.
  void Spawn(std::function<void()> fn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<Thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mk::kubelet
