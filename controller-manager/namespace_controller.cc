#include "controller-manager/namespace_controller.h"

#include <set>
#include <utility>

#include "api.pb.h"
#include "common/log.h"
#include "common/object.h"
#include "common/resources.h"

namespace mk::controller_manager {

NamespaceController::NamespaceController(ApiClient* client, Informer* ns_informer,
                                         Informer* sa_informer, std::vector<Informer*> objects,
                                         Clock* clock)
    : client_(client),
      ns_informer_(ns_informer),
      sa_informer_(sa_informer),
      objects_(std::move(objects)),
      queue_(WorkQueueOptions{absl::Milliseconds(5), absl::Seconds(30), clock}),
      workers_(
          &queue_, [this](const std::string& key) { return Sync(key); }, "namespace") {
  EventHandlers nh;
  nh.on_add = [this](const google::protobuf::Message& m) { queue_.Add(Meta(m).name()); };
  nh.on_update = [this](const google::protobuf::Message&, const google::protobuf::Message& m) {
    queue_.Add(Meta(m).name());
  };
  nh.on_delete = [this](const google::protobuf::Message& m) { queue_.Add(Meta(m).name()); };
  ns_informer_->AddHandlers(std::move(nh));
  EventHandlers sh;
  sh.on_delete = [this](const google::protobuf::Message& m) {
    if (Meta(m).name() == "default") queue_.Add(Meta(m).namespace_());
  };
  sa_informer_->AddHandlers(std::move(sh));
}

NamespaceController::~NamespaceController() { Shutdown(); }

void NamespaceController::Run(int workers) {
  // Namespaces deleted while we were not running still have contents.
  std::set<std::string> seen;
  for (Informer* inf : objects_) {
    for (const CachedObject& o : inf->List()) seen.insert(Meta(*o).namespace_());
  }
  for (const std::string& ns : seen) {
    if (!ns.empty() && ns_informer_->Get(ns) == nullptr) queue_.Add(ns);
  }
  workers_.Start(workers);
}

void NamespaceController::Shutdown() { workers_.Stop(); }

absl::Status NamespaceController::Sync(const std::string& name) {
  auto ns = ns_informer_->GetAs<api::Namespace>(name);
  if (ns != nullptr && ns->metadata().deletion_timestamp().empty()) {
    if (sa_informer_->Get(KeyFor(name, "default")) != nullptr) return absl::OkStatus();
    api::ServiceAccount sa;
    sa.set_api_version("v1");
    sa.set_kind("ServiceAccount");
    sa.mutable_metadata()->set_name("default");
    sa.mutable_metadata()->set_namespace_(name);
    absl::StatusOr<ObjectPtr> r = client_->Create("serviceaccounts", name, sa);
    if (!r.ok() && !absl::IsAlreadyExists(r.status())) {
      // A namespace being deleted refuses new objects; that is fine.
      if (absl::IsNotFound(r.status()) || absl::IsPermissionDenied(r.status())) {
        return absl::OkStatus();
      }
      return r.status();
    }
    if (r.ok()) MK_VLOG(1) << "created serviceaccount " << name << "/default";
    return absl::OkStatus();
  }
  // Gone or terminating: delete its contents.
  absl::StatusOr<bool> empty = DeleteContents(name);
  if (!empty.ok()) return empty.status();
  if (!*empty) {
    queue_.AddAfter(name, absl::Seconds(2));
    return absl::OkStatus();
  }
  if (ns != nullptr && ns->spec().finalizers_size() > 0) {
    absl::StatusOr<api::Namespace> cur = client_->GetAs<api::Namespace>("namespaces", "", name);
    if (!cur.ok()) return absl::IsNotFound(cur.status()) ? absl::OkStatus() : cur.status();
    cur->mutable_spec()->clear_finalizers();
    absl::StatusOr<ObjectPtr> r = client_->Update("namespaces", "", *cur);
    if (!r.ok() && !absl::IsNotFound(r.status())) return r.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> NamespaceController::DeleteContents(const std::string& ns) {
  bool empty = true;
  for (const ResourceInfo& r : AllResources()) {
    if (!r.namespaced) continue;
    absl::StatusOr<ListResult> list = client_->List(r.name, ns);
    if (!list.ok()) {
      if (absl::IsUnavailable(list.status()) || absl::IsDeadlineExceeded(list.status())) {
        return list.status();
      }
      continue;  // a resource that cannot be listed here
    }
    for (const ObjectPtr& o : list->items) {
      empty = false;
      const api::ObjectMeta& m = Meta(*o);
      if (!m.deletion_timestamp().empty()) continue;
      DeleteOptions opts;
      opts.propagation_policy = "Background";
      absl::StatusOr<ObjectPtr> d = client_->Delete(r.name, ns, m.name(), opts);
      if (!d.ok() && !absl::IsNotFound(d.status())) return d.status();
      if (d.ok() && Meta(**d).deletion_timestamp().empty()) continue;  // gone at once
    }
  }
  if (!empty) {
    // Deleted-at-once objects do not count: look again.
    for (const ResourceInfo& r : AllResources()) {
      if (!r.namespaced) continue;
      absl::StatusOr<ListResult> list = client_->List(r.name, ns);
      if (list.ok() && !list->items.empty()) return false;
    }
    return true;
  }
  return true;
}

}  // namespace mk::controller_manager
