#pragma once

// meta.k8s.io/v1 Table responses (what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), built from common/printers so
// the stock kubectl and mkctl print the same columns.

#include <cstdint>
#include <vector>

#include "apiserver/registry.h"
#include "common/json.h"

namespace mk::apiserver {

Json TableFor(const ResourceInfo& r, const std::vector<ObjectPtr>& objects,
              int64_t resource_version);

}  // namespace mk::apiserver
