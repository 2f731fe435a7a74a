// mk-scheduler: --kubeconfig PATH (TLS credentials and the gRPC address), --apiserver
// HOST:PORT (overrides the address), --leader-elect, --v N. Prints "ready" on
// stdout once its caches are synced; schedules while leading (always without
// --leader-elect); exits on SIGTERM/SIGINT.

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "common/api_client.h"
#include "common/leader_election.h"
#include "common/log.h"
#include "scheduler/scheduler.h"

namespace {

struct Flags {
  std::string kubeconfig;
  std::string apiserver;  // overrides the kubeconfig's gRPC address
  bool leader_elect = false;
  std::string scheduler_name = "default-scheduler";
  int bind_workers = 16;
  bool record_scores = true;
  int v = 0;
};

void Usage() {
  std::fprintf(
      stderr,
      "usage: mk-scheduler --kubeconfig PATH [--apiserver HOST:PORT] "
      "[--leader-elect[=true|false]]\n"
      "  [--scheduler-name NAME] [--bind-workers N] [--record-scores=true|false] [-v N]\n");
}

bool ParseBool(const std::string& s, bool* out) {
  if (s == "true" || s == "1")
    *out = true;
  else if (s == "false" || s == "0")
    *out = false;
  else
    return false;
  return true;
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
    if (arg == "leader-elect" || arg == "record-scores") {
      bool b = true;
      if (has_value && !ParseBool(value, &b)) return false;
      (arg == "leader-elect" ? f->leader_elect : f->record_scores) = b;
    } else if (arg == "apiserver") {
      if (!next()) return false;
      f->apiserver = value;
    } else if (arg == "kubeconfig") {
      if (!next()) return false;
      f->kubeconfig = value;
    } else if (arg == "scheduler-name") {
      if (!next()) return false;
      f->scheduler_name = value;
    } else if (arg == "bind-workers") {
      if (!next() || !absl::SimpleAtoi(value, &f->bind_workers) || f->bind_workers < 1) {
        return false;
      }
    } else if (arg == "v") {
      if (!next() || !absl::SimpleAtoi(value, &f->v)) return false;
    } else {
      std::fprintf(stderr, "unknown flag --%s\n", arg.c_str());
      return false;
    }
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
  mk::SetLogComponent("mk-scheduler");
  mk::SetLogVerbosity(flags.v);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // every thread inherits the mask

  absl::StatusOr<std::unique_ptr<mk::ApiClient>> made =
      mk::NewGrpcApiClientFromKubeconfig(flags.kubeconfig, flags.apiserver);
  if (!made.ok()) {
    MK_LOG(E) << "--kubeconfig: " << made.status();
    return 2;
  }
  std::unique_ptr<mk::ApiClient> client = *std::move(made);
  mk::scheduler::SchedulerOptions opts;
  opts.scheduler_name = flags.scheduler_name;
  opts.bind_workers = flags.bind_workers;
  opts.record_scores = flags.record_scores;
  mk::scheduler::Scheduler sched(client.get(), opts);
  sched.StartInformers();
  while (!sched.WaitForSync(absl::Seconds(5))) {
    MK_LOG(WARNING) << "waiting for the pod and node caches to sync (apiserver " << flags.apiserver
                    << ")";
  }
  std::printf("ready\n");
  std::fflush(stdout);
  MK_LOG(INFO) << "caches synced";

  std::unique_ptr<mk::LeaderElector> elector;
  if (flags.leader_elect) {
    mk::LeaderElectionConfig cfg;
    cfg.lease_name = "mk-scheduler";
    cfg.on_started_leading = [&sched] {
      MK_LOG(INFO) << "became leader; scheduling";
      sched.Run();
    };
    cfg.on_stopped_leading = [] {
      MK_LOG(ERROR) << "lost the leader lease; exiting";
      std::_Exit(1);
    };
    elector = std::make_unique<mk::LeaderElector>(client.get(), cfg);
    elector->Start();
  } else {
    sched.Run();
  }

  int sig = 0;
  sigwait(&set, &sig);
  MK_LOG(INFO) << "signal " << sig << "; shutting down";
  if (elector) elector->Shutdown();
  sched.Shutdown();
  return 0;
}
