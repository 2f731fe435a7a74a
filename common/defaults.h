#pragma once

// Defaults as Kubernetes applies them on create and update (per kind).

#include "google/protobuf/message.h"

namespace mk {

void ApplyDefaults(google::protobuf::Message* obj);

}  // namespace mk
