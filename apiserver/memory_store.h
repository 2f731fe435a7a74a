#pragma once

// The in-memory Store for unit tests: the same engine as RocksDbStore without persistence.

#include <memory>

#include "apiserver/kv_store.h"

namespace mk::apiserver {

inline std::unique_ptr<KvStore> NewMemoryStore(KvStoreOptions options = {}) {
  auto store = std::make_unique<KvStore>(nullptr, options);
  store->StartCommitter();
  return store;
}

}  // namespace mk::apiserver
