#include "controller-manager/controller_manager.h"

#include <algorithm>
#include <vector>

namespace mk::controller_manager {
namespace {

InformerOptions Opts(const std::string& resource, const std::string& ns = "") {
  InformerOptions o;
  o.resource = resource;
  o.ns = ns;
  return o;
}

}  // namespace

ControllerManager::ControllerManager(ApiClient* client, ControllerManagerOptions opts)
    : client_(client),
      opts_(opts),
      recorder_(client, "replicaset-controller", ""),
      node_recorder_(client, "node-controller", ""),
      hpa_recorder_(client, "horizontal-pod-autoscaler", ""),
      pods_(client, Opts("pods")),
      replicasets_(client, Opts("replicasets")),
      nodes_(client, Opts("nodes")),
      leases_(client, Opts("leases", "kube-node-lease")),
      namespaces_(client, Opts("namespaces")),
      serviceaccounts_(client, Opts("serviceaccounts")),
      hpas_(client, Opts("horizontalpodautoscalers")),
      csrs_(client, Opts("certificatesigningrequests")) {
  rs_ = std::make_unique<ReplicaSetController>(client_, &replicasets_, &pods_, &recorder_);
  gc_ = std::make_unique<GarbageCollector>(client_, &replicasets_, &pods_);
  nodes_ctl_ = std::make_unique<NodeLifecycleController>(client_, &nodes_, &leases_, &pods_,
                                                         &node_recorder_, opts_.node_lifecycle);
  ns_ = std::make_unique<NamespaceController>(client_, &namespaces_, &serviceaccounts_,
                                              std::vector<Informer*>{&pods_, &replicasets_});
  hpa_ =
      std::make_unique<HpaController>(client_, &hpas_, &pods_, &nodes_, &hpa_recorder_, opts_.hpa);
  csr_ = std::make_unique<CsrController>(client_, &csrs_, &nodes_, opts_.csr);
}

ControllerManager::~ControllerManager() { Shutdown(); }

void ControllerManager::StartInformers() {
  for (Informer* i : {&pods_, &replicasets_, &nodes_, &leases_, &namespaces_, &serviceaccounts_,
                      &hpas_, &csrs_}) {
    i->Start();
  }
}

bool ControllerManager::WaitForSync(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  for (Informer* i : {&pods_, &replicasets_, &nodes_, &leases_, &namespaces_, &serviceaccounts_,
                      &hpas_, &csrs_}) {
    if (!i->WaitForSync(std::max(absl::ZeroDuration(), deadline - absl::Now()))) return false;
  }
  return true;
}

void ControllerManager::StartControllers() {
  if (controllers_started_) return;
  controllers_started_ = true;
  rs_->Run(opts_.replicaset_workers);
  gc_->Run(opts_.gc_workers);
  ns_->Run(opts_.namespace_workers);
  nodes_ctl_->Run();
  hpa_->Run(opts_.hpa_workers);
  csr_->Run(opts_.csr_workers);
}

void ControllerManager::Shutdown() {
  if (rs_) rs_->Shutdown();
  if (gc_) gc_->Shutdown();
  if (ns_) ns_->Shutdown();
  if (nodes_ctl_) nodes_ctl_->Shutdown();
  if (hpa_) hpa_->Shutdown();
  if (csr_) csr_->Shutdown();
  for (Informer* i : {&pods_, &replicasets_, &nodes_, &leases_, &namespaces_, &serviceaccounts_,
                      &hpas_, &csrs_}) {
    i->Shutdown();
  }
  recorder_.Shutdown();
  node_recorder_.Shutdown();
  hpa_recorder_.Shutdown();
}

}  // namespace mk::controller_manager
