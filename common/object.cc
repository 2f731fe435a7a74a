#include "common/object.h"

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"

namespace mk {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

const api::ObjectMeta& Meta(const Message& obj) {
  const FieldDescriptor* f = obj.GetDescriptor()->FindFieldByName("metadata");
  return static_cast<const api::ObjectMeta&>(obj.GetReflection()->GetMessage(obj, f));
}

api::ObjectMeta* MutableMeta(Message* obj) {
  const FieldDescriptor* f = obj->GetDescriptor()->FindFieldByName("metadata");
  return static_cast<api::ObjectMeta*>(obj->GetReflection()->MutableMessage(obj, f));
}

void SetTypeMeta(Message* obj, const std::string& api_version, const std::string& kind) {
  const auto* d = obj->GetDescriptor();
  obj->GetReflection()->SetString(obj, d->FindFieldByName("api_version"), api_version);
  obj->GetReflection()->SetString(obj, d->FindFieldByName("kind"), kind);
}

std::string GetKind(const Message& obj) {
  return obj.GetReflection()->GetString(obj, obj.GetDescriptor()->FindFieldByName("kind"));
}

std::string GetApiVersion(const Message& obj) {
  return obj.GetReflection()->GetString(obj, obj.GetDescriptor()->FindFieldByName("api_version"));
}

std::string FormatTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

absl::Time ParseTime(const std::string& s) {
  absl::Time t;
  std::string err;
  if (s.empty() || !absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
    return absl::InfinitePast();
  }
  return t;
}

std::string NewUid() {
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  uint64_t hi, lo;
  {
    absl::MutexLock l(&mu);
    hi = absl::Uniform<uint64_t>(*gen);
    lo = absl::Uniform<uint64_t>(*gen);
  }
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff, hi & 0xffff,
                         lo >> 48, lo & 0xffffffffffffULL);
}

}  // namespace mk
