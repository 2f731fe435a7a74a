#include "kubelet/fake_runtime.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mk::kubelet {

struct FakeRuntime::StreamState {
  absl::Mutex mu;
  std::deque<RuntimeEvent> events ABSL_GUARDED_BY(mu);
  bool cancelled ABSL_GUARDED_BY(mu) = false;
  Labels filter;
};

namespace {

bool Matches(const Labels& labels, const Labels& filter) {
  for (const auto& [k, v] : filter) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

Labels LabelsOf(const Json& body) {
  Labels out;
  if (body.contains("Labels") && body["Labels"].is_object()) {
    for (auto it = body["Labels"].begin(); it != body["Labels"].end(); ++it) {
      if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
    }
  }
  return out;
}

}  // namespace

class FakeRuntime::Stream : public RuntimeEventStream {
 public:
  explicit Stream(std::shared_ptr<StreamState> st) : st_(std::move(st)) {}
  bool Next(RuntimeEvent* event) override {
    absl::MutexLock l(&st_->mu);
    StreamState* st = st_.get();
    st_->mu.Await(absl::Condition(
        +[](StreamState* s)
             ABSL_NO_THREAD_SAFETY_ANALYSIS { return s->cancelled || !s->events.empty(); },
        st));
    if (st_->cancelled) return false;
    *event = std::move(st_->events.front());
    st_->events.pop_front();
    return true;
  }
  void Cancel() override {
    absl::MutexLock l(&st_->mu);
    st_->cancelled = true;
  }

 private:
  std::shared_ptr<StreamState> st_;
};

FakeRuntime::FakeRuntime(Clock* clock) : clock_(clock) {}

FakeRuntime::~FakeRuntime() {
  absl::MutexLock l(&mu_);
  for (auto& s : streams_) {
    absl::MutexLock sl(&s->mu);
    s->cancelled = true;
  }
}

FakeRuntime::Container* FakeRuntime::LookupLocked(const std::string& id) {
  auto it = containers_.find(id);
  if (it != containers_.end()) return &it->second;
  for (auto& [cid, c] : containers_) {
    if (c.info.name == id) return &c;
  }
  return nullptr;
}

void FakeRuntime::EmitLocked(const Container& c, const std::string& action) {
  for (auto& s : streams_) {
    if (!Matches(c.info.labels, s->filter)) continue;
    RuntimeEvent ev{c.info.id, action, c.info.labels};
    if (action == "die") ev.attributes["exitCode"] = std::to_string(c.info.exit_code);
    absl::MutexLock sl(&s->mu);
    s->events.push_back(std::move(ev));
  }
}

void FakeRuntime::TerminateLocked(Container* c, int exit_code, bool oom) {
  if (!c->info.running) return;
  c->info.running = false;
  c->info.status = "exited";
  c->info.exit_code = exit_code;
  c->info.oom_killed = oom;
  c->info.finished_at = clock_->Now();
  c->info.ip_address.clear();
  if (oom) EmitLocked(*c, "oom");
  EmitLocked(*c, "die");
}

absl::StatusOr<std::vector<ContainerSummary>> FakeRuntime::ListContainers(
    const Labels& label_filter) {
  absl::MutexLock l(&mu_);
  std::vector<std::pair<uint64_t, ContainerSummary>> found;
  for (const auto& [id, c] : containers_) {
    if (!Matches(c.info.labels, label_filter)) continue;
    ContainerSummary s;
    s.id = id;
    s.name = c.info.name;
    s.image = c.info.image;
    s.state = c.info.status;
    s.labels = c.info.labels;
    s.created = absl::ToUnixSeconds(c.info.created);
    found.emplace_back(c.seq, std::move(s));
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });  // newest first
  std::vector<ContainerSummary> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

absl::StatusOr<ContainerInfo> FakeRuntime::InspectContainer(const std::string& id) {
  absl::MutexLock l(&mu_);
  Container* c = LookupLocked(id);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("No such container: ", id));
  return c->info;
}

absl::StatusOr<std::string> FakeRuntime::CreateContainer(const std::string& name,
                                                         const Json& body) {
  absl::MutexLock l(&mu_);
  ops_.push_back(absl::StrCat("create ", name));
  if (!next_create_error_.ok()) {
    absl::Status s = std::move(next_create_error_);
    next_create_error_ = absl::OkStatus();
    return s;
  }
  std::string image = body.value("Image", "");
  auto img = images_.find(image);
  if (img == images_.end()) return absl::NotFoundError(absl::StrCat("No such image: ", image));
  for (const auto& [id, c] : containers_) {
    if (c.info.name == name) {
      return absl::AlreadyExistsError(
          absl::StrCat("Conflict. The container name \"/", name, "\" is already in use"));
    }
  }
  Container c;
  c.seq = next_seq_++;
  c.info.id = absl::StrCat("c", c.seq, "0000000000000000000000000000");
  c.info.name = name;
  c.info.image = image;
  c.info.image_id = img->second;
  c.info.labels = LabelsOf(body);
  c.info.status = "created";
  c.info.created = clock_->Now();
  c.body = body;
  std::string id = c.info.id;
  containers_[id] = std::move(c);
  return id;
}

absl::Status FakeRuntime::StartContainer(const std::string& id) {
  absl::MutexLock l(&mu_);
  Container* c = LookupLocked(id);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("No such container: ", id));
  ops_.push_back(absl::StrCat("start ", c->info.name));
  if (c->info.running) return absl::OkStatus();
  std::string net = c->body.contains("HostConfig")
                        ? c->body["HostConfig"].value("NetworkMode", std::string())
                        : std::string();
  if (absl::StartsWith(net, "container:")) {
    Container* donor = LookupLocked(net.substr(10));
    if (donor == nullptr || !donor->info.running) {
      return absl::FailedPreconditionError("cannot join network of a non running container: " +
                                           net.substr(10));
    }
  } else {
    c->info.ip_address = absl::StrCat("10.88.0.", next_ip_++);
  }
  c->info.running = true;
  c->info.status = "running";
  c->info.oom_killed = false;
  c->info.exit_code = 0;
  c->info.started_at = clock_->Now();
  c->info.finished_at = absl::InfinitePast();
  EmitLocked(*c, "start");
  return absl::OkStatus();
}

absl::Status FakeRuntime::StopContainer(const std::string& id, absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  Container* c = LookupLocked(id);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("No such container: ", id));
  ops_.push_back(absl::StrCat("stop ", c->info.name, " ", absl::FormatDuration(timeout)));
  TerminateLocked(c, c->ignore_term ? 137 : 143, false);
  return absl::OkStatus();
}

absl::Status FakeRuntime::KillContainer(const std::string& id, const std::string& signal) {
  absl::MutexLock l(&mu_);
  Container* c = LookupLocked(id);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("No such container: ", id));
  ops_.push_back(absl::StrCat("kill ", c->info.name, " ", signal));
  if (!c->info.running) {
    return absl::FailedPreconditionError(absl::StrCat("Container ", id, " is not running"));
  }
  if (signal == "SIGKILL" || signal == "KILL") {
    TerminateLocked(c, 137, false);
  } else if (!c->ignore_term) {
    TerminateLocked(c, 143, false);
  }
  return absl::OkStatus();
}

absl::Status FakeRuntime::RemoveContainer(const std::string& id) {
  absl::MutexLock l(&mu_);
  Container* c = LookupLocked(id);
  if (c == nullptr) return absl::OkStatus();
  ops_.push_back(absl::StrCat("remove ", c->info.name));
  TerminateLocked(c, 137, false);
  EmitLocked(*c, "destroy");
  containers_.erase(c->info.id);
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeRuntime::ImageId(const std::string& image) {
  absl::MutexLock l(&mu_);
  auto it = images_.find(image);
  if (it == images_.end()) return absl::NotFoundError(absl::StrCat("No such image: ", image));
  return it->second;
}

absl::Status FakeRuntime::PullImage(const std::string& image,
                                    const absl::optional<RegistryAuth>& auth) {
  absl::MutexLock l(&mu_);
  ops_.push_back(absl::StrCat("pull ", image));
  pull_auths_.push_back(auth.value_or(RegistryAuth{}));
  auto err = pull_errors_.find(image);
  if (err != pull_errors_.end()) return err->second;
  auto req = required_auth_.find(image);
  if (req != required_auth_.end()) {
    if (!auth || auth->username != req->second.username || auth->password != req->second.password) {
      return absl::UnknownError(
          absl::StrCat("Head \"http://", image, "\": no basic auth credentials"));
    }
  }
  images_[image] = absl::StrCat("sha256:", image);
  return absl::OkStatus();
}

absl::StatusOr<ExecResult> FakeRuntime::Exec(const std::string& id,
                                             const std::vector<std::string>& cmd, absl::Duration) {
  absl::MutexLock l(&mu_);
  Container* c = LookupLocked(id);
  if (c == nullptr) return absl::NotFoundError(absl::StrCat("No such container: ", id));
  if (!c->info.running) return absl::FailedPreconditionError("container is not running");
  ExecResult r;
  r.exit_code = 0;
  for (const auto& a : cmd) absl::StrAppend(&r.output, a, " ");
  return r;
}

absl::Status FakeRuntime::Logs(const std::string& id, const LogOptions&,
                               const std::function<bool(const std::string& chunk)>& sink) {
  std::string name;
  {
    absl::MutexLock l(&mu_);
    Container* c = LookupLocked(id);
    if (c == nullptr) return absl::NotFoundError(absl::StrCat("No such container: ", id));
    name = c->info.name;
  }
  sink(absl::StrCat("log of ", name, "\n"));
  return absl::OkStatus();
}

std::unique_ptr<RuntimeEventStream> FakeRuntime::WatchEvents(const Labels& label_filter) {
  auto st = std::make_shared<StreamState>();
  st->filter = label_filter;
  absl::MutexLock l(&mu_);
  streams_.push_back(st);
  return std::make_unique<Stream>(st);
}

void FakeRuntime::AddImage(const std::string& image) {
  absl::MutexLock l(&mu_);
  images_[image] = absl::StrCat("sha256:", image);
}

void FakeRuntime::RemoveImage(const std::string& image) {
  absl::MutexLock l(&mu_);
  images_.erase(image);
}

void FakeRuntime::SetPullError(const std::string& image, absl::Status status) {
  absl::MutexLock l(&mu_);
  if (status.ok()) {
    pull_errors_.erase(image);
  } else {
    pull_errors_[image] = std::move(status);
  }
}

void FakeRuntime::RequireAuth(const std::string& image, const std::string& username,
                              const std::string& password) {
  absl::MutexLock l(&mu_);
  required_auth_[image] = RegistryAuth{username, password, ""};
}

void FakeRuntime::FailNextCreate(absl::Status status) {
  absl::MutexLock l(&mu_);
  next_create_error_ = std::move(status);
}

void FakeRuntime::Exit(const std::string& id, int exit_code) {
  absl::MutexLock l(&mu_);
  if (Container* c = LookupLocked(id)) TerminateLocked(c, exit_code, false);
}

void FakeRuntime::OomKill(const std::string& id) {
  absl::MutexLock l(&mu_);
  if (Container* c = LookupLocked(id)) TerminateLocked(c, 137, true);
}

void FakeRuntime::IgnoreSigterm(const std::string& id, bool ignore) {
  absl::MutexLock l(&mu_);
  if (Container* c = LookupLocked(id)) c->ignore_term = ignore;
}

std::string FakeRuntime::Inject(const std::string& name, const Json& body, bool running) {
  absl::MutexLock l(&mu_);
  Container c;
  c.seq = next_seq_++;
  c.info.id = absl::StrCat("c", c.seq, "0000000000000000000000000000");
  c.info.name = name;
  c.info.image = body.value("Image", "");
  c.info.image_id = absl::StrCat("sha256:", c.info.image);
  c.info.labels = LabelsOf(body);
  c.info.created = clock_->Now();
  c.info.status = running ? "running" : "exited";
  c.info.running = running;
  if (running) {
    c.info.started_at = clock_->Now();
    c.info.ip_address = absl::StrCat("10.88.0.", next_ip_++);
  }
  c.body = body;
  std::string id = c.info.id;
  containers_[id] = std::move(c);
  return id;
}

std::vector<std::string> FakeRuntime::FindAll(const Labels& labels) const {
  absl::MutexLock l(&mu_);
  std::vector<std::pair<uint64_t, std::string>> found;
  for (const auto& [id, c] : containers_) {
    if (Matches(c.info.labels, labels)) found.emplace_back(c.seq, id);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

std::string FakeRuntime::Find(const Labels& labels) const {
  std::vector<std::string> all = FindAll(labels);
  return all.empty() ? "" : all.back();
}

absl::optional<ContainerInfo> FakeRuntime::Get(const std::string& id) const {
  absl::MutexLock l(&mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return absl::nullopt;
  return it->second.info;
}

absl::optional<Json> FakeRuntime::Body(const std::string& id) const {
  absl::MutexLock l(&mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return absl::nullopt;
  return it->second.body;
}

std::vector<std::string> FakeRuntime::Ops() const {
  absl::MutexLock l(&mu_);
  return ops_;
}

void FakeRuntime::ClearOps() {
  absl::MutexLock l(&mu_);
  ops_.clear();
}

std::vector<RegistryAuth> FakeRuntime::PullAuths() const {
  absl::MutexLock l(&mu_);
  return pull_auths_;
}

int FakeRuntime::NumContainers() const {
  absl::MutexLock l(&mu_);
  return static_cast<int>(containers_.size());
}

}  // namespace mk::kubelet
