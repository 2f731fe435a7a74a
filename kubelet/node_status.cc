#include "kubelet/node_status.h"

#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/object.h"
#include "google/protobuf/util/message_differencer.h"
#include "kubelet/container_spec.h"

namespace mk::kubelet {
namespace {

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t Int(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string MicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

void AddCondition(api::NodeStatus* st, const std::string& type, const std::string& status,
                  const std::string& reason, const std::string& message, absl::Time now) {
  api::NodeCondition* c = st->add_conditions();
  c->set_type(type);
  c->set_status(status);
  c->set_reason(reason);
  c->set_message(message);
  c->set_last_heartbeat_time(mk::FormatTime(now));
  c->set_last_transition_time(mk::FormatTime(now));
}

// The status without the times that change on every write.
api::NodeStatus Timeless(const api::NodeStatus& in) {
  api::NodeStatus out = in;
  for (auto& c : *out.mutable_conditions()) {
    c.clear_last_heartbeat_time();
    c.clear_last_transition_time();
  }
  return out;
}

// Keeps lastTransitionTime of conditions whose status did not change.
void KeepTransitions(const api::NodeStatus& prev, api::NodeStatus* next) {
  for (auto& c : *next->mutable_conditions()) {
    for (const auto& p : prev.conditions()) {
      if (p.type() == c.type() && p.status() == c.status() && !p.last_transition_time().empty()) {
        c.set_last_transition_time(p.last_transition_time());
      }
    }
  }
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseNodeLabels(const std::string& s) {
  std::map<std::string, std::string> out;
  for (absl::string_view kv : absl::StrSplit(s, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    std::string k(absl::StripAsciiWhitespace(p.first));
    if (k.empty() || kv.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad node label \"", kv, "\" (want k=v)"));
    }
    out[k] = std::string(absl::StripAsciiWhitespace(p.second));
  }
  return out;
}

std::string GoArch(const std::string& a) {
  if (a == "x86_64" || a == "amd64") return "amd64";
  if (a == "aarch64" || a == "arm64") return "arm64";
  if (a.rfind("armv", 0) == 0 || a == "arm") return "arm";
  if (a == "i386" || a == "i686") return "386";
  return a.empty() ? "amd64" : a;
}

absl::StatusOr<api::Node> BuildNode(const NodeOptions& opts, const Json& info, absl::Time now,
                                    const PressureState& pressure) {
  api::Node node;
  node.set_api_version("v1");
  node.set_kind("Node");
  auto* md = node.mutable_metadata();
  md->set_name(opts.node_name);
  std::string os = Str(info, "OSType");
  if (os.empty()) os = "linux";
  std::string arch = GoArch(Str(info, "Architecture"));
  auto& labels = *md->mutable_labels();
  labels["kubernetes.io/hostname"] = opts.node_name;
  labels["kubernetes.io/os"] = os;
  labels["kubernetes.io/arch"] = arch;
  labels["beta.kubernetes.io/os"] = os;
  labels["beta.kubernetes.io/arch"] = arch;
  for (const auto& [k, v] : opts.labels) labels[k] = v;

  api::NodeStatus* st = node.mutable_status();
  std::string cpu = opts.cpu;
  if (cpu.empty()) {
    int64_t n = Int(info, "NCPU");
    cpu = absl::StrCat(n > 0 ? n : 1);
  } else if (!ParseCpuMilli(cpu).ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad --cpu \"", cpu, "\""));
  }
  std::string memory = opts.memory;
  if (memory.empty()) {
    memory = absl::StrCat(Int(info, "MemTotal") / 1024, "Ki");
  } else if (!ParseBytes(memory).ok()) {
    return absl::InvalidArgumentError(absl::StrCat("bad --memory \"", memory, "\""));
  }
  for (auto* m : {st->mutable_capacity(), st->mutable_allocatable()}) {
    (*m)["cpu"] = cpu;
    (*m)["memory"] = memory;
    (*m)["pods"] = absl::StrCat(opts.max_pods);
    if (opts.ephemeral_storage_bytes > 0) {
      (*m)["ephemeral-storage"] = absl::StrCat(opts.ephemeral_storage_bytes / 1024, "Ki");
    }
  }
  if (pressure.memory) {
    AddCondition(st, "MemoryPressure", "True", "KubeletHasInsufficientMemory",
                 "kubelet has insufficient memory available", now);
  } else {
    AddCondition(st, "MemoryPressure", "False", "KubeletHasSufficientMemory",
                 "kubelet has sufficient memory available", now);
  }
  if (pressure.disk) {
    AddCondition(st, "DiskPressure", "True", "KubeletHasDiskPressure", "kubelet has disk pressure",
                 now);
  } else {
    AddCondition(st, "DiskPressure", "False", "KubeletHasNoDiskPressure",
                 "kubelet has no disk pressure", now);
  }
  if (pressure.pid) {
    AddCondition(st, "PIDPressure", "True", "KubeletHasInsufficientPID",
                 "kubelet has insufficient PID available", now);
  } else {
    AddCondition(st, "PIDPressure", "False", "KubeletHasSufficientPID",
                 "kubelet has sufficient PID available", now);
  }
  AddCondition(st, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now);
  auto* a = st->add_addresses();
  a->set_type("InternalIP");
  a->set_address(opts.node_ip);
  a = st->add_addresses();
  a->set_type("Hostname");
  a->set_address(opts.node_name);  // as kubernetes.io/hostname: the node's name
  st->mutable_daemon_endpoints()->mutable_kubelet_endpoint()->set_port(opts.kubelet_port);
  auto* ni = st->mutable_node_info();
  ni->set_machine_id(opts.machine_id);
  ni->set_system_uuid(opts.system_uuid);
  ni->set_boot_id(opts.boot_id);
  ni->set_kernel_version(Str(info, "KernelVersion"));
  ni->set_os_image(Str(info, "OperatingSystem"));
  ni->set_container_runtime_version(absl::StrCat("docker://", Str(info, "ServerVersion")));
  ni->set_kubelet_version(kKubeletVersion);
  ni->set_kube_proxy_version(kKubeletVersion);
  ni->set_operating_system(os);
  ni->set_architecture(arch);
  return node;
}

namespace {

std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace

void FillHostInfo(const std::string& root_dir, NodeOptions* opts) {
  struct statvfs fs;
  std::error_code ec;
  std::filesystem::create_directories(root_dir, ec);
  if (statvfs(root_dir.c_str(), &fs) == 0) {
    opts->ephemeral_storage_bytes = static_cast<int64_t>(fs.f_blocks) * fs.f_frsize;
  }
  opts->machine_id = FirstLine("/etc/machine-id");
  opts->system_uuid = FirstLine("/sys/class/dmi/id/product_uuid");
  opts->boot_id = FirstLine("/proc/sys/kernel/random/boot_id");
}

NodeStatusManager::NodeStatusManager(NodeOptions opts, ApiClient* api, Clock* clock,
                                     Json docker_info)
    : opts_(std::move(opts)), api_(api), clock_(clock), docker_info_(std::move(docker_info)) {}

NodeStatusManager::~NodeStatusManager() { Shutdown(); }

absl::Status NodeStatusManager::Register() {
  absl::Time now = clock_->Now();
  absl::StatusOr<api::Node> want = BuildNode(opts_, docker_info_, now);
  if (!want.ok()) return want.status();
  absl::StatusOr<api::Node> created = api_->CreateAs<api::Node>("nodes", "", *want);
  if (!created.ok() && !absl::IsAlreadyExists(created.status())) return created.status();
  if (!created.ok()) {
    // Re-registration (a restarted kubelet): merge our labels into the existing Node.
    absl::StatusOr<api::Node> cur = api_->GetAs<api::Node>("nodes", "", opts_.node_name);
    if (!cur.ok()) return cur.status();
    bool changed = false;
    for (const auto& [k, v] : want->metadata().labels()) {
      auto it = cur->metadata().labels().find(k);
      if (it == cur->metadata().labels().end() || it->second != v) {
        (*cur->mutable_metadata()->mutable_labels())[k] = v;
        changed = true;
      }
    }
    if (changed) {
      absl::StatusOr<api::Node> upd = api_->UpdateAs<api::Node>("nodes", "", *cur);
      if (!upd.ok()) return upd.status();
    }
  }
  if (absl::Status s = UpdateStatus(/*force=*/true); !s.ok()) return s;
  return RenewLease();
}

absl::Status NodeStatusManager::UpdateStatus(bool force) {
  absl::Time now = clock_->Now();
  PressureState pressure;
  if (opts_.sample_signals) pressure = EvaluatePressure(opts_.eviction, opts_.sample_signals());
  absl::StatusOr<api::Node> want = BuildNode(opts_, docker_info_, now, pressure);
  if (!want.ok()) return want.status();
  absl::StatusOr<api::Node> cur = api_->GetAs<api::Node>("nodes", "", opts_.node_name);
  if (!cur.ok()) {
    if (absl::IsNotFound(cur.status())) return Register();  // deleted under us
    return cur.status();
  }
  // Compared with what is stored, not with what we last wrote: someone else (the node
  // lifecycle controller's Ready=Unknown) may have changed it.
  if (!force && now - last_status_ < opts_.status_period &&
      google::protobuf::util::MessageDifferencer::Equals(Timeless(want->status()),
                                                         Timeless(cur->status()))) {
    return absl::OkStatus();
  }
  KeepTransitions(cur->status(), want->mutable_status());
  *cur->mutable_status() = want->status();
  cur->mutable_metadata()->clear_resource_version();
  absl::StatusOr<ObjectPtr> res = api_->Update("nodes", "", *cur, "status");
  if (!res.ok()) return res.status();
  last_status_ = now;
  return absl::OkStatus();
}

absl::Status NodeStatusManager::RenewLease() {
  absl::Time now = clock_->Now();
  absl::StatusOr<api::Lease> cur =
      api_->GetAs<api::Lease>("leases", "kube-node-lease", opts_.node_name);
  if (!cur.ok() && !absl::IsNotFound(cur.status())) return cur.status();
  api::Lease lease;
  if (cur.ok()) {
    lease = std::move(*cur);
  } else {
    lease.set_api_version("coordination.k8s.io/v1");
    lease.set_kind("Lease");
    lease.mutable_metadata()->set_name(opts_.node_name);
    lease.mutable_metadata()->set_namespace_("kube-node-lease");
    lease.mutable_spec()->set_acquire_time(MicroTime(now));
  }
  lease.mutable_spec()->set_holder_identity(opts_.node_name);
  lease.mutable_spec()->set_lease_duration_seconds(opts_.lease_duration_seconds);
  lease.mutable_spec()->set_renew_time(MicroTime(now));
  absl::StatusOr<ObjectPtr> res = cur.ok() ? api_->Update("leases", "kube-node-lease", lease)
                                           : api_->Create("leases", "kube-node-lease", lease);
  return res.status();
}

void NodeStatusManager::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void NodeStatusManager::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void NodeStatusManager::Loop() {
  while (true) {
    {
      absl::MutexLock l(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), opts_.lease_period)) return;
    }
    if (absl::Status s = RenewLease(); !s.ok()) MK_LOG(WARNING) << "renew node lease: " << s;
    if (absl::Status s = UpdateStatus(false); !s.ok()) {
      MK_LOG(WARNING) << "update node status: " << s;
    }
  }
}

}  // namespace mk::kubelet
