#include "apiserver/rocksdb_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <filesystem>

namespace mk::apiserver {

absl::StatusOr<std::unique_ptr<KvStore>> RocksDbStore::Open(const std::string& dir,
                                                            const Options& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  rocksdb::Options opts;
  opts.create_if_missing = true;
  opts.max_open_files = 256;
  opts.write_buffer_size = 32 << 20;
  opts.compression = rocksdb::kNoCompression;
  opts.keep_log_file_num = 3;
  opts.max_background_jobs = 2;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(opts, dir, &raw);
  if (!st.ok()) return absl::UnavailableError("opening RocksDB in " + dir + ": " + st.ToString());
  auto store = std::make_unique<KvStore>(std::unique_ptr<rocksdb::DB>(raw), options);
  if (absl::Status s = store->Load(); !s.ok()) return s;
  store->StartCommitter();
  return store;
}

}  // namespace mk::apiserver
