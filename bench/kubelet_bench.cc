// kubelet_bench: pod startup through mk against the bare Docker Engine API calls, in one run,
// on the real engine (images already present):
//   1. baseline: what a one-container pod needs from Docker — create+start the mk-pause
//      sandbox, create+start the app container joining its network and IPC — timed directly
//      with DockerClient, one pod at a time and as a burst of N concurrent pods;
//   2. mk: a real mk-apiserver and mk-kubelet (child processes); each pod is created over
//      gRPC and its startup is the time until a watch shows all its containers running;
//      single pods one at a time, then a burst of N pods created at once;
//   3. the kubelet's idle RSS and CPU with 0 and with 20 running pods.
// Usage: kubelet_bench [--docker-socket PATH] [--single N] [--burst N] [--idle-seconds S]
//                      [--dir DIR]
// Needs dockerd and the images mk-pause:1 (imported by the kubelet) and mk-busybox:1
// (tests/e2e/lib/docker-env.sh builds it).

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/pki.h"
#include "kubelet/docker_client.h"
#include "kubelet/pause_image.h"

namespace {

using mk::kubelet::DockerClient;

struct Args {
  std::string socket = "/var/run/docker.sock";
  std::string dir = "/var/tmp/mk-kubelet-bench";
  int single = 15;
  int burst = 30;
  double idle_seconds = 20;
};

struct Child {
  pid_t pid = -1;
  std::string ready;
};

Child Spawn(const std::vector<std::string>& argv, const std::string& prefix,
            const std::string& log) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
    dup2(fds[1], 1);
    FILE* err = fopen(log.c_str(), "w");
    if (err != nullptr) dup2(fileno(err), 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  FILE* f = fdopen(fds[0], "r");
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (std::string(line).rfind(prefix, 0) == 0) {
      c.ready = line;
      break;
    }
  }
  return c;
}

// A serving certificate for the kubelet's HTTPS server on 127.0.0.1 from the kubelet serving CA in
// the apiserver's data dir, written to <dir>/kubelet.{crt,key} (what mk-kubeconfig
// --serving-cert-out does).
bool IssueKubeletServingCert(const std::string& dir, const std::string& node) {
  absl::StatusOr<std::string> ca_cert = mk::pki::ReadFile(dir + "/data/pki/kubelet-serving-ca.crt");
  absl::StatusOr<std::string> ca_key = mk::pki::ReadFile(dir + "/data/pki/kubelet-serving-ca.key");
  if (!ca_cert.ok() || !ca_key.ok()) return false;
  mk::pki::CertOptions opts;
  opts.organizations = {"system:nodes"};
  absl::StatusOr<mk::pki::CertAndKey> serving = mk::pki::IssueServingCert(
      {*ca_cert, *ca_key}, "system:node:" + node, {"localhost"}, {"127.0.0.1"}, opts);
  return serving.ok() &&
         mk::pki::WriteFileAtomic(dir + "/kubelet.key", serving->key_pem, 0600).ok() &&
         mk::pki::WriteFileAtomic(dir + "/kubelet.crt", serving->cert_pem, 0644).ok();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

mk::Json Labels(const std::string& node) { return mk::Json{{"mk.node", node}}; }

// The Docker calls of one pod (sandbox + one container), as the kubelet makes them.
bool BarePod(DockerClient& d, const std::string& node, const std::string& name) {
  mk::Json sandbox = {
      {"Image", mk::kubelet::kDefaultPauseImage},
      {"Labels", Labels(node)},
      {"Hostname", name},
      {"HostConfig",
       {{"NetworkMode", "bridge"}, {"IpcMode", "shareable"}, {"RestartPolicy", {{"Name", "no"}}}}}};
  absl::StatusOr<std::string> sid = d.CreateContainer("bare_POD_" + name, sandbox);
  if (!sid.ok() || !d.StartContainer(*sid).ok()) return false;
  mk::Json app = {{"Image", "mk-busybox:1"},
                  {"Cmd", {"sleep", "3600"}},
                  {"Labels", Labels(node)},
                  {"HostConfig",
                   {{"NetworkMode", "container:" + *sid},
                    {"IpcMode", "container:" + *sid},
                    {"RestartPolicy", {{"Name", "no"}}}}}};
  absl::StatusOr<std::string> cid = d.CreateContainer("bare_app_" + name, app);
  return cid.ok() && d.StartContainer(*cid).ok();
}

void RemoveAll(DockerClient& d, const std::string& node) {
  absl::StatusOr<mk::Json> list = d.ListContainers({"mk.node=" + node}, true);
  if (!list.ok()) return;
  std::vector<std::thread> ts;
  for (const mk::Json& c : *list) {
    std::string id = c.value("Id", "");
    ts.emplace_back([&d, id] { (void)d.RemoveContainer(id, true, true); });
  }
  for (auto& t : ts) t.join();
}

size_t CountContainers(DockerClient& d, const std::string& node) {
  absl::StatusOr<mk::Json> list = d.ListContainers({"mk.node=" + node}, true);
  return list.ok() ? list->size() : 0;
}

// Pods seen with every container running, by name → when.
class RunningWatcher {
 public:
  RunningWatcher(mk::ApiClient* api, const std::string& node) {
    mk::WatchOptions o;
    o.field_selector = "spec.nodeName=" + node;
    auto w = api->Watch("pods", "default", o);
    if (!w.ok()) return;
    stream_ = std::move(*w);
    thread_ = std::thread([this] {
      mk::WatchEvent ev;
      while (stream_->Next(&ev)) {
        const auto* pod = dynamic_cast<const mk::api::Pod*>(ev.object.get());
        if (pod == nullptr || pod->status().phase() != "Running") continue;
        bool all = pod->status().container_statuses_size() == pod->spec().containers_size();
        for (const auto& cs : pod->status().container_statuses()) {
          all = all && cs.state().has_running();
        }
        if (!all) continue;
        absl::MutexLock l(&mu_);
        seen_.emplace(pod->metadata().name(), absl::Now());
      }
    });
  }
  ~RunningWatcher() {
    if (stream_) stream_->Cancel();
    if (thread_.joinable()) thread_.join();
  }
  bool Wait(const std::string& name, absl::Time* at, absl::Duration timeout) {
    absl::MutexLock l(&mu_);
    auto has = [this, &name]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return seen_.count(name) > 0; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&has), timeout)) return false;
    *at = seen_[name];
    return true;
  }

 private:
  std::unique_ptr<mk::WatchStream> stream_;
  std::thread thread_;
  absl::Mutex mu_;
  std::map<std::string, absl::Time> seen_ ABSL_GUARDED_BY(mu_);
};

mk::api::Pod PodOf(const std::string& name, const std::string& node) {
  mk::api::Pod pod;
  pod.set_api_version("v1");
  pod.set_kind("Pod");
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_spec()->set_node_name(node);
  pod.mutable_spec()->set_termination_grace_period_seconds(0);
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("main");
  c->set_image("mk-busybox:1");
  c->set_image_pull_policy("IfNotPresent");
  c->add_command("sleep");
  c->add_command("3600");
  return pod;
}

void DeletePods(mk::ApiClient* api, DockerClient& d, const std::string& node,
                const std::vector<std::string>& names) {
  mk::DeleteOptions o;
  o.grace_period_seconds = 0;
  for (const std::string& n : names) (void)api->Delete("pods", "default", n, o);
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (CountContainers(d, node) > 0 && absl::Now() < deadline)
    absl::SleepFor(absl::Milliseconds(200));
}

struct ProcStat {
  double cpu_seconds = 0;
  long rss_kib = 0;
  long anon_kib = 0;  // RssAnon: private heap and stacks
  long pss_kib = 0;   // shared library pages divided among their users
};

ProcStat Stat(pid_t pid) {
  ProcStat s;
  std::ifstream st(absl::StrCat("/proc/", pid, "/stat"));
  std::string content((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
  size_t rp = content.rfind(')');
  if (rp != std::string::npos) {
    std::istringstream in(content.substr(rp + 2));
    std::string f;
    std::vector<std::string> fields;
    while (in >> f) fields.push_back(f);
    // fields[0] is field 3 (state); utime = field 14, stime = field 15.
    if (fields.size() > 13) {
      s.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / sysconf(_SC_CLK_TCK);
    }
  }
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::stol(line.substr(6));
    if (line.rfind("RssAnon:", 0) == 0) s.anon_kib = std::stol(line.substr(8));
  }
  std::ifstream rollup(absl::StrCat("/proc/", pid, "/smaps_rollup"));
  while (std::getline(rollup, line)) {
    if (line.rfind("Pss:", 0) == 0) s.pss_kib = std::stol(line.substr(4));
  }
  return s;
}

void Idle(pid_t pid, double seconds, const char* what) {
  absl::SleepFor(absl::Seconds(3));  // let the last syncs settle
  ProcStat a = Stat(pid);
  absl::Time t0 = absl::Now();
  absl::SleepFor(absl::Seconds(seconds));
  ProcStat b = Stat(pid);
  double wall = absl::ToDoubleSeconds(absl::Now() - t0);
  std::printf(
      "kubelet idle %-9s RSS %5.1f MiB (anon %4.1f, PSS %4.1f)   CPU %5.2f %% of one core "
      "(over %.0f s)\n",
      what, b.rss_kib / 1024.0, b.anon_kib / 1024.0, b.pss_kib / 1024.0,
      100.0 * (b.cpu_seconds - a.cpu_seconds) / wall, wall);
}

void Report(const char* what, const std::vector<double>& ms) {
  std::printf("%-34s n=%3zu  p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n", what, ms.size(),
              Percentile(ms, 0.5), Percentile(ms, 0.99), Percentile(ms, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--docker-socket") args.socket = argv[i + 1];
    if (k == "--dir") args.dir = argv[i + 1];
    if (k == "--single") args.single = std::stoi(argv[i + 1]);
    if (k == "--burst") args.burst = std::stoi(argv[i + 1]);
    if (k == "--idle-seconds") args.idle_seconds = std::stod(argv[i + 1]);
  }
  std::string bindir = std::filesystem::path(argv[0]).parent_path();
  std::filesystem::remove_all(args.dir);
  std::filesystem::create_directories(args.dir);
  mk::kubelet::DockerClientOptions dopts;
  dopts.socket_path = args.socket;
  DockerClient docker(dopts);
  if (!docker.Ping().ok()) {
    std::fprintf(stderr, "no Docker engine at %s\n", args.socket.c_str());
    return 1;
  }
  if (!mk::kubelet::EnsurePauseImage(docker, bindir + "/mk-pause").ok() ||
      !docker.InspectImage("mk-busybox:1").ok()) {
    std::fprintf(stderr, "needs mk-pause:1 and mk-busybox:1 (tests/e2e/lib/docker-env.sh)\n");
    return 1;
  }
  std::string tag = absl::StrCat(getpid());
  std::printf("mk kubelet benchmark (engine %s, %d single pods, burst of %d)\n\n",
              args.socket.c_str(), args.single, args.burst);

  // 1. The bare Docker calls.
  std::string bare_node = "bench-bare-" + tag;
  std::vector<double> bare_single, bare_burst;
  for (int i = 0; i < args.single; ++i) {
    absl::Time t0 = absl::Now();
    if (!BarePod(docker, bare_node, absl::StrCat("s", i, "-", tag))) return 1;
    bare_single.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
  }
  RemoveAll(docker, bare_node);
  {
    std::vector<std::thread> ts;
    std::vector<double> out(args.burst);
    absl::Time t0 = absl::Now();
    for (int i = 0; i < args.burst; ++i) {
      ts.emplace_back([&, i] {
        BarePod(docker, bare_node, absl::StrCat("b", i, "-", tag));
        out[i] = absl::ToDoubleMilliseconds(absl::Now() - t0);
      });
    }
    for (auto& t : ts) t.join();
    bare_burst = out;
  }
  RemoveAll(docker, bare_node);

  // 2. Through mk.
  Child api = Spawn({bindir + "/mk-apiserver", "--data-dir=" + args.dir + "/data",
                     "--listen=127.0.0.1:0", "--grpc-listen=127.0.0.1:0"},
                    "ready ", args.dir + "/apiserver.log");
  int rest = 0, grpc = 0;
  if (std::sscanf(api.ready.c_str(), "ready rest=%d grpc=%d", &rest, &grpc) != 2) {
    std::fprintf(stderr, "mk-apiserver did not start\n");
    return 1;
  }
  std::string node = "bench-" + tag;
  std::string grpc_addr = absl::StrCat("127.0.0.1:", grpc);
  if (!IssueKubeletServingCert(args.dir, node)) {
    std::fprintf(stderr, "cannot issue the kubelet's serving certificate\n");
    return 1;
  }
  Child kubelet =
      // The admin kubeconfig the apiserver wrote (TLS + client certificate).
      Spawn({bindir + "/mk-kubelet", "--kubeconfig=" + args.dir + "/data/admin.kubeconfig",
             "--apiserver=" + grpc_addr, "--node-name=" + node, "--docker-socket=" + args.socket,
             "--root-dir=" + args.dir + "/kubelet", "--port=0",
             "--tls-cert-file=" + args.dir + "/kubelet.crt",
             "--tls-private-key-file=" + args.dir + "/kubelet.key"},
            "ready node=", args.dir + "/kubelet.log");
  if (kubelet.ready.empty()) {
    std::fprintf(stderr, "mk-kubelet did not start (log: %s/kubelet.log)\n", args.dir.c_str());
    return 1;
  }
  auto made = mk::NewGrpcApiClientFromKubeconfig(args.dir + "/data/admin.kubeconfig", grpc_addr);
  if (!made.ok()) {
    std::fprintf(stderr, "client: %s\n", made.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<mk::ApiClient> client = *std::move(made);
  Idle(kubelet.pid, args.idle_seconds, "(0 pods)");
  std::vector<double> mk_single, mk_burst;
  {
    RunningWatcher watch(client.get(), node);
    std::vector<std::string> names;
    for (int i = 0; i < args.single; ++i) {
      std::string name = absl::StrCat("single-", i);
      absl::Time t0 = absl::Now(), at;
      if (!client->Create("pods", "default", PodOf(name, node)).ok()) return 1;
      if (!watch.Wait(name, &at, absl::Seconds(60))) {
        std::fprintf(stderr, "pod %s did not start\n", name.c_str());
        return 1;
      }
      mk_single.push_back(absl::ToDoubleMilliseconds(at - t0));
      names.push_back(name);
    }
    DeletePods(client.get(), docker, node, names);
    names.clear();
    std::vector<absl::Time> created(args.burst);
    std::vector<std::thread> ts;
    for (int i = 0; i < args.burst; ++i) {
      names.push_back(absl::StrCat("burst-", i));
      ts.emplace_back([&, i] {
        created[i] = absl::Now();
        (void)client->Create("pods", "default", PodOf(names[i], node));
      });
    }
    for (auto& t : ts) t.join();
    for (int i = 0; i < args.burst; ++i) {
      absl::Time at;
      if (!watch.Wait(names[i], &at, absl::Seconds(120))) {
        std::fprintf(stderr, "pod %s did not start\n", names[i].c_str());
        return 1;
      }
      mk_burst.push_back(absl::ToDoubleMilliseconds(at - created[i]));
    }
    DeletePods(client.get(), docker, node, names);
    names.clear();
    for (int i = 0; i < 20; ++i) {
      names.push_back(absl::StrCat("idle-", i));
      (void)client->Create("pods", "default", PodOf(names.back(), node));
    }
    for (const std::string& n : names) {
      absl::Time at;
      (void)watch.Wait(n, &at, absl::Seconds(120));
    }
    Idle(kubelet.pid, args.idle_seconds, "(20 pods)");
    DeletePods(client.get(), docker, node, names);
  }

  std::printf("\n");
  Report("bare Docker calls, single pod", bare_single);
  Report("mk create -> running, single pod", mk_single);
  Report(absl::StrCat("bare Docker calls, burst of ", args.burst).c_str(), bare_burst);
  Report(absl::StrCat("mk create -> running, burst of ", args.burst).c_str(), mk_burst);
  std::printf("ratio mk/bare p50: single %.2fx   burst %.2fx\n",
              Percentile(mk_single, 0.5) / Percentile(bare_single, 0.5),
              Percentile(mk_burst, 0.5) / Percentile(bare_burst, 0.5));
  std::printf("ratio mk/bare p99: single %.2fx   burst %.2fx\n",
              Percentile(mk_single, 0.99) / Percentile(bare_single, 0.99),
              Percentile(mk_burst, 0.99) / Percentile(bare_burst, 0.99));
  kill(kubelet.pid, SIGTERM);
  waitpid(kubelet.pid, nullptr, 0);
  RemoveAll(docker, node);
  kill(api.pid, SIGTERM);
  waitpid(api.pid, nullptr, 0);
  return 0;
}
