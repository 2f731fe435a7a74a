#pragma once

// Decoded store events shared by every watcher of the apiserver. A write seen by 100
// watchers is decoded and serialised once, not 100 times: each watcher only applies its
// selectors to the shared object and sends the shared bytes.

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "apiserver/store.h"
#include "common/resources.h"
#include "google/protobuf/message.h"

namespace mk::apiserver {

// One side (the new or the previous value) of a store event, decoded with its
// resourceVersion set to the event's revision. Null members when that side is absent or
// does not decode.
struct DecodedObject {
  std::shared_ptr<const google::protobuf::Message> object;
  std::shared_ptr<const std::string> bytes;  // object->SerializeAsString()
};

struct DecodedEvent {
  DecodedObject current;   // absent for DELETED
  DecodedObject previous;  // absent for CREATED
};

class WatchDecodeCache {
 public:
  explicit WatchDecodeCache(size_t capacity = 4096) : capacity_(capacity) {}

  // The decoded form of `ev` (an event of resource `r`), from the cache or decoded now.
  std::shared_ptr<const DecodedEvent> Get(const ResourceInfo& r, const StoreEvent& ev);

  static DecodedObject Decode(const ResourceInfo& r, const std::string& bytes, int64_t rev);

 private:
  const size_t capacity_;
  absl::Mutex mu_;
  absl::flat_hash_map<int64_t, std::shared_ptr<const DecodedEvent>> by_revision_
      ABSL_GUARDED_BY(mu_);
  std::deque<int64_t> order_ ABSL_GUARDED_BY(mu_);  // insertion order, for eviction
};

}  // namespace mk::apiserver
