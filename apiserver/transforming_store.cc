#include "apiserver/transforming_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace mk::apiserver {
namespace {

// Not a protobuf message: a truncated varint tag. Registry::Decode reports it as corrupt.
constexpr char kUndecodable[] = "\xff";

class TransformingWatch : public StoreWatch {
 public:
  TransformingWatch(const TransformingStore* store, std::unique_ptr<StoreWatch> inner)
      : store_(store), inner_(std::move(inner)) {}

  Result Next(absl::Duration timeout, StoreEvent* event) override {
    Result r = inner_->Next(timeout, event);
    if (r == Result::kEvent && store_->For(event->key) != nullptr) {
      if (!event->value.empty()) store_->DecodeInPlace(event->key, &event->value);
      if (!event->prev_value.empty()) store_->DecodeInPlace(event->key, &event->prev_value);
    }
    return r;
  }
  int64_t Progress() const override { return inner_->Progress(); }

 private:
  const TransformingStore* store_;
  std::unique_ptr<StoreWatch> inner_;
};

}  // namespace

TransformingStore::TransformingStore(Store* inner, EncryptionConfig config) : inner_(inner) {
  for (auto& [resource, t] : config) {
    by_prefix_.emplace_back(absl::StrCat("/registry/", resource, "/"), std::move(t));
  }
}

const ValueTransformer* TransformingStore::For(absl::string_view key) const {
  for (const auto& [prefix, t] : by_prefix_) {
    if (absl::StartsWith(key, prefix)) return t.get();
  }
  return nullptr;
}

void TransformingStore::DecodeInPlace(absl::string_view key, std::string* value) const {
  const ValueTransformer* t = For(key);
  if (t == nullptr) return;
  absl::StatusOr<std::string> plain = t->FromStorage(*value, key);
  if (plain.ok()) {
    *value = std::move(*plain);
  } else {
    MK_LOG(E) << plain.status().message();
    *value = kUndecodable;
  }
}

absl::StatusOr<KeyValue> TransformingStore::Decoded(absl::StatusOr<KeyValue> kv) const {
  if (!kv.ok()) return kv;
  const ValueTransformer* t = For(kv->key);
  if (t == nullptr) return kv;
  absl::StatusOr<std::string> plain = t->FromStorage(kv->value, kv->key);
  if (!plain.ok()) return plain.status();
  kv->value = std::move(*plain);
  return kv;
}

absl::StatusOr<KeyValue> TransformingStore::Get(absl::string_view key) {
  return Decoded(inner_->Get(key));
}

absl::StatusOr<KeyValue> TransformingStore::GetForUpdate(absl::string_view key) {
  return Decoded(inner_->GetForUpdate(key));
}

std::vector<KeyValue> TransformingStore::List(absl::string_view prefix, int64_t* revision) {
  std::vector<KeyValue> kvs = inner_->List(prefix, revision);
  for (KeyValue& kv : kvs) DecodeInPlace(kv.key, &kv.value);
  return kvs;
}

absl::StatusOr<int64_t> TransformingStore::Create(absl::string_view key, std::string value) {
  if (const ValueTransformer* t = For(key)) {
    absl::StatusOr<std::string> stored = t->ToStorage(value, key);
    if (!stored.ok()) return stored.status();
    value = std::move(*stored);
  }
  return inner_->Create(key, std::move(value));
}

absl::StatusOr<int64_t> TransformingStore::Update(absl::string_view key, std::string value,
                                                  int64_t expected_mod_revision) {
  if (const ValueTransformer* t = For(key)) {
    absl::StatusOr<std::string> stored = t->ToStorage(value, key);
    if (!stored.ok()) return stored.status();
    value = std::move(*stored);
  }
  return inner_->Update(key, std::move(value), expected_mod_revision);
}

absl::StatusOr<std::unique_ptr<StoreWatch>> TransformingStore::Watch(absl::string_view prefix,
                                                                     int64_t after_revision) {
  absl::StatusOr<std::unique_ptr<StoreWatch>> w = inner_->Watch(prefix, after_revision);
  if (!w.ok()) return w;
  return std::unique_ptr<StoreWatch>(new TransformingWatch(this, std::move(*w)));
}

}  // namespace mk::apiserver
