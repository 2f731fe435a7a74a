// mk-kubelet: flags → options → Start() → wait for SIGTERM/SIGINT → Shutdown().
// Flags use Kubernetes' dashed spelling: --apiserver HOST:PORT (gRPC), --node-name,
// --docker-socket, --root-dir, --node-labels k=v,…, --cpu, --memory, --max-pods, --network,
// --pause-binary, --node-ip, -v N. Each takes "--flag value" or "--flag=value".

#include <arpa/inet.h>
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
#include "absl/strings/str_split.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "common/event_recorder.h"
#include "common/log.h"
#include "kubelet/docker_runtime.h"
#include "kubelet/kubelet.h"

namespace {

struct Flags {
  std::string apiserver = "127.0.0.1:6444";
  std::string node_name;
  std::string docker_socket = "/var/run/docker.sock";
  std::string root_dir = "/var/lib/mk/kubelet";
  std::string node_labels;
  std::string cpu, memory;
  int max_pods = 110;
  std::string network;
  std::string pause_binary;
  std::string node_ip;
  int v = 0;
};

void Usage() {
  std::fprintf(stderr,
               "usage: mk-kubelet --apiserver HOST:PORT [--node-name NAME] [--docker-socket PATH]\n"
               "  [--root-dir DIR] [--node-labels k=v,...] [--cpu N] [--memory Q] [--max-pods N]\n"
               "  [--network NAME] [--pause-binary PATH] [--node-ip IP] [-v N]\n");
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  std::map<std::string, std::string*> strings{{"apiserver", &f->apiserver},
                                              {"node-name", &f->node_name},
                                              {"docker-socket", &f->docker_socket},
                                              {"root-dir", &f->root_dir},
                                              {"node-labels", &f->node_labels},
                                              {"cpu", &f->cpu},
                                              {"memory", &f->memory},
                                              {"network", &f->network},
                                              {"pause-binary", &f->pause_binary},
                                              {"node-ip", &f->node_ip}};
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
  if (flags.node_name.empty()) flags.node_name = Hostname();
  if (flags.node_ip.empty()) flags.node_ip = DefaultNodeIp();
  mk::SetLogComponent("kubelet");
  mk::SetLogVerbosity(flags.v);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<mk::kubelet::ContainerRuntime>> runtime =
      mk::kubelet::NewDockerRuntime(flags.docker_socket);
  if (!runtime.ok()) {
    MK_LOG(E) << "docker at " << flags.docker_socket << ": " << runtime.status();
    return 1;
  }
  std::unique_ptr<mk::ApiClient> api = mk::NewGrpcApiClient(flags.apiserver);
  mk::EventRecorder recorder(api.get(), "kubelet", flags.node_name);
  mk::kubelet::RecorderEventSink sink(&recorder);

  mk::kubelet::KubeletOptions opts;
  opts.node_name = flags.node_name;
  opts.root_dir = flags.root_dir;
  opts.network = flags.network;
  opts.host_ip = flags.node_ip;
  // TODO(node owner): register the Node (labels from --node-labels, capacity from --cpu,
  // --memory, --max-pods or Docker's /info), heartbeat its Lease, run probes (a Prober
  // calling kubelet.OnLivenessFailure) and serve logs; this binary runs pods only.
  mk::kubelet::Kubelet kubelet(opts, api.get(), runtime->get(), mk::Clock::Real(), &sink,
                               /*prober=*/nullptr);
  kubelet.set_credential_matcher(mk::kubelet::DockerCredentialMatcher());
  kubelet.set_ensure_sandbox_image(
      mk::kubelet::SandboxImageEnsurer(flags.docker_socket, flags.pause_binary, opts.pause_image));
  kubelet.Start();
  MK_LOG(I) << "kubelet for node " << flags.node_name << " (" << flags.node_ip
            << ") watching pods via " << flags.apiserver;

  int sig = 0;
  sigwait(&sigs, &sig);
  MK_LOG(I) << "signal " << sig << ": shutting down";
  kubelet.Shutdown();
  recorder.Shutdown();
  return 0;
}
