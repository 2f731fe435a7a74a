#pragma once

// MemoryStore: the Store for unit tests. Same semantics as RocksDbStore (revisions,
// preconditions, bounded watch history, OutOfRange for compacted revisions), no
// durability. Writes are applied synchronously under one mutex.
//
// Thread-safe. Watchers may outlive the store (they then return kClosed).

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/event_log.h"
#include "apiserver/store.h"

namespace mk::apiserver {

class MemoryStore : public Store {
 public:
  struct Options {
    size_t max_history_events = 100000;  // events kept for watch replay (older → OutOfRange)
  };

  MemoryStore() : MemoryStore(Options()) {}
  explicit MemoryStore(Options options);
  ~MemoryStore() override;

  absl::StatusOr<KeyValue> Get(absl::string_view key) override;
  std::vector<KeyValue> List(absl::string_view prefix, int64_t* revision) override;
  int64_t CurrentRevision() override;
  absl::StatusOr<int64_t> Create(absl::string_view key, std::string value) override;
  absl::StatusOr<int64_t> Update(absl::string_view key, std::string value,
                                 int64_t expected_mod_revision) override;
  absl::StatusOr<int64_t> Delete(absl::string_view key, int64_t expected_mod_revision) override;
  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(absl::string_view prefix,
                                                    int64_t after_revision) override;
  int64_t CompactedRevision() override;

 private:
  absl::StatusOr<int64_t> Write(StoreEvent::Type type, absl::string_view key, std::string value,
                                int64_t expected);

  const std::shared_ptr<EventLog> log_;
  absl::Mutex mu_;
  std::map<std::string, KeyValue, std::less<>> objects_ ABSL_GUARDED_BY(mu_);
  int64_t revision_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mk::apiserver
