#include "apiserver/patch.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api.pb.h"
#include "common/api_error.h"

namespace mk::apiserver {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

constexpr char kDirective[] = "$patch";
constexpr char kRetainKeys[] = "$retainKeys";
constexpr absl::string_view kDeletePrefix = "$deleteFromPrimitiveList/";
constexpr absl::string_view kOrderPrefix = "$setElementOrder/";
constexpr char kSetList[] = "*";  // merge-key table value: a list of primitives merged as a set

// (message name, JSON field) → patch merge key, as Kubernetes' struct tags
// `patchStrategy:"merge" patchMergeKey:"..."` (plus the few this project chose: taints,
// container statuses, ServiceAccount imagePullSecrets). Lists not listed here replace.
const std::map<std::pair<std::string, std::string>, std::string>& MergeKeys() {
  static const auto* keys = new std::map<std::pair<std::string, std::string>, std::string>{
      {{"ObjectMeta", "ownerReferences"}, "uid"},
      {{"ObjectMeta", "finalizers"}, kSetList},
      {{"PodSpec", "containers"}, "name"},
      {{"PodSpec", "initContainers"}, "name"},
      {{"PodSpec", "volumes"}, "name"},
      {{"PodSpec", "imagePullSecrets"}, "name"},
      {{"Container", "ports"}, "containerPort"},
      {{"Container", "env"}, "name"},
      {{"Container", "volumeMounts"}, "mountPath"},
      {{"PodStatus", "conditions"}, "type"},
      {{"PodStatus", "containerStatuses"}, "name"},
      {{"PodStatus", "initContainerStatuses"}, "name"},
      {{"PodStatus", "podIPs"}, "ip"},
      {{"NodeSpec", "taints"}, "key"},
      {{"NodeSpec", "podCIDRs"}, kSetList},
      {{"NodeStatus", "conditions"}, "type"},
      {{"NodeStatus", "addresses"}, "type"},
      {{"ReplicaSetStatus", "conditions"}, "type"},
      {{"HorizontalPodAutoscalerStatus", "conditions"}, "type"},
      {{"ServiceAccount", "secrets"}, "name"},
      {{"ServiceAccount", "imagePullSecrets"}, "name"},
  };
  return *keys;
}

// What the schema says about one field: the message type of its value (or of its list's
// elements; null when unknown, a scalar or a map) and how it merges if it is a list.
struct FieldInfo {
  const Descriptor* type = nullptr;
  std::string key;   // patch merge key; empty: the list replaces
  bool set = false;  // a list of primitives merged as a set
};

FieldInfo Describe(const Descriptor* parent, const std::string& name) {
  FieldInfo info;
  if (parent == nullptr) return info;
  for (int i = 0; i < parent->field_count(); ++i) {
    const FieldDescriptor* f = parent->field(i);
    if (f->json_name() != name) continue;
    if (!f->is_map()) info.type = f->message_type();
    auto it = MergeKeys().find({parent->name(), name});
    if (it != MergeKeys().end()) {
      if (it->second == kSetList) {
        info.set = true;
      } else {
        info.key = it->second;
      }
    }
    break;
  }
  return info;
}

// The `$patch` directive of a map ("" if none).
std::string Directive(const Json& j) {
  if (!j.is_object()) return "";
  auto it = j.find(kDirective);
  if (it == j.end()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Sub(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

absl::Status PatchError(const std::string& path, absl::string_view message) {
  return BadRequestError(path.empty() ? std::string(message) : absl::StrCat(path, ": ", message));
}

absl::StatusOr<Json> MergeMap(const Json& original, const Json& patch, const Descriptor* type,
                              const std::string& path);

// `list` with the elements named in `order` (by merge key) first, in that order.
Json Reorder(const Json& list, const Json& order, const std::string& key) {
  Json out = Json::array();
  std::vector<bool> used(list.size(), false);
  for (const Json& o : order) {
    if (!o.is_object() || !o.contains(key)) continue;
    for (size_t i = 0; i < list.size(); ++i) {
      if (used[i] || !list[i].is_object() || !list[i].contains(key)) continue;
      if (list[i][key] != o[key]) continue;
      out.push_back(list[i]);
      used[i] = true;
      break;
    }
  }
  for (size_t i = 0; i < list.size(); ++i) {
    if (!used[i]) out.push_back(list[i]);
  }
  return out;
}

absl::StatusOr<Json> MergeList(const Json& original, const Json& patch, const FieldInfo& info,
                               const std::string& path) {
  bool replace = false;
  for (const Json& e : patch) replace |= Directive(e) == "replace";
  if (info.set && !replace) {
    Json out = original;
    for (const Json& v : patch) {
      bool found = false;
      for (const Json& o : out) found |= o == v;
      if (!found) out.push_back(v);
    }
    return out;
  }
  if (info.key.empty() || replace) {  // the patch's list is the new list
    Json out = Json::array();
    for (const Json& e : patch) {
      if (!e.is_object()) {
        out.push_back(e);
        continue;
      }
      if (!Directive(e).empty()) continue;
      absl::StatusOr<Json> el = MergeMap(Json::object(), e, info.type, path);
      if (!el.ok()) return el.status();
      out.push_back(std::move(*el));
    }
    return out;
  }
  Json out = original;
  for (const Json& e : patch) {
    if (!e.is_object() || !e.contains(info.key)) {
      return PatchError(path, absl::StrCat("map: ", e.dump(),
                                           " does not contain declared merge key: ", info.key));
    }
    const Json& want = e[info.key];
    auto matches = [&](const Json& o) {
      return o.is_object() && o.contains(info.key) && o[info.key] == want;
    };
    if (Directive(e) == "delete") {
      Json kept = Json::array();
      for (const Json& o : out) {
        if (!matches(o)) kept.push_back(o);
      }
      out = std::move(kept);
      continue;
    }
    size_t i = 0;
    while (i < out.size() && !matches(out[i])) ++i;
    absl::StatusOr<Json> el =
        MergeMap(i < out.size() ? out[i] : Json::object(), e, info.type, path);
    if (!el.ok()) return el.status();
    if (i < out.size()) {
      out[i] = std::move(*el);
    } else {
      out.push_back(std::move(*el));
    }
  }
  return out;
}

absl::StatusOr<Json> MergeMap(const Json& original, const Json& patch, const Descriptor* type,
                              const std::string& path) {
  std::string directive = Directive(patch);
  if (directive == "replace") {
    Json rest = patch;
    rest.erase(kDirective);
    return MergeMap(Json::object(), rest, type, path);
  }
  if (!directive.empty() && directive != "merge") {
    return PatchError(path, absl::StrCat("unknown patch directive \"$patch: ", directive, "\""));
  }
  Json out = original.is_object() ? original : Json::object();
  if (auto it = patch.find(kRetainKeys); it != patch.end()) {
    if (!it->is_array()) return PatchError(path, "$retainKeys must be a list of strings");
    std::set<std::string> keep;
    for (const Json& k : *it) {
      if (!k.is_string()) return PatchError(path, "$retainKeys must be a list of strings");
      keep.insert(k.get<std::string>());
    }
    for (auto o = out.begin(); o != out.end();) {
      o = keep.count(o.key()) ? std::next(o) : out.erase(o);
    }
  }
  // Deletions first, so that one patch may delete and re-add a value.
  for (const auto& [k, v] : patch.items()) {
    if (!absl::StartsWith(k, kDeletePrefix)) continue;
    std::string field = k.substr(kDeletePrefix.size());
    if (!v.is_array()) return PatchError(Sub(path, field), absl::StrCat(k, " must be a list"));
    auto it = out.find(field);
    if (it == out.end() || !it->is_array()) continue;
    Json kept = Json::array();
    for (const Json& e : *it) {
      bool drop = false;
      for (const Json& d : v) drop |= d == e;
      if (!drop) kept.push_back(e);
    }
    *it = std::move(kept);
  }
  for (const auto& [k, v] : patch.items()) {
    if (k == kDirective || k == kRetainKeys || absl::StartsWith(k, kDeletePrefix) ||
        absl::StartsWith(k, kOrderPrefix)) {
      continue;
    }
    std::string sub = Sub(path, k);
    auto it = out.find(k);
    if (v.is_null()) {
      if (it != out.end()) out.erase(it);
    } else if (v.is_object()) {
      if (Directive(v) == "delete") {
        if (it != out.end()) out.erase(it);
        continue;
      }
      const Json base = it != out.end() && it->is_object() ? *it : Json::object();
      absl::StatusOr<Json> merged = MergeMap(base, v, Describe(type, k).type, sub);
      if (!merged.ok()) return merged.status();
      out[k] = std::move(*merged);
    } else if (v.is_array()) {
      const Json base = it != out.end() && it->is_array() ? *it : Json::array();
      absl::StatusOr<Json> merged = MergeList(base, v, Describe(type, k), sub);
      if (!merged.ok()) return merged.status();
      out[k] = std::move(*merged);
    } else {
      out[k] = v;
    }
  }
  for (const auto& [k, v] : patch.items()) {
    if (!absl::StartsWith(k, kOrderPrefix)) continue;
    std::string field = k.substr(kOrderPrefix.size());
    if (!v.is_array()) return PatchError(Sub(path, field), absl::StrCat(k, " must be a list"));
    FieldInfo info = Describe(type, field);
    auto it = out.find(field);
    if (!info.key.empty() && it != out.end() && it->is_array()) *it = Reorder(*it, v, info.key);
  }
  return out;
}

// nlohmann's "[json.exception.out_of_range.403] key 'x' not found" without the prefix.
std::string ExceptionMessage(const nlohmann::json::exception& e) {
  absl::string_view what = e.what();
  size_t close = what.find("] ");
  return std::string(close == absl::string_view::npos ? what : what.substr(close + 2));
}

absl::StatusOr<Json> JsonPatch(const Json& original, const Json& ops) {
  if (!ops.is_array()) return BadRequestError("a JSON patch must be a list of operations");
  Json doc = original;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Json& op = ops[i];
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string()) {
      return BadRequestError(absl::StrCat("JSON patch operation ", i, " has no \"op\""));
    }
    const std::string name = op["op"].get<std::string>();
    const std::string where = op.contains("path") ? op["path"].dump() : "(no path)";
    try {
      doc = doc.patch(Json::array({op}));
    } catch (const nlohmann::json::exception& e) {
      if (name == "test" && e.id == 501) {
        return BadRequestError(absl::StrCat("JSON patch test operation ", i,
                                            " failed: the value at ", where, " is not ",
                                            op.value("value", Json()).dump()));
      }
      return BadRequestError(absl::StrCat("JSON patch operation ", i, " (", name, " ", where,
                                          ") failed: ", ExceptionMessage(e)));
    }
  }
  return doc;
}

}  // namespace

absl::StatusOr<PatchType> ParsePatchType(absl::string_view content_type) {
  std::string ct = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
  if (ct == "application/merge-patch+json") return PatchType::kMerge;
  if (ct == "application/strategic-merge-patch+json") return PatchType::kStrategic;
  if (ct == "application/json-patch+json") return PatchType::kJson;
  if (ct == "application/apply-patch+yaml") return PatchType::kApply;
  return UnsupportedMediaTypeError(
      "the body of the request was in an unknown format - accepted media types include: "
      "application/json-patch+json, application/merge-patch+json, "
      "application/strategic-merge-patch+json, application/apply-patch+yaml");
}

absl::StatusOr<Json> ApplyPatch(const Json& original, const Json& patch, PatchType type,
                                absl::string_view kind) {
  try {
    switch (type) {
      case PatchType::kJson:
        return JsonPatch(original, patch);
      case PatchType::kStrategic: {
        if (!patch.is_object()) {
          return BadRequestError("a strategic merge patch must be a JSON object");
        }
        if (Directive(patch) == "delete") {
          return BadRequestError("$patch: delete is not allowed on the whole object");
        }
        const Descriptor* schema =
            api::Pod::descriptor()->file()->FindMessageTypeByName(std::string(kind));
        return MergeMap(original, patch, schema, "");
      }
      case PatchType::kApply:
        if (patch.is_object() && patch.contains("kind") && patch["kind"] != std::string(kind)) {
          return BadRequestError(absl::StrCat("the applied object's kind ", patch["kind"].dump(),
                                              " does not match \"", kind, "\""));
        }
        [[fallthrough]];
      case PatchType::kMerge: {
        if (!patch.is_object()) return BadRequestError("a merge patch must be a JSON object");
        Json out = original;
        out.merge_patch(patch);
        return out;
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return BadRequestError(absl::StrCat("unable to apply the patch: ", ExceptionMessage(e)));
  }
  return BadRequestError("unknown patch type");
}

}  // namespace mk::apiserver
