// mk-scheduler benchmark, after Kubernetes' scheduler_perf: Node objects without kubelets,
// then 10,000 pods.
//
//  1. In process: the time per scheduling decision (filter + score + assume) over the
//     scheduler cache for 100, 1,000 and 5,000 nodes, plain pods, pods with node affinity
//     and preferred pod anti-affinity, and nodes with taints — and how it grows with nodes.
//  2. Through the real apiserver (a child mk-apiserver, RocksDB, fsync): pods bound per
//     second by the scheduler engine (informers, queue, binder pool, events, annotations).
//     The pods are created first, then scheduling starts and the clock runs until every
//     binding is acknowledged.
//
// Usage: scheduler_bench [--pods 10000] [--nodes 100,1000,5000] [--dir /var/tmp/mk-sched-bench]
//                        [--skip-apiserver] [--skip-in-process] [--plain-only]
//                        [--record-scores true|false]

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/log.h"
#include "scheduler/algorithm.h"
#include "scheduler/cache.h"
#include "scheduler/scheduler.h"

namespace {

using mk::api::Node;
using mk::api::Pod;
using Clock = std::chrono::steady_clock;

enum class Mode { kPlain, kAffinity, kTaints };
const char* ModeName(Mode m) {
  return m == Mode::kPlain ? "plain" : m == Mode::kAffinity ? "affinity" : "taints";
}

Node MakeNode(int i, Mode mode) {
  Node n;
  std::string name = absl::StrCat("node-", i);
  n.mutable_metadata()->set_name(name);
  auto& labels = *n.mutable_metadata()->mutable_labels();
  labels["kubernetes.io/hostname"] = name;
  labels["topology.kubernetes.io/zone"] = absl::StrCat("zone-", i % 10);
  for (auto* m :
       {n.mutable_status()->mutable_capacity(), n.mutable_status()->mutable_allocatable()}) {
    (*m)["cpu"] = "32";
    (*m)["memory"] = "256Gi";
    (*m)["pods"] = "200";
  }
  auto* c = n.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  if (mode == Mode::kTaints) {
    if (i % 10 == 0) {
      auto* t = n.mutable_spec()->add_taints();
      t->set_key("dedicated");
      t->set_value("infra");
      t->set_effect("NoSchedule");
    }
    if (i % 3 == 0) {
      auto* t = n.mutable_spec()->add_taints();
      t->set_key("spot");
      t->set_effect("PreferNoSchedule");
    }
  }
  return n;
}

Pod MakePod(int i, Mode mode) {
  Pod p;
  p.mutable_metadata()->set_name(absl::StrCat("pod-", i));
  p.mutable_metadata()->set_namespace_("default");
  std::string app = absl::StrCat("app-", i % 20);
  (*p.mutable_metadata()->mutable_labels())["app"] = app;
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  (*c->mutable_resources()->mutable_requests())["cpu"] = "100m";
  (*c->mutable_resources()->mutable_requests())["memory"] = "128Mi";
  if (mode == Mode::kAffinity) {
    auto* aff = p.mutable_spec()->mutable_affinity();
    auto* term = aff->mutable_node_affinity()
                     ->mutable_required_during_scheduling_ignored_during_execution()
                     ->add_node_selector_terms();
    auto* r = term->add_match_expressions();
    r->set_key("topology.kubernetes.io/zone");
    r->set_operator_("NotIn");
    r->add_values("zone-9");
    auto* pref = aff->mutable_pod_anti_affinity()
                     ->add_preferred_during_scheduling_ignored_during_execution();
    pref->set_weight(50);
    (*pref->mutable_pod_affinity_term()->mutable_label_selector()->mutable_match_labels())["app"] =
        app;
    pref->mutable_pod_affinity_term()->set_topology_key("topology.kubernetes.io/zone");
  }
  if (mode == Mode::kTaints && i % 2 == 0) {
    auto* t = p.mutable_spec()->add_tolerations();
    t->set_key("dedicated");
    t->set_operator_("Exists");
  }
  return p;
}

// In-process decisions: µs per pod.
double InProcess(int nodes, int pods, Mode mode, int* unschedulable) {
  mk::scheduler::Cache cache;
  for (int i = 0; i < nodes; ++i) cache.AddOrUpdateNode(std::make_shared<Node>(MakeNode(i, mode)));
  mk::scheduler::Algorithm algo(&cache, 1);
  std::vector<std::shared_ptr<mk::scheduler::PodInfo>> infos;
  for (int i = 0; i < pods; ++i) {
    infos.push_back(mk::scheduler::NewPodInfo(std::make_shared<Pod>(MakePod(i, mode))));
  }
  *unschedulable = 0;
  auto start = Clock::now();
  for (auto& info : infos) {
    mk::scheduler::ScheduleResult r = algo.Schedule(*info);
    if (r.node.empty()) {
      ++*unschedulable;
      continue;
    }
    cache.AssumePod(info, r.node);
  }
  double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  return us / pods;
}

struct Server {
  pid_t pid = -1;
  int grpc = 0;
};

Server StartApiserver(const std::string& bin, const std::string& data) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  Server s;
  s.pid = fork();
  if (s.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], 1);
    execl(bin.c_str(), bin.c_str(), ("--data-dir=" + data).c_str(), "--listen=127.0.0.1:0",
          "--grpc-listen=127.0.0.1:0", "--max-history-events=200000", nullptr);
    _exit(127);
  }
  close(fds[1]);
  FILE* f = fdopen(fds[0], "r");
  char line[256];
  int rest = 0;
  while (fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "ready rest=%d grpc=%d", &rest, &s.grpc) == 2) break;
  }
  return s;
}

void Parallel(int threads, int n, const std::function<void(int)>& fn) {
  std::vector<std::thread> ts;
  std::atomic<int> next{0};
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      for (int i = next++; i < n; i = next++) fn(i);
    });
  }
  for (auto& t : ts) t.join();
}

// Pods bound per second through the apiserver.
double ThroughApiserver(const std::string& bin, const std::string& dir, int nodes, int pods,
                        Mode mode, bool record_scores) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Server srv = StartApiserver(bin, dir + "/data");
  if (srv.grpc == 0) {
    std::fprintf(stderr, "apiserver did not start\n");
    return 0;
  }
  std::string addr = absl::StrCat("127.0.0.1:", srv.grpc);
  auto made = mk::NewGrpcApiClientFromKubeconfig(dir + "/data/admin.kubeconfig", addr);
  if (!made.ok()) {
    std::fprintf(stderr, "client: %s\n", made.status().ToString().c_str());
    return 0;
  }
  std::unique_ptr<mk::ApiClient> client = *std::move(made);
  Parallel(16, nodes, [&](int i) { (void)client->Create("nodes", "", MakeNode(i, mode)); });
  mk::scheduler::SchedulerOptions opts;
  opts.record_scores = record_scores;
  auto sched = std::make_unique<mk::scheduler::Scheduler>(client.get(), opts);
  sched->StartInformers();
  sched->WaitForSync(absl::Seconds(60));
  Parallel(32, pods, [&](int i) { (void)client->Create("pods", "default", MakePod(i, mode)); });
  // Wait until the informer has queued them all.
  auto wait_start = Clock::now();
  while (sched->queue()->NumActive() < static_cast<size_t>(pods) &&
         Clock::now() - wait_start < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto start = Clock::now();
  sched->Run();
  while (sched->scheduled() < pods && Clock::now() - start < std::chrono::seconds(300)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  int64_t bound = sched->scheduled();
  sched->Shutdown();
  sched.reset();
  client.reset();
  kill(srv.pid, SIGKILL);
  waitpid(srv.pid, nullptr, 0);
  std::filesystem::remove_all(dir);
  if (bound < pods) std::fprintf(stderr, "only %lld of %d bound\n", (long long)bound, pods);
  return bound / secs;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int pods = 10000;
  std::vector<int> node_counts = {100, 1000, 5000};
  std::string dir = "/var/tmp/mk-sched-bench";
  bool skip_apiserver = false, skip_in_process = false, record_scores = true;
  bool apiserver_affinity = true;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    std::string v = i + 1 < argc ? argv[i + 1] : "";
    if (k == "--pods") {
      pods = std::stoi(v);
      ++i;
    } else if (k == "--nodes") {
      node_counts.clear();
      for (absl::string_view s : absl::StrSplit(v, ',')) {
        int n = 0;
        if (absl::SimpleAtoi(s, &n)) node_counts.push_back(n);
      }
      ++i;
    } else if (k == "--dir") {
      dir = v;
      ++i;
    } else if (k == "--skip-apiserver") {
      skip_apiserver = true;
    } else if (k == "--skip-in-process") {
      skip_in_process = true;
    } else if (k == "--plain-only") {
      apiserver_affinity = false;
    } else if (k == "--record-scores") {
      record_scores = v != "false";
      ++i;
    }
  }
  mk::SetLogVerbosity(-1);

  std::printf("in-process decisions (filter + score + assume), %d pods:\n", pods);
  std::printf("%-8s %-9s %12s %12s %14s\n", "nodes", "pods", "us/decision", "decisions/s",
              "unschedulable");
  for (Mode mode : {Mode::kPlain, Mode::kAffinity, Mode::kTaints}) {
    if (skip_in_process) break;
    for (int n : node_counts) {
      int unsched = 0;
      double us = InProcess(n, pods, mode, &unsched);
      std::printf("%-8d %-9s %12.1f %12.0f %14d\n", n, ModeName(mode), us, 1e6 / us, unsched);
    }
  }
  if (skip_apiserver) return 0;
  std::string bin = std::filesystem::path(argv[0]).parent_path() / "mk-apiserver";
  std::printf("\nthrough the real apiserver (pods created first; record-scores=%s), %d pods:\n",
              record_scores ? "true" : "false", pods);
  std::printf("%-8s %-9s %12s\n", "nodes", "pods", "bound/s");
  for (Mode mode : {Mode::kPlain, Mode::kAffinity}) {
    if (mode == Mode::kAffinity && !apiserver_affinity) break;
    for (int n : node_counts) {
      double rate = ThroughApiserver(bin, dir, n, pods, mode, record_scores);
      std::printf("%-8d %-9s %12.0f\n", n, ModeName(mode), rate);
    }
  }
  return 0;
}
