#pragma once

// An in-memory ApiClient for daemon unit tests. It behaves like the apiserver where daemons
// care: one global resourceVersion bumped by every write; Create → AlreadyExists; Update or
// Delete with a stale resourceVersion → Aborted (409 Conflict); uid, creationTimestamp and
// generation set on create; Bind sets spec.nodeName (409 if already bound); merge patches;
// watches with replay from a resourceVersion (410 once compacted); label and field selectors
// (common/selectors.h, so unsupported field labels are refused as by the apiserver).
//
// It does NOT validate, default, run admission or do graceful deletion (Delete removes the
// object at once, unless it has finalizers: then it sets deletionTimestamp).
//
// Every call is recorded (Calls()); errors can be injected per verb+resource.
// Thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/api_client.h"
#include "common/clock.h"

namespace mk {

class FakeApiClient : public ApiClient {
 public:
  struct Call {
    std::string verb;  // get | list | create | update | patch | delete | bind | watch
    std::string resource;
    std::string ns;
    std::string name;
    std::string subresource;
  };

  explicit FakeApiClient(Clock* clock = nullptr);
  ~FakeApiClient() override;

  absl::StatusOr<ObjectPtr> Get(const std::string& resource, const std::string& ns,
                                const std::string& name,
                                const std::string& subresource = "") override;
  absl::StatusOr<ListResult> List(const std::string& resource, const std::string& ns,
                                  const ListOptions& opts = {}) override;
  absl::StatusOr<ObjectPtr> Create(const std::string& resource, const std::string& ns,
                                   const google::protobuf::Message& obj) override;
  absl::StatusOr<ObjectPtr> Update(const std::string& resource, const std::string& ns,
                                   const google::protobuf::Message& obj,
                                   const std::string& subresource = "") override;
  absl::StatusOr<ObjectPtr> Patch(const std::string& resource, const std::string& ns,
                                  const std::string& name, const std::string& patch_type,
                                  const std::string& patch,
                                  const std::string& subresource = "") override;
  absl::StatusOr<ObjectPtr> Delete(const std::string& resource, const std::string& ns,
                                   const std::string& name,
                                   const DeleteOptions& opts = {}) override;
  absl::StatusOr<ObjectPtr> Bind(
      const std::string& ns, const std::string& pod, const std::string& node,
      const std::map<std::string, std::string>& annotations = {}) override;
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const std::string& resource,
                                                     const std::string& ns,
                                                     const WatchOptions& opts = {}) override;

  // --- Test controls.
  std::vector<Call> Calls() const;
  // Calls with this verb (and resource, if non-empty).
  int CountCalls(const std::string& verb, const std::string& resource = "") const;
  void ClearCalls();
  // The next `times` calls of `verb` on `resource` fail with `status` (verb "*": any verb).
  void InjectError(const std::string& verb, const std::string& resource, absl::Status status,
                   int times = 1);
  // Forgets the event history: watches from any older resourceVersion get 410, and every
  // open watch ends with 410 (as after an apiserver compaction).
  void Compact();
  // Ends every open watch with `status` (OK: a clean close; Unavailable: a broken stream).
  void CloseWatches(absl::Status status = absl::OkStatus());
  int NumOpenWatches() const;
  int64_t resource_version() const;

 private:
  class Stream;
  struct Event {
    std::string type;
    std::string resource;
    std::shared_ptr<const google::protobuf::Message> object;
    std::shared_ptr<const google::protobuf::Message> prev;  // before the change, if any
    int64_t rv = 0;
  };

  absl::Status Record(const std::string& verb, const std::string& resource, const std::string& ns,
                      const std::string& name, const std::string& subresource)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `obj` (taking a new resourceVersion) and emits `type`.
  ObjectPtr CommitLocked(const std::string& resource, const std::string& key, ObjectPtr obj,
                         const std::string& type) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ObjectPtr> UpdateLocked(const std::string& resource, const std::string& ns,
                                         ObjectPtr obj, const std::string& subresource)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<ObjectPtr> DeleteLocked(const std::string& resource, const std::string& ns,
                                         const std::string& name, const DeleteOptions& opts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Emit(Event ev) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  mutable absl::Mutex mu_;
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t compacted_rv_ ABSL_GUARDED_BY(mu_) = 0;  // history holds events with rv > this
  // resource → "ns/name" (or "name") → object
  std::map<std::string, std::map<std::string, std::shared_ptr<const google::protobuf::Message>>>
      objects_ ABSL_GUARDED_BY(mu_);
  std::deque<Event> history_ ABSL_GUARDED_BY(mu_);
  std::vector<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  struct Injected {
    std::string verb, resource;
    absl::Status status;
    int times;
  };
  std::vector<Injected> injected_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mk
