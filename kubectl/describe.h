#pragma once

// Shared pieces of `mkctl describe`: kubectl's PrefixWriter (levels of two spaces, cells
// aligned by a tabwriter), multi-line labels/annotations/tolerations, events, containers.

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api.pb.h"
#include "common/json.h"
#include "kubectl/cli.h"

namespace mk::kubectl {

class DescribeWriter {
 public:
  void W(int level, const std::string& text);
  std::string Render() const;

 private:
  std::string buf_;
};

// RFC 1123 with numeric zone in local time ("Fri, 24 Apr 2020 09:51:25 +0900").
std::string DescribeTime(const std::string& rfc3339);
std::string OrNoneStr(const std::string& s);
template <typename M>
std::map<std::string, std::string> SortedMap(const M& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

void LabelsMultiline(DescribeWriter& w, const std::string& title,
                     const std::map<std::string, std::string>& labels);
void AnnotationsMultiline(DescribeWriter& w, const std::string& title,
                          const std::map<std::string, std::string>& annotations);
void TolerationsMultiline(DescribeWriter& w, const std::string& title,
                          const google::protobuf::RepeatedPtrField<api::Toleration>& t);
// "ReplicaSet/name" of the controller owner reference, or "".
std::string ControlledBy(const api::ObjectMeta& meta);

// Fetches and prints the Events section for an object.
void DescribeEvents(Env& env, DescribeWriter& w, const std::string& kind, const std::string& ns,
                    const std::string& name, const std::string& uid);

// Containers as in describe pod / pod templates (`space` is "" or "  ").
void DescribeContainers(DescribeWriter& w, const std::string& title,
                        const google::protobuf::RepeatedPtrField<api::Container>& containers,
                        const google::protobuf::RepeatedPtrField<api::ContainerStatus>* statuses,
                        const std::string& space);
void DescribeVolumes(DescribeWriter& w, const google::protobuf::RepeatedPtrField<api::Volume>& v,
                     const std::string& space);
std::string DescribeProbe(const api::Probe& p);

// Per-kind describers: return the text or an error.
absl::StatusOr<std::string> DescribePod(Env& env, const Json& obj);
absl::StatusOr<std::string> DescribeNode(Env& env, const Json& obj);

}  // namespace mk::kubectl
