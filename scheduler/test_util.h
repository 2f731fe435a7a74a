#pragma once

// Builders for scheduler unit tests.

#include <map>
#include <memory>
#include <string>

#include "api.pb.h"
#include "scheduler/types.h"

namespace mk::scheduler::testutil {

inline api::Node Node(const std::string& name, const std::string& cpu = "4",
                      const std::string& mem = "8Gi",
                      std::map<std::string, std::string> labels = {}) {
  api::Node n;
  n.mutable_metadata()->set_name(name);
  (*n.mutable_metadata()->mutable_labels())["kubernetes.io/hostname"] = name;
  for (const auto& [k, v] : labels) (*n.mutable_metadata()->mutable_labels())[k] = v;
  (*n.mutable_status()->mutable_allocatable())["cpu"] = cpu;
  (*n.mutable_status()->mutable_allocatable())["memory"] = mem;
  (*n.mutable_status()->mutable_allocatable())["pods"] = "110";
  api::NodeCondition* c = n.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  return n;
}

inline api::Pod Pod(const std::string& name, const std::string& cpu = "",
                    const std::string& mem = "", std::map<std::string, std::string> labels = {}) {
  api::Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_metadata()->set_namespace_("default");
  for (const auto& [k, v] : labels) (*p.mutable_metadata()->mutable_labels())[k] = v;
  api::Container* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  if (!cpu.empty()) (*c->mutable_resources()->mutable_requests())["cpu"] = cpu;
  if (!mem.empty()) (*c->mutable_resources()->mutable_requests())["memory"] = mem;
  return p;
}

inline std::shared_ptr<PodInfo> Info(const api::Pod& p) {
  return NewPodInfo(std::make_shared<api::Pod>(p));
}

inline NodeInfo MakeNodeInfo(const api::Node& n) {
  NodeInfo info;
  info.SetNode(std::make_shared<api::Node>(n));
  return info;
}

inline api::Pod Bound(api::Pod p, const std::string& node) {
  p.mutable_spec()->set_node_name(node);
  return p;
}

}  // namespace mk::scheduler::testutil
