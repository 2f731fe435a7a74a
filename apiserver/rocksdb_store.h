#pragma once

// The durable Store: RocksDB with group commit (see kv_store.h for the design).

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "apiserver/kv_store.h"

namespace mk::apiserver {

class RocksDbStore {
 public:
  using Options = KvStoreOptions;
  // Opens (creating if missing) the store in `dir` and loads its objects and event tail.
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const std::string& dir,
                                                       const Options& options = {});
};

}  // namespace mk::apiserver
