#pragma once

// mk-controller-manager as a library: the shared informers (pods, replicasets, nodes, node
// leases, namespaces, serviceaccounts, HPAs, CSRs), one EventRecorder, and the controllers built on
// them (ReplicaSet, garbage collector, node lifecycle, namespace/serviceaccount, HPA, CSR approval
// and signing). Informers run from Start(); controllers act only after StartControllers() (called
// at once, or when the leader lease is won).

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/api_client.h"
#include "common/event_recorder.h"
#include "common/informer.h"
#include "controller-manager/csr_controller.h"
#include "controller-manager/garbage_collector.h"
#include "controller-manager/hpa_controller.h"
#include "controller-manager/namespace_controller.h"
#include "controller-manager/node_lifecycle_controller.h"
#include "controller-manager/replicaset_controller.h"

namespace mk::controller_manager {

struct ControllerManagerOptions {
  NodeLifecycleOptions node_lifecycle;
  int replicaset_workers = 5;
  int gc_workers = 5;
  int namespace_workers = 2;
  HpaControllerOptions hpa;
  int hpa_workers = 2;
  CsrControllerOptions csr;
  int csr_workers = 1;
};

class ControllerManager {
 public:
  ControllerManager(ApiClient* client, ControllerManagerOptions opts);
  ~ControllerManager();

  void StartInformers();
  bool WaitForSync(absl::Duration timeout);
  void StartControllers();
  void Shutdown();

 private:
  ApiClient* const client_;
  const ControllerManagerOptions opts_;
  EventRecorder recorder_;
  EventRecorder node_recorder_;
  EventRecorder hpa_recorder_;
  Informer pods_, replicasets_, nodes_, leases_, namespaces_, serviceaccounts_, hpas_, csrs_;
  std::unique_ptr<ReplicaSetController> rs_;
  std::unique_ptr<GarbageCollector> gc_;
  std::unique_ptr<NodeLifecycleController> nodes_ctl_;
  std::unique_ptr<NamespaceController> ns_;
  std::unique_ptr<HpaController> hpa_;
  std::unique_ptr<CsrController> csr_;
  bool controllers_started_ = false;
};

}  // namespace mk::controller_manager
