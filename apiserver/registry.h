#pragma once

// The registry: every API operation on every resource, on top of a Store. REST and gRPC are
// thin adapters over this class, so they can never disagree. It owns the object lifecycle:
// defaulting, admission, validation, uid/timestamps/generation, optimistic concurrency,
// graceful pod deletion, finalizers, bindings, the scale subresource, and watches with
// label/field selectors.
//
// Thread-safe; holds no lock across Store calls.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "apiserver/store.h"
#include "apiserver/watch_decode_cache.h"
#include "common/json.h"
#include "common/resources.h"
#include "google/protobuf/message.h"

namespace mk::apiserver {

using ObjectPtr = std::unique_ptr<google::protobuf::Message>;

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
};

struct ObjectList {
  int64_t resource_version = 0;
  std::vector<ObjectPtr> items;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // 0: first an ADDED event for every current object, then changes.
  int64_t resource_version = 0;
  bool allow_bookmarks = false;
  absl::Duration bookmark_interval = absl::Seconds(30);
};

struct DeleteOptions {
  absl::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "" | Orphan | Background | Foreground
  absl::optional<std::string> precondition_uid;
  absl::optional<std::string> precondition_resource_version;
};

struct WatchEvent {
  std::string type;  // ADDED | MODIFIED | DELETED | BOOKMARK
  // Shared with every other watcher of the same event: never modify. For BOOKMARK an empty
  // object of the kind with only resourceVersion.
  std::shared_ptr<const google::protobuf::Message> object;
  std::shared_ptr<const std::string> bytes;  // object serialised, when already known
  int64_t revision = 0;
};

class RegistryWatch {
 public:
  enum class Result { kEvent, kTimeout, kClosed };
  virtual ~RegistryWatch() = default;
  virtual Result Next(absl::Duration timeout, WatchEvent* event) = 0;
};

class Registry {
 public:
  using NowFn = std::function<absl::Time()>;
  explicit Registry(Store* store, NowFn now = nullptr);

  // Creates default, kube-system and kube-node-lease with their default ServiceAccounts.
  absl::Status Bootstrap();

  absl::StatusOr<ObjectPtr> Get(const ResourceInfo& r, const std::string& ns,
                                const std::string& name);
  absl::StatusOr<ObjectList> List(const ResourceInfo& r, const std::string& ns,
                                  const ListOptions& opts);
  // dry_run: defaults, admission, validation and the existence check, but nothing is stored
  // (Kubernetes' ?dryRun=All).
  absl::StatusOr<ObjectPtr> Create(const ResourceInfo& r, const std::string& ns, ObjectPtr obj,
                                   bool dry_run = false);
  // subresource "" or "status". An empty resourceVersion means an unconditional update.
  absl::StatusOr<ObjectPtr> Update(const ResourceInfo& r, const std::string& ns,
                                   const std::string& name, const std::string& subresource,
                                   ObjectPtr obj);
  // `content_type` is the PATCH Content-Type; `patch` the parsed patch document.
  absl::StatusOr<ObjectPtr> Patch(const ResourceInfo& r, const std::string& ns,
                                  const std::string& name, const std::string& subresource,
                                  const std::string& content_type, const Json& patch);
  // Returns the object as it was deleted, or with deletionTimestamp set when deletion is
  // graceful (a pod bound to a node) or waits on finalizers.
  absl::StatusOr<ObjectPtr> Delete(const ResourceInfo& r, const std::string& ns,
                                   const std::string& name, const DeleteOptions& opts);
  // pods/binding: 409 if already bound. As Kubernetes, the Binding's annotations are set on
  // the pod in the same write; the scheduler's filter-reasons annotation goes.
  absl::StatusOr<ObjectPtr> Bind(const std::string& ns, const std::string& name,
                                 const std::string& node,
                                 const std::map<std::string, std::string>& annotations = {});
  // replicasets/scale.
  absl::StatusOr<ObjectPtr> GetScale(const ResourceInfo& r, const std::string& ns,
                                     const std::string& name);
  absl::StatusOr<ObjectPtr> UpdateScale(const ResourceInfo& r, const std::string& ns,
                                        const std::string& name, const Json& scale);
  absl::StatusOr<ObjectPtr> PatchScale(const ResourceInfo& r, const std::string& ns,
                                       const std::string& name, const std::string& content_type,
                                       const Json& patch);

  absl::StatusOr<std::unique_ptr<RegistryWatch>> Watch(const ResourceInfo& r, const std::string& ns,
                                                       const WatchOptions& opts);

  Store* store() { return store_; }

  // Key layout: /registry/<resource>/<ns>/<name> or /registry/<resource>/<name>.
  static std::string Key(const ResourceInfo& r, const std::string& ns, const std::string& name);
  static std::string Prefix(const ResourceInfo& r, const std::string& ns);

 private:
  absl::StatusOr<ObjectPtr> Decode(const ResourceInfo& r, const KeyValue& kv) const;
  absl::StatusOr<ObjectPtr> CreateOnce(const ResourceInfo& r, const std::string& ns,
                                       const google::protobuf::Message& obj, bool dry_run);
  // Read-modify-write with retries on conflict: `mutate` edits the current object (it may
  // return an error to abort). Validates and stores the result.
  absl::StatusOr<ObjectPtr> GuaranteedUpdate(
      const ResourceInfo& r, const std::string& ns, const std::string& name,
      const std::function<absl::Status(google::protobuf::Message*)>& mutate);
  absl::StatusOr<ObjectPtr> StoreUpdate(const ResourceInfo& r, const std::string& ns,
                                        const std::string& name,
                                        const google::protobuf::Message& old_obj, ObjectPtr new_obj,
                                        int64_t expected_revision);
  absl::StatusOr<ObjectPtr> DeleteNow(const ResourceInfo& r, const std::string& ns,
                                      const std::string& name, const KeyValue& kv);
  absl::Status OrphanDependents(const std::string& ns, const std::string& owner_uid);
  absl::Status Admit(const ResourceInfo& r, const std::string& ns, google::protobuf::Message* obj);

  Store* store_;
  NowFn now_;
  std::shared_ptr<WatchDecodeCache> decoded_;  // shared by every watch of this registry
};

}  // namespace mk::apiserver
