#pragma once

// Pieces of the registry kept apart from registry.cc so each file holds one concern:
// object filters (selectors), admission and status initialisation, the deletion plan,
// and the scale subresource.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "apiserver/registry.h"
#include "common/selectors.h"

namespace mk::apiserver {

inline constexpr char kModifiedMessage[] =
    "the object has been modified; please apply your changes to the latest version and try "
    "again";

// Label + field selector over objects of one resource.
class ObjectFilter {
 public:
  static absl::StatusOr<ObjectFilter> Make(const ResourceInfo& r, const std::string& labels,
                                           const std::string& fields);
  bool Matches(const google::protobuf::Message& obj) const;

 private:
  LabelSelector labels_;
  FieldSelector fields_;
};

// Pod admission: the service account's imagePullSecrets when the pod has none, and the
// default not-ready/unreachable NoExecute tolerations (300 s), as Kubernetes' admission
// plugins do.
absl::Status AdmitPod(Store* store, api::Pod* pod);
// Status a new object starts with (a pod is Pending; a namespace Active).
void InitStatus(const ResourceInfo& r, google::protobuf::Message* obj);
absl::Status EnsureDefaultServiceAccount(Registry* registry, const std::string& ns);
void SetPodCondition(api::Pod* pod, const std::string& type, const std::string& status,
                     const std::string& reason, const std::string& now);

struct DeletePlan {
  bool delete_now = false;
  bool orphan_dependents = false;
  ObjectPtr updated;  // when not deleting now: the object with deletionTimestamp etc.
};
absl::StatusOr<DeletePlan> PlanDelete(const ResourceInfo& r,
                                      const google::protobuf::Message& current,
                                      const DeleteOptions& opts, absl::Time now);

// The autoscaling/v1 Scale of a ReplicaSet.
ObjectPtr ScaleOf(const google::protobuf::Message& rs);

}  // namespace mk::apiserver
