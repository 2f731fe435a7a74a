#include <deque>

#include "absl/strings/str_cat.h"
#include "apiserver/registry_internal.h"
#include "common/api_error.h"
#include "common/object.h"

namespace mk::apiserver {

using google::protobuf::Message;

absl::StatusOr<ObjectFilter> ObjectFilter::Make(const ResourceInfo& r, const std::string& labels,
                                                const std::string& fields) {
  ObjectFilter f;
  absl::StatusOr<LabelSelector> ls = LabelSelector::Parse(labels);
  if (!ls.ok()) return BadRequestError(ls.status().message());
  absl::StatusOr<FieldSelector> fs = FieldSelector::Parse(r.name, fields);
  if (!fs.ok()) return BadRequestError(fs.status().message());
  f.labels_ = std::move(*ls);
  f.fields_ = std::move(*fs);
  return f;
}

bool ObjectFilter::Matches(const Message& obj) const {
  return labels_.Matches(Meta(obj).labels()) && fields_.Matches(obj);
}

namespace {

class WatchImpl : public RegistryWatch {
 public:
  WatchImpl(const ResourceInfo& r, ObjectFilter filter, std::unique_ptr<StoreWatch> watch,
            std::deque<WatchEvent> initial, const WatchOptions& opts,
            std::shared_ptr<WatchDecodeCache> decoded)
      : resource_(r),
        decoded_(std::move(decoded)),
        filter_(std::move(filter)),
        watch_(std::move(watch)),
        initial_(std::move(initial)),
        bookmarks_(opts.allow_bookmarks),
        bookmark_interval_(opts.bookmark_interval),
        last_sent_(absl::Now()) {}

  Result Next(absl::Duration timeout, WatchEvent* out) override {
    if (!initial_.empty()) {
      *out = std::move(initial_.front());
      initial_.pop_front();
      last_sent_ = absl::Now();
      return Result::kEvent;
    }
    absl::Time deadline = absl::Now() + timeout;
    while (true) {
      absl::Duration left = deadline - absl::Now();
      if (bookmarks_) left = std::min(left, last_sent_ + bookmark_interval_ - absl::Now());
      if (left < absl::ZeroDuration()) left = absl::ZeroDuration();
      StoreEvent ev;
      StoreWatch::Result res = watch_->Next(left, &ev);
      if (res == StoreWatch::Result::kClosed) return Result::kClosed;
      if (res == StoreWatch::Result::kTimeout) {
        if (bookmarks_ && absl::Now() >= last_sent_ + bookmark_interval_) {
          out->type = "BOOKMARK";
          ObjectPtr mark = resource_.New();
          SetTypeMeta(mark.get(), resource_.ApiVersion(), resource_.kind);
          out->revision = watch_->Progress();
          MutableMeta(mark.get())->set_resource_version(absl::StrCat(out->revision));
          out->object = std::move(mark);
          out->bytes = nullptr;
          last_sent_ = absl::Now();
          return Result::kEvent;
        }
        if (absl::Now() >= deadline) return Result::kTimeout;
        continue;
      }
      if (Convert(ev, out)) {
        last_sent_ = absl::Now();
        return Result::kEvent;
      }
    }
  }

 private:
  // Maps a store event through the selectors, as Kubernetes' watch cache does: an object
  // that starts matching is ADDED, one that stops matching is DELETED. The decoded objects
  // come from the registry-wide cache, so each event is decoded once for all watchers.
  bool Convert(const StoreEvent& ev, WatchEvent* out) {
    std::shared_ptr<const DecodedEvent> d = decoded_->Get(resource_, ev);
    const DecodedObject& cur = d->current;
    const DecodedObject& old = d->previous;
    bool cur_ok = cur.object && filter_.Matches(*cur.object);
    bool old_ok = old.object && filter_.Matches(*old.object);
    out->revision = ev.revision;
    const DecodedObject* chosen = nullptr;
    if (cur_ok && old_ok) {
      out->type = "MODIFIED";
      chosen = &cur;
    } else if (cur_ok) {
      out->type = "ADDED";
      chosen = &cur;
    } else if (old_ok) {
      out->type = "DELETED";
      chosen = &old;
    } else {
      return false;
    }
    out->object = chosen->object;
    out->bytes = chosen->bytes;
    return true;
  }

  const ResourceInfo& resource_;
  const std::shared_ptr<WatchDecodeCache> decoded_;
  ObjectFilter filter_;
  std::unique_ptr<StoreWatch> watch_;
  std::deque<WatchEvent> initial_;
  bool bookmarks_;
  absl::Duration bookmark_interval_;
  absl::Time last_sent_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RegistryWatch>> Registry::Watch(const ResourceInfo& r,
                                                               const std::string& ns,
                                                               const WatchOptions& opts) {
  absl::StatusOr<ObjectFilter> filter =
      ObjectFilter::Make(r, opts.label_selector, opts.field_selector);
  if (!filter.ok()) return filter.status();
  std::deque<WatchEvent> initial;
  int64_t from = opts.resource_version;
  if (from == 0) {
    std::vector<KeyValue> kvs = store_->List(Prefix(r, ns), &from);
    for (const KeyValue& kv : kvs) {
      absl::StatusOr<ObjectPtr> obj = Decode(r, kv);
      if (!obj.ok() || !filter->Matches(**obj)) continue;
      WatchEvent ev;
      ev.type = "ADDED";
      ev.object = std::move(*obj);
      ev.revision = kv.mod_revision;
      initial.push_back(std::move(ev));
    }
  }
  absl::StatusOr<std::unique_ptr<StoreWatch>> w = store_->Watch(Prefix(r, ns), from);
  if (!w.ok()) {
    if (absl::IsOutOfRange(w.status())) {
      return GoneError(
          absl::StrCat("too old resource version: ", from, " (", store_->CompactedRevision(), ")"));
    }
    return w.status();
  }
  return std::unique_ptr<RegistryWatch>(
      new WatchImpl(r, std::move(*filter), std::move(*w), std::move(initial), opts, decoded_));
}

}  // namespace mk::apiserver
