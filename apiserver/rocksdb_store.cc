#include "apiserver/rocksdb_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "common/log.h"

namespace mk::apiserver {
namespace {

constexpr char kObjectPrefix = 'o';
constexpr char kEventPrefix = 'e';
constexpr char kRevisionKey[] = "mrev";
constexpr char kCompactKey[] = "mcompact";

std::string ObjectKey(absl::string_view key) { return absl::StrCat("o", key); }
std::string EventKey(int64_t rev) { return absl::StrFormat("e%016x", rev); }

void PutU64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 8);
}

bool GetU64(absl::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) {
    *v |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
  }
  in->remove_prefix(8);
  return true;
}

void PutBytes(std::string* out, absl::string_view s) {
  PutU64(out, s.size());
  out->append(s.data(), s.size());
}

bool GetBytes(absl::string_view* in, std::string* s) {
  uint64_t n;
  if (!GetU64(in, &n) || in->size() < n) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

// Object record: create_revision, mod_revision, value bytes.
std::string EncodeObject(int64_t create_rev, int64_t mod_rev, absl::string_view value) {
  std::string out;
  out.reserve(16 + value.size());
  PutU64(&out, create_rev);
  PutU64(&out, mod_rev);
  out.append(value.data(), value.size());
  return out;
}

// Event record: type, revision, key, value, prev_value.
std::string EncodeEvent(const StoreEvent& ev) {
  std::string out;
  out.reserve(1 + 8 + 24 + ev.key.size() + ev.value.size() + ev.prev_value.size());
  out.push_back(static_cast<char>(ev.type));
  PutU64(&out, ev.revision);
  PutBytes(&out, ev.key);
  PutBytes(&out, ev.value);
  PutBytes(&out, ev.prev_value);
  return out;
}

bool DecodeEvent(absl::string_view in, StoreEvent* ev) {
  if (in.empty() || in[0] < StoreEvent::kCreated || in[0] > StoreEvent::kDeleted) return false;
  ev->type = static_cast<StoreEvent::Type>(in[0]);
  in.remove_prefix(1);
  uint64_t rev;
  if (!GetU64(&in, &rev)) return false;
  ev->revision = static_cast<int64_t>(rev);
  return GetBytes(&in, &ev->key) && GetBytes(&in, &ev->value) && GetBytes(&in, &ev->prev_value);
}

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

struct RocksDbStore::Pending {
  StoreEvent event;
  int64_t create_revision = 0;
  absl::Status status;
  absl::Notification done;
};

absl::StatusOr<std::unique_ptr<RocksDbStore>> RocksDbStore::Open(const std::string& dir,
                                                                 Options options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("creating ", dir, ": ", ec.message()));
  rocksdb::Options opts;
  opts.create_if_missing = true;
  // Small objects, all reads served from memory: a modest memtable, no compression, a small
  // block cache (only Open() reads the tables), few info logs.
  opts.write_buffer_size = options.write_buffer_size;
  opts.max_write_buffer_number = 3;
  opts.max_open_files = options.max_open_files;
  opts.compression = rocksdb::kNoCompression;
  opts.max_background_jobs = 2;
  opts.keep_log_file_num = 3;
  opts.max_total_wal_size = 4 * options.write_buffer_size;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(8 << 20);
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(opts, dir, &raw);
  if (!st.ok()) {
    return absl::UnavailableError(absl::StrCat("opening RocksDB in ", dir, ": ", st.ToString()));
  }
  std::unique_ptr<RocksDbStore> store(new RocksDbStore(std::unique_ptr<rocksdb::DB>(raw), options));
  if (absl::Status s = store->Load(); !s.ok()) return s;
  store->committer_ = std::thread([s = store.get()] { s->CommitLoop(); });
  return store;
}

RocksDbStore::RocksDbStore(std::unique_ptr<rocksdb::DB> db, Options options)
    : db_(std::move(db)),
      options_(options),
      log_(std::make_shared<EventLog>(options.max_history_events)) {}

RocksDbStore::~RocksDbStore() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (committer_.joinable()) committer_.join();
  log_->Close();
  if (db_) {
    rocksdb::Status st = db_->Close();
    if (!st.ok()) MK_LOG(W) << "closing RocksDB: " << st.ToString();
  }
}

absl::Status RocksDbStore::Load() {
  int64_t rev = 0, compact = 0;
  std::string v;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  if (db_->Get(ro, kRevisionKey, &v).ok() && !absl::SimpleAtoi(v, &rev)) {
    return absl::DataLossError(absl::StrCat("corrupt ", kRevisionKey, ": ", v));
  }
  if (db_->Get(ro, kCompactKey, &v).ok() && !absl::SimpleAtoi(v, &compact)) {
    return absl::DataLossError(absl::StrCat("corrupt ", kCompactKey, ": ", v));
  }
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  std::map<std::string, KeyValue, std::less<>> objects;
  for (it->Seek(std::string(1, kObjectPrefix)); it->Valid(); it->Next()) {
    absl::string_view k = View(it->key());
    if (k.empty() || k[0] != kObjectPrefix) break;
    absl::string_view rec = View(it->value());
    uint64_t c, m;
    if (!GetU64(&rec, &c) || !GetU64(&rec, &m)) {
      return absl::DataLossError(absl::StrCat("corrupt object record ", k));
    }
    std::string key(k.substr(1));
    objects.emplace_hint(
        objects.end(), key,
        KeyValue{key, std::string(rec), static_cast<int64_t>(c), static_cast<int64_t>(m)});
  }
  std::deque<StoreEvent> events;
  int64_t expect = compact + 1;
  for (it->Seek(EventKey(compact + 1)); it->Valid(); it->Next()) {
    absl::string_view k = View(it->key());
    if (k.empty() || k[0] != kEventPrefix) break;
    StoreEvent ev;
    if (!DecodeEvent(View(it->value()), &ev)) {
      return absl::DataLossError(absl::StrCat("corrupt event record ", k));
    }
    if (ev.revision != expect) {
      return absl::DataLossError(
          absl::StrCat("event history gap: expected revision ", expect, ", found ", ev.revision));
    }
    ++expect;
    events.push_back(std::move(ev));
  }
  if (!it->status().ok()) return absl::DataLossError(it->status().ToString());
  if (expect - 1 != rev) {
    return absl::DataLossError(
        absl::StrCat("event history ends at ", expect - 1, " but ", kRevisionKey, " is ", rev));
  }
  persisted_compaction_ = compact;
  log_->Reset(rev, compact, std::move(events));
  absl::MutexLock l(&mu_);
  absl::MutexLock cl(&cmu_);
  next_revision_ = rev;
  committed_revision_ = rev;
  committed_ = std::move(objects);
  return absl::OkStatus();
}

absl::StatusOr<KeyValue> RocksDbStore::Get(absl::string_view key) {
  absl::ReaderMutexLock l(&cmu_);
  auto it = committed_.find(key);
  if (it == committed_.end()) return absl::NotFoundError(key);
  return it->second;
}

absl::StatusOr<KeyValue> RocksDbStore::GetForUpdate(absl::string_view key) {
  {
    absl::MutexLock l(&mu_);
    auto ov = overlay_.find(key);
    if (ov != overlay_.end()) {
      if (!ov->second.exists) return absl::NotFoundError(key);
      KeyValue kv;
      kv.key = std::string(key);
      kv.value = ov->second.value;
      kv.create_revision = ov->second.create_revision;
      kv.mod_revision = ov->second.mod_revision;
      return kv;
    }
  }
  return Get(key);
}

std::vector<KeyValue> RocksDbStore::List(absl::string_view prefix, int64_t* revision) {
  std::vector<KeyValue> out;
  absl::ReaderMutexLock l(&cmu_);
  for (auto it = committed_.lower_bound(prefix);
       it != committed_.end() && absl::StartsWith(it->first, prefix); ++it) {
    out.push_back(it->second);
  }
  if (revision != nullptr) *revision = committed_revision_;
  return out;
}

int64_t RocksDbStore::CurrentRevision() {
  absl::ReaderMutexLock l(&cmu_);
  return committed_revision_;
}

int64_t RocksDbStore::CompactedRevision() { return log_->compacted() + 1; }

RocksDbStore::Stats RocksDbStore::stats() {
  absl::ReaderMutexLock l(&cmu_);
  return stats_;
}

absl::StatusOr<int64_t> RocksDbStore::Create(absl::string_view key, std::string value) {
  return Write(StoreEvent::kCreated, key, std::move(value), 0);
}

absl::StatusOr<int64_t> RocksDbStore::Update(absl::string_view key, std::string value,
                                             int64_t expected_mod_revision) {
  return Write(StoreEvent::kUpdated, key, std::move(value), expected_mod_revision);
}

absl::StatusOr<int64_t> RocksDbStore::Delete(absl::string_view key, int64_t expected_mod_revision) {
  return Write(StoreEvent::kDeleted, key, "", expected_mod_revision);
}

absl::StatusOr<int64_t> RocksDbStore::Write(StoreEvent::Type type, absl::string_view key,
                                            std::string value, int64_t expected) {
  auto p = std::make_shared<Pending>();
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return absl::UnavailableError("store is shutting down");
    if (!failed_.ok())
      return absl::UnavailableError(absl::StrCat("store failed: ", failed_.message()));
    // The newest state: a queued write if there is one, else the committed object.
    Latest cur;
    auto ov = overlay_.find(key);
    if (ov != overlay_.end()) {
      cur = ov->second;
    } else {
      absl::ReaderMutexLock cl(&cmu_);
      auto it = committed_.find(key);
      if (it != committed_.end()) {
        cur = Latest{true, it->second.create_revision, it->second.mod_revision, it->second.value};
      }
    }
    if (type == StoreEvent::kCreated && cur.exists) return absl::AlreadyExistsError(key);
    if (type != StoreEvent::kCreated) {
      if (!cur.exists) return absl::NotFoundError(key);
      if (expected != 0 && cur.mod_revision != expected) {
        return absl::AbortedError(absl::StrCat("revision mismatch on ", key, ": expected ",
                                               expected, ", is ", cur.mod_revision));
      }
    }
    const int64_t rev = ++next_revision_;
    StoreEvent& ev = p->event;
    ev.type = type;
    ev.key = std::string(key);
    ev.revision = rev;
    Latest next;
    next.mod_revision = rev;
    if (type == StoreEvent::kCreated) {
      p->create_revision = rev;
      ev.value = std::move(value);
      next = Latest{true, rev, rev, ev.value};
    } else if (type == StoreEvent::kUpdated) {
      p->create_revision = cur.create_revision;
      ev.prev_value = std::move(cur.value);
      ev.value = std::move(value);
      next = Latest{true, cur.create_revision, rev, ev.value};
    } else {
      p->create_revision = cur.create_revision;
      ev.value = std::move(cur.value);
      next = Latest{false, 0, rev, std::string()};
    }
    if (ov != overlay_.end()) {
      ov->second = std::move(next);
    } else {
      overlay_.emplace(ev.key, std::move(next));
    }
    queue_.push_back(p);
  }
  p->done.WaitForNotification();
  if (!p->status.ok()) return p->status;
  return p->event.revision;
}

void RocksDbStore::CommitLoop() {
  while (true) {
    std::vector<std::shared_ptr<Pending>> batch;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, nothing left to write
      if (queue_.size() <= options_.max_batch_writes) {
        batch.swap(queue_);
      } else {
        auto end = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch_writes);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
        queue_.erase(queue_.begin(), end);
      }
    }
    Commit(std::move(batch));
  }
}

void RocksDbStore::Commit(std::vector<std::shared_ptr<Pending>> batch) {
  rocksdb::WriteBatch wb;
  for (const auto& p : batch) {
    const StoreEvent& ev = p->event;
    if (ev.type == StoreEvent::kDeleted) {
      wb.Delete(ObjectKey(ev.key));
    } else {
      wb.Put(ObjectKey(ev.key), EncodeObject(p->create_revision, ev.revision, ev.value));
    }
    wb.Put(EventKey(ev.revision), EncodeEvent(ev));
  }
  const int64_t last = batch.back()->event.revision;
  wb.Put(kRevisionKey, absl::StrCat(last));
  // Drop events the in-memory history no longer keeps, in chunks so RocksDB sees few range
  // tombstones. Open() ignores events <= mcompact and trims the rest to the bound anyway.
  const int64_t compacted = log_->compacted();
  const int64_t chunk = std::max<int64_t>(
      1, std::min<int64_t>(4096, static_cast<int64_t>(options_.max_history_events) / 16));
  int64_t compact_to = persisted_compaction_;
  if (compacted - persisted_compaction_ >= chunk) {
    compact_to = compacted;
    wb.DeleteRange(EventKey(persisted_compaction_ + 1), EventKey(compact_to + 1));
    wb.Put(kCompactKey, absl::StrCat(compact_to));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  rocksdb::Status st = db_->Write(wo, &wb);
  if (!st.ok()) {
    // Unknown whether the batch reached disk, and the writers' overlay already counts it:
    // refuse every further write instead of diverging. Nothing here was acknowledged.
    absl::Status err = absl::UnavailableError(absl::StrCat("RocksDB write: ", st.ToString()));
    MK_LOG(E) << "store write failed, refusing further writes: " << err;
    std::vector<std::shared_ptr<Pending>> rest;
    {
      absl::MutexLock l(&mu_);
      failed_ = err;
      rest.swap(queue_);
    }
    for (auto& p : batch) {
      p->status = err;
      p->done.Notify();
    }
    for (auto& p : rest) {
      p->status = err;
      p->done.Notify();
    }
    return;
  }
  persisted_compaction_ = compact_to;

  std::vector<StoreEvent> events;
  events.reserve(batch.size());
  {
    absl::MutexLock l(&mu_);
    absl::MutexLock cl(&cmu_);
    for (const auto& p : batch) {
      const StoreEvent& ev = p->event;
      if (ev.type == StoreEvent::kDeleted) {
        committed_.erase(ev.key);
      } else {
        auto [it, inserted] = committed_.try_emplace(ev.key);
        KeyValue& kv = it->second;
        if (inserted) kv.key = ev.key;
        kv.value = ev.value;
        kv.create_revision = p->create_revision;
        kv.mod_revision = ev.revision;
      }
      // The overlay entry is no longer needed once the committed index has caught up.
      auto ov = overlay_.find(ev.key);
      if (ov != overlay_.end() && ov->second.mod_revision == ev.revision) overlay_.erase(ov);
    }
    committed_revision_ = last;
    stats_.syncs++;
    stats_.writes += static_cast<int64_t>(batch.size());
  }
  // Writers read only event.revision, which survives the move.
  for (auto& p : batch) events.push_back(std::move(p->event));
  log_->Append(std::move(events));
  for (auto& p : batch) p->done.Notify();
}

absl::StatusOr<std::unique_ptr<StoreWatch>> RocksDbStore::Watch(absl::string_view prefix,
                                                                int64_t after_revision) {
  return log_->Watch(prefix, after_revision);
}

}  // namespace mk::apiserver
