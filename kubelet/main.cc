// mk-kubelet: flags → options → Start() → wait for SIGTERM/SIGINT → Shutdown().
// Flags use Kubernetes' dashed spelling: --kubeconfig PATH (TLS credentials, gRPC address),
// --bootstrap-kubeconfig PATH (a bootstrap token: TLS bootstrap when --kubeconfig is missing),
// --apiserver HOST:PORT (overrides the address), --node-name,
// --docker-socket, --root-dir, --node-labels k=v,…, --cpu, --memory, --max-pods, --network,
// --pause-binary, --node-ip, --address (the HTTPS server, default 127.0.0.1), --port (default
// 10250, 0 = the kernel picks), --tls-cert-file and --tls-private-key-file (its serving
// certificate: required), --client-ca-file (default: the kubeconfig's CA),
// --node-lease-renew-interval (10s), --node-status-update-frequency (1m), -v N. Each takes
// "--flag value" or "--flag=value".
// Once the Node is registered it prints "ready node=NAME port=N" on stdout.

#include <arpa/inet.h>
#include <httplib.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "common/event_recorder.h"
#include "common/kubeconfig_file.h"
#include "common/log.h"
#include "kubelet/docker_client.h"
#include "kubelet/docker_runtime.h"
#include "kubelet/kubelet.h"
#include "kubelet/log_server.h"
#include "kubelet/node_status.h"
#include "kubelet/prober.h"
#include "kubelet/server_tls.h"
#include "kubelet/serving_cert.h"
#include "kubelet/stats_sampler.h"
#include "kubelet/tls_bootstrap.h"

namespace {

struct Flags {
  std::string kubeconfig;
  std::string bootstrap_kubeconfig;
  std::string apiserver;  // overrides the kubeconfig's gRPC address
  std::string node_name;
  std::string docker_socket = "/var/run/docker.sock";
  std::string root_dir = "/var/lib/mk/kubelet";
  std::string node_labels;
  std::string cpu, memory;
  int max_pods = 110;
  std::string network;
  std::string pause_binary;
  std::string node_ip;
  std::string address = "127.0.0.1";
  int port = 10250;
  std::string tls_cert_file, tls_private_key_file, client_ca_file;
  std::string lease_interval = "10s";
  std::string status_frequency = "1m";
  std::string eviction_hard = mk::kubelet::kDefaultEvictionHard;
  int v = 0;
};

void Usage() {
  std::fprintf(stderr,
               "usage: mk-kubelet --kubeconfig PATH [--bootstrap-kubeconfig PATH]\n"
               "  [--apiserver HOST:PORT] [--node-name NAME]\n"
               "   [--docker-socket PATH]\n"
               "  [--root-dir DIR] [--node-labels k=v,...] [--cpu N] [--memory Q] [--max-pods N]\n"
               "  [--network NAME] [--pause-binary PATH] [--node-ip IP] [--address IP]\n"
               "  [--port N] --tls-cert-file PATH --tls-private-key-file PATH\n"
               "  [--client-ca-file PATH] [--node-lease-renew-interval 10s]\n"
               "  [--node-status-update-frequency 1m]\n"
               "  [--eviction-hard memory.available<100Mi,nodefs.available<10%%] [-v N]\n");
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  std::map<std::string, std::string*> strings{
      {"apiserver", &f->apiserver},
      {"kubeconfig", &f->kubeconfig},
      {"bootstrap-kubeconfig", &f->bootstrap_kubeconfig},
      {"node-name", &f->node_name},
      {"docker-socket", &f->docker_socket},
      {"root-dir", &f->root_dir},
      {"node-labels", &f->node_labels},
      {"cpu", &f->cpu},
      {"memory", &f->memory},
      {"network", &f->network},
      {"pause-binary", &f->pause_binary},
      {"node-ip", &f->node_ip},
      {"address", &f->address},
      {"tls-cert-file", &f->tls_cert_file},
      {"tls-private-key-file", &f->tls_private_key_file},
      {"client-ca-file", &f->client_ca_file},
      {"node-lease-renew-interval", &f->lease_interval},
      {"node-status-update-frequency", &f->status_frequency},
      {"eviction-hard", &f->eviction_hard}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") return false;
    if (!absl::StartsWith(arg, "-")) {
      std::fprintf(stderr, "unexpected argument %s\n", arg.c_str());
      return false;
    }
    arg = arg.substr(arg.find_first_not_of('-'));
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::fprintf(stderr, "flag --%s needs a value\n", arg.c_str());
      return false;
    }
    if (auto it = strings.find(arg); it != strings.end()) {
      *it->second = value;
    } else if (arg == "max-pods") {
      if (!absl::SimpleAtoi(value, &f->max_pods)) return false;
    } else if (arg == "port") {
      if (!absl::SimpleAtoi(value, &f->port)) return false;
    } else if (arg == "v") {
      if (!absl::SimpleAtoi(value, &f->v)) return false;
    } else {
      std::fprintf(stderr, "unknown flag --%s\n", arg.c_str());
      return false;
    }
  }
  return true;
}

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// The first non-loopback IPv4 address of this host.
std::string DefaultNodeIp() {
  struct ifaddrs* ifs = nullptr;
  if (getifaddrs(&ifs) != 0) return "127.0.0.1";
  std::string out = "127.0.0.1";
  for (struct ifaddrs* i = ifs; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<struct sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)) == nullptr) continue;
    std::string ip = buf;
    if (absl::StartsWith(ip, "127.") || absl::StartsWith(i->ifa_name, "docker")) continue;
    out = ip;
    break;
  }
  freeifaddrs(ifs);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    Usage();
    return 2;
  }
  absl::Duration lease_interval, status_frequency;
  if (!absl::ParseDuration(flags.lease_interval, &lease_interval) ||
      lease_interval <= absl::ZeroDuration() ||
      !absl::ParseDuration(flags.status_frequency, &status_frequency)) {
    std::fprintf(stderr, "bad --node-lease-renew-interval or --node-status-update-frequency\n");
    return 2;
  }
  absl::StatusOr<mk::kubelet::EvictionThresholds> eviction =
      mk::kubelet::ParseEvictionHard(flags.eviction_hard);
  if (!eviction.ok()) {
    std::fprintf(stderr, "%s\n", std::string(eviction.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<std::map<std::string, std::string>> node_labels =
      mk::kubelet::ParseNodeLabels(flags.node_labels);
  if (!node_labels.ok()) {
    std::fprintf(stderr, "--node-labels: %s\n",
                 std::string(node_labels.status().message()).c_str());
    return 2;
  }
  if (flags.node_name.empty()) flags.node_name = Hostname();
  if (flags.node_ip.empty()) {
    // The apiserver reaches the log server at the node's InternalIP: with a loopback
    // listener that must be loopback too.
    if (absl::StartsWith(flags.address, "127.") || flags.address == "localhost") {
      flags.node_ip = "127.0.0.1";
    } else if (flags.address != "0.0.0.0" && !flags.address.empty()) {
      flags.node_ip = flags.address;
    } else {
      flags.node_ip = DefaultNodeIp();
    }
  }
  mk::SetLogComponent("kubelet");
  mk::SetLogVerbosity(flags.v);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // TLS bootstrap first (a joining node has no kubeconfig yet), then the HTTPS server's
  // credentials: the given serving certificate, or none yet — then it is requested by a CSR
  // once the Node is registered (serverTLSBootstrap).
  if (!flags.bootstrap_kubeconfig.empty()) {
    mk::kubelet::BootstrapOptions bopts;
    bopts.kubeconfig_path = flags.kubeconfig;
    bopts.bootstrap_kubeconfig_path = flags.bootstrap_kubeconfig;
    bopts.node_name = flags.node_name;
    bopts.apiserver_override = flags.apiserver;
    bopts.stopped = [&sigs] {
      struct timespec zero {};
      return sigtimedwait(&sigs, nullptr, &zero) > 0;
    };
    if (absl::Status s = mk::kubelet::EnsureNodeCredentials(bopts); !s.ok()) {
      MK_LOG(E) << "--bootstrap-kubeconfig: " << s;
      return absl::IsCancelled(s) ? 0 : 1;
    }
  }
  const bool request_serving_cert =
      flags.tls_cert_file.empty() && flags.tls_private_key_file.empty();
  absl::StatusOr<mk::pki::CertAndKey> serving = mk::pki::CertAndKey{};
  if (!request_serving_cert) {
    serving =
        mk::kubelet::ServingCert({flags.tls_cert_file, flags.tls_private_key_file, flags.node_ip});
  }
  if (!serving.ok()) {
    MK_LOG(E) << "serving certificate: " << serving.status().message();
    return 2;
  }
  absl::StatusOr<mk::KubeconfigCredentials> creds = mk::LoadKubeconfigCredentials(flags.kubeconfig);
  if (!creds.ok() && flags.client_ca_file.empty()) {
    MK_LOG(E) << "--kubeconfig: " << creds.status();
    return 2;
  }
  absl::StatusOr<std::string> client_ca =
      mk::kubelet::ClientCa(flags.client_ca_file, creds.ok() ? creds->ca_pem : std::string());
  if (!client_ca.ok()) {
    MK_LOG(E) << "client CA: " << client_ca.status().message();
    return 2;
  }

  absl::StatusOr<std::unique_ptr<mk::kubelet::ContainerRuntime>> runtime =
      mk::kubelet::NewDockerRuntime(flags.docker_socket);
  if (!runtime.ok()) {
    MK_LOG(E) << "docker at " << flags.docker_socket << ": " << runtime.status();
    return 1;
  }
  mk::kubelet::DockerClientOptions dopts;
  dopts.socket_path = flags.docker_socket;
  mk::kubelet::DockerClient docker(dopts);
  absl::StatusOr<mk::Json> info = docker.Info();
  if (!info.ok()) {
    MK_LOG(E) << "docker info: " << info.status();
    return 1;
  }
  absl::StatusOr<std::unique_ptr<mk::ApiClient>> made =
      mk::NewGrpcApiClientFromKubeconfig(flags.kubeconfig, flags.apiserver);
  if (!made.ok()) {
    MK_LOG(E) << "--kubeconfig: " << made.status();
    return 2;
  }
  std::unique_ptr<mk::ApiClient> api = *std::move(made);
  mk::EventRecorder recorder(api.get(), "kubelet", flags.node_name);
  mk::kubelet::RecorderEventSink sink(&recorder);

  mk::kubelet::KubeletOptions opts;
  opts.node_name = flags.node_name;
  opts.root_dir = flags.root_dir;
  opts.network = flags.network;
  opts.host_ip = flags.node_ip;
  mk::kubelet::ProbeManager prober(runtime->get(), &sink, flags.node_name);
  mk::kubelet::Kubelet kubelet(opts, api.get(), runtime->get(), mk::Clock::Real(), &sink, &prober);
  prober.set_on_kill([&kubelet](const std::string& uid, const std::string& container,
                                const std::string& id, const std::string& message) {
    kubelet.OnLivenessFailure(uid, container, id, message);
  });
  prober.set_on_change([&kubelet](const std::string& uid) { kubelet.Requeue(uid); });
  kubelet.set_credential_matcher(mk::kubelet::DockerCredentialMatcher());
  kubelet.set_ensure_sandbox_image(
      mk::kubelet::SandboxImageEnsurer(flags.docker_socket, flags.pause_binary, opts.pause_image));

  mk::kubelet::LogServer logs(
      runtime->get(),
      [&kubelet](const std::string& ns, const std::string& pod, const std::string& container,
                 bool previous) { return kubelet.FindContainer(ns, pod, container, previous); },
      mk::kubelet::ServerTls{serving->cert_pem, serving->key_pem, *client_ca});
  // Resource usage for the metrics API and the HPA: one sampler, scrapes read its last result.
  mk::kubelet::StatsSampler stats(
      flags.node_name,
      [&docker, node = flags.node_name]() {
        return docker.ListContainers({absl::StrCat(mk::kubelet::kLabelNode, "=", node)},
                                     /*all=*/false);
      },
      [&docker](const std::string& id) { return docker.StatsOneShot(id); });
  stats.Start();
  logs.HandleGet("/stats/summary", [&stats](const httplib::Request&, httplib::Response& res) {
    res.set_content(mk::SummaryToJson(stats.Summary()).dump(), "application/json");
  });
  absl::StatusOr<int> port = logs.Start(flags.address, flags.port);
  if (!port.ok()) {
    MK_LOG(E) << "HTTPS server: " << port.status();
    return 1;
  }

  mk::kubelet::NodeOptions nopts;
  nopts.node_name = flags.node_name;
  nopts.node_ip = flags.node_ip;
  nopts.hostname = Hostname();
  nopts.labels = *node_labels;
  nopts.cpu = flags.cpu;
  nopts.memory = flags.memory;
  nopts.max_pods = flags.max_pods;
  nopts.kubelet_port = *port;
  nopts.lease_period = lease_interval;
  nopts.status_period = status_frequency;
  mk::kubelet::FillHostInfo(flags.root_dir, &nopts);
  nopts.eviction = *eviction;
  nopts.sample_signals = [root = flags.root_dir] { return mk::kubelet::SampleNodeSignals(root); };
  mk::kubelet::NodeStatusManager node(nopts, api.get(), mk::Clock::Real(), *info);
  int sig = 0;
  while (true) {
    absl::Status s = node.Register();
    if (s.ok()) break;
    if (absl::IsInvalidArgument(s)) {
      MK_LOG(E) << "registering node " << flags.node_name << ": " << s;
      return 2;
    }
    MK_LOG(WARNING) << "registering node " << flags.node_name << ": " << s << " (retrying)";
    struct timespec ts {
      1, 0
    };
    sig = sigtimedwait(&sigs, nullptr, &ts);
    if (sig > 0) return 0;
  }
  node.Start();
  kubelet.Start();
  int rc = 0;
  if (request_serving_cert) {
    // The Node (with its addresses) exists now, so the approver can check the names.
    mk::kubelet::BootstrapOptions wait;
    wait.stopped = [&sigs, &sig] {
      struct timespec zero {};
      sig = sigtimedwait(&sigs, nullptr, &zero);
      return sig > 0;
    };
    absl::StatusOr<mk::pki::CertAndKey> pair = mk::kubelet::LoadOrRequestServingCert(
        api.get(), {flags.node_name, {flags.node_ip}, {flags.node_name}, flags.root_dir + "/pki"},
        wait);
    absl::Status s = pair.ok() ? logs.SetServingCert(*pair) : pair.status();
    if (!s.ok()) {
      MK_LOG(E) << "serving certificate: " << s;
      rc = absl::IsCancelled(s) ? 0 : 1;
    }
  }
  if (rc == 0 && sig <= 0) {
    MK_LOG(I) << "kubelet for node " << flags.node_name << " (" << flags.node_ip
              << ") watching pods via " << flags.apiserver << ", HTTPS (logs, stats) on "
              << flags.address << ":" << *port;
    std::printf("ready node=%s port=%d\n", flags.node_name.c_str(), *port);
    std::fflush(stdout);
    sigwait(&sigs, &sig);
  }
  MK_LOG(I) << "signal " << sig << ": shutting down";
  node.Shutdown();
  logs.Shutdown();
  prober.Shutdown();
  kubelet.Shutdown();
  recorder.Shutdown();
  return rc;
}
