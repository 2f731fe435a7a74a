#include "kubelet/container_spec.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json_codec.h"

namespace mk::kubelet {
namespace {

std::string Uid8(const api::Pod& pod) { return pod.metadata().uid().substr(0, 8); }

// FNV-1a, 64 bit.
uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Parses a Kubernetes quantity into a plain number (no rounding).
absl::StatusOr<long double> ParseQuantity(const std::string& q) {
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat("invalid quantity \"", q, "\""));
  };
  size_t i = 0;
  if (i < q.size() && (q[i] == '+' || q[i] == '-')) ++i;
  size_t start = i;
  while (i < q.size() && (absl::ascii_isdigit(static_cast<unsigned char>(q[i])) || q[i] == '.')) {
    ++i;
  }
  if (i == start) return bad();
  std::string num = q.substr(0, i), suffix = q.substr(i);
  char* end = nullptr;
  long double v = std::strtold(num.c_str(), &end);
  if (end == nullptr || *end != '\0') return bad();
  static const std::pair<const char*, long double> kSuffixes[] = {{"", 1.0L},
                                                                  {"n", 1e-9L},
                                                                  {"u", 1e-6L},
                                                                  {"m", 1e-3L},
                                                                  {"k", 1e3L},
                                                                  {"M", 1e6L},
                                                                  {"G", 1e9L},
                                                                  {"T", 1e12L},
                                                                  {"P", 1e15L},
                                                                  {"E", 1e18L},
                                                                  {"Ki", 1024.0L},
                                                                  {"Mi", 1048576.0L},
                                                                  {"Gi", 1073741824.0L},
                                                                  {"Ti", 1099511627776.0L},
                                                                  {"Pi", 1125899906842624.0L},
                                                                  {"Ei", 1152921504606846976.0L}};
  for (const auto& [s, mult] : kSuffixes) {
    if (suffix == s) return v * mult;
  }
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    char* e2 = nullptr;
    long exp = std::strtol(suffix.c_str() + 1, &e2, 10);
    if (e2 != nullptr && *e2 == '\0') return v * std::pow(10.0L, exp);
  }
  return bad();
}

std::string Lookup(const google::protobuf::Map<std::string, std::string>& m,
                   const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

// metadata.labels['k'] → k
bool Subscript(const std::string& path, const std::string& prefix, std::string* key) {
  if (!absl::StartsWith(path, prefix + "['") || !absl::EndsWith(path, "']")) return false;
  *key = path.substr(prefix.size() + 2, path.size() - prefix.size() - 4);
  return true;
}

}  // namespace

std::string ContainerName(const api::Pod& pod, const std::string& container, int attempt) {
  return absl::StrCat("mk_", container, "_", pod.metadata().name(), "_",
                      pod.metadata().namespace_(), "_", Uid8(pod), "_", attempt);
}

std::string SandboxName(const api::Pod& pod, int attempt) {
  return ContainerName(pod, "POD", attempt);
}

Labels PodLabels(const api::Pod& pod, const std::string& node) {
  Labels l;
  l[kLabelNode] = node;
  l[kLabelPodUid] = pod.metadata().uid();
  l[kLabelPodName] = pod.metadata().name();
  l[kLabelPodNamespace] = pod.metadata().namespace_();
  l[kLabelGracePeriod] = std::to_string(pod.spec().has_termination_grace_period_seconds()
                                            ? pod.spec().termination_grace_period_seconds()
                                            : 30);
  return l;
}

std::string SpecHash(const api::Container& container) {
  return absl::StrFormat("%016x", Fnv1a(EncodeJson(container).dump()));
}

std::string PodHostname(const api::Pod& pod) {
  std::string h = pod.spec().hostname().empty() ? pod.metadata().name() : pod.spec().hostname();
  if (h.size() > 63) h.resize(63);
  while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.pop_back();
  return h;
}

Json SandboxBody(const api::Pod& pod, const SandboxOptions& opts) {
  Json labels = Json::object();
  for (const auto& [k, v] : PodLabels(pod, opts.node)) labels[k] = v;
  labels[kLabelSandbox] = "true";
  labels[kLabelContainerName] = "POD";
  labels[kLabelAttempt] = std::to_string(opts.attempt);
  Json body;
  body["Image"] = opts.pause_image;
  body["Labels"] = labels;
  Json host;
  if (pod.spec().host_network()) {
    host["NetworkMode"] = "host";
  } else {
    body["Hostname"] = PodHostname(pod);
    host["NetworkMode"] = opts.network.empty() ? "bridge" : opts.network;
    Json exposed = Json::object();
    Json bindings = Json::object();
    for (const auto& list : {pod.spec().init_containers(), pod.spec().containers()}) {
      for (const api::Container& c : list) {
        for (const api::ContainerPort& p : c.ports()) {
          if (p.container_port() <= 0) continue;
          std::string proto =
              absl::AsciiStrToLower(p.protocol().empty() ? std::string("TCP") : p.protocol());
          std::string key = absl::StrCat(p.container_port(), "/", proto);
          exposed[key] = Json::object();
          if (p.host_port() > 0) {
            if (!bindings.contains(key)) bindings[key] = Json::array();
            bindings[key].push_back(
                {{"HostIp", p.host_ip()}, {"HostPort", std::to_string(p.host_port())}});
          }
        }
      }
    }
    if (!exposed.empty()) body["ExposedPorts"] = exposed;
    if (!bindings.empty()) host["PortBindings"] = bindings;
  }
  host["IpcMode"] = "shareable";
  host["RestartPolicy"] = {{"Name", "no"}};
  host["LogConfig"] = {{"Type", "json-file"}};
  body["HostConfig"] = host;
  return body;
}

absl::StatusOr<Json> ContainerBody(const api::Pod& pod, const api::Container& c,
                                   const ContainerOptions& opts) {
  std::map<std::string, std::string> env_map;
  for (const std::string& kv : opts.env) {
    size_t eq = kv.find('=');
    env_map[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  Json labels = Json::object();
  for (const auto& [k, v] : PodLabels(pod, opts.node)) labels[k] = v;
  labels[kLabelContainerName] = c.name();
  labels[kLabelAttempt] = std::to_string(opts.attempt);
  labels[kLabelContainerType] = opts.init ? "init" : "app";
  labels[kLabelSpecHash] = SpecHash(c);

  Json body;
  body["Image"] = c.image();
  if (c.command_size() > 0) {
    Json ep = Json::array();
    for (const auto& s : c.command()) ep.push_back(ExpandVars(s, env_map));
    body["Entrypoint"] = ep;
  }
  if (c.args_size() > 0) {
    Json cmd = Json::array();
    for (const auto& s : c.args()) cmd.push_back(ExpandVars(s, env_map));
    body["Cmd"] = cmd;
  }
  if (!opts.env.empty()) body["Env"] = opts.env;
  if (!c.working_dir().empty()) body["WorkingDir"] = c.working_dir();
  if (c.tty()) body["Tty"] = true;
  if (c.stdin()) body["OpenStdin"] = true;
  body["Labels"] = labels;

  Json host;
  std::string sandbox = absl::StrCat("container:", opts.sandbox_id);
  host["NetworkMode"] = sandbox;
  host["IpcMode"] = sandbox;
  if (!opts.binds.empty()) host["Binds"] = opts.binds;
  const auto& limits = c.resources().limits();
  const auto& requests = c.resources().requests();
  std::string mem = Lookup(limits, "memory");
  if (!mem.empty()) {
    absl::StatusOr<int64_t> bytes = ParseBytes(mem);
    if (!bytes.ok()) return bytes.status();
    host["Memory"] = *bytes;
    host["MemorySwap"] = *bytes;
  }
  std::string cpu_limit = Lookup(limits, "cpu");
  if (!cpu_limit.empty()) {
    absl::StatusOr<int64_t> milli = ParseCpuMilli(cpu_limit);
    if (!milli.ok()) return milli.status();
    constexpr int64_t kPeriod = 100000;
    host["CpuPeriod"] = kPeriod;
    host["CpuQuota"] = std::max<int64_t>(*milli * kPeriod / 1000, 1000);
  }
  std::string cpu_request = Lookup(requests, "cpu");
  if (cpu_request.empty()) cpu_request = cpu_limit;
  int64_t shares = 2;
  if (!cpu_request.empty()) {
    absl::StatusOr<int64_t> milli = ParseCpuMilli(cpu_request);
    if (!milli.ok()) return milli.status();
    shares = std::max<int64_t>(*milli * 1024 / 1000, 2);
  }
  host["CpuShares"] = shares;
  host["RestartPolicy"] = {{"Name", "no"}};
  host["LogConfig"] = {{"Type", "json-file"}};
  body["HostConfig"] = host;
  return body;
}

bool SecretValue(const api::Secret& secret, const std::string& key, std::string* value) {
  auto it = secret.data().find(key);
  if (it != secret.data().end()) {
    *value = it->second;
    return true;
  }
  auto sit = secret.string_data().find(key);
  if (sit != secret.string_data().end()) {
    *value = sit->second;
    return true;
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> BuildEnv(const api::Pod& pod,
                                                  const api::Container& container,
                                                  const SecretGetter& secrets,
                                                  const std::string& pod_ip,
                                                  const std::string& host_ip) {
  std::vector<std::string> out;
  std::map<std::string, std::string> defined;
  const std::string& ns = pod.metadata().namespace_();
  for (const api::EnvVar& e : container.env()) {
    std::string value;
    if (e.has_value_from() && e.value_from().has_secret_key_ref()) {
      const api::SecretKeySelector& ref = e.value_from().secret_key_ref();
      bool optional = ref.has_optional() && ref.optional();
      absl::StatusOr<api::Secret> s =
          secrets ? secrets(ns, ref.name()) : absl::NotFoundError("no secret getter");
      if (!s.ok()) {
        if (optional && absl::IsNotFound(s.status())) continue;
        if (absl::IsNotFound(s.status())) {
          return absl::FailedPreconditionError(
              absl::StrCat("secret \"", ref.name(), "\" not found"));
        }
        return s.status();
      }
      if (!SecretValue(*s, ref.key(), &value)) {
        if (optional) continue;
        return absl::FailedPreconditionError(
            absl::StrCat("couldn't find key ", ref.key(), " in Secret ", ns, "/", ref.name()));
      }
    } else if (e.has_value_from() && e.value_from().has_field_ref()) {
      const std::string& path = e.value_from().field_ref().field_path();
      std::string key;
      if (path == "metadata.name") {
        value = pod.metadata().name();
      } else if (path == "metadata.namespace") {
        value = ns;
      } else if (path == "metadata.uid") {
        value = pod.metadata().uid();
      } else if (path == "spec.nodeName") {
        value = pod.spec().node_name();
      } else if (path == "spec.serviceAccountName") {
        value = pod.spec().service_account_name();
      } else if (path == "status.podIP") {
        value = pod_ip;
      } else if (path == "status.hostIP") {
        value = host_ip;
      } else if (Subscript(path, "metadata.labels", &key)) {
        value = Lookup(pod.metadata().labels(), key);
      } else if (Subscript(path, "metadata.annotations", &key)) {
        value = Lookup(pod.metadata().annotations(), key);
      } else {
        return absl::FailedPreconditionError(
            absl::StrCat("unsupported fieldRef \"", path, "\" in env ", e.name()));
      }
    } else {
      value = ExpandVars(e.value(), defined);
    }
    defined[e.name()] = value;
    out.push_back(absl::StrCat(e.name(), "=", value));
  }
  return out;
}

std::string ExpandVars(const std::string& in, const std::map<std::string, std::string>& env) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '$' && i + 1 < in.size()) {
      if (in[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      if (in[i + 1] == '(') {
        size_t close = in.find(')', i + 2);
        if (close != std::string::npos) {
          std::string name = in.substr(i + 2, close - i - 2);
          auto it = env.find(name);
          if (it != env.end()) {
            out += it->second;
            i = close;
            continue;
          }
        }
      }
    }
    out += in[i];
  }
  return out;
}

absl::StatusOr<int64_t> ParseCpuMilli(const std::string& q) {
  absl::StatusOr<long double> v = ParseQuantity(q);
  if (!v.ok()) return v.status();
  return static_cast<int64_t>(std::ceil(*v * 1000.0L - 1e-9L));
}

absl::StatusOr<int64_t> ParseBytes(const std::string& q) {
  absl::StatusOr<long double> v = ParseQuantity(q);
  if (!v.ok()) return v.status();
  return static_cast<int64_t>(std::ceil(*v - 1e-9L));
}

}  // namespace mk::kubelet
