#pragma once

// The scheduler cache: every node with the pods bound to it (from the informers) plus the
// pods this scheduler has assumed onto a node while their binding is in flight, so a burst
// of decisions never counts a node's free capacity twice. Also tracks nominated pods
// (preemptors waiting for their victims to go), whose requests are reserved on their node
// against pods of lower or equal priority.
//
// Not thread-safe: the owner serialises access (the Scheduler holds its mutex around every
// call and for a whole scheduling decision).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "api.pb.h"
#include "scheduler/types.h"

namespace mk::scheduler {

class Cache {
 public:
  void AddOrUpdateNode(std::shared_ptr<const api::Node> node);
  void RemoveNode(const std::string& name);

  // A pod with spec.nodeName (from the informer). Replaces an assumed copy.
  void AddOrUpdatePod(std::shared_ptr<const api::Pod> pod);
  void RemovePod(const std::string& key);
  // Puts `pod` on `node` before the binding is confirmed.
  void AssumePod(std::shared_ptr<PodInfo> pod, const std::string& node);
  // Undoes AssumePod (binding failed). No-op if the pod was confirmed meanwhile.
  void ForgetPod(const std::string& key);
  bool IsAssumed(const std::string& key) const;
  // The node a pod is on ("" if none).
  std::string NodeOf(const std::string& key) const;

  // Namespace labels, for pod (anti-)affinity namespaceSelector.
  void SetNamespaceLabels(const std::string& ns,
                          const google::protobuf::Map<std::string, std::string>& labels);
  void RemoveNamespace(const std::string& ns);
  const google::protobuf::Map<std::string, std::string>* NamespaceLabels(
      const std::string& ns) const;

  NodeInfo* FindNode(const std::string& name);
  // Nodes that exist, ordered by name.
  const std::vector<NodeInfo*>& Nodes();
  size_t NumNodes() const { return list_.size(); }
  size_t NumPods() const { return pod_node_.size(); }

  // Preemptors waiting for `node`.
  void SetNominated(std::shared_ptr<PodInfo> pod, const std::string& node);
  void ClearNominated(const std::string& key);
  // Sum of requests of pods nominated to `node` with priority >= `priority`, other than
  // `exclude_key`.
  Resources NominatedExtra(const std::string& node, int32_t priority,
                           const std::string& exclude_key) const;
  std::string NominatedNode(const std::string& key) const;

  // Label index: the pods (bound or assumed) carrying label `key`=`value`, with their node,
  // so an affinity term visits only the pods its selector can match.
  struct IndexedPod {
    const PodInfo* pod;
    std::string node;
  };
  const absl::flat_hash_map<std::string, IndexedPod>* PodsWithLabel(const std::string& key,
                                                                    const std::string& value) const;

 private:
  NodeInfo* GetOrCreate(const std::string& name);
  void Place(std::shared_ptr<PodInfo> pod, const std::string& node);
  void RebuildList();

  absl::flat_hash_map<std::string, std::unique_ptr<NodeInfo>> nodes_;  // incl. ghosts
  std::vector<NodeInfo*> list_;
  bool list_dirty_ = false;
  absl::flat_hash_map<std::string, std::string> pod_node_;  // pod key → node
  absl::flat_hash_map<std::string, bool> assumed_;
  absl::flat_hash_map<std::string, std::shared_ptr<PodInfo>> pod_infos_;
  // "key\x1fvalue" → pod key → pod
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, IndexedPod>> label_index_;
  struct Nominated {
    std::shared_ptr<PodInfo> pod;
    std::string node;
  };
  std::map<std::string, Nominated> nominated_;
  std::map<std::string, google::protobuf::Map<std::string, std::string>> namespace_labels_;
};

}  // namespace mk::scheduler
