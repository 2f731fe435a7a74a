#pragma once

// The one Store engine behind RocksDbStore and MemoryStore: preconditions, revisions, the
// committed index, the event history and watchers. Persistence is optional (a RocksDB
// handle); without it the engine is the in-memory store for unit tests.
//
// Writes: a writer checks its precondition against the latest state (including writes not
// yet durable), takes the next revision and enqueues the write, all under `mu_`; a single
// committer thread drains the queue into ONE RocksDB WriteBatch written with sync=true
// (group commit: many writers share one WAL sync), then applies the writes to the
// committed index, appends them to the history, hands them to watchers in revision order,
// and only then acknowledges the writers. Readers and watchers never see a write before it
// is durable.
//
// Thread-safe. Owns the committer thread (stopped in the destructor).

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "apiserver/store.h"

namespace rocksdb {
class DB;
}

namespace mk::apiserver {

struct KvStoreOptions {
  size_t max_history_events = 100000;   // events kept for watch replay (older → 410)
  size_t max_watcher_backlog = 100000;  // a watcher further behind is closed
};

class KvStore : public Store {
 public:
  // `db` may be null (memory only). With a db, the caller has loaded nothing: Open() reads
  // the objects, the event tail and the counters.
  KvStore(std::unique_ptr<rocksdb::DB> db, KvStoreOptions options);
  ~KvStore() override;

  absl::Status Load();  // reads persisted state; call once before use
  void StartCommitter();

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

  class Watcher;

 private:
  struct Pending {
    StoreEvent event;
    int64_t create_revision = 0;
    absl::Notification done;
    absl::Status status;
  };
  struct Latest {
    int64_t create_revision;
    int64_t mod_revision;
    std::string value;
  };

  absl::StatusOr<int64_t> Write(StoreEvent::Type type, absl::string_view key, std::string value,
                                int64_t expected);
  void CommitLoop();
  absl::Status Persist(const std::vector<std::shared_ptr<Pending>>& batch, int64_t compact_to);
  void Publish(const std::vector<std::shared_ptr<Pending>>& batch, int64_t* compact_to);

  std::unique_ptr<rocksdb::DB> db_;
  const KvStoreOptions options_;

  // Writers' view: the newest state including writes queued but not yet durable.
  absl::Mutex mu_;
  std::map<std::string, Latest, std::less<>> latest_ ABSL_GUARDED_BY(mu_);
  int64_t next_revision_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::shared_ptr<Pending>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Readers' and watchers' view: durable state only.
  mutable absl::Mutex cmu_;
  std::map<std::string, KeyValue, std::less<>> committed_ ABSL_GUARDED_BY(cmu_);
  int64_t committed_revision_ ABSL_GUARDED_BY(cmu_) = 0;
  std::deque<StoreEvent> history_ ABSL_GUARDED_BY(cmu_);
  int64_t compacted_revision_ ABSL_GUARDED_BY(cmu_) = 0;  // history holds revisions > this
  int64_t persisted_compaction_ = 0;                      // committer thread only
  std::list<std::weak_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(cmu_);

  std::thread committer_;
};

}  // namespace mk::apiserver
