#pragma once

// mk-scheduler's engine: informers on pods and nodes feed the cache (bound pods, nodes) and
// the queue (pending pods whose schedulerName is ours); one scheduling thread pops the
// highest-priority pod, decides under the cache lock, assumes the pod onto the node and
// hands the binding to a pool of binder threads, so the next decision never waits on the
// apiserver. A pod that fits nowhere gets a FailedScheduling event, PodScheduled=False
// (reason Unschedulable) and the per-node reasons annotation, may preempt lower-priority
// pods (nominatedNodeName, graceful deletion of the victims), and waits in the queue for a
// cluster event.
//
// Annotations written on pods (shown by `mkctl describe pod`):
//   scheduler.mk.io/filter-reasons — pending pods: one line per node (capped), why it failed;
//   scheduler.mk.io/scores — bound pods: the winning node's score breakdown.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
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
#include "scheduler/algorithm.h"
#include "scheduler/cache.h"
#include "scheduler/queue.h"

namespace mk::scheduler {

extern const char kFilterReasonsAnnotation[];
extern const char kScoresAnnotation[];

struct SchedulerOptions {
  std::string scheduler_name = "default-scheduler";
  int bind_workers = 16;
  // Write the scores annotation on bound pods (one extra write per pod, best effort).
  bool record_scores = true;
  uint64_t seed = 0;  // tie-break randomness; 0 = random
  QueueOptions queue;
  Clock* clock = nullptr;
};

// A fixed pool of threads running queued tasks; drops tasks beyond `max_queued` (0 = no cap).
class TaskPool {
 public:
  TaskPool(int threads, size_t max_queued);
  ~TaskPool();
  bool Submit(std::function<void()> task);
  void Shutdown();  // runs what is queued, then joins

 private:
  void Run();
  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  const size_t max_queued_;
  std::vector<std::thread> threads_;
};

class Scheduler {
 public:
  Scheduler(ApiClient* client, SchedulerOptions opts);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;
  ~Scheduler();

  // Starts the informers (the cache fills even when not leading).
  void StartInformers();
  bool WaitForSync(absl::Duration timeout);
  // Starts scheduling (the scheduling thread and binders).
  void Run();
  void Shutdown();

  int64_t scheduled() const { return scheduled_.load(); }
  int64_t unschedulable_attempts() const { return unschedulable_.load(); }
  int64_t preemptions() const { return preemptions_.load(); }
  SchedulingQueue* queue() { return &queue_; }

 private:
  void OnPodAdd(const google::protobuf::Message& obj);
  void OnPodUpdate(const google::protobuf::Message& old_obj,
                   const google::protobuf::Message& new_obj);
  void OnPodDelete(const google::protobuf::Message& obj);
  void OnNodeAdd(const google::protobuf::Message& obj);
  void OnNodeUpdate(const google::protobuf::Message& old_obj,
                    const google::protobuf::Message& new_obj);
  void OnNodeDelete(const google::protobuf::Message& obj);
  bool Responsible(const api::Pod& pod) const;

  void Loop();
  void ScheduleOne(const QueuedPod& qp);
  void Bind(QueuedPod qp, std::string node, std::string scores);
  void RecordFailure(std::shared_ptr<const api::Pod> pod, std::string message,
                     std::vector<std::string> node_reasons);
  void Preempted(std::shared_ptr<const api::Pod> pod, PreemptionResult pr);

  ApiClient* const client_;
  const SchedulerOptions opts_;
  Clock* const clock_;
  SchedulingQueue queue_;
  EventRecorder recorder_;
  Informer pods_;
  Informer nodes_;
  Informer namespaces_;  // labels for pod (anti-)affinity namespaceSelector

  absl::Mutex mu_;  // guards the cache and the algorithm
  Cache cache_ ABSL_GUARDED_BY(mu_);
  Algorithm algorithm_ ABSL_GUARDED_BY(mu_);

  std::unique_ptr<TaskPool> binders_;
  std::unique_ptr<TaskPool> writers_;  // status/annotation writes, best effort
  std::thread loop_;
  std::atomic<bool> running_{false};
  std::atomic<int64_t> scheduled_{0}, unschedulable_{0}, preemptions_{0};
};

}  // namespace mk::scheduler
