#include "scheduler/scheduler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json.h"
#include "common/log.h"
#include "common/object.h"
#include "google/protobuf/util/message_differencer.h"

namespace mk::scheduler {

const char kFilterReasonsAnnotation[] = "scheduler.mk.io/filter-reasons";
const char kScoresAnnotation[] = "scheduler.mk.io/scores";

namespace {

using google::protobuf::util::MessageDifferencer;

std::string PodKey(const api::Pod& pod) {
  return pod.metadata().namespace_() + "/" + pod.metadata().name();
}

bool SameLabels(const google::protobuf::Map<std::string, std::string>& a,
                const google::protobuf::Map<std::string, std::string>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second != v) return false;
  }
  return true;
}

bool Terminated(const api::Pod& pod) {
  return pod.status().phase() == "Succeeded" || pod.status().phase() == "Failed";
}

bool NodeSchedulingChanged(const api::Node& a, const api::Node& b) {
  return !SameLabels(a.metadata().labels(), b.metadata().labels()) ||
         !MessageDifferencer::Equals(a.spec(), b.spec()) ||
         !SameLabels(a.status().allocatable(), b.status().allocatable()) ||
         NodeIsReady(a) != NodeIsReady(b);
}

}  // namespace

TaskPool::TaskPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

TaskPool::~TaskPool() { Shutdown(); }

bool TaskPool::Submit(std::function<void()> task) {
  absl::MutexLock l(&mu_);
  if (stopping_ || (max_queued_ > 0 && tasks_.size() >= max_queued_)) return false;
  tasks_.push_back(std::move(task));
  return true;
}

void TaskPool::Run() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](TaskPool* p)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return p->stopping_ || !p->tasks_.empty(); },
          this));
      if (tasks_.empty()) return;  // stopping and drained
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void TaskPool::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

namespace {

QueueOptions WithClock(QueueOptions q, Clock* clock) {
  if (q.clock == nullptr) q.clock = clock;
  return q;
}

EventRecorderOptions RecorderOptions(Clock* clock) {
  EventRecorderOptions o;
  o.max_queued = 10000;
  o.clock = clock;
  return o;
}

InformerOptions InformerFor(const std::string& resource, Clock* clock) {
  InformerOptions o;
  o.resource = resource;
  o.clock = clock;
  return o;
}

}  // namespace

Scheduler::Scheduler(ApiClient* client, SchedulerOptions opts)
    : client_(client),
      opts_(std::move(opts)),
      clock_(opts_.clock ? opts_.clock : Clock::Real()),
      queue_(WithClock(opts_.queue, clock_)),
      recorder_(client, opts_.scheduler_name, "", RecorderOptions(clock_)),
      pods_(client, InformerFor("pods", clock_)),
      nodes_(client, InformerFor("nodes", clock_)),
      namespaces_(client, InformerFor("namespaces", clock_)),
      algorithm_(&cache_, opts_.seed) {
  pods_.AddHandlers({[this](const auto& o) { OnPodAdd(o); },
                     [this](const auto& a, const auto& b) { OnPodUpdate(a, b); },
                     [this](const auto& o) { OnPodDelete(o); }});
  nodes_.AddHandlers({[this](const auto& o) { OnNodeAdd(o); },
                      [this](const auto& a, const auto& b) { OnNodeUpdate(a, b); },
                      [this](const auto& o) { OnNodeDelete(o); }});
  auto set_ns = [this](const google::protobuf::Message& o) {
    {
      absl::MutexLock l(&mu_);
      cache_.SetNamespaceLabels(Meta(o).name(), Meta(o).labels());
    }
    queue_.MoveAllToActiveOrBackoff();  // a namespaceSelector may match now
  };
  namespaces_.AddHandlers({set_ns, [set_ns](const auto&, const auto& o) { set_ns(o); },
                           [this](const auto& o) {
                             absl::MutexLock l(&mu_);
                             cache_.RemoveNamespace(Meta(o).name());
                           }});
}

Scheduler::~Scheduler() { Shutdown(); }

void Scheduler::StartInformers() {
  namespaces_.Start();
  nodes_.Start();
  pods_.Start();
}

bool Scheduler::WaitForSync(absl::Duration timeout) {
  return namespaces_.WaitForSync(timeout) && nodes_.WaitForSync(timeout) &&
         pods_.WaitForSync(timeout);
}

void Scheduler::Run() {
  if (running_.exchange(true)) return;
  binders_ = std::make_unique<TaskPool>(opts_.bind_workers, 0);
  writers_ = std::make_unique<TaskPool>(4, 20000);
  loop_ = std::thread([this] { Loop(); });
}

void Scheduler::Shutdown() {
  queue_.Close();
  if (loop_.joinable()) loop_.join();
  if (binders_) binders_->Shutdown();
  if (writers_) writers_->Shutdown();
  pods_.Shutdown();
  nodes_.Shutdown();
  namespaces_.Shutdown();
  recorder_.Shutdown();
}

bool Scheduler::Responsible(const api::Pod& pod) const {
  if (!pod.spec().node_name().empty() || !pod.metadata().deletion_timestamp().empty()) {
    return false;
  }
  const std::string& phase = pod.status().phase();
  if (phase == "Succeeded" || phase == "Failed") return false;
  const std::string& name = pod.spec().scheduler_name();
  return name.empty() || name == opts_.scheduler_name;
}

void Scheduler::OnPodAdd(const google::protobuf::Message& obj) {
  auto pod = std::make_shared<api::Pod>(static_cast<const api::Pod&>(obj));
  if (!pod->spec().node_name().empty()) {
    if (Terminated(*pod)) return;  // holds no resources
    absl::MutexLock l(&mu_);
    cache_.AddOrUpdatePod(std::move(pod));
    return;
  }
  if (Responsible(*pod)) queue_.Add(std::move(pod));
}

void Scheduler::OnPodUpdate(const google::protobuf::Message& old_obj,
                            const google::protobuf::Message& new_obj) {
  const auto& old_pod = static_cast<const api::Pod&>(old_obj);
  auto pod = std::make_shared<api::Pod>(static_cast<const api::Pod&>(new_obj));
  std::string key = PodKey(*pod);
  if (!pod->spec().node_name().empty()) {
    bool freed = Terminated(*pod) && !Terminated(old_pod);
    {
      absl::MutexLock l(&mu_);
      if (Terminated(*pod)) {
        cache_.RemovePod(key);  // a finished pod gives its requests back, as kube-scheduler
      } else {
        cache_.AddOrUpdatePod(pod);
      }
      cache_.ClearNominated(key);
    }
    if (old_pod.spec().node_name().empty()) queue_.Delete(key);
    if (freed) queue_.MoveAllToActiveOrBackoff();
    return;
  }
  if (!Responsible(*pod)) {
    queue_.Delete(key);
    absl::MutexLock l(&mu_);
    cache_.ClearNominated(key);
    return;
  }
  bool requeue = !MessageDifferencer::Equals(old_pod.spec(), pod->spec()) ||
                 !SameLabels(old_pod.metadata().labels(), pod->metadata().labels());
  queue_.Update(std::move(pod), requeue);
}

void Scheduler::OnPodDelete(const google::protobuf::Message& obj) {
  const auto& pod = static_cast<const api::Pod&>(obj);
  std::string key = PodKey(pod);
  {
    absl::MutexLock l(&mu_);
    cache_.RemovePod(key);
    cache_.ClearNominated(key);
  }
  queue_.Delete(key);
  if (!pod.spec().node_name().empty()) queue_.MoveAllToActiveOrBackoff();
}

void Scheduler::OnNodeAdd(const google::protobuf::Message& obj) {
  {
    absl::MutexLock l(&mu_);
    cache_.AddOrUpdateNode(std::make_shared<api::Node>(static_cast<const api::Node&>(obj)));
  }
  queue_.MoveAllToActiveOrBackoff();
}

void Scheduler::OnNodeUpdate(const google::protobuf::Message& old_obj,
                             const google::protobuf::Message& new_obj) {
  const auto& node = static_cast<const api::Node&>(new_obj);
  {
    absl::MutexLock l(&mu_);
    cache_.AddOrUpdateNode(std::make_shared<api::Node>(node));
  }
  if (NodeSchedulingChanged(static_cast<const api::Node&>(old_obj), node)) {
    queue_.MoveAllToActiveOrBackoff();
  }
}

void Scheduler::OnNodeDelete(const google::protobuf::Message& obj) {
  absl::MutexLock l(&mu_);
  cache_.RemoveNode(Meta(obj).name());
}

void Scheduler::Loop() {
  QueuedPod qp;
  while (queue_.Pop(&qp)) ScheduleOne(qp);
}

void Scheduler::ScheduleOne(const QueuedPod& qp) {
  std::shared_ptr<const api::Pod> pod = qp.pod;
  if (!Responsible(*pod)) {
    queue_.Done(qp.key);
    return;
  }
  ScheduleResult result;
  PreemptionResult preemption;
  bool preempt = false;
  {
    absl::MutexLock l(&mu_);
    if (!cache_.NodeOf(qp.key).empty()) {  // assumed or bound already
      queue_.Done(qp.key);
      return;
    }
    std::shared_ptr<PodInfo> info = NewPodInfo(pod);
    result = algorithm_.Schedule(*info);
    if (!result.node.empty()) {
      cache_.AssumePod(info, result.node);
      cache_.ClearNominated(qp.key);
      std::string scores = opts_.record_scores ? FormatScores(result) : "";
      binders_->Submit(
          [this, qp, node = result.node, scores = std::move(scores)] { Bind(qp, node, scores); });
      return;
    }
    // Preempt only if not already waiting for victims of an earlier preemption to go.
    bool waiting = false;
    std::string nominated = cache_.NominatedNode(qp.key);
    if (nominated.empty()) nominated = pod->status().nominated_node_name();
    if (!nominated.empty()) {
      if (NodeInfo* n = cache_.FindNode(nominated)) {
        for (const auto& p : n->pods) {
          if (p->terminating && p->priority < info->priority) waiting = true;
        }
      }
    }
    if (!waiting && algorithm_.Preempt(*info, result, &preemption)) {
      preempt = true;
      cache_.SetNominated(info, preemption.node);
    }
  }
  unschedulable_++;
  MK_VLOG(2) << "unschedulable " << qp.key << ": " << result.message;
  if (preempt) {
    preemptions_++;
    Preempted(pod, std::move(preemption));
  }
  RecordFailure(pod, result.message, std::move(result.node_reasons));
  queue_.AddUnschedulable(qp);
}

void Scheduler::Bind(QueuedPod qp, std::string node, std::string scores) {
  const api::Pod& pod = *qp.pod;
  // The scores ride on the Binding (one write; the apiserver also drops the filter reasons).
  std::map<std::string, std::string> annotations;
  if (!scores.empty()) annotations[kScoresAnnotation] = std::move(scores);
  absl::StatusOr<ObjectPtr> s =
      client_->Bind(pod.metadata().namespace_(), pod.metadata().name(), node, annotations);
  if (s.ok()) {
    scheduled_++;
    queue_.Done(qp.key);
    recorder_.Event(pod, "Normal", "Scheduled",
                    absl::StrCat("Successfully assigned ", qp.key, " to ", node));
    return;
  }
  MK_LOG(WARNING) << "binding " << qp.key << " to " << node << ": " << s.status();
  {
    absl::MutexLock l(&mu_);
    cache_.ForgetPod(qp.key);
  }
  if (absl::IsNotFound(s.status()) || absl::IsAborted(s.status())) {
    queue_.Done(qp.key);  // gone, or bound by someone else: the informer will tell
  } else {
    recorder_.Event(pod, "Warning", "FailedScheduling",
                    absl::StrCat("Binding rejected: ", s.status().message()));
    queue_.AddBackoff(qp);
  }
  queue_.MoveAllToActiveOrBackoff();
}

void Scheduler::RecordFailure(std::shared_ptr<const api::Pod> pod, std::string message,
                              std::vector<std::string> node_reasons) {
  recorder_.Event(*pod, "Warning", "FailedScheduling", message);
  writers_->Submit([this, pod, message, reasons = absl::StrJoin(node_reasons, "\n")] {
    const std::string& ns = pod->metadata().namespace_();
    const std::string& name = pod->metadata().name();
    bool same_condition = false;
    for (const api::PodCondition& c : pod->status().conditions()) {
      if (c.type() == "PodScheduled" && c.status() == "False" && c.reason() == "Unschedulable" &&
          c.message() == message) {
        same_condition = true;
      }
    }
    if (!same_condition) {
      Json cond = {{"type", "PodScheduled"},
                   {"status", "False"},
                   {"reason", "Unschedulable"},
                   {"message", message},
                   {"lastTransitionTime", mk::FormatTime(clock_->Now())}};
      Json patch = {{"status", {{"conditions", Json::array({cond})}}}};
      absl::StatusOr<ObjectPtr> r = client_->Patch(
          "pods", ns, name, "application/strategic-merge-patch+json", patch.dump(), "status");
      if (!r.ok())
        MK_VLOG(2) << "PodScheduled condition on " << ns << "/" << name << ": " << r.status();
    }
    auto it = pod->metadata().annotations().find(kFilterReasonsAnnotation);
    if (it == pod->metadata().annotations().end() || it->second != reasons) {
      Json patch = {{"metadata", {{"annotations", {{kFilterReasonsAnnotation, reasons}}}}}};
      absl::StatusOr<ObjectPtr> r =
          client_->Patch("pods", ns, name, "application/merge-patch+json", patch.dump());
      if (!r.ok()) MK_VLOG(2) << "filter reasons on " << ns << "/" << name << ": " << r.status();
    }
  });
}

void Scheduler::Preempted(std::shared_ptr<const api::Pod> pod, PreemptionResult pr) {
  MK_LOG(INFO) << "preempting " << pr.victims.size() << " pod(s) on " << pr.node << " for "
               << PodKey(*pod);
  writers_->Submit([this, pod, pr = std::move(pr)] {
    const std::string& ns = pod->metadata().namespace_();
    const std::string& name = pod->metadata().name();
    Json patch = {{"status", {{"nominatedNodeName", pr.node}}}};
    absl::StatusOr<ObjectPtr> r =
        client_->Patch("pods", ns, name, "application/merge-patch+json", patch.dump(), "status");
    if (!r.ok())
      MK_LOG(WARNING) << "nominatedNodeName on " << ns << "/" << name << ": " << r.status();
    for (const auto& victim : pr.victims) {
      const api::Pod& v = *victim->pod;
      recorder_.Event(
          v, "Normal", "Preempted",
          absl::StrCat("Preempted by pod ", pod->metadata().uid(), " on node ", pr.node));
      DeleteOptions opts;
      opts.precondition_uid = v.metadata().uid();
      absl::StatusOr<ObjectPtr> d =
          client_->Delete("pods", v.metadata().namespace_(), v.metadata().name(), opts);
      if (!d.ok() && !absl::IsNotFound(d.status())) {
        MK_LOG(WARNING) << "deleting victim " << victim->key << ": " << d.status();
      }
    }
  });
}

}  // namespace mk::scheduler
