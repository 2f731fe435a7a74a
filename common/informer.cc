#include "common/informer.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/object.h"

namespace mk {

Informer::Informer(ApiClient* client, InformerOptions opts)
    : client_(client),
      opts_(std::move(opts)),
      clock_(opts_.clock != nullptr ? opts_.clock : Clock::Real()) {}

Informer::~Informer() { Shutdown(); }

std::string Informer::KeyOf(const google::protobuf::Message& obj) {
  const api::ObjectMeta& m = Meta(obj);
  return m.namespace_().empty() ? m.name() : absl::StrCat(m.namespace_(), "/", m.name());
}

void Informer::AddHandlers(EventHandlers handlers) { handlers_.push_back(std::move(handlers)); }

void Informer::Start() {
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
  if (opts_.resync_period > absl::ZeroDuration()) {
    resync_thread_ = std::thread([this] { ResyncLoop(); });
  }
}

void Informer::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    if (stream_ != nullptr) stream_->Cancel();
  }
  if (thread_.joinable()) thread_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
}

bool Informer::HasSynced() const {
  absl::MutexLock l(&mu_);
  return synced_;
}

bool Informer::WaitForSync(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return synced_ || stopping_; };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return synced_;
}

CachedObject Informer::Get(const std::string& key) const {
  absl::MutexLock l(&mu_);
  auto it = cache_.find(key);
  return it == cache_.end() ? nullptr : it->second;
}

std::vector<CachedObject> Informer::List() const {
  std::map<std::string, CachedObject> sorted;
  {
    absl::MutexLock l(&mu_);
    sorted.insert(cache_.begin(), cache_.end());
  }
  std::vector<CachedObject> out;
  out.reserve(sorted.size());
  for (auto& [key, obj] : sorted) out.push_back(std::move(obj));
  return out;
}

int64_t Informer::LastResourceVersion() const {
  absl::MutexLock l(&mu_);
  return rv_;
}

int Informer::ListCount() const {
  absl::MutexLock l(&mu_);
  return list_count_;
}

bool Informer::Backoff(absl::Duration d) {
  absl::MutexLock l(&mu_);
  auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  return !clock_->AwaitWithDeadline(&mu_, absl::Condition(&stop), clock_->Now() + d);
}

void Informer::Run() {
  absl::Duration backoff = opts_.min_backoff;
  bool need_list = true;
  while (true) {
    {
      absl::MutexLock l(&mu_);
      if (stopping_) return;
    }
    if (need_list) {
      std::vector<Delta> deltas;
      absl::Status s = Relist(&deltas);
      if (!s.ok()) {
        MK_LOG(W) << "informer " << opts_.resource << ": list failed: " << s.message()
                  << "; retrying in " << absl::FormatDuration(backoff);
        if (!Backoff(backoff)) return;
        backoff = std::min(backoff * 2, opts_.max_backoff);
        continue;
      }
      Deliver(deltas);
      {
        absl::MutexLock l(&mu_);
        synced_ = true;
      }
      need_list = false;
    }
    int64_t rv_before = LastResourceVersion();
    absl::Status s = WatchOnce();
    {
      absl::MutexLock l(&mu_);
      if (stopping_) return;
    }
    bool progressed = LastResourceVersion() != rv_before;
    if (progressed) backoff = opts_.min_backoff;
    if (s.ok()) {
      // A clean close (server timeout): resume from where we are, no relist; back off only
      // if the server keeps closing watches without sending anything.
      if (!progressed) {
        if (!Backoff(backoff)) return;
        backoff = std::min(backoff * 2, opts_.max_backoff);
      }
      continue;
    }
    MK_VLOG(2) << "informer " << opts_.resource << ": watch ended (" << s.ToString()
               << "), relisting in " << absl::FormatDuration(backoff);
    need_list = true;
    if (!Backoff(backoff)) return;
    backoff = std::min(backoff * 2, opts_.max_backoff);
  }
}

absl::Status Informer::Relist(std::vector<Delta>* deltas) {
  absl::StatusOr<ListResult> list =
      client_->List(opts_.resource, opts_.ns, {opts_.label_selector, opts_.field_selector});
  if (!list.ok()) return list.status();
  absl::flat_hash_map<std::string, CachedObject> fresh;
  for (ObjectPtr& item : list->items) {
    CachedObject obj(item.release());
    fresh[KeyOf(*obj)] = std::move(obj);
  }
  absl::MutexLock l(&mu_);
  ++list_count_;
  for (const auto& [key, obj] : fresh) {
    auto it = cache_.find(key);
    if (it == cache_.end()) {
      deltas->push_back({Delta::kAdd, nullptr, obj});
    } else if (Meta(*it->second).resource_version() != Meta(*obj).resource_version()) {
      deltas->push_back({Delta::kUpdate, it->second, obj});
    }
  }
  for (const auto& [key, obj] : cache_) {
    if (!fresh.contains(key)) deltas->push_back({Delta::kDelete, nullptr, obj});
  }
  cache_ = std::move(fresh);
  rv_ = list->resource_version;
  return absl::OkStatus();
}

absl::Status Informer::WatchOnce() {
  WatchOptions wopts;
  wopts.label_selector = opts_.label_selector;
  wopts.field_selector = opts_.field_selector;
  wopts.allow_bookmarks = true;
  {
    absl::MutexLock l(&mu_);
    wopts.resource_version = rv_;
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> stream =
      client_->Watch(opts_.resource, opts_.ns, wopts);
  if (!stream.ok()) return stream.status();
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return absl::CancelledError("shutting down");
    stream_ = stream->get();
  }
  WatchEvent ev;
  while ((*stream)->Next(&ev)) {
    std::vector<Delta> deltas;
    {
      absl::MutexLock l(&mu_);
      if (ev.resource_version > 0) {
        rv_ = ev.resource_version;
      } else if (ev.object != nullptr) {
        int64_t rv = 0;
        if (absl::SimpleAtoi(Meta(*ev.object).resource_version(), &rv)) rv_ = rv;
      }
      if (ev.type == "BOOKMARK" || ev.object == nullptr) continue;
      CachedObject obj(ev.object.release());
      std::string key = KeyOf(*obj);
      auto it = cache_.find(key);
      if (ev.type == "DELETED") {
        if (it != cache_.end()) {
          cache_.erase(it);
          deltas.push_back({Delta::kDelete, nullptr, obj});
        }
      } else if (it == cache_.end()) {
        cache_[key] = obj;
        deltas.push_back({Delta::kAdd, nullptr, obj});
      } else {
        deltas.push_back({Delta::kUpdate, it->second, obj});
        it->second = obj;
      }
    }
    Deliver(deltas);
  }
  absl::Status s = (*stream)->status();
  absl::MutexLock l(&mu_);
  stream_ = nullptr;
  return s;
}

void Informer::Deliver(const std::vector<Delta>& deltas) {
  if (deltas.empty()) return;
  absl::MutexLock l(&dispatch_mu_);
  for (const Delta& d : deltas) {
    for (const EventHandlers& h : handlers_) {
      switch (d.type) {
        case Delta::kAdd:
          if (h.on_add) h.on_add(*d.obj);
          break;
        case Delta::kUpdate:
          if (h.on_update) h.on_update(*d.old_obj, *d.obj);
          break;
        case Delta::kDelete:
          if (h.on_delete) h.on_delete(*d.obj);
          break;
      }
    }
  }
}

void Informer::ResyncLoop() {
  while (Backoff(opts_.resync_period)) {
    if (!HasSynced()) continue;
    std::vector<Delta> deltas;
    for (CachedObject& obj : List()) deltas.push_back({Delta::kUpdate, obj, obj});
    Deliver(deltas);
  }
}

}  // namespace mk
