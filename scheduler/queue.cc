#include "scheduler/queue.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/object.h"

namespace mk::scheduler {
namespace {

std::string KeyOf(const api::Pod& pod) {
  return pod.metadata().namespace_() + "/" + pod.metadata().name();
}

}  // namespace

SchedulingQueue::SchedulingQueue(QueueOptions opts)
    : opts_(opts), clock_(opts.clock ? opts.clock : Clock::Real()) {
  last_flush_ = clock_->Now();
}

absl::Duration SchedulingQueue::BackoffFor(int attempts) const {
  absl::Duration d = opts_.initial_backoff;
  for (int i = 1; i < attempts && d < opts_.max_backoff; ++i) d *= 2;
  return std::min(d, opts_.max_backoff);
}

void SchedulingQueue::RemoveFromSetsLocked(const Entry& e) {
  switch (e.where) {
    case Where::kActive:
      active_.erase(ActiveKey{-e.priority, e.seq, e.qp.key});
      break;
    case Where::kBackoff:
      backoff_.erase(BackoffKey{e.backoff_until, e.qp.key});
      break;
    case Where::kUnschedulable:
      unschedulable_.erase(e.qp.key);
      break;
    case Where::kInFlight:
      break;
  }
}

void SchedulingQueue::ActivateLocked(Entry* e) {
  RemoveFromSetsLocked(*e);
  e->where = Where::kActive;
  e->priority = e->qp.pod->spec().priority();
  e->seq = ++seq_;
  active_.insert(ActiveKey{-e->priority, e->seq, e->qp.key});
  ++wake_;
}

void SchedulingQueue::BackoffLocked(Entry* e) {
  RemoveFromSetsLocked(*e);
  if (e->backoff_until <= clock_->Now()) {
    ActivateLocked(e);
    return;
  }
  e->where = Where::kBackoff;
  backoff_.insert(BackoffKey{e->backoff_until, e->qp.key});
  ++wake_;
}

void SchedulingQueue::Add(std::shared_ptr<const api::Pod> pod) {
  absl::MutexLock l(&mu_);
  std::string key = KeyOf(*pod);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    it->second.qp.pod = std::move(pod);
    return;
  }
  Entry& e = entries_[key];
  e.qp.key = key;
  e.qp.pod = std::move(pod);
  e.where = Where::kInFlight;  // not in any set yet
  ActivateLocked(&e);
}

void SchedulingQueue::Update(std::shared_ptr<const api::Pod> pod, bool requeue) {
  absl::MutexLock l(&mu_);
  std::string key = KeyOf(*pod);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    Entry& e = entries_[key];
    e.qp.key = key;
    e.qp.pod = std::move(pod);
    e.where = Where::kInFlight;
    ActivateLocked(&e);
    return;
  }
  Entry& e = it->second;
  e.qp.pod = std::move(pod);
  if (!requeue) return;
  switch (e.where) {
    case Where::kInFlight:
      e.pending_update = true;
      break;
    case Where::kUnschedulable:
      BackoffLocked(&e);
      break;
    case Where::kActive:
      ActivateLocked(&e);  // the priority may have changed
      break;
    case Where::kBackoff:
      break;
  }
}

void SchedulingQueue::Delete(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  RemoveFromSetsLocked(it->second);
  entries_.erase(it);
}

void SchedulingQueue::FlushLocked(absl::Time now) {
  while (!backoff_.empty() && std::get<0>(*backoff_.begin()) <= now) {
    std::string key = std::get<1>(*backoff_.begin());
    backoff_.erase(backoff_.begin());
    Entry& e = entries_[key];
    e.where = Where::kInFlight;  // detached from every set
    ActivateLocked(&e);
  }
  if (now - last_flush_ >= absl::Seconds(30)) {
    last_flush_ = now;
    std::vector<std::string> stale;
    for (const std::string& key : unschedulable_) {
      if (now - entries_[key].unschedulable_since >= opts_.unschedulable_timeout) {
        stale.push_back(key);
      }
    }
    for (const std::string& key : stale) BackoffLocked(&entries_[key]);
  }
}

bool SchedulingQueue::Pop(QueuedPod* out) {
  absl::MutexLock l(&mu_);
  while (true) {
    if (closed_) return false;
    absl::Time now = clock_->Now();
    FlushLocked(now);
    if (!active_.empty()) {
      std::string key = std::get<2>(*active_.begin());
      active_.erase(active_.begin());
      Entry& e = entries_[key];
      e.where = Where::kInFlight;
      e.pending_update = false;
      e.qp.attempts++;
      e.qp.cycle = ++cycle_;
      *out = e.qp;
      return true;
    }
    absl::Time deadline = last_flush_ + absl::Seconds(30);
    if (!backoff_.empty()) deadline = std::min(deadline, std::get<0>(*backoff_.begin()));
    int64_t seen = wake_;
    struct Ctx {
      SchedulingQueue* q;
      int64_t seen;
    } ctx{this, seen};
    clock_->AwaitWithDeadline(&mu_,
                              absl::Condition(
                                  +[](Ctx* c) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                    return c->q->closed_ || c->q->wake_ != c->seen;
                                  },
                                  &ctx),
                              deadline);
  }
}

void SchedulingQueue::AddUnschedulable(const QueuedPod& qp) {
  absl::MutexLock l(&mu_);
  auto it = entries_.find(qp.key);
  if (it == entries_.end() || it->second.where != Where::kInFlight) return;
  Entry& e = it->second;
  absl::Time now = clock_->Now();
  e.backoff_until = now + BackoffFor(e.qp.attempts);
  if (e.pending_update || move_request_cycle_ >= qp.cycle) {
    BackoffLocked(&e);
    return;
  }
  e.where = Where::kUnschedulable;
  e.unschedulable_since = now;
  unschedulable_.insert(qp.key);
}

void SchedulingQueue::AddBackoff(const QueuedPod& qp) {
  absl::MutexLock l(&mu_);
  auto it = entries_.find(qp.key);
  if (it == entries_.end() || it->second.where != Where::kInFlight) return;
  Entry& e = it->second;
  e.backoff_until = clock_->Now() + BackoffFor(e.qp.attempts);
  BackoffLocked(&e);
}

void SchedulingQueue::Done(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.where != Where::kInFlight) return;
  entries_.erase(it);
}

void SchedulingQueue::MoveAllToActiveOrBackoff() {
  absl::MutexLock l(&mu_);
  move_request_cycle_ = cycle_;
  if (unschedulable_.empty()) return;
  std::vector<std::string> keys(unschedulable_.begin(), unschedulable_.end());
  for (const std::string& key : keys) BackoffLocked(&entries_[key]);
}

void SchedulingQueue::Close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
  ++wake_;
}

size_t SchedulingQueue::NumActive() const {
  absl::MutexLock l(&mu_);
  return active_.size();
}
size_t SchedulingQueue::NumBackoff() const {
  absl::MutexLock l(&mu_);
  return backoff_.size();
}
size_t SchedulingQueue::NumUnschedulable() const {
  absl::MutexLock l(&mu_);
  return unschedulable_.size();
}
bool SchedulingQueue::Contains(const std::string& key) const {
  absl::MutexLock l(&mu_);
  return entries_.count(key) > 0;
}

}  // namespace mk::scheduler
