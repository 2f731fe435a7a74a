#pragma once

// RocksDbStore: the durable Store.
//
// RocksDB layout: "o<key>" → object (create_revision, mod_revision, bytes);
// "e<16 hex digits revision>" → event (type, revision, key, value, prev_value);
// "mrev" → current revision; "mcompact" → compacted revision (events <= it are gone).
//
// Writes (group commit): a writer checks its precondition against the latest state —
// committed objects overlaid with writes queued but not yet durable — takes the next
// revision and enqueues its write, all under `mu_`, then waits. One committer thread drains
// the queue, merges everything queued into ONE WriteBatch (objects, event records, the
// revision counter, any due event compaction) written with sync=true, so many writers share
// one WAL fsync. Only then does it apply the writes to the committed index, append the
// events to the watch history and wake the writers. Readers and watchers never see a write
// before it is durable, and always in revision order.
//
// Reads (Get/List/CurrentRevision) are served from the in-memory committed index and never
// touch RocksDB. Open() loads the objects and the kept event tail with one iterator.
//
// Thread-safe. Owns the committer thread; the destructor lets queued writes finish, fails
// later ones with Unavailable and closes watchers.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/event_log.h"
#include "apiserver/store.h"

namespace rocksdb {
class DB;
}

namespace mk::apiserver {

struct RocksDbStoreOptions {
  size_t max_history_events = 100000;  // events kept for watch replay (older → OutOfRange)
  size_t max_batch_writes = 8192;      // most writes merged into one WriteBatch
  bool sync = true;  // fsync the WAL before acknowledging; false only for benchmarks
  size_t write_buffer_size = 16 << 20;
  int max_open_files = 512;
};

class RocksDbStore : public Store {
 public:
  using Options = RocksDbStoreOptions;

  // Opens (creating if missing) the store in `dir` and loads its objects and event tail.
  static absl::StatusOr<std::unique_ptr<RocksDbStore>> Open(const std::string& dir,
                                                            Options options = {});

  ~RocksDbStore() override;

  absl::StatusOr<KeyValue> Get(absl::string_view key) override;
  absl::StatusOr<KeyValue> GetForUpdate(absl::string_view key) override;
  std::vector<KeyValue> List(absl::string_view prefix, int64_t* revision) override;
  int64_t CurrentRevision() override;
  absl::StatusOr<int64_t> Create(absl::string_view key, std::string value) override;
  absl::StatusOr<int64_t> Update(absl::string_view key, std::string value,
                                 int64_t expected_mod_revision) override;
  absl::StatusOr<int64_t> Delete(absl::string_view key, int64_t expected_mod_revision) override;
  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(absl::string_view prefix,
                                                    int64_t after_revision) override;
  int64_t CompactedRevision() override;

  // Group-commit statistics: WAL syncs done and writes they carried.
  struct Stats {
    int64_t syncs = 0;
    int64_t writes = 0;
  };
  Stats stats();

 private:
  struct Pending;
  // A key's newest state as writers see it (queued writes included).
  struct Latest {
    bool exists = false;
    int64_t create_revision = 0;
    int64_t mod_revision = 0;
    std::string value;
  };

  RocksDbStore(std::unique_ptr<rocksdb::DB> db, Options options);
  absl::Status Load();
  absl::StatusOr<int64_t> Write(StoreEvent::Type type, absl::string_view key, std::string value,
                                int64_t expected);
  void CommitLoop();
  void Commit(std::vector<std::shared_ptr<Pending>> batch);

  std::unique_ptr<rocksdb::DB> db_;
  const Options options_;
  const std::shared_ptr<EventLog> log_;

  // Writers' view. Lock order: mu_ before cmu_.
  absl::Mutex mu_;
  std::map<std::string, Latest, std::less<>> overlay_ ABSL_GUARDED_BY(mu_);  // queued writes
  int64_t next_revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(mu_);  // a failed WAL write stops all writes

  // Readers' view: durable state only.
  absl::Mutex cmu_ ABSL_ACQUIRED_AFTER(mu_);
  std::map<std::string, KeyValue, std::less<>> committed_ ABSL_GUARDED_BY(cmu_);
  int64_t committed_revision_ ABSL_GUARDED_BY(cmu_) = 0;
  Stats stats_ ABSL_GUARDED_BY(cmu_);

  int64_t persisted_compaction_ = 0;  // committer thread only (and Load)
  std::thread committer_;
};

}  // namespace mk::apiserver
