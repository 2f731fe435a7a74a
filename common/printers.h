#pragma once

// Table columns and rows per resource, as `kubectl get` prints them. Used by mkctl to print
// tables and by the apiserver to answer `as=Table` requests, so both agree.

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api.pb.h"
#include "common/resources.h"
#include "google/protobuf/map.h"
#include "google/protobuf/message.h"

namespace mk {

struct Column {
  std::string name;    // "NAME", "READY", ...
  std::string type;    // "string", "integer", "date"
  std::string format;  // "name" for the NAME column, else ""
  std::string description;
  int priority = 0;  // 0 = always shown, 1 = only with -o wide
};

// The columns for a resource (all of them, including priority-1 ones).
const std::vector<Column>& ColumnsFor(const ResourceInfo& r);

// One cell per column of ColumnsFor(resource of obj), including the wide ones. `now` is
// used for AGE-like cells. Unknown kinds give {name, age}.
std::vector<std::string> RowFor(const google::protobuf::Message& obj, absl::Time now);

// kubectl's human-readable durations: 95s, 2m13s, 47m, 3h35m, 26h, 3d4h, 8d, 2y.
std::string FormatAge(absl::Duration d);
// The age of an RFC 3339 timestamp relative to `now`; "<unknown>" if unset/bad.
std::string AgeSince(const std::string& rfc3339, absl::Time now);

// Pod cells as kubectl computes them.
struct PodSummary {
  std::string ready;     // "1/2"
  std::string status;    // "Running", "Init:0/1", "CrashLoopBackOff", "Terminating", ...
  std::string restarts;  // "3" or "3 (2m ago)"
};
PodSummary SummarizePod(const google::protobuf::Message& pod, absl::Time now);

// Node STATUS ("Ready", "NotReady,SchedulingDisabled", "Unknown") and ROLES ("<none>").
std::string NodeStatus(const google::protobuf::Message& node);
std::string NodeRoles(const google::protobuf::Message& node);

// "k=v,k2=v2" sorted by key, or "<none>".
std::string FormatLabels(const google::protobuf::Map<std::string, std::string>& labels);
// A label selector as `kubectl` prints it ("app=x,tier in (a,b)"), or "<none>".
std::string FormatLabelSelector(const api::LabelSelector& sel);

}  // namespace mk
