#pragma once

// Namespaces and their service accounts:
//  - every namespace that is not being deleted has a `default` ServiceAccount (recreated if
//    someone deletes it);
//  - a namespace that is deleted (gone, or terminating) has everything in it deleted; a
//    terminating namespace's `kubernetes` finalizer (spec.finalizers) is removed once empty.
// Queue keys are namespace names.

#include <string>

#include "absl/status/status.h"
#include "common/api_client.h"
#include "common/informer.h"
#include "common/work_queue.h"
#include "controller-manager/controller_util.h"

namespace mk::controller_manager {

class NamespaceController {
 public:
  // `objects`: informers on namespaced resources (e.g. pods) used at start to find contents
  // of namespaces deleted while the controller was down. May be empty.
  NamespaceController(ApiClient* client, Informer* ns_informer, Informer* sa_informer,
                      std::vector<Informer*> objects = {}, Clock* clock = nullptr);
  ~NamespaceController();

  void Run(int workers);
  void Shutdown();
  absl::Status Sync(const std::string& ns);
  WorkQueue* queue() { return &queue_; }

 private:
  // Deletes every namespaced object in `ns`; true when nothing is left.
  absl::StatusOr<bool> DeleteContents(const std::string& ns);

  ApiClient* const client_;
  Informer* const ns_informer_;
  Informer* const sa_informer_;
  const std::vector<Informer*> objects_;
  WorkQueue queue_;
  Workers workers_;
};

}  // namespace mk::controller_manager
