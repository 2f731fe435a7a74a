#pragma once

// Validation per kind, with Kubernetes' field paths and messages. Assumes defaults have
// been applied (common/defaults.h). Messages follow field.Error: "Required value",
// "Invalid value: <v>: <detail>", "Unsupported value: \"x\": supported values: ...",
// "Duplicate value: \"a\"", "Forbidden: ...", "Not found: \"v\"", "Too long: ...".

#include <string>
#include <vector>

#include "api.pb.h"
#include "common/api_error.h"
#include "google/protobuf/message.h"

namespace mk {

// Pod, ReplicaSet, Secret, Namespace, Node, ServiceAccount, Event, Lease,
// HorizontalPodAutoscaler; other kinds get metadata checks only.
std::vector<FieldError> Validate(const google::protobuf::Message& obj);
// Rules for an update on top of Validate (immutable fields): metadata.name/namespace/uid;
// for pods, the spec may change only in containers[*].image, initContainers[*].image,
// activeDeadlineSeconds, tolerations (additions) and a nodeName being set for the first time;
// ReplicaSet selector immutable; Secret data when immutable.
std::vector<FieldError> ValidateUpdate(const google::protobuf::Message& old_obj,
                                       const google::protobuf::Message& new_obj);

// Building blocks, exposed for other validators (e.g. Binding, Scale).
std::vector<FieldError> ValidatePodSpec(const api::PodSpec& spec, const std::string& path);
std::vector<FieldError> ValidateObjectMeta(const api::ObjectMeta& meta, bool namespaced,
                                           bool name_is_subdomain);
// "a: Required value, b: Invalid value: ..." (for logs and tests).
std::string FieldErrorsString(const std::vector<FieldError>& errs);

}  // namespace mk
