#pragma once

// The storage interface under the registry: a revisioned key-value store with a watchable
// event history, shaped like etcd3. One global revision counter; every successful write
// bumps it and is recorded as an event with that revision. Keys look like
// "/registry/pods/default/nginx" (cluster-scoped: "/registry/nodes/n1").
//
// Values are opaque bytes (the binary protobuf of the object, without resourceVersion: the
// registry sets resourceVersion = mod_revision when it reads). Implementations:
// RocksDbStore (durable, group commit) and MemoryStore (unit tests).
//
// Thread-safe. A write returns only once it is durable (for RocksDbStore: WAL synced).
// Readers and watchers see a write only after it is durable, and in revision order.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mk::apiserver {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
};

struct StoreEvent {
  enum Type { kCreated, kUpdated, kDeleted };
  Type type = kCreated;
  std::string key;
  std::string value;       // the new value; for kDeleted the last value
  std::string prev_value;  // empty for kCreated
  int64_t revision = 0;
};

// A watch on a key prefix. Events arrive in revision order, without gaps or duplicates.
class StoreWatch {
 public:
  enum class Result { kEvent, kTimeout, kClosed };
  virtual ~StoreWatch() = default;
  // Waits up to `timeout` for the next event. kClosed when the store shut down or the
  // watcher fell too far behind (the client must re-watch from its last revision).
  virtual Result Next(absl::Duration timeout, StoreEvent* event) = 0;
  // The newest revision the store had committed when Next last returned (for bookmarks).
  virtual int64_t Progress() const = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<KeyValue> Get(absl::string_view key) = 0;  // NotFound
  // The newest state of `key` including writes queued but not yet durable: the base of a
  // read-modify-write, whose own write is queued after (and committed no earlier than) them.
  // Readers use Get, which shows acknowledged (durable) state only.
  virtual absl::StatusOr<KeyValue> GetForUpdate(absl::string_view key) { return Get(key); }
  // All keys with `prefix`, in key order, as of one revision (returned in *revision).
  virtual std::vector<KeyValue> List(absl::string_view prefix, int64_t* revision) = 0;
  virtual int64_t CurrentRevision() = 0;

  // Create fails with AlreadyExists if the key exists. Returns the new revision.
  virtual absl::StatusOr<int64_t> Create(absl::string_view key, std::string value) = 0;
  // Update fails with NotFound if the key is missing and with Aborted if
  // `expected_mod_revision` is non-zero and differs from the key's mod revision.
  virtual absl::StatusOr<int64_t> Update(absl::string_view key, std::string value,
                                         int64_t expected_mod_revision) = 0;
  // Delete: same preconditions as Update. Returns the revision of the delete.
  virtual absl::StatusOr<int64_t> Delete(absl::string_view key, int64_t expected_mod_revision) = 0;

  // Every event under `prefix` with revision > `after_revision`. OutOfRange if
  // `after_revision` is older than the kept history (the caller answers 410 Gone).
  virtual absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(absl::string_view prefix,
                                                            int64_t after_revision) = 0;
  // The oldest revision still replayable by Watch (after_revision >= this - 1).
  virtual int64_t CompactedRevision() = 0;
};

}  // namespace mk::apiserver
