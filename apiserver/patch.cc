#include "apiserver/patch.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/api_error.h"

namespace mk::apiserver {
namespace {

// Patch merge keys by the field's JSON path from the object root, with list indices
// dropped ("spec.containers", "spec.template.spec.containers", ...). Matching is on the
// path's suffix so that pod specs inside templates share the rules.
const std::map<std::string, std::string>& MergeKeys() {
  static const auto* k = new std::map<std::string, std::string>{
      {"spec.containers", "name"},
      {"spec.initContainers", "name"},
      {"spec.containers.ports", "containerPort"},
      {"spec.initContainers.ports", "containerPort"},
      {"spec.containers.env", "name"},
      {"spec.initContainers.env", "name"},
      {"spec.containers.volumeMounts", "mountPath"},
      {"spec.initContainers.volumeMounts", "mountPath"},
      {"spec.volumes", "name"},
      {"spec.imagePullSecrets", "name"},
      {"imagePullSecrets", "name"},
      {"secrets", "name"},
      {"metadata.ownerReferences", "uid"},
      {"status.conditions", "type"},
      {"status.addresses", "type"},
      {"status.containerStatuses", "name"},
      {"status.initContainerStatuses", "name"},
      {"spec.taints", "key"},
  };
  return *k;
}

std::string MergeKeyFor(const std::string& path) {
  for (const auto& [suffix, key] : MergeKeys()) {
    if (path == suffix) return key;
    if (absl::EndsWith(path, "." + suffix) &&
        (absl::StartsWith(suffix, "spec.") || absl::StartsWith(suffix, "metadata.") ||
         absl::StartsWith(suffix, "status."))) {
      return key;
    }
  }
  return "";
}

bool IsSetList(const std::string& path) {
  return path == "metadata.finalizers" || absl::EndsWith(path, ".finalizers");
}

absl::StatusOr<Json> Strategic(const Json& original, const Json& patch, const std::string& path);

absl::StatusOr<Json> MergeList(const Json& original, const Json& patch, const std::string& path) {
  if (!patch.is_array())
    return BadRequestError(absl::StrCat(path, ": expected a list in the patch"));
  if (IsSetList(path) && original.is_array()) {
    Json out = original;
    for (const Json& v : patch) {
      bool found = false;
      for (const Json& o : out) found |= o == v;
      if (!found) out.push_back(v);
    }
    return out;
  }
  std::string key = MergeKeyFor(path);
  // $patch: replace as an element replaces the whole list.
  for (const Json& el : patch) {
    if (el.is_object() && el.value("$patch", "") == "replace") {
      Json out = Json::array();
      for (const Json& e : patch) {
        if (!(e.is_object() && e.contains("$patch"))) out.push_back(e);
      }
      return out;
    }
  }
  if (key.empty() || !original.is_array()) {
    Json out = Json::array();
    for (const Json& e : patch) {
      if (!(e.is_object() && e.value("$patch", "") == "delete")) out.push_back(e);
    }
    return out;
  }
  Json out = original;
  for (const Json& el : patch) {
    if (!el.is_object() || !el.contains(key)) {
      return BadRequestError(
          absl::StrCat(path, ": map in the list does not contain the merge key \"", key, "\""));
    }
    const Json& kv = el[key];
    bool del = el.value("$patch", "") == "delete";
    bool found = false;
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].is_object() || !out[i].contains(key) || out[i][key] != kv) continue;
      found = true;
      if (del) {
        out.erase(out.begin() + i);
      } else {
        absl::StatusOr<Json> merged = Strategic(out[i], el, path);
        if (!merged.ok()) return merged.status();
        out[i] = std::move(*merged);
      }
      break;
    }
    if (!found && !del) {
      absl::StatusOr<Json> fresh = Strategic(Json::object(), el, path);
      if (!fresh.ok()) return fresh.status();
      out.push_back(std::move(*fresh));
    }
  }
  return out;
}

absl::StatusOr<Json> Strategic(const Json& original, const Json& patch, const std::string& path) {
  if (!patch.is_object()) return patch;
  if (patch.value("$patch", "") == "replace") {
    Json out = patch;
    out.erase("$patch");
    return out;
  }
  if (patch.value("$patch", "") == "delete") return Json();  // caller drops it
  Json out = original.is_object() ? original : Json::object();
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    std::set<std::string> keep;
    for (const Json& k : patch["$retainKeys"]) {
      if (k.is_string()) keep.insert(k.get<std::string>());
    }
    for (auto it = out.begin(); it != out.end();) {
      if (!keep.count(it.key())) {
        it = out.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& [k, v] : patch.items()) {
    if (k == "$retainKeys" || k == "$patch") continue;
    if (absl::StartsWith(k, "$setElementOrder/")) continue;
    if (absl::StartsWith(k, "$deleteFromPrimitiveList/")) {
      std::string field = k.substr(std::string("$deleteFromPrimitiveList/").size());
      if (out.contains(field) && out[field].is_array() && v.is_array()) {
        Json kept = Json::array();
        for (const Json& e : out[field]) {
          bool drop = false;
          for (const Json& d : v) drop |= d == e;
          if (!drop) kept.push_back(e);
        }
        out[field] = std::move(kept);
      }
      continue;
    }
    std::string sub = path.empty() ? k : absl::StrCat(path, ".", k);
    if (v.is_null()) {
      out.erase(k);
    } else if (v.is_object() && out.contains(k) && out[k].is_object()) {
      absl::StatusOr<Json> merged = Strategic(out[k], v, sub);
      if (!merged.ok()) return merged.status();
      if (merged->is_null()) {
        out.erase(k);
      } else {
        out[k] = std::move(*merged);
      }
    } else if (v.is_array()) {
      absl::StatusOr<Json> merged = MergeList(out.contains(k) ? out[k] : Json::array(), v, sub);
      if (!merged.ok()) return merged.status();
      out[k] = std::move(*merged);
    } else if (v.is_object()) {
      absl::StatusOr<Json> fresh = Strategic(Json::object(), v, sub);
      if (!fresh.ok()) return fresh.status();
      out[k] = std::move(*fresh);
    } else {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<PatchType> ParsePatchType(absl::string_view content_type) {
  absl::string_view ct = content_type.substr(0, content_type.find(';'));
  ct = absl::StripAsciiWhitespace(ct);
  if (ct == "application/merge-patch+json") return PatchType::kMerge;
  if (ct == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  if (ct == "application/json-patch+json") return PatchType::kJson;
  if (ct == "application/apply-patch+yaml") return PatchType::kApply;
  return UnsupportedMediaTypeError(absl::StrCat(
      "the body of the request was in an unknown format - accepted media types include: "
      "application/json-patch+json, application/merge-patch+json, "
      "application/apply-patch+yaml, application/strategic-merge-patch+json (got \"",
      content_type, "\")"));
}

absl::StatusOr<Json> ApplyPatch(const Json& original, const Json& patch, PatchType type,
                                absl::string_view kind) {
  (void)kind;
  switch (type) {
    case PatchType::kMerge:
    case PatchType::kApply: {
      if (!patch.is_object()) return BadRequestError("a merge patch must be a JSON object");
      Json out = original;
      out.merge_patch(patch);
      return out;
    }
    case PatchType::kJson: {
      if (!patch.is_array()) return BadRequestError("a JSON patch must be a JSON array");
      try {
        return original.patch(patch);
      } catch (const nlohmann::json::exception& e) {
        return BadRequestError(absl::StrCat("the JSON patch could not be applied: ", e.what()));
      }
    }
    case PatchType::kStrategic: {
      if (!patch.is_object())
        return BadRequestError("a strategic merge patch must be a JSON object");
      return Strategic(original, patch, "");
    }
  }
  return BadRequestError("unknown patch type");
}

}  // namespace mk::apiserver
