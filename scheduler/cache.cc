#include "scheduler/cache.h"

#include <algorithm>
#include <utility>

namespace mk::scheduler {

NodeInfo* Cache::GetOrCreate(const std::string& name) {
  auto& slot = nodes_[name];
  if (!slot) {
    slot = std::make_unique<NodeInfo>();
    slot->name = name;
  }
  return slot.get();
}

namespace {

std::string IndexKey(const std::string& key, const std::string& value) {
  return key + "\x1f" + value;
}

}  // namespace

void Cache::Place(std::shared_ptr<PodInfo> pod, const std::string& node) {
  pod_node_[pod->key] = node;
  for (const auto& [k, v] : pod->pod->metadata().labels()) {
    label_index_[IndexKey(k, v)][pod->key] = IndexedPod{pod.get(), node};
  }
  pod_infos_[pod->key] = pod;
  GetOrCreate(node)->AddPod(std::move(pod));
}

const absl::flat_hash_map<std::string, Cache::IndexedPod>* Cache::PodsWithLabel(
    const std::string& key, const std::string& value) const {
  auto it = label_index_.find(IndexKey(key, value));
  return it == label_index_.end() ? nullptr : &it->second;
}

void Cache::AddOrUpdateNode(std::shared_ptr<const api::Node> node) {
  NodeInfo* n = GetOrCreate(node->metadata().name());
  if (n->node == nullptr) list_dirty_ = true;
  n->SetNode(std::move(node));
}

void Cache::RemoveNode(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  list_dirty_ = true;
  if (it->second->pods.empty()) {
    nodes_.erase(it);
  } else {
    it->second->node = nullptr;  // keep its pods until they are deleted
  }
}

void Cache::AddOrUpdatePod(std::shared_ptr<const api::Pod> pod) {
  std::shared_ptr<PodInfo> info = NewPodInfo(std::move(pod));
  std::string node = info->pod->spec().node_name();
  RemovePod(info->key);
  Place(std::move(info), node);
}

void Cache::RemovePod(const std::string& key) {
  auto it = pod_node_.find(key);
  if (it == pod_node_.end()) return;
  auto n = nodes_.find(it->second);
  if (n != nodes_.end()) {
    n->second->RemovePod(key);
    if (n->second->node == nullptr && n->second->pods.empty()) nodes_.erase(n);
  }
  pod_node_.erase(it);
  assumed_.erase(key);
  auto info = pod_infos_.find(key);
  if (info != pod_infos_.end()) {
    for (const auto& [k, v] : info->second->pod->metadata().labels()) {
      auto bucket = label_index_.find(IndexKey(k, v));
      if (bucket == label_index_.end()) continue;
      bucket->second.erase(key);
      if (bucket->second.empty()) label_index_.erase(bucket);
    }
    pod_infos_.erase(info);
  }
}

void Cache::AssumePod(std::shared_ptr<PodInfo> pod, const std::string& node) {
  RemovePod(pod->key);
  pod->assumed = true;
  assumed_[pod->key] = true;
  Place(std::move(pod), node);
}

void Cache::ForgetPod(const std::string& key) {
  if (assumed_.count(key)) RemovePod(key);
}

bool Cache::IsAssumed(const std::string& key) const { return assumed_.count(key) > 0; }

std::string Cache::NodeOf(const std::string& key) const {
  auto it = pod_node_.find(key);
  return it == pod_node_.end() ? "" : it->second;
}

void Cache::SetNamespaceLabels(const std::string& ns,
                               const google::protobuf::Map<std::string, std::string>& labels) {
  namespace_labels_[ns] = labels;
}

void Cache::RemoveNamespace(const std::string& ns) { namespace_labels_.erase(ns); }

const google::protobuf::Map<std::string, std::string>* Cache::NamespaceLabels(
    const std::string& ns) const {
  auto it = namespace_labels_.find(ns);
  return it == namespace_labels_.end() ? nullptr : &it->second;
}

NodeInfo* Cache::FindNode(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end() || it->second->node == nullptr) return nullptr;
  return it->second.get();
}

void Cache::RebuildList() {
  list_.clear();
  for (auto& [name, n] : nodes_) {
    if (n->node != nullptr) list_.push_back(n.get());
  }
  std::sort(list_.begin(), list_.end(),
            [](const NodeInfo* a, const NodeInfo* b) { return a->name < b->name; });
  list_dirty_ = false;
}

const std::vector<NodeInfo*>& Cache::Nodes() {
  if (list_dirty_) RebuildList();
  return list_;
}

void Cache::SetNominated(std::shared_ptr<PodInfo> pod, const std::string& node) {
  std::string key = pod->key;
  nominated_[key] = Nominated{std::move(pod), node};
}

void Cache::ClearNominated(const std::string& key) { nominated_.erase(key); }

Resources Cache::NominatedExtra(const std::string& node, int32_t priority,
                                const std::string& exclude_key) const {
  Resources r;
  for (const auto& [key, n] : nominated_) {
    if (n.node != node || key == exclude_key || n.pod->priority < priority) continue;
    r.milli_cpu += n.pod->requests.milli_cpu;
    r.memory += n.pod->requests.memory;
    r.pods += 1;
  }
  return r;
}

std::string Cache::NominatedNode(const std::string& key) const {
  auto it = nominated_.find(key);
  return it == nominated_.end() ? "" : it->second.node;
}

}  // namespace mk::scheduler
