#include "kubelet/prober.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace mk::kubelet {
namespace {

int Or(const google::protobuf::int32& v, bool has, int def) { return has ? v : def; }

// The port number of `port` (a number, or the name of one of the container's ports); 0 if
// it names no port.
int ResolvePort(const api::IntOrString& port, const api::Container& c) {
  if (port.has_int_val()) return port.int_val();
  if (port.has_str_val()) {
    for (const auto& p : c.ports()) {
      if (p.name() == port.str_val()) return p.container_port();
    }
    int n = 0;
    if (absl::SimpleAtoi(port.str_val(), &n)) return n;
  }
  return 0;
}

// Connects to ip:port within `timeout`; "" on success, else Go's dial error text.
std::string Dial(const std::string& host, int port, absl::Duration timeout) {
  std::string target = absl::StrCat(host, ":", port);
  struct addrinfo hints {};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 ||
      res == nullptr) {
    return absl::StrCat("dial tcp ", target, ": lookup ", host, ": no such host");
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    return absl::StrCat("dial tcp ", target, ": socket: ", std::strerror(errno));
  }
  std::string err;
  int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd p {
      fd, POLLOUT, 0
    };
    int n = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout)));
    if (n == 0) {
      err = absl::StrCat("dial tcp ", target, ": i/o timeout");
    } else {
      int so = 0;
      socklen_t len = sizeof(so);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
      if (so != 0) {
        err = absl::StrCat("dial tcp ", target, ": connect: ", std::strerror(so));
      }
    }
  } else if (rc != 0) {
    err = absl::StrCat("dial tcp ", target, ": connect: ", std::strerror(errno));
  }
  close(fd);
  if (!err.empty()) {
    // Go spells ECONNREFUSED in lower case.
    size_t pos = err.find("Connection refused");
    if (pos != std::string::npos) err.replace(pos, 18, "connection refused");
  }
  return err;
}

const char* KindName(int kind) {
  switch (kind) {
    case 0:
      return "Startup";
    case 1:
      return "Liveness";
    default:
      return "Readiness";
  }
}

}  // namespace

ProbeResult RunProbe(ContainerRuntime* runtime, const api::Probe& probe,
                     const api::Container& container, const std::string& pod_ip,
                     const std::string& container_id) {
  absl::Duration timeout =
      absl::Seconds(Or(probe.timeout_seconds(), probe.has_timeout_seconds(), 1));
  if (timeout <= absl::ZeroDuration()) timeout = absl::Seconds(1);
  ProbeResult r;
  if (probe.has_exec() && probe.exec().command_size() > 0) {
    std::vector<std::string> cmd(probe.exec().command().begin(), probe.exec().command().end());
    absl::StatusOr<ExecResult> e = runtime->Exec(container_id, cmd, timeout);
    if (!e.ok()) {
      r.message = absl::IsDeadlineExceeded(e.status()) ? absl::StrCat("command timed out")
                                                       : std::string(e.status().message());
      return r;
    }
    r.success = e->exit_code == 0;
    if (!r.success) {
      r.message = e->output.empty()
                      ? absl::StrCat("command terminated with exit code ", e->exit_code)
                      : e->output;
    }
    return r;
  }
  if (probe.has_http_get()) {
    const api::HTTPGetAction& h = probe.http_get();
    std::string host = h.host().empty() ? pod_ip : h.host();
    int port = ResolvePort(h.port(), container);
    std::string path = h.path().empty() ? "/" : h.path();
    if (path[0] != '/') path = "/" + path;
    if (host.empty() || port <= 0) {
      r.message = host.empty() ? "pod has no IP yet" : "invalid port";
      return r;
    }
    // As Kubernetes: HTTPS probes do not verify the container's certificate.
    const bool https = absl::AsciiStrToUpper(h.scheme()) == "HTTPS";
    const std::string scheme = https ? "https" : "http";
    httplib::Client client(absl::StrCat(scheme, "://", host, ":", port));
    if (https) client.enable_server_certificate_verification(false);
    int64_t us = absl::ToInt64Microseconds(timeout);
    client.set_connection_timeout(us / 1000000, us % 1000000);
    client.set_read_timeout(us / 1000000, us % 1000000);
    client.set_write_timeout(us / 1000000, us % 1000000);
    client.set_follow_location(false);
    httplib::Headers headers{{"User-Agent", "kube-probe/1.28"}, {"Accept", "*/*"}};
    for (const auto& hdr : h.http_headers()) {
      if (hdr.name() == "User-Agent" || hdr.name() == "Accept") headers.erase(hdr.name());
      headers.emplace(hdr.name(), hdr.value());
    }
    auto res = client.Get(path.c_str(), headers);
    std::string url = absl::StrCat(scheme, "://", host, ":", port, path);
    if (!res) {
      std::string why;
      if (res.error() == httplib::Error::Connection) {
        why = Dial(host, port, timeout);
        if (why.empty()) why = "connection failed";
      } else if (res.error() == httplib::Error::Read) {
        why = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
      } else {
        why = httplib::to_string(res.error());
      }
      r.message = absl::StrCat("Get \"", url, "\": ", why);
      return r;
    }
    r.success = res->status >= 200 && res->status < 400;
    if (!r.success) r.message = absl::StrCat("HTTP probe failed with statuscode: ", res->status);
    return r;
  }
  if (probe.has_tcp_socket()) {
    std::string host = probe.tcp_socket().host().empty() ? pod_ip : probe.tcp_socket().host();
    int port = ResolvePort(probe.tcp_socket().port(), container);
    if (host.empty() || port <= 0) {
      r.message = host.empty() ? "pod has no IP yet" : "invalid port";
      return r;
    }
    r.message = Dial(host, port, timeout);
    r.success = r.message.empty();
    return r;
  }
  r.message = "probe has no action";
  return r;
}

ProbeManager::ProbeManager(ContainerRuntime* runtime, EventSink* events, std::string node_name)
    : runtime_(runtime), events_(events), node_name_(std::move(node_name)) {}

ProbeManager::~ProbeManager() { Shutdown(); }

void ProbeManager::Shutdown() {
  std::vector<Thread> threads;
  {
    absl::MutexLock l(&mu_);
    shutdown_ = true;
    for (auto& [id, inst] : instances_) inst->stop = true;
    threads.swap(threads_);
  }
  for (Thread& t : threads) t.thread.join();
}

void ProbeManager::Spawn(std::function<void()> fn) {
  auto done = std::make_shared<std::atomic<bool>>(false);
  threads_.push_back(Thread{std::thread([fn = std::move(fn), done] {
                              fn();
                              done->store(true);
                            }),
                            done});
}

bool ProbeManager::Ready(const std::string& pod_uid, const std::string& container,
                         const std::string& container_id) {
  (void)pod_uid, (void)container;
  absl::MutexLock l(&mu_);
  auto it = instances_.find(container_id);
  if (it == instances_.end()) return true;  // no probes
  return it->second->started && it->second->ready;
}

void ProbeManager::ContainerStarted(const api::Pod& pod, const std::string& container,
                                    const std::string& container_id) {
  const api::Container* spec = nullptr;
  for (const auto& c : pod.spec().containers()) {
    if (c.name() == container) spec = &c;
  }
  if (spec == nullptr) return;  // init containers are not probed
  if (!spec->has_startup_probe() && !spec->has_liveness_probe() && !spec->has_readiness_probe()) {
    return;
  }
  std::vector<Thread> finished;  // joined outside the lock
  {
    absl::MutexLock l(&mu_);
    for (auto it = threads_.begin(); it != threads_.end();) {
      if (it->done->load()) {
        finished.push_back(std::move(*it));
        it = threads_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Thread& t : finished) t.thread.join();
  auto inst = std::make_shared<Instance>();
  inst->pod_uid = pod.metadata().uid();
  inst->container = container;
  inst->started = !spec->has_startup_probe();
  inst->ready = !spec->has_readiness_probe();
  absl::MutexLock l(&mu_);
  if (shutdown_ || instances_.count(container_id)) return;
  // Older instances of the same container stop probing.
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (it->second->pod_uid == inst->pod_uid && it->second->container == container) {
      it->second->stop = true;
      it = instances_.erase(it);
    } else {
      ++it;
    }
  }
  instances_[container_id] = inst;
  if (spec->has_startup_probe()) {
    Spawn([this, inst, pod, c = *spec, container_id] {
      Worker(inst, pod, c, container_id, Kind::kStartup);
    });
  }
  if (spec->has_liveness_probe()) {
    Spawn([this, inst, pod, c = *spec, container_id] {
      Worker(inst, pod, c, container_id, Kind::kLiveness);
    });
  }
  if (spec->has_readiness_probe()) {
    Spawn([this, inst, pod, c = *spec, container_id] {
      Worker(inst, pod, c, container_id, Kind::kReadiness);
    });
  }
}

void ProbeManager::PodRemoved(const std::string& pod_uid) {
  absl::MutexLock l(&mu_);
  for (auto it = instances_.begin(); it != instances_.end();) {
    if (it->second->pod_uid == pod_uid) {
      it->second->stop = true;
      it = instances_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ProbeManager::Sleep(const std::shared_ptr<Instance>& inst, absl::Duration d) {
  absl::MutexLock l(&mu_);
  Instance* raw = inst.get();
  auto stopped = [this, raw]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return shutdown_ || raw->stop; };
  (void)mu_.AwaitWithTimeout(absl::Condition(&stopped), d);
  return !(shutdown_ || raw->stop);
}

std::string ProbeManager::PodIp(const api::Pod& pod) {
  absl::StatusOr<std::vector<ContainerSummary>> list = runtime_->ListContainers(
      {{kLabelPodUid, pod.metadata().uid()}, {kLabelNode, node_name_}, {kLabelSandbox, "true"}});
  if (!list.ok()) return "";
  for (const ContainerSummary& s : *list) {
    if (s.state != "running") continue;
    absl::StatusOr<ContainerInfo> info = runtime_->InspectContainer(s.id);
    if (info.ok() && !info->ip_address.empty()) return info->ip_address;
  }
  return pod.spec().host_network() ? "127.0.0.1" : "";
}

void ProbeManager::Worker(std::shared_ptr<Instance> inst, api::Pod pod, api::Container c,
                          std::string id, Kind kind) {
  const api::Probe& probe = kind == Kind::kStartup    ? c.startup_probe()
                            : kind == Kind::kLiveness ? c.liveness_probe()
                                                      : c.readiness_probe();
  absl::Duration period =
      absl::Seconds(std::max(1, Or(probe.period_seconds(), probe.has_period_seconds(), 10)));
  int success_threshold =
      std::max(1, Or(probe.success_threshold(), probe.has_success_threshold(), 1));
  int failure_threshold =
      std::max(1, Or(probe.failure_threshold(), probe.has_failure_threshold(), 3));
  const std::string kind_name = KindName(static_cast<int>(kind));
  if (!Sleep(inst, absl::Seconds(probe.initial_delay_seconds()))) return;
  std::string pod_ip;
  int successes = 0, failures = 0;
  bool result = kind == Kind::kReadiness ? false : true;
  while (true) {
    bool gated;
    {
      absl::MutexLock l(&mu_);
      gated = kind != Kind::kStartup && !inst->started;
      if (kind == Kind::kStartup && inst->started) return;
    }
    if (!gated) {
      if (pod_ip.empty()) pod_ip = PodIp(pod);
      ProbeResult r = RunProbe(runtime_, probe, c, pod_ip, id);
      {
        absl::MutexLock l(&mu_);
        if (shutdown_ || inst->stop) return;
      }
      if (r.success) {
        failures = 0;
        ++successes;
      } else {
        successes = 0;
        ++failures;
        if (events_ != nullptr) {
          std::string msg = absl::StrCat(kind_name, " probe failed: ", r.message);
          while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
          events_->Event(pod, "Warning", "Unhealthy", msg);
        }
      }
      bool flip_up = !result && successes >= success_threshold;
      bool flip_down = result && failures >= failure_threshold;
      if (kind == Kind::kStartup && r.success) {
        {
          absl::MutexLock l(&mu_);
          inst->started = true;
        }
        if (on_change_) on_change_(inst->pod_uid);
        return;
      }
      if (kind == Kind::kReadiness && (flip_up || flip_down)) {
        result = flip_up;
        {
          absl::MutexLock l(&mu_);
          inst->ready = result;
        }
        if (on_change_) on_change_(inst->pod_uid);
      }
      if ((kind == Kind::kLiveness || kind == Kind::kStartup) && failures >= failure_threshold) {
        {
          absl::MutexLock l(&mu_);
          inst->stop = true;
        }
        if (on_kill_) {
          on_kill_(inst->pod_uid, c.name(), id,
                   absl::StrCat("Container ", c.name(), " failed ",
                                kind == Kind::kLiveness ? "liveness" : "startup",
                                " probe, will be restarted"));
        }
        return;
      }
    }
    if (!Sleep(inst, period)) return;
  }
}

}  // namespace mk::kubelet
