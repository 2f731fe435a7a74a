#pragma once

// Generic access to API objects held as google::protobuf::Message: every top-level kind has
// apiVersion (field 1), kind (2) and metadata (3, mk.api.ObjectMeta).

#include <string>

#include "absl/time/time.h"
#include "api.pb.h"
#include "google/protobuf/message.h"

namespace mk {

const api::ObjectMeta& Meta(const google::protobuf::Message& obj);
api::ObjectMeta* MutableMeta(google::protobuf::Message* obj);
void SetTypeMeta(google::protobuf::Message* obj, const std::string& api_version,
                 const std::string& kind);
std::string GetKind(const google::protobuf::Message& obj);
std::string GetApiVersion(const google::protobuf::Message& obj);

// RFC 3339 with seconds, UTC ("2026-11-28T14:03:26Z"), as Kubernetes writes metav1.Time.
std::string FormatTime(absl::Time t);
// Parses RFC 3339 (with or without fractional seconds); absl::InfinitePast() if empty/bad.
absl::Time ParseTime(const std::string& s);
// A random RFC 4122 version-4 UUID.
std::string NewUid();

}  // namespace mk
