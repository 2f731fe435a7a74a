#include "apiserver/kv_store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"

namespace mk::apiserver {
namespace {

// RocksDB layout: "o<key>" → object record, "e<16 hex revision>" → event record,
// "mrev" → current revision, "mcompact" → compacted revision.
constexpr char kObjectPrefix = 'o';
constexpr char kEventPrefix = 'e';
constexpr char kRevisionKey[] = "mrev";
constexpr char kCompactKey[] = "mcompact";

std::string EventKey(int64_t rev) { return absl::StrFormat("e%016x", rev); }

void PutU64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 8);
}

bool GetU64(absl::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i)
    *v |= static_cast<uint64_t>(static_cast<uint8_t>((*in)[i])) << (8 * i);
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

std::string EncodeObject(int64_t create_rev, int64_t mod_rev, absl::string_view value) {
  std::string out;
  PutU64(&out, create_rev);
  PutU64(&out, mod_rev);
  out.append(value.data(), value.size());
  return out;
}

std::string EncodeEvent(const StoreEvent& ev) {
  std::string out;
  out.push_back(static_cast<char>(ev.type));
  PutU64(&out, ev.revision);
  PutBytes(&out, ev.key);
  PutBytes(&out, ev.value);
  PutBytes(&out, ev.prev_value);
  return out;
}

bool DecodeEvent(absl::string_view in, StoreEvent* ev) {
  if (in.empty()) return false;
  ev->type = static_cast<StoreEvent::Type>(in[0]);
  in.remove_prefix(1);
  uint64_t rev;
  if (!GetU64(&in, &rev)) return false;
  ev->revision = static_cast<int64_t>(rev);
  return GetBytes(&in, &ev->key) && GetBytes(&in, &ev->value) && GetBytes(&in, &ev->prev_value);
}

}  // namespace

// A watcher's queue. The committer pushes (never blocking); the watcher's reader pops.
class KvStore::Watcher : public StoreWatch {
 public:
  Watcher(std::string prefix, size_t max_backlog, const KvStore* store)
      : prefix_(std::move(prefix)), max_backlog_(max_backlog), store_(store) {}

  // Called with the store's cmu_ held (so events arrive in revision order).
  void Push(const StoreEvent& ev) {
    if (!absl::StartsWith(ev.key, prefix_)) return;
    absl::MutexLock l(&mu_);
    if (closed_) return;
    if (queue_.size() >= max_backlog_) {
      closed_ = true;  // too slow: the client re-watches from its last revision
      queue_.clear();
      return;
    }
    queue_.push_back(ev);
  }
  void Close() {
    absl::MutexLock l(&mu_);
    closed_ = true;
  }

  Result Next(absl::Duration timeout, StoreEvent* event) override {
    absl::MutexLock l(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (!queue_.empty()) {
      *event = std::move(queue_.front());
      queue_.pop_front();
      return Result::kEvent;
    }
    return closed_ ? Result::kClosed : Result::kTimeout;
  }

  int64_t Progress() const override {
    absl::MutexLock l(&store_->cmu_);
    return store_->committed_revision_;
  }

 private:
  const std::string prefix_;
  const size_t max_backlog_;
  const KvStore* store_;
  absl::Mutex mu_;
  std::deque<StoreEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

KvStore::KvStore(std::unique_ptr<rocksdb::DB> db, KvStoreOptions options)
    : db_(std::move(db)), options_(options) {}

KvStore::~KvStore() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (committer_.joinable()) committer_.join();
  absl::MutexLock l(&cmu_);
  for (auto& w : watchers_) {
    if (auto s = w.lock()) s->Close();
  }
}

absl::Status KvStore::Load() {
  if (!db_) return absl::OkStatus();
  std::string v;
  int64_t rev = 0, compact = 0;
  if (db_->Get(rocksdb::ReadOptions(), kRevisionKey, &v).ok())
    rev = std::strtoll(v.c_str(), nullptr, 10);
  if (db_->Get(rocksdb::ReadOptions(), kCompactKey, &v).ok())
    compact = std::strtoll(v.c_str(), nullptr, 10);
  absl::MutexLock wl(&mu_);
  absl::MutexLock cl(&cmu_);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(1, kObjectPrefix)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.empty() || k[0] != kObjectPrefix) break;
    absl::string_view rec(it->value().data(), it->value().size());
    uint64_t c, m;
    if (!GetU64(&rec, &c) || !GetU64(&rec, &m)) return absl::DataLossError("corrupt object record");
    std::string key(k.data() + 1, k.size() - 1);
    KeyValue kv{key, std::string(rec), static_cast<int64_t>(c), static_cast<int64_t>(m)};
    latest_.emplace(key, Latest{kv.create_revision, kv.mod_revision, kv.value});
    committed_.emplace(key, std::move(kv));
  }
  for (it->Seek(EventKey(compact + 1)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (k.empty() || k[0] != kEventPrefix) break;
    StoreEvent ev;
    if (!DecodeEvent(absl::string_view(it->value().data(), it->value().size()), &ev)) {
      return absl::DataLossError("corrupt event record");
    }
    history_.push_back(std::move(ev));
  }
  if (!it->status().ok()) return absl::DataLossError(it->status().ToString());
  next_revision_ = committed_revision_ = rev;
  compacted_revision_ = persisted_compaction_ = compact;
  while (history_.size() > options_.max_history_events) {
    compacted_revision_ = history_.front().revision;
    history_.pop_front();
  }
  return absl::OkStatus();
}

void KvStore::StartCommitter() {
  committer_ = std::thread([this] { CommitLoop(); });
}

absl::StatusOr<KeyValue> KvStore::Get(absl::string_view key) {
  absl::MutexLock l(&cmu_);
  auto it = committed_.find(key);
  if (it == committed_.end()) return absl::NotFoundError(key);
  return it->second;
}

std::vector<KeyValue> KvStore::List(absl::string_view prefix, int64_t* revision) {
  std::vector<KeyValue> out;
  absl::MutexLock l(&cmu_);
  for (auto it = committed_.lower_bound(prefix);
       it != committed_.end() && absl::StartsWith(it->first, prefix); ++it) {
    out.push_back(it->second);
  }
  if (revision) *revision = committed_revision_;
  return out;
}

int64_t KvStore::CurrentRevision() {
  absl::MutexLock l(&cmu_);
  return committed_revision_;
}

int64_t KvStore::CompactedRevision() {
  absl::MutexLock l(&cmu_);
  return compacted_revision_;
}

absl::StatusOr<int64_t> KvStore::Create(absl::string_view key, std::string value) {
  return Write(StoreEvent::kCreated, key, std::move(value), 0);
}

absl::StatusOr<int64_t> KvStore::Update(absl::string_view key, std::string value,
                                        int64_t expected) {
  return Write(StoreEvent::kUpdated, key, std::move(value), expected);
}

absl::StatusOr<int64_t> KvStore::Delete(absl::string_view key, int64_t expected) {
  return Write(StoreEvent::kDeleted, key, "", expected);
}

absl::StatusOr<int64_t> KvStore::Write(StoreEvent::Type type, absl::string_view key,
                                       std::string value, int64_t expected) {
  auto p = std::make_shared<Pending>();
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return absl::UnavailableError("store is shutting down");
    auto it = latest_.find(key);
    bool exists = it != latest_.end();
    if (type == StoreEvent::kCreated && exists) return absl::AlreadyExistsError(key);
    if (type != StoreEvent::kCreated) {
      if (!exists) return absl::NotFoundError(key);
      if (expected != 0 && it->second.mod_revision != expected) {
        return absl::AbortedError(absl::StrCat("revision mismatch on ", key));
      }
    }
    int64_t rev = ++next_revision_;
    p->event.type = type;
    p->event.key = std::string(key);
    p->event.revision = rev;
    if (type == StoreEvent::kCreated) {
      p->create_revision = rev;
      p->event.value = value;
      latest_.emplace(std::string(key), Latest{rev, rev, std::move(value)});
    } else if (type == StoreEvent::kUpdated) {
      p->create_revision = it->second.create_revision;
      p->event.prev_value = std::move(it->second.value);
      p->event.value = value;
      it->second.value = std::move(value);
      it->second.mod_revision = rev;
    } else {
      p->create_revision = it->second.create_revision;
      p->event.value = std::move(it->second.value);
      latest_.erase(it);
    }
    queue_.push_back(p);
  }
  p->done.WaitForNotification();
  if (!p->status.ok()) return p->status;
  return p->event.revision;
}

void KvStore::CommitLoop() {
  int64_t compact_to = 0;
  while (true) {
    std::vector<std::shared_ptr<Pending>> batch;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty() && stopping_) return;
      batch.swap(queue_);
    }
    absl::Status s = Persist(batch, compact_to);
    if (!s.ok()) {
      // The writers' view already includes these writes; continuing would diverge from
      // disk. Stop here: nothing in this batch was acknowledged.
      MK_LOG(E) << "store write failed, aborting: " << s;
      std::abort();
    }
    Publish(batch, &compact_to);
    for (auto& p : batch) p->done.Notify();
  }
}

absl::Status KvStore::Persist(const std::vector<std::shared_ptr<Pending>>& batch,
                              int64_t compact_to) {
  if (!db_) return absl::OkStatus();
  rocksdb::WriteBatch wb;
  for (const auto& p : batch) {
    const StoreEvent& ev = p->event;
    std::string okey = std::string(1, kObjectPrefix) + ev.key;
    if (ev.type == StoreEvent::kDeleted) {
      wb.Delete(okey);
    } else {
      wb.Put(okey, EncodeObject(p->create_revision, ev.revision, ev.value));
    }
    wb.Put(EventKey(ev.revision), EncodeEvent(ev));
  }
  wb.Put(kRevisionKey, absl::StrCat(batch.back()->event.revision));
  if (compact_to > persisted_compaction_) {
    wb.DeleteRange(EventKey(persisted_compaction_ + 1), EventKey(compact_to + 1));
    wb.Put(kCompactKey, absl::StrCat(compact_to));
    persisted_compaction_ = compact_to;
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status st = db_->Write(wo, &wb);
  if (!st.ok()) return absl::InternalError(st.ToString());
  return absl::OkStatus();
}

void KvStore::Publish(const std::vector<std::shared_ptr<Pending>>& batch, int64_t* compact_to) {
  absl::MutexLock l(&cmu_);
  for (const auto& p : batch) {
    const StoreEvent& ev = p->event;
    if (ev.type == StoreEvent::kDeleted) {
      committed_.erase(ev.key);
    } else {
      KeyValue& kv = committed_[ev.key];
      kv.key = ev.key;
      kv.value = ev.value;
      kv.create_revision = p->create_revision;
      kv.mod_revision = ev.revision;
    }
    committed_revision_ = ev.revision;
    history_.push_back(ev);
    for (auto it = watchers_.begin(); it != watchers_.end();) {
      if (auto w = it->lock()) {
        w->Push(ev);
        ++it;
      } else {
        it = watchers_.erase(it);
      }
    }
  }
  while (history_.size() > options_.max_history_events) {
    compacted_revision_ = history_.front().revision;
    history_.pop_front();
  }
  *compact_to = compacted_revision_;
}

absl::StatusOr<std::unique_ptr<StoreWatch>> KvStore::Watch(absl::string_view prefix,
                                                           int64_t after_revision) {
  absl::MutexLock l(&cmu_);
  if (after_revision < compacted_revision_) {
    return absl::OutOfRangeError(
        absl::StrCat("revision ", after_revision,
                     " has been compacted (oldest kept: ", compacted_revision_ + 1, ")"));
  }
  auto w = std::make_shared<Watcher>(std::string(prefix), options_.max_watcher_backlog, this);
  for (const StoreEvent& ev : history_) {
    if (ev.revision > after_revision) w->Push(ev);
  }
  watchers_.push_back(w);
  // The caller owns the watcher; the store keeps a weak reference.
  struct Handle : StoreWatch {
    std::shared_ptr<Watcher> w;
    Result Next(absl::Duration t, StoreEvent* e) override { return w->Next(t, e); }
    int64_t Progress() const override { return w->Progress(); }
  };
  auto h = std::make_unique<Handle>();
  h->w = std::move(w);
  return std::unique_ptr<StoreWatch>(std::move(h));
}

}  // namespace mk::apiserver
