// ContainerRuntime over DockerClient: one method per Engine API call, plus translating
// Docker's JSON (inspect, list, events) into the runtime's structs.

#include "kubelet/docker_runtime.h"

#include <deque>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/object.h"
#include "kubelet/credentials.h"
#include "kubelet/docker_client.h"
#include "kubelet/pause_image.h"

namespace mk::kubelet {
namespace {

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Labels LabelsOf(const Json& j) {
  Labels out;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

// Docker's zero time ("0001-01-01T00:00:00Z") → InfinitePast.
absl::Time DockerTime(const std::string& s) {
  if (s.empty() || absl::StartsWith(s, "0001-")) return absl::InfinitePast();
  return ParseTime(s);
}

// "repo[:tag][@digest]" → (repo, tag-or-digest), default tag "latest".
std::pair<std::string, std::string> SplitImage(const std::string& image) {
  size_t at = image.find('@');
  if (at != std::string::npos) return {image.substr(0, at), image.substr(at + 1)};
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    return {image.substr(0, colon), image.substr(colon + 1)};
  }
  return {image, "latest"};
}

std::vector<std::string> Filters(const Labels& labels) {
  std::vector<std::string> out;
  for (const auto& [k, v] : labels) out.push_back(absl::StrCat(k, "=", v));
  return out;
}

// Pull-style adapter over DockerClient::Events (which calls back on its own thread here).
class DockerEventStream : public RuntimeEventStream {
 public:
  DockerEventStream(DockerClient* client, const Labels& filter) {
    Json filters = LabelFilters(Filters(filter), Json{{"type", Json::array({"container"})}});
    thread_ = std::thread([this, client, filters] {
      absl::Status s = client->Events(
          filters,
          [this](const Json& ev) {
            RuntimeEvent out;
            out.action = Str(ev, "Action");
            if (ev.contains("Actor")) {
              out.container_id = Str(ev["Actor"], "ID");
              if (ev["Actor"].contains("Attributes")) {
                out.attributes = LabelsOf(ev["Actor"]["Attributes"]);
              }
            }
            absl::MutexLock l(&mu_);
            events_.push_back(std::move(out));
            return !done_;
          },
          &cancel_);
      absl::MutexLock l(&mu_);
      done_ = true;
    });
  }
  ~DockerEventStream() override {
    Cancel();
    thread_.join();
  }
  bool Next(RuntimeEvent* event) override {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](DockerEventStream* s)
             ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->done_ || !s->events_.empty(); },
        this));
    if (events_.empty()) return false;
    *event = std::move(events_.front());
    events_.pop_front();
    return true;
  }
  void Cancel() override {
    cancel_.Cancel();
    absl::MutexLock l(&mu_);
    done_ = true;
    events_.clear();
  }

 private:
  CancelToken cancel_;
  absl::Mutex mu_;
  std::deque<RuntimeEvent> events_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class DockerRuntime : public ContainerRuntime {
 public:
  explicit DockerRuntime(DockerClientOptions opts) : client_(std::move(opts)) {}
  DockerClient* client() { return &client_; }

  absl::StatusOr<std::vector<ContainerSummary>> ListContainers(
      const Labels& label_filter) override {
    absl::StatusOr<Json> list = client_.ListContainers(Filters(label_filter), /*all=*/true);
    if (!list.ok()) return list.status();
    std::vector<ContainerSummary> out;
    for (const Json& c : *list) {
      ContainerSummary s;
      s.id = Str(c, "Id");
      if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty()) {
        s.name = c["Names"][0].get<std::string>();
        if (absl::StartsWith(s.name, "/")) s.name.erase(0, 1);
      }
      s.image = Str(c, "Image");
      s.state = Str(c, "State");
      if (c.contains("Labels")) s.labels = LabelsOf(c["Labels"]);
      if (c.contains("Created") && c["Created"].is_number())
        s.created = c["Created"].get<int64_t>();
      out.push_back(std::move(s));
    }
    return out;
  }

  absl::StatusOr<ContainerInfo> InspectContainer(const std::string& id) override {
    absl::StatusOr<Json> j = client_.InspectContainer(id);
    if (!j.ok()) return j.status();
    ContainerInfo info;
    info.id = Str(*j, "Id");
    info.name = Str(*j, "Name");
    if (absl::StartsWith(info.name, "/")) info.name.erase(0, 1);
    info.image_id = Str(*j, "Image");
    info.created = DockerTime(Str(*j, "Created"));
    if (j->contains("Config")) {
      const Json& cfg = (*j)["Config"];
      info.image = Str(cfg, "Image");
      if (cfg.contains("Labels")) info.labels = LabelsOf(cfg["Labels"]);
    }
    if (j->contains("State")) {
      const Json& st = (*j)["State"];
      info.status = Str(st, "Status");
      info.running = st.value("Running", false);
      info.oom_killed = st.value("OOMKilled", false);
      info.exit_code = st.value("ExitCode", 0);
      info.error = Str(st, "Error");
      info.started_at = DockerTime(Str(st, "StartedAt"));
      info.finished_at = DockerTime(Str(st, "FinishedAt"));
    }
    if (j->contains("NetworkSettings")) {
      const Json& ns = (*j)["NetworkSettings"];
      info.ip_address = Str(ns, "IPAddress");
      if (info.ip_address.empty() && ns.contains("Networks") && ns["Networks"].is_object()) {
        for (auto it = ns["Networks"].begin(); it != ns["Networks"].end(); ++it) {
          std::string ip = Str(it.value(), "IPAddress");
          if (!ip.empty()) {
            info.ip_address = ip;
            break;
          }
        }
      }
    }
    return info;
  }

  absl::StatusOr<std::string> CreateContainer(const std::string& name, const Json& body) override {
    return client_.CreateContainer(name, body);
  }
  absl::Status StartContainer(const std::string& id) override { return client_.StartContainer(id); }
  absl::Status StopContainer(const std::string& id, absl::Duration timeout) override {
    absl::Status s = client_.StopContainer(id, timeout);
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  }
  absl::Status KillContainer(const std::string& id, const std::string& signal) override {
    return client_.KillContainer(id, signal);
  }
  absl::Status RemoveContainer(const std::string& id) override {
    absl::Status s = client_.RemoveContainer(id, /*force=*/true, /*remove_volumes=*/true);
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  }
  absl::StatusOr<std::string> ImageId(const std::string& image) override {
    absl::StatusOr<Json> j = client_.InspectImage(image);
    if (!j.ok()) return j.status();
    return Str(*j, "Id");
  }
  absl::Status PullImage(const std::string& image,
                         const absl::optional<RegistryAuth>& auth) override {
    auto [repo, tag] = SplitImage(image);
    return client_.PullImage(repo, tag, auth);
  }
  absl::StatusOr<ExecResult> Exec(const std::string& id, const std::vector<std::string>& cmd,
                                  absl::Duration timeout) override {
    return client_.Exec(id, cmd, timeout);
  }
  absl::Status Logs(const std::string& id, const LogOptions& opts,
                    const std::function<bool(const std::string& chunk)>& sink) override {
    return client_.Logs(id, opts,
                        [&sink](int, absl::string_view data) { return sink(std::string(data)); });
  }
  std::unique_ptr<RuntimeEventStream> WatchEvents(const Labels& label_filter) override {
    return std::make_unique<DockerEventStream>(&client_, label_filter);
  }

 private:
  DockerClient client_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ContainerRuntime>> NewDockerRuntime(const std::string& socket_path) {
  DockerClientOptions opts;
  opts.socket_path = socket_path;
  auto rt = std::make_unique<DockerRuntime>(opts);
  if (absl::Status s = rt->client()->Ping(); !s.ok()) return s;
  return rt;
}

CredentialMatcher DockerCredentialMatcher() {
  return [](const std::string& image, const std::vector<api::Secret>& pull_secrets) {
    DockerKeyring keyring;
    for (const api::Secret& secret : pull_secrets) {
      std::string content;
      if (secret.type() == "kubernetes.io/dockercfg" &&
          SecretValue(secret, ".dockercfg", &content)) {
        (void)keyring.AddDockerCfg(content);
      } else if (SecretValue(secret, ".dockerconfigjson", &content)) {
        (void)keyring.AddDockerConfigJson(content);
      } else if (SecretValue(secret, ".dockercfg", &content)) {
        (void)keyring.AddDockerCfg(content);
      }
    }
    return keyring.Lookup(image);
  };
}

std::function<absl::Status()> SandboxImageEnsurer(const std::string& socket_path,
                                                  const std::string& pause_binary,
                                                  const std::string& image) {
  struct State {
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
  };
  auto state = std::make_shared<State>();
  DockerClientOptions opts;
  opts.socket_path = socket_path;
  auto client = std::make_shared<DockerClient>(opts);
  std::string binary = pause_binary.empty() ? DefaultPauseBinaryPath() : pause_binary;
  return [state, client, binary, image]() -> absl::Status {
    absl::MutexLock l(&state->mu);
    if (state->done) return absl::OkStatus();
    absl::Status s = EnsurePauseImage(*client, binary, image);
    if (s.ok()) state->done = true;
    return s;
  };
}

}  // namespace mk::kubelet
