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
            std::deque<WatchEvent> initial, const WatchOptions& opts)
      : resource_(r),
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
          out->object = resource_.New();
          SetTypeMeta(out->object.get(), resource_.ApiVersion(), resource_.kind);
          out->revision = watch_->Progress();
          MutableMeta(out->object.get())->set_resource_version(absl::StrCat(out->revision));
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
  ObjectPtr DecodeAt(const std::string& bytes, int64_t rev) {
    if (bytes.empty()) return nullptr;
    ObjectPtr obj = resource_.New();
    if (!obj->ParseFromString(bytes)) return nullptr;
    MutableMeta(obj.get())->set_resource_version(absl::StrCat(rev));
    return obj;
  }

  // Maps a store event through the selectors, as Kubernetes' watch cache does: an object
  // that starts matching is ADDED, one that stops matching is DELETED.
  bool Convert(const StoreEvent& ev, WatchEvent* out) {
    ObjectPtr cur = ev.type == StoreEvent::kDeleted ? nullptr : DecodeAt(ev.value, ev.revision);
    ObjectPtr old =
        ev.type == StoreEvent::kCreated
            ? nullptr
            : DecodeAt(ev.type == StoreEvent::kDeleted ? ev.value : ev.prev_value, ev.revision);
    bool cur_ok = cur && filter_.Matches(*cur);
    bool old_ok = old && filter_.Matches(*old);
    out->revision = ev.revision;
    if (cur_ok && old_ok) {
      out->type = "MODIFIED";
      out->object = std::move(cur);
    } else if (cur_ok) {
      out->type = "ADDED";
      out->object = std::move(cur);
    } else if (old_ok) {
      out->type = "DELETED";
      out->object = std::move(old);
    } else {
      return false;
    }
    return true;
  }

  const ResourceInfo& resource_;
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
      initial.push_back({"ADDED", std::move(*obj), kv.mod_revision});
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
      new WatchImpl(r, std::move(*filter), std::move(*w), std::move(initial), opts));
}

}  // namespace mk::apiserver
