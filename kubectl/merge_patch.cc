#include "kubectl/merge_patch.h"

namespace mk::kubectl {
namespace {

// keepNull=true keeps only deletions; false drops them (keeping additions and changes).
Json Filter(const Json& patch, bool keep_null) {
  Json out = Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const Json& v = it.value();
    if (v.is_null()) {
      if (keep_null) out[it.key()] = nullptr;
    } else if (v.is_object()) {
      if (v.empty()) {
        if (!keep_null) out[it.key()] = v;
        continue;
      }
      Json sub = Filter(v, keep_null);
      if (!sub.empty()) out[it.key()] = std::move(sub);
    } else if (!keep_null) {
      out[it.key()] = v;
    }
  }
  return out;
}

// Whether every field set in `want` is set to the same value in `have` (lists element-wise,
// same length): a live object with server-side defaults still "has" the applied config.
bool Covers(const Json& have, const Json& want) {
  if (want.is_object()) {
    if (!have.is_object()) return false;
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (it.value().is_null()) continue;
      if (!have.contains(it.key()) || !Covers(have[it.key()], it.value())) return false;
    }
    return true;
  }
  if (want.is_array()) {
    if (!have.is_array() || have.size() != want.size()) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (!Covers(have[i], want[i])) return false;
    }
    return true;
  }
  if (want.is_number() && have.is_number()) return want.get<double>() == have.get<double>();
  return have == want;
}

// Additions and changes from live → modified. Lists are replaced whole when the live list
// does not cover the modified one, or when the list changed since the last apply (so removed
// fields inside list elements are removed).
Json Additions(const Json* original, const Json& current, const Json& modified) {
  Json patch = Json::object();
  for (auto it = modified.begin(); it != modified.end(); ++it) {
    const std::string& k = it.key();
    const Json& mv = it.value();
    if (mv.is_null()) continue;
    const Json* ov = original != nullptr && original->is_object() && original->contains(k)
                         ? &(*original)[k]
                         : nullptr;
    if (!current.is_object() || !current.contains(k)) {
      patch[k] = mv;
      continue;
    }
    const Json& cv = current[k];
    if (mv.is_object() && cv.is_object()) {
      if (mv.empty()) continue;
      Json sub = Additions(ov, cv, mv);
      if (!sub.empty()) patch[k] = std::move(sub);
    } else if (mv.is_array() && cv.is_array()) {
      if (!Covers(cv, mv) || (ov != nullptr && *ov != mv)) patch[k] = mv;
    } else if (!Covers(cv, mv)) {
      patch[k] = mv;
    }
  }
  return patch;
}

}  // namespace

Json CreateMergePatch(const Json& from, const Json& to) {
  if (!from.is_object() || !to.is_object()) return to;
  Json patch = Json::object();
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (!to.contains(it.key())) patch[it.key()] = nullptr;
  }
  for (auto it = to.begin(); it != to.end(); ++it) {
    const Json& tv = it.value();
    if (!from.contains(it.key())) {
      patch[it.key()] = tv;
      continue;
    }
    const Json& fv = from[it.key()];
    if (fv.is_object() && tv.is_object()) {
      Json sub = CreateMergePatch(fv, tv);
      if (!sub.empty()) patch[it.key()] = std::move(sub);
    } else if (fv != tv) {
      patch[it.key()] = tv;
    }
  }
  return patch;
}

Json ApplyMergePatch(const Json& target, const Json& patch) {
  if (!patch.is_object()) return patch;
  Json out = target.is_object() ? target : Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      out.erase(it.key());
    } else {
      out[it.key()] =
          ApplyMergePatch(out.contains(it.key()) ? out[it.key()] : Json(nullptr), it.value());
    }
  }
  return out;
}

Json ThreeWayMergePatch(const Json& original, const Json& modified, const Json& current) {
  Json additions = Additions(&original, current, modified);
  Json deletions =
      Filter(CreateMergePatch(original.is_object() ? original : Json::object(), modified), true);
  // MergePatch(deletions, additions): additions contain no nulls, so this is a deep merge.
  return ApplyMergePatch(deletions, additions);
}

}  // namespace mk::kubectl
