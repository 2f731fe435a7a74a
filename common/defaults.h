#pragma once

// Defaults as Kubernetes applies them on create and update (per kind). The server sets
// status (e.g. a new pod's phase Pending), not this.

#include <string>

#include "absl/strings/string_view.h"
#include "api.pb.h"
#include "google/protobuf/message.h"

namespace mk {

// Dispatches on the message type: Pod, ReplicaSet (replicas 1, template pod spec), Secret
// (type Opaque, stringData merged into data and cleared), Namespace (finalizer kubernetes),
// Node, HorizontalPodAutoscaler (minReplicas 1), Lease, Event; unknown types untouched.
void ApplyDefaults(google::protobuf::Message* obj);

// The pod spec part (restartPolicy Always, dnsPolicy ClusterFirst, grace 30s, scheduler,
// service account, containers, probes, ports, volumes, priority, preemptionPolicy).
void ApplyPodSpecDefaults(api::PodSpec* spec);

// "Always" for ":latest" or no tag ("host:5000/img" has none), "IfNotPresent" otherwise
// (including a digest "img@sha256:...").
std::string DefaultImagePullPolicy(absl::string_view image);

}  // namespace mk
