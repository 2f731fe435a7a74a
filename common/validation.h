#pragma once

// Validation per kind, with Kubernetes' field paths and messages. Assumes defaults have
// been applied (common/defaults.h).

#include <vector>

#include "common/api_error.h"
#include "google/protobuf/message.h"

namespace mk {

std::vector<FieldError> Validate(const google::protobuf::Message& obj);
// Rules for an update on top of Validate (immutable fields).
std::vector<FieldError> ValidateUpdate(const google::protobuf::Message& old_obj,
                                       const google::protobuf::Message& new_obj);

}  // namespace mk
