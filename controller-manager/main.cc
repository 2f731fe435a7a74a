// mk-controller-manager: --kubeconfig PATH (TLS credentials and the gRPC address),
// --apiserver HOST:PORT (overrides the address), --leader-elect, --v N, and the node
// lifecycle and leader election timings, and the CSR signer's CA
// (--cluster-signing-cert-file/--cluster-signing-key-file, --cluster-signing-duration;
// --cluster-signing-kubelet-serving-cert-file/-key-file for kubelet serving certificates),
// --kubelet-certificate-authority (the HPA's trust for kubelets' serving certificates). Prints
// "ready" on stdout once its caches are synced; runs the controllers while leading (always without
// --leader-elect); exits on SIGTERM/SIGINT (releasing the lease).

#include <signal.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "common/api_client.h"
#include "common/kubeconfig_file.h"
#include "common/leader_election.h"
#include "common/log.h"
#include "common/pki.h"
#include "controller-manager/controller_manager.h"

namespace {

struct Flags {
  std::string kubeconfig;
  std::string apiserver;  // overrides the kubeconfig's gRPC address
  bool leader_elect = false;
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  absl::Duration grace = absl::Seconds(40);
  absl::Duration monitor_period = absl::Seconds(5);
  absl::Duration hpa_sync_period = absl::Seconds(15);
  absl::Duration hpa_downscale_stabilization = absl::Minutes(5);
  std::string signing_cert_file, signing_key_file;
  std::string serving_signing_cert_file, serving_signing_key_file;
  std::string kubelet_ca_file;
  absl::Duration signing_duration = absl::Hours(24 * 365);
  int v = 0;
};

void Usage() {
  std::fprintf(stderr,
               "usage: mk-controller-manager --kubeconfig PATH [--apiserver HOST:PORT]\n"
               "   [--leader-elect[=true|false]]\n"
               "  [--leader-elect-lease-duration 15s] [--leader-elect-renew-deadline 10s]\n"
               "  [--leader-elect-retry-period 2s] [--node-monitor-grace-period 40s]\n"
               "  [--node-monitor-period 5s] [--pod-eviction-timeout D (ignored: pods are\n"
               "  evicted after their tolerationSeconds)]\n"
               "  [--horizontal-pod-autoscaler-sync-period 15s]\n"
               "  [--horizontal-pod-autoscaler-downscale-stabilization 5m]\n"
               "  [--cluster-signing-cert-file CA.crt --cluster-signing-key-file CA.key]\n"
               "  [--cluster-signing-kubelet-serving-cert-file CA.crt\n"
               "   --cluster-signing-kubelet-serving-key-file CA.key]\n"
               "  [--kubelet-certificate-authority CA.crt (HPA → kubelets; default: the\n"
               "   kubelet serving signing CA, else the kubeconfig's CA)]\n"
               "  [--cluster-signing-duration 8760h] [--v N]\n");
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help" || !absl::StartsWith(arg, "-")) return false;
    arg = arg.substr(arg.find_first_not_of('-'));
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    auto duration = [&](absl::Duration* d) -> bool {
      return next() && absl::ParseDuration(value, d) && *d > absl::ZeroDuration();
    };
    if (arg == "leader-elect") {
      f->leader_elect = !has_value || value == "true" || value == "1";
      if (has_value && !f->leader_elect && value != "false" && value != "0") return false;
    } else if (arg == "apiserver" || arg == "master") {
      if (!next()) return false;
      f->apiserver = value;
    } else if (arg == "kubeconfig") {
      if (!next()) return false;
      f->kubeconfig = value;
    } else if (arg == "leader-elect-lease-duration") {
      if (!duration(&f->lease_duration)) return false;
    } else if (arg == "leader-elect-renew-deadline") {
      if (!duration(&f->renew_deadline)) return false;
    } else if (arg == "leader-elect-retry-period") {
      if (!duration(&f->retry_period)) return false;
    } else if (arg == "node-monitor-grace-period") {
      if (!duration(&f->grace)) return false;
    } else if (arg == "node-monitor-period") {
      if (!duration(&f->monitor_period)) return false;
    } else if (arg == "horizontal-pod-autoscaler-sync-period") {
      if (!duration(&f->hpa_sync_period)) return false;
    } else if (arg == "horizontal-pod-autoscaler-downscale-stabilization") {
      if (!next() || !absl::ParseDuration(value, &f->hpa_downscale_stabilization) ||
          f->hpa_downscale_stabilization < absl::ZeroDuration()) {
        return false;
      }
    } else if (arg == "cluster-signing-cert-file") {
      if (!next()) return false;
      f->signing_cert_file = value;
    } else if (arg == "cluster-signing-key-file") {
      if (!next()) return false;
      f->signing_key_file = value;
    } else if (arg == "cluster-signing-kubelet-serving-cert-file") {
      if (!next()) return false;
      f->serving_signing_cert_file = value;
    } else if (arg == "cluster-signing-kubelet-serving-key-file") {
      if (!next()) return false;
      f->serving_signing_key_file = value;
    } else if (arg == "kubelet-certificate-authority") {
      if (!next()) return false;
      f->kubelet_ca_file = value;
    } else if (arg == "cluster-signing-duration") {
      if (!duration(&f->signing_duration)) return false;
    } else if (arg == "pod-eviction-timeout") {
      absl::Duration ignored;
      if (!duration(&ignored)) return false;
    } else if (arg == "v") {
      if (!next() || !absl::SimpleAtoi(value, &f->v)) return false;
    } else {
      std::fprintf(stderr, "unknown flag --%s\n", arg.c_str());
      return false;
    }
  }
  return true;
}

// A signing CA from a certificate and key file (both or neither; the key must match).
bool LoadCaPair(const std::string& cert_file, const std::string& key_file, const char* flags,
                mk::pki::CertAndKey* out) {
  if (cert_file.empty() && key_file.empty()) return true;
  absl::StatusOr<std::string> cert = mk::pki::ReadFile(cert_file);
  absl::StatusOr<std::string> key = mk::pki::ReadFile(key_file);
  absl::Status s = !cert.ok() ? cert.status() : key.status();
  if (s.ok()) s = mk::pki::CheckKeyMatchesCert(*cert, *key);
  if (!s.ok()) {
    MK_LOG(E) << flags << ": " << s;
    return false;
  }
  *out = {*cert, *key};
  return true;
}

// The CSR signer's CAs: --cluster-signing-*, and for kubelet serving certificates their own
// (--cluster-signing-kubelet-serving-*, as Kubernetes' per-signer flags).
bool LoadSigningCa(const Flags& f, mk::controller_manager::CsrControllerOptions* opts) {
  opts->signing_duration = f.signing_duration;
  if (!LoadCaPair(f.signing_cert_file, f.signing_key_file,
                  "--cluster-signing-cert-file/--cluster-signing-key-file", &opts->signing_ca) ||
      !LoadCaPair(f.serving_signing_cert_file, f.serving_signing_key_file,
                  "--cluster-signing-kubelet-serving-cert-file/-key-file",
                  &opts->kubelet_serving_ca)) {
    return false;
  }
  if (opts->signing_ca.key_pem.empty() && opts->kubelet_serving_ca.key_pem.empty()) {
    MK_LOG(INFO) << "no --cluster-signing-cert-file: certificate requests are approved, not signed";
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    Usage();
    return 2;
  }
  mk::SetLogComponent("mk-controller-manager");
  mk::SetLogVerbosity(flags.v);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // every thread inherits the mask
  std::signal(SIGPIPE, SIG_IGN);              // the HPA's HTTPS clients (common/https.h)

  absl::StatusOr<std::unique_ptr<mk::ApiClient>> made =
      mk::NewGrpcApiClientFromKubeconfig(flags.kubeconfig, flags.apiserver);
  if (!made.ok()) {
    MK_LOG(E) << "--kubeconfig: " << made.status();
    return 2;
  }
  std::unique_ptr<mk::ApiClient> client = *std::move(made);
  mk::controller_manager::ControllerManagerOptions opts;
  // The HPA reads usage from the kubelets over HTTPS with this kubeconfig's CA and client
  // certificate (loaded again: the gRPC client keeps its own copy).
  if (absl::StatusOr<mk::KubeconfigCredentials> creds =
          mk::LoadKubeconfigCredentials(flags.kubeconfig);
      creds.ok()) {
    opts.hpa.kubelet = {creds->ca_pem, creds->cert_pem, creds->key_pem};
    if (creds->cert_pem.empty()) {
      MK_LOG(WARNING) << flags.kubeconfig
                      << " has no client certificate: the HPA cannot read kubelets' usage";
    }
  }
  opts.node_lifecycle.grace_period = flags.grace;
  opts.node_lifecycle.monitor_period = flags.monitor_period;
  opts.hpa.sync_period = flags.hpa_sync_period;
  opts.hpa.downscale_stabilization = flags.hpa_downscale_stabilization;
  if (!LoadSigningCa(flags, &opts.csr)) return 2;
  // Kubelets' serving certificates chain to the kubelet serving CA, not the cluster CA.
  if (!flags.kubelet_ca_file.empty()) {
    absl::StatusOr<std::string> ca = mk::pki::ReadFile(flags.kubelet_ca_file);
    if (!ca.ok()) {
      MK_LOG(E) << "--kubelet-certificate-authority: " << ca.status();
      return 2;
    }
    opts.hpa.kubelet.ca_pem = *ca;
  } else if (!opts.csr.kubelet_serving_ca.cert_pem.empty()) {
    opts.hpa.kubelet.ca_pem = opts.csr.kubelet_serving_ca.cert_pem;
  }
  mk::controller_manager::ControllerManager cm(client.get(), opts);
  cm.StartInformers();
  while (!cm.WaitForSync(absl::Seconds(5))) {
    MK_LOG(WARNING) << "waiting for the caches to sync (apiserver " << flags.apiserver << ")";
  }
  std::printf("ready\n");
  std::fflush(stdout);
  MK_LOG(INFO) << "caches synced";

  std::unique_ptr<mk::LeaderElector> elector;
  if (flags.leader_elect) {
    mk::LeaderElectionConfig cfg;
    cfg.lease_name = "mk-controller-manager";
    cfg.lease_duration = flags.lease_duration;
    cfg.renew_deadline = flags.renew_deadline;
    cfg.retry_period = flags.retry_period;
    cfg.on_started_leading = [&cm] {
      MK_LOG(INFO) << "became leader; starting controllers";
      cm.StartControllers();
    };
    cfg.on_stopped_leading = [] {
      MK_LOG(ERROR) << "lost the leader lease; exiting";
      std::_Exit(1);
    };
    cfg.on_new_leader = [](const std::string& id) { MK_LOG(INFO) << "leader is now " << id; };
    elector = std::make_unique<mk::LeaderElector>(client.get(), cfg);
    elector->Start();
  } else {
    cm.StartControllers();
  }

  int sig = 0;
  sigwait(&set, &sig);
  MK_LOG(INFO) << "signal " << sig << "; shutting down";
  if (elector) elector->Shutdown();
  cm.Shutdown();
  return 0;
}
