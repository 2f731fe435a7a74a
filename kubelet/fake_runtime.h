#pragma once

// An in-memory ContainerRuntime for kubelet unit tests. Containers "run" from Start until a
// test makes them exit (Exit / OomKill) or the kubelet kills them; SIGTERM stops them at
// once unless the test marked them as ignoring it (IgnoreSigterm), SIGKILL always does.
// Like Docker: create refuses a missing image (NotFound "No such image") and a used name
// (AlreadyExists); a container joining `container:<id>` cannot start unless <id> runs;
// start of a running / stop of a stopped container is OK. Running sandboxes get an IP.
//
// Every mutating call is appended to Ops() as text ("create <name>", "start <name>",
// "kill <name> SIGTERM", "stop <name>", "remove <name>", "pull <image>"), naming
// containers by name so tests can assert order.
//
// Thread-safe.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

class FakeRuntime : public ContainerRuntime {
 public:
  explicit FakeRuntime(Clock* clock);
  ~FakeRuntime() override;

  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(const Labels& label_filter) override;
  absl::StatusOr<ContainerInfo> InspectContainer(const std::string& id) override;
  absl::StatusOr<std::string> CreateContainer(const std::string& name, const Json& body) override;
  absl::Status StartContainer(const std::string& id) override;
  absl::Status StopContainer(const std::string& id, absl::Duration timeout) override;
  absl::Status KillContainer(const std::string& id, const std::string& signal) override;
  absl::Status RemoveContainer(const std::string& id) override;
  absl::StatusOr<std::string> ImageId(const std::string& image) override;
  absl::Status PullImage(const std::string& image,
                         const absl::optional<RegistryAuth>& auth) override;
  absl::StatusOr<ExecResult> Exec(const std::string& id, const std::vector<std::string>& cmd,
                                  absl::Duration timeout) override;
  absl::Status Logs(const std::string& id, const LogOptions& opts,
                    const std::function<bool(const std::string& chunk)>& sink) override;
  std::unique_ptr<RuntimeEventStream> WatchEvents(const Labels& label_filter) override;

  // --- Test controls.
  // Makes `image` present locally (its id is "sha256:<image>").
  void AddImage(const std::string& image);
  void RemoveImage(const std::string& image);
  // Pulls of `image` fail with `status` until cleared (an OK status clears).
  void SetPullError(const std::string& image, absl::Status status);
  // Pulls of `image` need this username/password (else Unknown "unauthorized: …").
  void RequireAuth(const std::string& image, const std::string& username,
                   const std::string& password);
  // The next create fails with `status`.
  void FailNextCreate(absl::Status status);

  // The running container exits with `exit_code` (OOMKilled → exit 137 and oom flag).
  void Exit(const std::string& id, int exit_code);
  void OomKill(const std::string& id);
  void IgnoreSigterm(const std::string& id, bool ignore = true);
  // Adds a container as if someone else (another kubelet, a previous run) created it.
  std::string Inject(const std::string& name, const Json& body, bool running);

  // Latest (highest created order) container whose labels include all of `labels`; "" none.
  std::string Find(const Labels& labels) const;
  std::vector<std::string> FindAll(const Labels& labels) const;
  absl::optional<ContainerInfo> Get(const std::string& id) const;
  absl::optional<Json> Body(const std::string& id) const;
  std::vector<std::string> Ops() const;
  void ClearOps();
  std::vector<RegistryAuth> PullAuths() const;  // auth of every pull, in order
  int NumContainers() const;

 private:
  struct Container {
    ContainerInfo info;
    Json body;
    uint64_t seq = 0;
    bool ignore_term = false;
  };
  struct StreamState;
  class Stream;

  void EmitLocked(const Container& c, const std::string& action) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TerminateLocked(Container* c, int exit_code, bool oom) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Container* LookupLocked(const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  mutable absl::Mutex mu_;
  std::map<std::string, Container> containers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> images_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> pull_errors_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RegistryAuth> required_auth_ ABSL_GUARDED_BY(mu_);
  absl::Status next_create_error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> ops_ ABSL_GUARDED_BY(mu_);
  std::vector<RegistryAuth> pull_auths_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<StreamState>> streams_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  int next_ip_ ABSL_GUARDED_BY(mu_) = 2;
};

}  // namespace mk::kubelet
