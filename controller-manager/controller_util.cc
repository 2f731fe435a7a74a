#include "controller-manager/controller_util.h"

#include "common/log.h"
#include "common/object.h"

namespace mk::controller_manager {

Workers::Workers(WorkQueue* queue, std::function<absl::Status(const std::string&)> reconcile,
                 std::string name)
    : queue_(queue), reconcile_(std::move(reconcile)), name_(std::move(name)) {}

Workers::~Workers() { Stop(); }

void Workers::Start(int workers) {
  for (int i = 0; i < workers; ++i) {
    threads_.emplace_back([this] {
      std::string key;
      while (queue_->Get(&key)) {
        absl::Status s = reconcile_(key);
        if (s.ok()) {
          queue_->Forget(key);
        } else {
          MK_VLOG(1) << name_ << ": sync " << key << " failed: " << s;
          queue_->AddRateLimited(key);
        }
        queue_->Done(key);
      }
    });
  }
}

void Workers::Stop() {
  queue_->ShutDown();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

const api::OwnerReference* ControllerRef(const api::ObjectMeta& meta) {
  for (const api::OwnerReference& ref : meta.owner_references()) {
    if (ref.has_controller() && ref.controller()) return &ref;
  }
  return nullptr;
}

std::string KeyFor(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

void SplitKey(const std::string& key, std::string* ns, std::string* name) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) {
    ns->clear();
    *name = key;
  } else {
    *ns = key.substr(0, slash);
    *name = key.substr(slash + 1);
  }
}

bool IsPodActive(const api::Pod& pod) {
  return pod.status().phase() != "Succeeded" && pod.status().phase() != "Failed" &&
         pod.metadata().deletion_timestamp().empty();
}

bool IsPodReady(const api::Pod& pod) {
  for (const api::PodCondition& c : pod.status().conditions()) {
    if (c.type() == "Ready") return c.status() == "True";
  }
  return false;
}

absl::Time PodReadySince(const api::Pod& pod) {
  for (const api::PodCondition& c : pod.status().conditions()) {
    if (c.type() == "Ready" && c.status() == "True") return ParseTime(c.last_transition_time());
  }
  return absl::InfinitePast();
}

}  // namespace mk::controller_manager
