#pragma once

// Strict JSON <-> protobuf conversion for the API types, with Kubernetes' JSON conventions
// (not protobuf's): int64 as numbers, IntOrString as a bare number or string, bytes as
// base64, unset/zero fields omitted, map keys sorted. Decoding rejects unknown fields
// (naming the likely intended field), wrong types and non-integral numbers, and reports
// every problem with its full field path (`spec.containers[0].ports[0].containerPort`).

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/api_error.h"
#include "common/json.h"
#include "google/protobuf/message.h"

namespace mk {

// Decodes `j` into `msg` (which is cleared first). Appends one FieldError per problem,
// prefixed by `path` (empty for the top level).
void DecodeJsonInto(const Json& j, google::protobuf::Message* msg, absl::string_view path,
                    std::vector<FieldError>* errors);

// Decodes a whole object; on error returns a 400 BadRequest whose message lists the
// field errors, e.g. `spec.imagepPullSecrets: unknown field (did you mean imagePullSecrets?)`.
absl::Status DecodeJson(const Json& j, google::protobuf::Message* msg);

Json EncodeJson(const google::protobuf::Message& msg);

// The closest of `candidates` to `name` (edit distance ≤ 2, or equal ignoring case), or "".
std::string SuggestName(absl::string_view name, const std::vector<std::string>& candidates);

}  // namespace mk
