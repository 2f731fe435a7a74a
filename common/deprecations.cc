#include "common/deprecations.h"

#include "absl/strings/str_cat.h"

namespace mk {

std::vector<std::string> DeprecationWarnings(const Json& obj) {
  std::vector<std::string> out;
  if (!obj.is_object()) return out;
  const Json* metrics = nullptr;
  auto spec = obj.find("spec");
  if (spec != obj.end() && spec->is_object()) {
    auto m = spec->find("metrics");
    if (m != spec->end() && m->is_array()) metrics = &*m;
  }
  if (metrics == nullptr) return out;
  for (size_t i = 0; i < metrics->size(); ++i) {
    const Json& m = (*metrics)[i];
    if (!m.is_object() || !m.contains("resource") || !m["resource"].is_object()) continue;
    const Json& r = m["resource"];
    std::string path = absl::StrCat("spec.metrics[", i, "].resource");
    if (r.contains("targetAverageUtilization")) {
      out.push_back(absl::StrCat(
          path,
          ".targetAverageUtilization is the autoscaling/v2beta1 field; in autoscaling/v2 "
          "write ",
          path, ".target: {type: Utilization, averageUtilization: ",
          r["targetAverageUtilization"].dump(), "}"));
    }
    if (r.contains("targetAverageValue")) {
      out.push_back(absl::StrCat(
          path, ".targetAverageValue is the autoscaling/v2beta1 field; in autoscaling/v2 write ",
          path, ".target: {type: AverageValue, averageValue: ", r["targetAverageValue"].dump(),
          "}"));
    }
  }
  return out;
}

}  // namespace mk
