#pragma once

// A typed client for the Docker Engine API (v1.41) over its unix socket: the calls the
// kubelet needs, each returning absl::Status(Or) whose message is Docker's own `message`
// text (or the registry's, for pulls). HTTP status → code: 404 NotFound, 409 AlreadyExists
// (create) / FailedPrecondition (others), 400 InvalidArgument, 304 OK (a no-op start/stop).
// Transport failures are Unavailable, timeouts DeadlineExceeded, cancellation Cancelled.
//
// Thread-safe: every call opens its own connection; the client holds only options.
// Streaming calls (Logs with follow, Events) block the calling thread until the stream
// ends, the callback returns false, or the CancelToken is cancelled.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "common/json.h"
#include "kubelet/docker_transport.h"
#include "kubelet/runtime.h"

namespace mk::kubelet {

struct DockerClientOptions {
  std::string socket_path = "/var/run/docker.sock";
  std::string api_version = "1.41";
  // Deadline of ordinary calls.
  absl::Duration timeout = absl::Seconds(30);
  // Deadline of pulls and imports (they move whole images).
  absl::Duration pull_timeout = absl::Minutes(10);
};

class DockerClient {
 public:
  // stream: 1 stdout, 2 stderr. Return false to stop.
  using OutputSink = std::function<bool(int stream, absl::string_view data)>;
  using EventCallback = std::function<bool(const Json& event)>;
  using ProgressCallback = std::function<void(const Json& progress)>;

  explicit DockerClient(DockerClientOptions options = {});

  const DockerClientOptions& options() const { return options_; }

  // GET /_ping.
  absl::Status Ping();
  // GET /version, GET /info.
  absl::StatusOr<Json> Version();
  absl::StatusOr<Json> Info();

  // POST /containers/create?name=: `config` is Docker's create body. Returns the id.
  // NotFound "No such image: …"; AlreadyExists when the name is in use.
  absl::StatusOr<std::string> CreateContainer(const std::string& name, const Json& config);
  // 304 (already started) is OK.
  absl::Status StartContainer(const std::string& id);
  // Docker sends the stop signal, waits `grace` (whole seconds, rounded up), then SIGKILL.
  // 304 (already stopped) is OK. The call's deadline is grace + options.timeout.
  absl::Status StopContainer(const std::string& id, absl::Duration grace);
  // FailedPrecondition when the container is not running.
  absl::Status KillContainer(const std::string& id, const std::string& signal = "SIGKILL");
  // DELETE /containers/{id}?force=&v=.
  absl::Status RemoveContainer(const std::string& id, bool force = true,
                               bool remove_volumes = true);
  // GET /containers/{id}/json.
  absl::StatusOr<Json> InspectContainer(const std::string& id);
  // GET /containers/json: containers carrying every label filter ("k=v" or "k"), ANDed.
  absl::StatusOr<Json> ListContainers(const std::vector<std::string>& label_filters,
                                      bool all = true);

  // GET /images/{name}/json; NotFound when absent.
  absl::StatusOr<Json> InspectImage(const std::string& image);
  // POST /images/create?fromImage=&tag=. `repository` like "127.0.0.1:5000/busybox" or
  // "docker.io/library/busybox"; `tag` a tag or a digest ("sha256:…"). Reads the whole
  // progress stream: an error line inside a 200 answer fails the pull with the registry's
  // message (e.g. "… no basic auth credentials").
  absl::Status PullImage(const std::string& repository, const std::string& tag,
                         const absl::optional<RegistryAuth>& auth,
                         const ProgressCallback& progress = nullptr);
  // POST /images/create?fromSrc=-&repo=&tag=&changes=: imports a rootfs tarball. `changes`
  // are Dockerfile lines such as `CMD ["/pause"]`.
  absl::Status ImportImage(const std::string& tar, const std::string& repository,
                           const std::string& tag, const std::vector<std::string>& changes);

  // GET /containers/{id}/logs: demultiplexed output handed to `sink` as it arrives
  // (raw output of TTY containers comes as stream 1). With follow it runs until the
  // container stops, the sink returns false, or `cancel`. limit_bytes is honoured here.
  absl::Status Logs(const std::string& id, const LogOptions& options, const OutputSink& sink,
                    const CancelToken* cancel = nullptr);

  // Runs `cmd` in the container (create exec, start attached, inspect exit code).
  // DeadlineExceeded if it takes longer than `timeout` (the process is left running, as
  // Docker cannot kill an exec).
  absl::StatusOr<ExecResult> Exec(const std::string& id, const std::vector<std::string>& cmd,
                                  absl::Duration timeout);

  // GET /containers/{id}/stats?stream=false (Docker samples twice: takes ~1-2 s).
  absl::StatusOr<Json> Stats(const std::string& id);
  // The same with one-shot=true: one sample at once (no precpu_stats); the caller computes
  // rates from consecutive samples (kubelet/stats_sampler.cc).
  absl::StatusOr<Json> StatsOneShot(const std::string& id);

  // GET /events?filters=: calls `callback` with each event object
  // ({Type, Action, Actor:{ID, Attributes}, time, timeNano}) until it returns false, the
  // stream breaks, or `cancel`. `filters` like {"type":["container"],"label":["mk.node=n1"]}.
  // `since` (unix seconds, 0 = now) replays older events first.
  absl::Status Events(const Json& filters, const EventCallback& callback,
                      const CancelToken* cancel = nullptr, int64_t since = 0);

 private:
  std::string Path(absl::string_view path) const;
  absl::StatusOr<HttpResponse> Call(HttpRequest request, const BodySink& sink = nullptr,
                                    const CancelToken* cancel = nullptr) const;
  // Call + DockerError + JSON body.
  absl::StatusOr<Json> GetJson(absl::string_view path);
  absl::Status Simple(const std::string& method, absl::string_view path, absl::Duration timeout,
                      absl::StatusCode conflict_code = absl::StatusCode::kFailedPrecondition);
  absl::Status ProgressCall(HttpRequest request, const ProgressCallback& progress);

  DockerClientOptions options_;
  DockerTransport transport_;
};

// The JSON body of a label filter query: {"label":["k=v",…]} (+ extra keys from `base`).
Json LabelFilters(const std::vector<std::string>& labels, Json base = Json::object());

}  // namespace mk::kubelet
