#include "common/work_queue.h"

#include <algorithm>

namespace mk {

WorkQueue::WorkQueue(WorkQueueOptions opts)
    : opts_(opts), clock_(opts.clock != nullptr ? opts.clock : Clock::Real()) {}

WorkQueue::~WorkQueue() { ShutDown(); }

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  if (processing_.contains(key)) return;  // re-queued by Done
  queue_.push_back(key);
}

void WorkQueue::Add(const std::string& key) {
  absl::MutexLock l(&mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) {
  absl::MutexLock l(&mu_);
  if (shutting_down_) return;
  if (delay <= absl::ZeroDuration()) {
    AddLocked(key);
    return;
  }
  absl::Time ready = clock_->Now() + delay;
  auto it = waiting_.find(key);
  if (it != waiting_.end()) {
    if (it->second <= ready) return;  // the earlier time wins
    waiting_by_time_.erase({it->second, key});
    it->second = ready;
  } else {
    waiting_.emplace(key, ready);
  }
  waiting_by_time_.emplace(ready, key);
  ++waiting_version_;
}

void WorkQueue::AddRateLimited(const std::string& key) {
  absl::Duration delay;
  {
    absl::MutexLock l(&mu_);
    int n = failures_[key]++;
    // base * 2^n, capped; beyond 2^40 the cap has long been reached.
    delay = n >= 40 ? opts_.max_delay : opts_.base_delay * static_cast<double>(int64_t{1} << n);
    delay = std::min(delay, opts_.max_delay);
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock l(&mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  absl::MutexLock l(&mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::PromoteDueLocked() {
  absl::Time now = clock_->Now();
  while (!waiting_by_time_.empty() && waiting_by_time_.begin()->first <= now) {
    std::string key = waiting_by_time_.begin()->second;
    waiting_by_time_.erase(waiting_by_time_.begin());
    waiting_.erase(key);
    AddLocked(key);
  }
}

bool WorkQueue::Get(std::string* key) {
  absl::MutexLock l(&mu_);
  while (true) {
    if (shutting_down_) return false;
    PromoteDueLocked();
    if (!queue_.empty()) break;
    uint64_t version = waiting_version_;
    absl::Time deadline =
        waiting_by_time_.empty() ? absl::InfiniteFuture() : waiting_by_time_.begin()->first;
    auto wake = [this, version]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return shutting_down_ || !queue_.empty() || waiting_version_ != version;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&wake), deadline);
  }
  *key = std::move(queue_.front());
  queue_.pop_front();
  processing_.insert(*key);
  dirty_.erase(*key);
  return true;
}

void WorkQueue::Done(const std::string& key) {
  absl::MutexLock l(&mu_);
  processing_.erase(key);
  if (dirty_.contains(key) && !shutting_down_) queue_.push_back(key);
}

void WorkQueue::ShutDown() {
  absl::MutexLock l(&mu_);
  shutting_down_ = true;
}

bool WorkQueue::ShuttingDown() const {
  absl::MutexLock l(&mu_);
  return shutting_down_;
}

int WorkQueue::Len() {
  absl::MutexLock l(&mu_);
  PromoteDueLocked();
  return static_cast<int>(queue_.size());
}

}  // namespace mk
