#pragma once

// The kubelet's pod side, assembled: an informer on the pods bound to this node (field
// selector spec.nodeName=<node>) → a work queue keyed "ns/name" → one PodWorker per pod uid
// (kubelet/pod_worker.h) → status written through ApiClient Update(…, "status") only when it
// changed, and the API object deleted with grace 0 once a graceful deletion has finished.
// Docker's event stream (when the runtime has one) and the informer's periodic resync
// re-queue pods; Housekeeping() removes containers of pods that no longer exist — only
// containers labelled with this node's name, never another node's.
//
// Not here (other components call in through small interfaces):
//  - node registration, lease heartbeats, node status;
//  - probes: implement Prober (pod_worker.h). The kubelet asks Prober::Ready(uid, container,
//    id) when computing status, tells Prober::ContainerStarted / PodRemoved, and a liveness
//    failure comes back through Kubelet::OnLivenessFailure, which kills the container so it
//    restarts per restartPolicy. The default Prober probes nothing and reports ready;
//  - the log/exec server: use ContainerRuntime::Logs with FindContainer() to find the id.
//
// Thread-safe. Owns its threads (queue workers, runtime event watcher, housekeeping):
// Start() once, Shutdown() joins them. With options.workers == 0 no thread is started and
// tests drive SyncPod()/Housekeeping() themselves.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "common/event_recorder.h"
#include "common/informer.h"
#include "common/work_queue.h"
#include "kubelet/pod_worker.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

struct KubeletOptions {
  std::string node_name;
  std::string root_dir = "/var/lib/mk/kubelet";
  std::string network;  // "" → Docker's default bridge
  std::string pause_image = kDefaultPauseImage;
  std::string host_ip;  // the node's address (status.hostIP)
  int workers = 16;     // pod sync threads; 0 → none (tests call SyncPod)
  absl::Duration resync_period = absl::Seconds(10);
  absl::Duration housekeeping_period = absl::Seconds(10);
  // Orphans (containers whose pod is gone) are stopped with their pod's grace, capped here.
  absl::Duration max_orphan_grace = absl::Seconds(30);
};

// EventSink over h6's EventRecorder.
class RecorderEventSink : public EventSink {
 public:
  explicit RecorderEventSink(EventRecorder* recorder) : recorder_(recorder) {}
  void Event(const api::Pod& pod, const std::string& type, const std::string& reason,
             const std::string& message) override {
    recorder_->Event(pod, type, reason, message);
  }

 private:
  EventRecorder* recorder_;
};

class Kubelet {
 public:
  // `events` and `prober` may be null (no events / the default prober). All pointers must
  // outlive the Kubelet.
  Kubelet(KubeletOptions opts, ApiClient* api, ContainerRuntime* runtime, Clock* clock,
          EventSink* events, Prober* prober);
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;
  ~Kubelet();

  // Before Start().
  void set_credential_matcher(CredentialMatcher m) { credentials_ = std::move(m); }
  void set_ensure_sandbox_image(std::function<absl::Status()> f) { ensure_image_ = std::move(f); }

  void Start();
  bool WaitForSync(absl::Duration timeout);
  void Shutdown();

  // One reconcile of the pod "ns/name" (what a queue worker does).
  void SyncPod(const std::string& key);
  // Removes this node's containers whose pod is gone (and their volume dirs). No-op until
  // the informer has synced.
  void Housekeeping();
  // The prober's liveness failure: kill `container_id` (SIGTERM, grace, SIGKILL) with
  // `message` in the Killing event; the pod worker then restarts it per policy.
  void OnLivenessFailure(const std::string& pod_uid, const std::string& container,
                         const std::string& container_id, const std::string& message);
  // Re-syncs the pod with uid `pod_uid` (e.g. its readiness changed).
  void Requeue(const std::string& pod_uid);
  // The current container id of `container` in pod ns/name ("" if none), for logs/exec.
  std::string FindContainer(const std::string& ns, const std::string& pod,
                            const std::string& container, bool previous = false);

  int NumWorkers() const;
  WorkQueue* queue() { return &queue_; }
  Informer* informer() { return informer_.get(); }

 private:
  struct Entry {
    std::shared_ptr<PodWorker> worker;
    std::string key;
    api::PodStatus written;  // last status written (or read)
    bool has_written = false;
  };

  std::shared_ptr<PodWorker> NewWorker();
  void WorkerLoop();
  void EventLoop();
  void HousekeepingLoop();
  void Enqueue(const google::protobuf::Message& obj);
  // Writes the status if it differs from what was written last.
  void WriteStatus(const api::Pod& pod, const api::PodStatus& status, Entry* entry);
  void RemoveOrphans(const std::string& uid, const std::vector<ContainerSummary>& containers);

  const KubeletOptions opts_;
  ApiClient* const api_;
  ContainerRuntime* const runtime_;
  Clock* const clock_;
  EventSink* const events_;
  Prober default_prober_;
  Prober* const prober_;
  CredentialMatcher credentials_;
  std::function<absl::Status()> ensure_image_;

  WorkQueue queue_;
  std::unique_ptr<Informer> informer_;

  mutable absl::Mutex mu_;
  std::map<std::string, Entry> pods_ ABSL_GUARDED_BY(mu_);          // uid → worker
  std::map<std::string, std::string> uid_of_ ABSL_GUARDED_BY(mu_);  // key → uid
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<RuntimeEventStream> event_stream_ ABSL_GUARDED_BY(mu_);

  std::vector<std::thread> threads_;
};

}  // namespace mk::kubelet
