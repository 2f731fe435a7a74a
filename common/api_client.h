#pragma once

// How daemons talk to the apiserver: an abstract ApiClient (gRPC in production,
// FakeApiClient in unit tests). Objects are protobuf messages of the resource's type
// (FindResource(resource)->New()); `resource` is the plural name ("pods", "leases").
// Cluster-scoped resources take ns = "".
//
// Errors are Kubernetes API errors rebuilt with mk::FromApiStatus, so callers test
// absl::IsNotFound, IsAlreadyExists, IsAborted (409 Conflict), IsOutOfRange (410 Gone),
// IsInvalidArgument (422). Transport failures come back as Unavailable/DeadlineExceeded.
//
// Thread-safe: one client is shared by all of a daemon's threads.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "google/protobuf/message.h"

namespace mk {

using ObjectPtr = std::unique_ptr<google::protobuf::Message>;

struct ListOptions {
  std::string label_selector;  // e.g. "app=web,tier!=db"
  std::string field_selector;  // e.g. "spec.nodeName=node-1"
};

struct ListResult {
  int64_t resource_version = 0;  // watch from here to see every later change
  std::vector<ObjectPtr> items;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  // 0: an ADDED event for every current object first, then changes. Otherwise every change
  // after this version; 410 (OutOfRange from the stream) if it is too old.
  int64_t resource_version = 0;
  bool allow_bookmarks = false;
};

struct DeleteOptions {
  absl::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "" | Orphan | Background | Foreground
  absl::optional<std::string> precondition_uid;
  absl::optional<std::string> precondition_resource_version;
};

struct WatchEvent {
  std::string type;  // ADDED | MODIFIED | DELETED | BOOKMARK
  ObjectPtr object;  // BOOKMARK: an empty object with only metadata.resourceVersion
  int64_t resource_version = 0;
};

// One watch. Next() blocks for the next event; false when the stream ended, after which
// status() tells why: OK (server closed it or Cancel()), OutOfRange (410: relist), or
// another error (broken stream). Cancel() may be called from any thread.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  virtual bool Next(WatchEvent* event) = 0;
  virtual void Cancel() = 0;
  virtual absl::Status status() = 0;
};

class ApiClient {
 public:
  virtual ~ApiClient() = default;

  // subresource "" or "scale" (returns an api::Scale).
  virtual absl::StatusOr<ObjectPtr> Get(const std::string& resource, const std::string& ns,
                                        const std::string& name,
                                        const std::string& subresource = "") = 0;
  virtual absl::StatusOr<ListResult> List(const std::string& resource, const std::string& ns,
                                          const ListOptions& opts = {}) = 0;
  virtual absl::StatusOr<ObjectPtr> Create(const std::string& resource, const std::string& ns,
                                           const google::protobuf::Message& obj) = 0;
  // The object's metadata.resourceVersion makes the update conditional (409 if stale);
  // empty means unconditional. subresource "" | "status" | "scale" (obj: api::Scale).
  virtual absl::StatusOr<ObjectPtr> Update(const std::string& resource, const std::string& ns,
                                           const google::protobuf::Message& obj,
                                           const std::string& subresource = "") = 0;
  // `patch_type` is a PATCH content type: application/merge-patch+json,
  // application/strategic-merge-patch+json or application/json-patch+json.
  virtual absl::StatusOr<ObjectPtr> Patch(const std::string& resource, const std::string& ns,
                                          const std::string& name, const std::string& patch_type,
                                          const std::string& patch,
                                          const std::string& subresource = "") = 0;
  // Returns the deleted object, or the object with deletionTimestamp set when the deletion
  // is graceful or waits on finalizers.
  virtual absl::StatusOr<ObjectPtr> Delete(const std::string& resource, const std::string& ns,
                                           const std::string& name,
                                           const DeleteOptions& opts = {}) = 0;
  // pods/binding; 409 (Aborted) if the pod is already bound. `annotations` (the Binding's)
  // are set on the pod in the same write.
  virtual absl::StatusOr<ObjectPtr> Bind(
      const std::string& ns, const std::string& pod, const std::string& node,
      const std::map<std::string, std::string>& annotations = {}) = 0;
  virtual absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const std::string& resource,
                                                             const std::string& ns,
                                                             const WatchOptions& opts = {}) = 0;

  // Typed helpers: GetAs<api::Pod>("pods", "default", "web-0").
  template <typename T>
  absl::StatusOr<T> GetAs(const std::string& resource, const std::string& ns,
                          const std::string& name, const std::string& subresource = "") {
    return Typed<T>(Get(resource, ns, name, subresource));
  }
  template <typename T>
  absl::StatusOr<std::vector<T>> ListAs(const std::string& resource, const std::string& ns,
                                        const ListOptions& opts = {},
                                        int64_t* resource_version = nullptr) {
    absl::StatusOr<ListResult> list = List(resource, ns, opts);
    if (!list.ok()) return list.status();
    if (resource_version != nullptr) *resource_version = list->resource_version;
    std::vector<T> out;
    out.reserve(list->items.size());
    for (ObjectPtr& item : list->items) {
      T* t = dynamic_cast<T*>(item.get());
      if (t == nullptr) return absl::InternalError("ListAs: wrong message type");
      out.push_back(std::move(*t));
    }
    return out;
  }
  template <typename T>
  absl::StatusOr<T> CreateAs(const std::string& resource, const std::string& ns, const T& obj) {
    return Typed<T>(Create(resource, ns, obj));
  }
  template <typename T>
  absl::StatusOr<T> UpdateAs(const std::string& resource, const std::string& ns, const T& obj,
                             const std::string& subresource = "") {
    return Typed<T>(Update(resource, ns, obj, subresource));
  }

 private:
  template <typename T>
  static absl::StatusOr<T> Typed(absl::StatusOr<ObjectPtr> obj) {
    if (!obj.ok()) return obj.status();
    T* t = dynamic_cast<T*>(obj->get());
    if (t == nullptr) return absl::InternalError("wrong message type for this resource");
    return std::move(*t);
  }
};

struct GrpcApiClientOptions {
  absl::Duration timeout = absl::Seconds(10);  // per call; watches have no deadline
  // TLS: the CA bundle that signed the apiserver's serving certificate. Empty means a
  // plaintext channel, which mk-apiserver refuses; only library tests use it.
  std::string ca_pem;
  // Credentials: a client certificate and key (PEM), and/or a bearer token. Secrets.
  std::string cert_pem;
  std::string key_pem;
  std::string token;
};

// A client over one gRPC channel to mk.api.ApiServer at `address` ("127.0.0.1:6444").
// Does not connect eagerly: the first call does (and fails with Unavailable if it can't).
std::unique_ptr<ApiClient> NewGrpcApiClient(const std::string& address,
                                            const GrpcApiClientOptions& opts = {});

// The daemons' way in: TLS and credentials from the kubeconfig at `kubeconfig` (its current
// context); the gRPC address from `address_override` if set, else from the kubeconfig's
// mk.io/grpc cluster extension. `base` supplies the other options (timeout).
absl::StatusOr<std::unique_ptr<ApiClient>> NewGrpcApiClientFromKubeconfig(
    const std::string& kubeconfig, const std::string& address_override,
    GrpcApiClientOptions base = {});

}  // namespace mk
