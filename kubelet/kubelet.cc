#include "kubelet/kubelet.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/object.h"
#include "google/protobuf/util/message_differencer.h"
#include "kubelet/pod_status.h"
#include "kubelet/volumes.h"

namespace mk::kubelet {
namespace {

std::string KeyOf(const std::string& ns, const std::string& name) {
  return absl::StrCat(ns, "/", name);
}

bool StatusOnlyChange(const api::Pod& a, const api::Pod& b) {
  if (a.metadata().resource_version() == b.metadata().resource_version()) return false;
  api::Pod x = a, y = b;
  x.clear_status();
  y.clear_status();
  for (api::Pod* p : {&x, &y}) {
    p->mutable_metadata()->clear_resource_version();
    p->mutable_metadata()->clear_managed_fields();
  }
  return google::protobuf::util::MessageDifferencer::Equals(x, y);
}

}  // namespace

Kubelet::Kubelet(KubeletOptions opts, ApiClient* api, ContainerRuntime* runtime, Clock* clock,
                 EventSink* events, Prober* prober)
    : opts_(std::move(opts)),
      api_(api),
      runtime_(runtime),
      clock_(clock),
      events_(events),
      prober_(prober != nullptr ? prober : &default_prober_),
      queue_(WorkQueueOptions{absl::Milliseconds(5), absl::Seconds(30), clock}) {
  InformerOptions io;
  io.resource = "pods";
  io.field_selector = absl::StrCat("spec.nodeName=", opts_.node_name);
  io.resync_period = opts_.resync_period;
  io.clock = clock;
  informer_ = std::make_unique<Informer>(api_, io);
  EventHandlers h;
  h.on_add = [this](const google::protobuf::Message& o) { Enqueue(o); };
  h.on_update = [this](const google::protobuf::Message& before,
                       const google::protobuf::Message& after) {
    // As Kubernetes' kubelet: a change of the status only (usually our own write) needs no
    // sync; periodic resyncs (same resourceVersion) and spec/metadata changes do.
    const auto* a = dynamic_cast<const api::Pod*>(&before);
    const auto* b = dynamic_cast<const api::Pod*>(&after);
    if (a != nullptr && b != nullptr && StatusOnlyChange(*a, *b)) return;
    Enqueue(after);
  };
  h.on_delete = [this](const google::protobuf::Message& o) { Enqueue(o); };
  informer_->AddHandlers(std::move(h));
}

Kubelet::~Kubelet() { Shutdown(); }

void Kubelet::Enqueue(const google::protobuf::Message& obj) { queue_.Add(Informer::KeyOf(obj)); }

std::shared_ptr<PodWorker> Kubelet::NewWorker() {
  PodWorkerOptions o;
  o.node_name = opts_.node_name;
  o.root_dir = opts_.root_dir;
  o.network = opts_.network;
  o.pause_image = opts_.pause_image;
  o.host_ip = opts_.host_ip;
  PodWorkerDeps d;
  d.runtime = runtime_;
  d.clock = clock_;
  d.events = events_;
  d.prober = prober_;
  ApiClient* api = api_;
  d.secrets = [api](const std::string& ns, const std::string& name) {
    return api->GetAs<api::Secret>("secrets", ns, name);
  };
  d.service_accounts = [api](const std::string& ns, const std::string& name) {
    return api->GetAs<api::ServiceAccount>("serviceaccounts", ns, name);
  };
  d.credentials = credentials_;
  d.ensure_sandbox_image = ensure_image_;
  return std::make_shared<PodWorker>(std::move(o), std::move(d));
}

void Kubelet::Start() {
  informer_->Start();
  if (opts_.workers <= 0) return;
  for (int i = 0; i < opts_.workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
  threads_.emplace_back([this] { EventLoop(); });
  threads_.emplace_back([this] { HousekeepingLoop(); });
}

bool Kubelet::WaitForSync(absl::Duration timeout) { return informer_->WaitForSync(timeout); }

void Kubelet::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return;
    stopping_ = true;
    if (event_stream_) event_stream_->Cancel();
  }
  queue_.ShutDown();
  informer_->Shutdown();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Kubelet::WorkerLoop() {
  std::string key;
  while (queue_.Get(&key)) {
    SyncPod(key);
    queue_.Done(key);
  }
}

void Kubelet::EventLoop() {
  while (true) {
    std::unique_ptr<RuntimeEventStream> stream =
        runtime_->WatchEvents({{kLabelNode, opts_.node_name}});
    RuntimeEventStream* raw = stream.get();
    {
      absl::MutexLock l(&mu_);
      if (stopping_) return;
      event_stream_ = std::move(stream);
    }
    if (raw != nullptr) {
      RuntimeEvent ev;
      while (raw->Next(&ev)) {
        auto ns = ev.attributes.find(kLabelPodNamespace);
        auto name = ev.attributes.find(kLabelPodName);
        if (ns == ev.attributes.end() || name == ev.attributes.end()) continue;
        if (ev.action == "die" || ev.action == "oom" || ev.action == "start" ||
            ev.action == "destroy") {
          queue_.Add(KeyOf(ns->second, name->second));
        }
      }
    }
    // Stream ended (or none): retry after a pause, in real time.
    absl::MutexLock l(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(2))) return;
  }
}

void Kubelet::HousekeepingLoop() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), opts_.housekeeping_period)) return;
    }
    Housekeeping();
  }
}

void Kubelet::SyncPod(const std::string& key) {
  std::shared_ptr<const api::Pod> pod = informer_->GetAs<api::Pod>(key);
  std::shared_ptr<PodWorker> worker;
  api::Pod input;
  std::shared_ptr<PodWorker> replaced;  // an older pod of the same name being torn down
  {
    absl::MutexLock l(&mu_);
    auto old = uid_of_.find(key);
    if (pod != nullptr) {
      const std::string& uid = pod->metadata().uid();
      if (old != uid_of_.end() && old->second != uid && pods_.count(old->second)) {
        replaced = pods_[old->second].worker;  // finish it first (same name, new uid)
      }
      if (replaced == nullptr) {
        uid_of_[key] = uid;
        Entry& e = pods_[uid];
        if (e.worker == nullptr) {
          e.worker = NewWorker();
          e.key = key;
          e.written = pod->status();
          e.has_written = true;
        }
        worker = e.worker;
        input = *pod;
        *input.mutable_status() = e.written;  // our last write may be newer than the cache
      }
    }
    if (pod == nullptr || replaced != nullptr) {
      if (old == uid_of_.end() || !pods_.count(old->second)) return;  // nothing of ours
      worker = pods_[old->second].worker;
      // The API object is gone (force-deleted or recreated): stop it as a graceful delete.
      input = worker->last_pod();
      if (input.metadata().deletion_timestamp().empty()) {
        input.mutable_metadata()->set_deletion_timestamp(mk::FormatTime(clock_->Now()));
      }
    }
  }

  SyncResult r = worker->Sync(input);
  const std::string uid = input.metadata().uid();
  if (r.terminated) {
    if (pod != nullptr && replaced == nullptr) {
      DeleteOptions d;
      d.grace_period_seconds = 0;
      d.precondition_uid = uid;
      absl::StatusOr<ObjectPtr> del =
          api_->Delete("pods", input.metadata().namespace_(), input.metadata().name(), d);
      if (!del.ok() && !absl::IsNotFound(del.status()) && !absl::IsAborted(del.status()) &&
          !absl::IsFailedPrecondition(del.status())) {
        MK_LOG(WARNING) << "delete pod " << key << ": " << del.status();
        queue_.AddRateLimited(key);
        return;
      }
    }
    absl::MutexLock l(&mu_);
    pods_.erase(uid);
    auto it = uid_of_.find(key);
    if (it != uid_of_.end() && it->second == uid) uid_of_.erase(it);
    if (replaced != nullptr) queue_.Add(key);  // now start the new pod
    return;
  }
  if (pod != nullptr && replaced == nullptr) {
    Entry entry;
    {
      absl::MutexLock l(&mu_);
      entry = pods_[uid];
    }
    WriteStatus(*pod, r.status, &entry);
    absl::MutexLock l(&mu_);
    auto it = pods_.find(uid);
    if (it != pods_.end()) {
      it->second.written = entry.written;
      it->second.has_written = entry.has_written;
    }
  }
  if (r.requeue_after != absl::InfiniteDuration()) queue_.AddAfter(key, r.requeue_after);
}

void Kubelet::WriteStatus(const api::Pod& pod, const api::PodStatus& status, Entry* entry) {
  if (entry->has_written &&
      google::protobuf::util::MessageDifferencer::Equals(entry->written, status)) {
    return;
  }
  api::Pod update;
  *update.mutable_metadata() = pod.metadata();
  update.mutable_metadata()->clear_resource_version();  // the kubelet owns pod status
  *update.mutable_status() = status;
  absl::StatusOr<ObjectPtr> res =
      api_->Update("pods", pod.metadata().namespace_(), update, "status");
  if (!res.ok()) {
    if (!absl::IsNotFound(res.status())) {
      MK_LOG(WARNING) << "update status of pod " << pod.metadata().namespace_() << "/"
                      << pod.metadata().name() << ": " << res.status();
      queue_.AddRateLimited(KeyOf(pod.metadata().namespace_(), pod.metadata().name()));
    }
    return;
  }
  entry->written = status;
  entry->has_written = true;
}

void Kubelet::Housekeeping() {
  if (!informer_->HasSynced()) return;
  absl::StatusOr<std::vector<ContainerSummary>> all =
      runtime_->ListContainers({{kLabelNode, opts_.node_name}});
  if (!all.ok()) {
    MK_LOG(WARNING) << "housekeeping: list containers: " << all.status();
    return;
  }
  std::set<std::string> known;
  for (const auto& p : informer_->ListAs<api::Pod>()) known.insert(p->metadata().uid());
  {
    absl::MutexLock l(&mu_);
    for (const auto& [uid, e] : pods_) known.insert(uid);
  }
  std::map<std::string, std::vector<ContainerSummary>> orphans;
  for (const ContainerSummary& c : *all) {
    auto node = c.labels.find(kLabelNode);
    auto uid = c.labels.find(kLabelPodUid);
    if (node == c.labels.end() || node->second != opts_.node_name) continue;  // not ours
    if (uid == c.labels.end() || uid->second.empty() || known.count(uid->second)) continue;
    orphans[uid->second].push_back(c);
  }
  for (const auto& [uid, containers] : orphans) RemoveOrphans(uid, containers);

  // Volume dirs of pods that are gone and have no containers left.
  std::error_code ec;
  std::string pods_dir = absl::StrCat(opts_.root_dir, "/pods");
  for (auto it = std::filesystem::directory_iterator(pods_dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string uid = it->path().filename().string();
    if (known.count(uid) || orphans.count(uid)) continue;
    bool has_containers = false;
    for (const ContainerSummary& c : *all) {
      auto u = c.labels.find(kLabelPodUid);
      if (u != c.labels.end() && u->second == uid) has_containers = true;
    }
    if (!has_containers) (void)RemovePodDir(opts_.root_dir, uid);
  }
}

void Kubelet::RemoveOrphans(const std::string& uid,
                            const std::vector<ContainerSummary>& containers) {
  MK_LOG(INFO) << "removing " << containers.size() << " containers of deleted pod " << uid;
  for (int pass = 0; pass < 2; ++pass) {  // app containers first, the sandbox last
    for (const ContainerSummary& c : containers) {
      if ((c.labels.count(kLabelSandbox) > 0) != (pass == 1)) continue;
      if (c.state == "running") {
        absl::Duration grace = opts_.max_orphan_grace;
        auto g = c.labels.find(kLabelGracePeriod);
        int64_t secs = 0;
        if (g != c.labels.end() && absl::SimpleAtoi(g->second, &secs)) {
          grace = std::min(grace, absl::Seconds(secs));
        }
        (void)runtime_->StopContainer(c.id, grace);
      }
      absl::Status s = runtime_->RemoveContainer(c.id);
      if (!s.ok()) MK_LOG(WARNING) << "remove orphan container " << c.name << ": " << s;
    }
  }
  (void)RemovePodDir(opts_.root_dir, uid);
  prober_->PodRemoved(uid);
}

void Kubelet::OnLivenessFailure(const std::string& pod_uid, const std::string& container,
                                const std::string& container_id, const std::string& message) {
  std::shared_ptr<PodWorker> worker;
  std::string key;
  {
    absl::MutexLock l(&mu_);
    auto it = pods_.find(pod_uid);
    if (it == pods_.end()) return;
    worker = it->second.worker;
    key = it->second.key;
  }
  worker->RequestKill(container, container_id, message);
  queue_.Add(key);
}

void Kubelet::Requeue(const std::string& pod_uid) {
  std::string key;
  {
    absl::MutexLock l(&mu_);
    auto it = pods_.find(pod_uid);
    if (it == pods_.end()) return;
    key = it->second.key;
  }
  queue_.Add(key);
}

std::string Kubelet::FindContainer(const std::string& ns, const std::string& pod,
                                   const std::string& container, bool previous) {
  absl::StatusOr<std::vector<ContainerSummary>> list =
      runtime_->ListContainers({{kLabelNode, opts_.node_name},
                                {kLabelPodNamespace, ns},
                                {kLabelPodName, pod},
                                {kLabelContainerName, container}});
  if (!list.ok()) return "";
  std::vector<std::pair<int, std::string>> by_attempt;
  for (const ContainerSummary& c : *list) {
    auto a = c.labels.find(kLabelAttempt);
    int attempt = 0;
    if (a != c.labels.end()) (void)absl::SimpleAtoi(a->second, &attempt);
    by_attempt.emplace_back(attempt, c.id);
  }
  std::sort(by_attempt.rbegin(), by_attempt.rend());
  size_t idx = previous ? 1 : 0;
  return idx < by_attempt.size() ? by_attempt[idx].second : "";
}

int Kubelet::NumWorkers() const {
  absl::MutexLock l(&mu_);
  return static_cast<int>(pods_.size());
}

}  // namespace mk::kubelet
