#include "apiserver/memory_store.h"

#include <rocksdb/db.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mk::apiserver {

MemoryStore::MemoryStore(Options options)
    : log_(std::make_shared<EventLog>(options.max_history_events)) {}

MemoryStore::~MemoryStore() { log_->Close(); }

absl::StatusOr<KeyValue> MemoryStore::Get(absl::string_view key) {
  absl::ReaderMutexLock l(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return absl::NotFoundError(key);
  return it->second;
}

std::vector<KeyValue> MemoryStore::List(absl::string_view prefix, int64_t* revision) {
  std::vector<KeyValue> out;
  absl::ReaderMutexLock l(&mu_);
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && absl::StartsWith(it->first, prefix); ++it) {
    out.push_back(it->second);
  }
  if (revision != nullptr) *revision = revision_;
  return out;
}

int64_t MemoryStore::CurrentRevision() {
  absl::ReaderMutexLock l(&mu_);
  return revision_;
}

int64_t MemoryStore::CompactedRevision() { return log_->compacted() + 1; }

absl::StatusOr<int64_t> MemoryStore::Create(absl::string_view key, std::string value) {
  return Write(StoreEvent::kCreated, key, std::move(value), 0);
}

absl::StatusOr<int64_t> MemoryStore::Update(absl::string_view key, std::string value,
                                            int64_t expected_mod_revision) {
  return Write(StoreEvent::kUpdated, key, std::move(value), expected_mod_revision);
}

absl::StatusOr<int64_t> MemoryStore::Delete(absl::string_view key, int64_t expected_mod_revision) {
  return Write(StoreEvent::kDeleted, key, "", expected_mod_revision);
}

absl::StatusOr<int64_t> MemoryStore::Write(StoreEvent::Type type, absl::string_view key,
                                           std::string value, int64_t expected) {
  absl::MutexLock l(&mu_);
  auto it = objects_.find(key);
  const bool exists = it != objects_.end();
  if (type == StoreEvent::kCreated && exists) return absl::AlreadyExistsError(key);
  if (type != StoreEvent::kCreated) {
    if (!exists) return absl::NotFoundError(key);
    if (expected != 0 && it->second.mod_revision != expected) {
      return absl::AbortedError(absl::StrCat("revision mismatch on ", key, ": expected ", expected,
                                             ", is ", it->second.mod_revision));
    }
  }
  StoreEvent ev;
  ev.type = type;
  ev.key = std::string(key);
  ev.revision = ++revision_;
  if (type == StoreEvent::kCreated) {
    ev.value = value;
    objects_.emplace(ev.key, KeyValue{ev.key, std::move(value), ev.revision, ev.revision});
  } else if (type == StoreEvent::kUpdated) {
    ev.prev_value = std::move(it->second.value);
    ev.value = value;
    it->second.value = std::move(value);
    it->second.mod_revision = ev.revision;
  } else {
    ev.value = std::move(it->second.value);
    objects_.erase(it);
  }
  const int64_t rev = ev.revision;
  std::vector<StoreEvent> events;
  events.push_back(std::move(ev));
  log_->Append(std::move(events));  // under mu_, so the log is in revision order
  return rev;
}

absl::StatusOr<std::unique_ptr<StoreWatch>> MemoryStore::Watch(absl::string_view prefix,
                                                               int64_t after_revision) {
  return log_->Watch(prefix, after_revision);
}

}  // namespace mk::apiserver
