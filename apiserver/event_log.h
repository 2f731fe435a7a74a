#pragma once

// The bounded, watchable event history shared by RocksDbStore and MemoryStore.
//
// One ring of the most recent events, contiguous in revision (every revision is exactly one
// event). A watcher is a cursor into the ring, not a queue: replay and live events come from
// the same place, so a watcher costs no memory per event and never blocks the writer. A
// watcher whose cursor falls behind the ring (its next event was compacted away) is closed;
// the client re-watches from its last revision and gets 410 if that is too old.
//
// Thread-safe. Watchers hold a shared_ptr to the log, so they may outlive the store; after
// Close() they return kClosed.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/store.h"

namespace mk::apiserver {

class EventLog : public std::enable_shared_from_this<EventLog> {
 public:
  // Keeps at most `max_events` events (at least 1 is kept once written).
  explicit EventLog(size_t max_events);

  // Sets the initial state: `events` hold revisions (compacted, revision], in order.
  void Reset(int64_t revision, int64_t compacted, std::deque<StoreEvent> events);

  // Appends events whose revisions follow revision() without gaps, trims the ring to its
  // bound and wakes watchers. Returns the compacted revision after trimming.
  int64_t Append(std::vector<StoreEvent> events);

  // Every event under `prefix` with revision > after_revision. OutOfRange when
  // after_revision < compacted().
  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(absl::string_view prefix,
                                                    int64_t after_revision);

  int64_t revision() const;   // the newest event's revision
  int64_t compacted() const;  // the ring holds revisions > compacted()
  size_t size() const;

  // Closes every watcher (present and future); idempotent.
  void Close();

 private:
  class Watcher;

  void TrimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_events_;
  mutable absl::Mutex mu_;
  std::deque<StoreEvent> ring_ ABSL_GUARDED_BY(mu_);  // revisions (compacted_, revision_]
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t compacted_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace mk::apiserver
