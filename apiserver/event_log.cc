#include "apiserver/event_log.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace mk::apiserver {

// A cursor into the log. Used by one reader thread at a time; Progress() from any thread.
class EventLog::Watcher : public StoreWatch {
 public:
  Watcher(std::shared_ptr<EventLog> log, std::string prefix, int64_t after, int64_t progress)
      : log_(std::move(log)), prefix_(std::move(prefix)), next_(after + 1), progress_(progress) {}

  Result Next(absl::Duration timeout, StoreEvent* event) override {
    if (closed_) return Result::kClosed;
    EventLog* log = log_.get();
    absl::Time deadline = absl::Now() + timeout;
    // Wakes for: shutdown, an event at our cursor, or our cursor compacted away.
    auto ready = [this, log]() ABSL_SHARED_LOCKS_REQUIRED(log->mu_) {
      return log->closed_ || log->revision_ >= next_ || next_ <= log->compacted_;
    };
    while (true) {
      bool woke = log->mu_.ReaderLockWhenWithDeadline(absl::Condition(&ready), deadline);
      if (log->closed_ || next_ <= log->compacted_) {
        // Shut down, or fell further behind than the history: the client re-watches.
        log->mu_.ReaderUnlock();
        closed_ = true;
        return Result::kClosed;
      }
      const int64_t first = log->compacted_ + 1;
      while (next_ <= log->revision_) {
        const StoreEvent& ev = log->ring_[static_cast<size_t>(next_ - first)];
        ++next_;
        if (absl::StartsWith(ev.key, prefix_)) {
          *event = ev;
          progress_.store(ev.revision, std::memory_order_relaxed);
          log->mu_.ReaderUnlock();
          return Result::kEvent;
        }
      }
      // Everything committed so far has been seen (or filtered out).
      progress_.store(std::max(log->revision_, next_ - 1), std::memory_order_relaxed);
      log->mu_.ReaderUnlock();
      if (!woke || absl::Now() >= deadline) return Result::kTimeout;
    }
  }

  int64_t Progress() const override { return progress_.load(std::memory_order_relaxed); }

 private:
  const std::shared_ptr<EventLog> log_;
  const std::string prefix_;
  int64_t next_;  // the next revision to look at; only the reader thread writes it
  bool closed_ = false;
  std::atomic<int64_t> progress_;
};

EventLog::EventLog(size_t max_events) : max_events_(std::max<size_t>(max_events, 1)) {}

void EventLog::Reset(int64_t revision, int64_t compacted, std::deque<StoreEvent> events) {
  absl::MutexLock l(&mu_);
  ring_ = std::move(events);
  revision_ = revision;
  compacted_ = compacted;
  TrimLocked();
}

int64_t EventLog::Append(std::vector<StoreEvent> events) {
  absl::MutexLock l(&mu_);
  for (StoreEvent& ev : events) {
    revision_ = ev.revision;
    ring_.push_back(std::move(ev));
  }
  TrimLocked();
  return compacted_;
}

void EventLog::TrimLocked() {
  while (ring_.size() > max_events_) ring_.pop_front();
  compacted_ = revision_ - static_cast<int64_t>(ring_.size());
}

absl::StatusOr<std::unique_ptr<StoreWatch>> EventLog::Watch(absl::string_view prefix,
                                                            int64_t after_revision) {
  absl::ReaderMutexLock l(&mu_);
  if (after_revision < compacted_) {
    return absl::OutOfRangeError(
        absl::StrCat("revision ", after_revision,
                     " has been compacted (oldest kept event: ", compacted_ + 1, ")"));
  }
  // Until Next() returns, the watcher can vouch for nothing newer than after_revision.
  return std::unique_ptr<StoreWatch>(new Watcher(shared_from_this(), std::string(prefix),
                                                 after_revision,
                                                 std::min(after_revision, revision_)));
}

int64_t EventLog::revision() const {
  absl::ReaderMutexLock l(&mu_);
  return revision_;
}

int64_t EventLog::compacted() const {
  absl::ReaderMutexLock l(&mu_);
  return compacted_;
}

size_t EventLog::size() const {
  absl::ReaderMutexLock l(&mu_);
  return ring_.size();
}

void EventLog::Close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
}

}  // namespace mk::apiserver
