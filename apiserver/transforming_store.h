#pragma once

// The Store under the registry with encryption at rest: values of the configured resources
// (keys "/registry/<resource>/...") are encoded by their ValueTransformer on every write
// and decoded on every read, list and watch event, as Kubernetes' etcd3 store applies its
// transformer. Everything the registry writes or reads passes through here, so no other
// code sees ciphertext and nothing reaches RocksDB unencrypted.
//
// A value that does not decode (key removed from the config, tampering) is an Internal
// error from Get/GetForUpdate; List and Watch cannot return errors per item, so they hand
// the registry a value that fails to parse, which it reports as a corrupt object.

#include <memory>
#include <string>
#include <vector>

#include "apiserver/encryption_config.h"
#include "apiserver/store.h"

namespace mk::apiserver {

class TransformingStore : public Store {
 public:
  TransformingStore(Store* inner, EncryptionConfig config);

  absl::StatusOr<KeyValue> Get(absl::string_view key) override;
  absl::StatusOr<KeyValue> GetForUpdate(absl::string_view key) override;
  std::vector<KeyValue> List(absl::string_view prefix, int64_t* revision) override;
  int64_t CurrentRevision() override { return inner_->CurrentRevision(); }
  absl::StatusOr<int64_t> Create(absl::string_view key, std::string value) override;
  absl::StatusOr<int64_t> Update(absl::string_view key, std::string value,
                                 int64_t expected_mod_revision) override;
  absl::StatusOr<int64_t> Delete(absl::string_view key, int64_t expected_mod_revision) override {
    return inner_->Delete(key, expected_mod_revision);
  }
  absl::StatusOr<std::unique_ptr<StoreWatch>> Watch(absl::string_view prefix,
                                                    int64_t after_revision) override;
  int64_t CompactedRevision() override { return inner_->CompactedRevision(); }

  Store* inner() { return inner_; }

  // The transformer for `key`, or null when its resource is stored as is.
  const ValueTransformer* For(absl::string_view key) const;
  // Decodes `value` stored at `key` in place; on failure logs and leaves a value that does
  // not parse as protobuf.
  void DecodeInPlace(absl::string_view key, std::string* value) const;

 private:
  absl::StatusOr<KeyValue> Decoded(absl::StatusOr<KeyValue> kv) const;

  Store* const inner_;
  // "/registry/secrets/" → transformer.
  std::vector<std::pair<std::string, std::shared_ptr<const ValueTransformer>>> by_prefix_;
};

}  // namespace mk::apiserver
