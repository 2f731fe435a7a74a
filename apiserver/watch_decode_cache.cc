#include "apiserver/watch_decode_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/object.h"

namespace mk::apiserver {

DecodedObject WatchDecodeCache::Decode(const ResourceInfo& r, const std::string& bytes,
                                       int64_t rev) {
  DecodedObject out;
  if (bytes.empty()) return out;
  std::unique_ptr<google::protobuf::Message> obj = r.New();
  if (!obj->ParseFromString(bytes)) return out;
  MutableMeta(obj.get())->set_resource_version(absl::StrCat(rev));
  out.bytes = std::make_shared<const std::string>(obj->SerializeAsString());
  out.object = std::move(obj);
  return out;
}

std::shared_ptr<const DecodedEvent> WatchDecodeCache::Get(const ResourceInfo& r,
                                                          const StoreEvent& ev) {
  {
    absl::MutexLock l(&mu_);
    auto it = by_revision_.find(ev.revision);
    if (it != by_revision_.end()) return it->second;
  }
  // Decoded outside the lock: two watchers racing on a new revision may both decode; the
  // first to insert wins and both results are equal.
  auto decoded = std::make_shared<DecodedEvent>();
  if (ev.type != StoreEvent::kDeleted) decoded->current = Decode(r, ev.value, ev.revision);
  if (ev.type != StoreEvent::kCreated) {
    decoded->previous =
        Decode(r, ev.type == StoreEvent::kDeleted ? ev.value : ev.prev_value, ev.revision);
  }
  absl::MutexLock l(&mu_);
  auto [it, inserted] = by_revision_.emplace(ev.revision, std::move(decoded));
  if (inserted) {
    order_.push_back(ev.revision);
    while (order_.size() > capacity_) {
      by_revision_.erase(order_.front());
      order_.pop_front();
    }
  }
  return it->second;
}

}  // namespace mk::apiserver
