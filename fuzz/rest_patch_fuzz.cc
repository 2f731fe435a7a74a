// The REST router and PATCH handling. The first byte picks what the rest of the input is:
//   0-3  a PATCH body of type merge / strategic / json / apply (parsed as the REST server
//        does: JSON, or YAML for apply) applied with ApplyPatch to a fixed Pod, Deployment or
//        Scale (the second byte picks), then decoded strictly as the registry does;
//   4    a request path for ParseRestPath;
//   5    a Content-Type for ParsePatchType.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "api.pb.h"
#include "apiserver/patch.h"
#include "apiserver/rest_path.h"
#include "common/json_codec.h"
#include "common/manifest.h"
#include "common/resources.h"

namespace {

using mk::Json;
using mk::apiserver::PatchType;

const Json& Original(int which) {
  static const Json* kObjects[] = {
      new Json(Json::parse(R"({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"},
                     "finalizers": ["a/x"], "resourceVersion": "7"},
        "spec": {
          "containers": [
            {"name": "app", "image": "nginx:1.25",
             "ports": [{"containerPort": 80}, {"containerPort": 443, "protocol": "TCP"}],
             "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
             "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}},
            {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "1d"]}],
          "volumes": [{"name": "data", "emptyDir": {}}],
          "tolerations": [{"key": "k1", "operator": "Exists"}],
          "nodeSelector": {"disk": "ssd"}
        },
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
      })")),
      new Json(Json::parse(R"({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "d"}},
                 "template": {"metadata": {"labels": {"app": "d"}},
                              "spec": {"containers": [{"name": "c", "image": "x"}]}}}
      })")),
      new Json(Json::parse(R"({
        "apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"replicas": 2}, "status": {"replicas": 2, "selector": "app=d"}
      })")),
  };
  return *kObjects[which];
}

void Patch(PatchType type, int which, absl::string_view body) {
  mk::ManifestLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_nodes = 20000;
  Json patch;
  if (type == PatchType::kApply) {
    auto docs = mk::ParseManifests(body, limits);
    if (!docs.ok() || docs->size() != 1) return;
    patch = std::move((*docs)[0]);
  } else {
    auto parsed = mk::ParseJsonBody(body, limits);
    if (!parsed.ok()) return;
    patch = std::move(*parsed);
  }
  const Json& original = Original(which);
  const std::string kind = original["kind"].get<std::string>();
  absl::StatusOr<Json> patched = mk::apiserver::ApplyPatch(original, patch, type, kind);
  if (!patched.ok()) return;
  (void)patched->dump();  // what the server would send back
  // Scale is a subresource's type, not in the resource table.
  const mk::ResourceInfo* info = mk::FindResource(kind);
  std::unique_ptr<google::protobuf::Message> obj(info != nullptr ? info->New().release()
                                                                 : new mk::api::Scale());
  std::vector<mk::FieldError> errs;
  mk::DecodeJsonInto(*patched, obj.get(), "", &errs);
  if (errs.empty()) (void)mk::EncodeJson(*obj);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 64 * 1024) return 0;
  uint8_t mode = data[0] % 6;
  absl::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0:
    case 1:
    case 2:
    case 3: {
      static const PatchType kTypes[] = {PatchType::kMerge, PatchType::kStrategic, PatchType::kJson,
                                         PatchType::kApply};
      int which = static_cast<uint8_t>(rest[0]) % 3;
      rest.remove_prefix(1);
      Patch(kTypes[mode], which, rest);
      break;
    }
    case 4: {
      auto path = mk::apiserver::ParseRestPath(rest);
      if (path.ok() && path->resource == nullptr) {
        std::cerr << "ParseRestPath(\"" << rest << "\") gave no resource\n";
        abort();
      }
      break;
    }
    case 5:
      (void)mk::apiserver::ParsePatchType(rest);
      break;
  }
  return 0;
}
