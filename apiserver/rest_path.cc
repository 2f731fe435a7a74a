#include "apiserver/rest_path.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"

namespace mk::apiserver {
namespace {

absl::Status NoSuchPath(absl::string_view path) {
  return absl::NotFoundError(
      absl::StrCat("the server could not find the requested resource (", path, ")"));
}

bool VersionServed(const ResourceInfo& r, const std::string& group, const std::string& version) {
  if (r.group != group) return false;
  if (r.version == version) return true;
  // HorizontalPodAutoscalers are stored once and served at the versions kubectl asks for.
  return r.group == "autoscaling" && (version == "v1" || version == "v2beta2");
}

}  // namespace

absl::StatusOr<RestPath> ParseRestPath(absl::string_view path) {
  std::vector<std::string> segs = absl::StrSplit(path, '/', absl::SkipEmpty());
  RestPath out;
  size_t i = 0;
  if (segs.size() >= 2 && segs[0] == "api") {
    out.version = segs[1];
    i = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    out.group = segs[1];
    out.version = segs[2];
    i = 3;
  } else {
    return NoSuchPath(path);
  }
  std::vector<std::string> rest(segs.begin() + i, segs.end());
  if (rest.empty()) return NoSuchPath(path);
  // namespaces/{ns}/{resource}/... addresses a namespaced resource.
  if (rest[0] == "namespaces" && rest.size() >= 3) {
    const ResourceInfo* r = FindResource(rest[2]);
    if (r != nullptr && r->namespaced && r->name == rest[2]) {
      out.ns = rest[1];
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  const ResourceInfo* r = FindResource(rest[0]);
  if (r == nullptr || r->name != rest[0] || !VersionServed(*r, out.group, out.version) ||
      rest.size() > 3) {
    return NoSuchPath(path);
  }
  out.resource = r;
  if (rest.size() >= 2) out.name = rest[1];
  if (rest.size() == 3) {
    out.subresource = rest[2];
    bool known = false;
    for (const std::string& s : r->subresources) known |= s == out.subresource;
    if (!known) return NoSuchPath(path);
  }
  return out;
}

}  // namespace mk::apiserver
