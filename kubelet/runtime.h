#pragma once

// The kubelet's view of a container engine: thin and Docker-shaped, so every pod-level
// decision (sandbox, init order, restarts, back-off, status) lives above it in code the
// fake exercises. DockerRuntime implements it over the Docker Engine API; FakeRuntime in
// memory for tests.
//
// Ids are engine container ids; names carry no leading '/'. Timestamps are absl::Time
// (absl::InfinitePast() when the engine reports none, e.g. "0001-01-01T00:00:00Z").
//
// Implementations are thread-safe: pod workers call them concurrently.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "common/json.h"

namespace mk::kubelet {

// Label names the kubelet puts on every container it creates.
inline constexpr char kLabelNode[] = "mk.node";
inline constexpr char kLabelPodUid[] = "mk.pod.uid";
inline constexpr char kLabelPodName[] = "mk.pod.name";
inline constexpr char kLabelPodNamespace[] = "mk.pod.namespace";
inline constexpr char kLabelContainerName[] = "mk.container.name";
inline constexpr char kLabelAttempt[] = "mk.container.attempt";
inline constexpr char kLabelSandbox[] = "mk.sandbox";
// "init" for init containers, "app" otherwise (absent on the sandbox).
inline constexpr char kLabelContainerType[] = "mk.container.type";
// Hash of the container's spec: a changed spec (e.g. a new image) restarts the container.
inline constexpr char kLabelSpecHash[] = "mk.container.hash";
// The pod's terminationGracePeriodSeconds, so orphans are stopped as gently as they'd be.
inline constexpr char kLabelGracePeriod[] = "mk.pod.terminationGracePeriod";

using Labels = std::map<std::string, std::string>;

// One item of a container list (GET /containers/json?all=true).
struct ContainerSummary {
  std::string id;
  std::string name;
  std::string image;
  std::string state;  // created | running | paused | restarting | removing | exited | dead
  Labels labels;
  int64_t created = 0;  // unix seconds
};

// What an inspect (GET /containers/{id}/json) tells the kubelet.
struct ContainerInfo {
  std::string id;
  std::string name;
  std::string image;     // Config.Image: the reference it was created from
  std::string image_id;  // Image: "sha256:…"
  Labels labels;
  std::string status;  // State.Status
  bool running = false;
  bool oom_killed = false;
  int exit_code = 0;
  std::string error;  // State.Error
  absl::Time created = absl::InfinitePast();
  absl::Time started_at = absl::InfinitePast();
  absl::Time finished_at = absl::InfinitePast();
  std::string ip_address;  // the container's IP (sandboxes): first network's address
};

// Registry credentials for one pull (sent as X-Registry-Auth).
struct RegistryAuth {
  std::string username;
  std::string password;
  std::string server_address;  // host[:port], no scheme
};

struct ExecResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved
};

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  int64_t tail = -1;        // < 0: all
  int64_t since_unix = 0;   // 0: from the start
  int64_t limit_bytes = 0;  // 0: no limit
};

// A container lifecycle event from the engine (GET /events).
struct RuntimeEvent {
  std::string container_id;
  std::string action;  // create | start | die | oom | kill | stop | destroy | …
  Labels attributes;   // container labels (+ exitCode for die)
};

// A stream of runtime events. Next() blocks; false when the stream ended (error or
// Cancel()). Cancel() may be called from any thread.
class RuntimeEventStream {
 public:
  virtual ~RuntimeEventStream() = default;
  virtual bool Next(RuntimeEvent* event) = 0;
  virtual void Cancel() = 0;
};

class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;

  // All containers (stopped ones too) carrying every label in `label_filter` (k=v, ANDed).
  virtual absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const Labels& label_filter) = 0;
  virtual absl::StatusOr<ContainerInfo> InspectContainer(const std::string& id) = 0;
  // `body` is a Docker create body (Image, Entrypoint, Cmd, Env, Labels, HostConfig…).
  // Returns the new id. NotFound when the image is missing, AlreadyExists on a name clash.
  virtual absl::StatusOr<std::string> CreateContainer(const std::string& name,
                                                      const Json& body) = 0;
  // Starting a running container or stopping a stopped one is OK (Docker's 304).
  virtual absl::Status StartContainer(const std::string& id) = 0;
  // SIGTERM (the image's stop signal), then SIGKILL after `timeout`. Blocks up to it.
  virtual absl::Status StopContainer(const std::string& id, absl::Duration timeout) = 0;
  // `signal` like "SIGTERM" / "SIGKILL". FailedPrecondition if not running.
  virtual absl::Status KillContainer(const std::string& id, const std::string& signal) = 0;
  // Force-removes (kills first if running). NotFound is reported as OK.
  virtual absl::Status RemoveContainer(const std::string& id) = 0;

  // The image's id ("sha256:…"), or NotFound.
  virtual absl::StatusOr<std::string> ImageId(const std::string& image) = 0;
  // Pulls `image` (a full reference; no tag means :latest). Errors carry the registry's
  // message (e.g. "unauthorized: authentication required").
  virtual absl::Status PullImage(const std::string& image,
                                 const absl::optional<RegistryAuth>& auth) = 0;

  virtual absl::StatusOr<ExecResult> Exec(const std::string& id,
                                          const std::vector<std::string>& cmd,
                                          absl::Duration timeout) = 0;
  // Calls `sink` with chunks of log text (stdout and stderr merged) until the end (or, with
  // follow, until the container stops or `sink` returns false).
  virtual absl::Status Logs(const std::string& id, const LogOptions& opts,
                            const std::function<bool(const std::string& chunk)>& sink) = 0;

  // Container events for containers carrying every label in `label_filter`; nullptr if the
  // engine can't stream events (callers fall back to periodic relists).
  virtual std::unique_ptr<RuntimeEventStream> WatchEvents(const Labels& label_filter) = 0;
};

}  // namespace mk::kubelet
