// apiserver_bench: measures, in one run, against a real mk-apiserver process:
//   1. raw RocksDB synced-write rate on the same disk (the baseline), 1 and 64 writers;
//   2. durable pod creates/s over gRPC with many concurrent clients (and the ratio);
//   3. the same over REST;
//   4. watch delivery latency (p50/p99) to 100 watchers at ~1,000 writes/s;
//   5. LIST of 10,000 pods (gRPC and REST).
// Usage: apiserver_bench [--dir DIR] [--seconds N] [--clients N]

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <openssl/pem.h>
#include <rocksdb/db.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "api.pb.h"
#include "apiserver.grpc.pb.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "common/kubeconfig_file.h"

namespace {

struct Args {
  std::string dir = "/var/tmp/mk-bench";
  double seconds = 5;
  int clients = 64;
};

std::string PodBytes(const std::string& name, const std::string& note = "") {
  mk::api::Pod pod;
  pod.mutable_metadata()->set_name(name);
  pod.mutable_metadata()->mutable_labels()->insert({"app", "bench"});
  if (!note.empty()) pod.mutable_metadata()->mutable_annotations()->insert({"t", note});
  mk::api::Container* c = pod.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("busybox:1");
  (*c->mutable_resources()->mutable_requests())["cpu"] = "100m";
  return pod.SerializeAsString();
}

// Runs `fn(thread_index, iteration)` on `threads` threads for `secs` or until every thread's
// `fn` returned false; returns ops/s.
template <typename Fn>
double RunFor(int threads, double secs, Fn fn) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> ops{0};
  std::atomic<int> running{threads};
  std::vector<std::thread> ts;
  absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int64_t i = 0; !stop; ++i) {
        if (!fn(t, i)) break;
        ++ops;
      }
      --running;
    });
  }
  absl::Time deadline = start + absl::Seconds(secs);
  while (running > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  stop = true;
  for (auto& t : ts) t.join();
  return ops / absl::ToDoubleSeconds(absl::Now() - start);
}

double RawRocksDb(const std::string& dir, int threads, double secs) {
  std::filesystem::remove_all(dir);
  rocksdb::Options opts;
  opts.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(opts, dir, &db).ok()) return 0;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  std::string value = PodBytes("x");
  double rate = RunFor(threads, secs, [&](int t, int64_t i) {
    return db->Put(wo, absl::StrCat("k", t, "-", i), value).ok();
  });
  delete db;
  std::filesystem::remove_all(dir);
  return rate;
}

struct Server {
  pid_t pid = -1;
  int rest = 0, grpc = 0;
};

Server StartApiserver(const std::string& bin, const std::string& data) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  Server s;
  s.pid = fork();
  if (s.pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the benchmark
    dup2(fds[1], 1);
    execl(bin.c_str(), bin.c_str(), ("--data-dir=" + data).c_str(), "--listen=127.0.0.1:0",
          "--grpc-listen=127.0.0.1:0", "--max-history-events=200000", "--max-watches-per-user=1000",
          nullptr);
    _exit(127);
  }
  close(fds[1]);
  FILE* f = fdopen(fds[0], "r");
  char line[256];
  while (fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "ready rest=%d grpc=%d", &s.rest, &s.grpc) == 2) break;
  }
  return s;
}

// An HTTPS client (keep-alive) trusting the cluster CA, presenting the admin certificate.
std::unique_ptr<httplib::SSLClient> NewSslClient(const mk::KubeconfigCredentials& creds, int port) {
  BIO* b = BIO_new_mem_buf(creds.cert_pem.data(), static_cast<int>(creds.cert_pem.size()));
  X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  b = BIO_new_mem_buf(creds.key_pem.data(), static_cast<int>(creds.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port, cert, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  X509_STORE* store = X509_STORE_new();
  b = BIO_new_mem_buf(creds.ca_pem.data(), static_cast<int>(creds.ca_pem.size()));
  while (X509* ca = PEM_read_bio_X509(b, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, ca);
    X509_free(ca);
  }
  BIO_free(b);
  c->set_ca_cert_store(store);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);  // as mkctl: header and body records go out at once
  return c;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--dir") args.dir = argv[i + 1];
    if (k == "--seconds") args.seconds = std::stod(argv[i + 1]);
    if (k == "--clients") args.clients = std::stoi(argv[i + 1]);
  }
  std::string bin = std::filesystem::path(argv[0]).parent_path() / "mk-apiserver";
  std::filesystem::create_directories(args.dir);
  std::printf("mk apiserver benchmark (dir %s, %.0f s per phase, %d clients)\n\n", args.dir.c_str(),
              args.seconds, args.clients);

  double raw1 = RawRocksDb(args.dir + "/raw", 1, args.seconds);
  double raw64 = RawRocksDb(args.dir + "/raw", args.clients, args.seconds);
  std::printf("baseline raw RocksDB synced puts/s:  1 writer %8.0f   %d writers %8.0f\n", raw1,
              args.clients, raw64);

  std::filesystem::remove_all(args.dir + "/data");
  Server srv = StartApiserver(bin, args.dir + "/data");
  if (srv.grpc == 0) {
    std::fprintf(stderr, "could not start %s\n", bin.c_str());
    return 1;
  }
  // TLS with the admin credentials the apiserver wrote, as every client uses it.
  auto creds = mk::LoadKubeconfigCredentials(args.dir + "/data/admin.kubeconfig");
  if (!creds.ok()) {
    std::fprintf(stderr, "admin kubeconfig: %s\n", creds.status().ToString().c_str());
    return 1;
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = creds->ca_pem;
  ssl.pem_cert_chain = creds->cert_pem;
  ssl.pem_private_key = creds->key_pem;
  auto channel =
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", srv.grpc), grpc::SslCredentials(ssl));
  auto stub = mk::api::ApiServer::NewStub(channel);

  double grpc_rate = RunFor(args.clients, args.seconds, [&](int t, int64_t i) {
    mk::api::WriteRequest req;
    req.set_resource("pods");
    req.set_namespace_("default");
    req.set_data(PodBytes(absl::StrCat("g-", t, "-", i)));
    mk::api::Object out;
    grpc::ClientContext ctx;
    return stub->Create(&ctx, req, &out).ok();
  });
  std::printf(
      "durable creates/s over gRPC:          %8.0f   (%.2fx raw synced %d writers, "
      "%.1fx raw 1 writer)\n",
      grpc_rate, grpc_rate / raw64, args.clients, grpc_rate / raw1);

  std::vector<std::unique_ptr<httplib::SSLClient>> http;
  for (int t = 0; t < args.clients; ++t) {
    http.push_back(NewSslClient(*creds, srv.rest));
  }
  double rest_rate = RunFor(args.clients, args.seconds, [&](int t, int64_t i) {
    mk::api::Pod pod;
    pod.ParseFromString(PodBytes(absl::StrCat("r-", t, "-", i)));
    auto r = http[t]->Post("/api/v1/namespaces/default/pods", mk::EncodeJson(pod).dump(),
                           "application/json");
    return r && r->status == 201;
  });
  std::printf("durable creates/s over REST:          %8.0f   (%.2fx raw synced %d writers)\n",
              rest_rate, rest_rate / raw64, args.clients);

  // Watch latency: 100 watchers; a writer at ~1,000 creates/s stamps each pod with its send
  // time; each watcher records receive - send.
  constexpr int kWatchers = 100;
  std::mutex lat_mu;
  std::vector<double> latencies;
  std::vector<std::unique_ptr<grpc::ClientContext>> wctx;
  std::vector<std::thread> watchers;
  std::atomic<int> ready{0};
  for (int w = 0; w < kWatchers; ++w) {
    wctx.push_back(std::make_unique<grpc::ClientContext>());
    watchers.emplace_back([&, w] {
      mk::api::WatchRequest req;
      req.set_resource("pods");
      req.set_namespace_("watch");
      grpc::ClientContext* ctx = wctx[w].get();
      auto reader = stub->Watch(ctx, req);
      ++ready;
      mk::api::WatchEvent ev;
      std::vector<double> mine;
      while (reader->Read(&ev)) {
        double now = absl::ToUnixMicros(absl::Now());
        mk::api::Pod pod;
        pod.ParseFromString(ev.object());
        auto it = pod.metadata().annotations().find("t");
        if (it != pod.metadata().annotations().end())
          mine.push_back((now - std::stod(it->second)) / 1000.0);
      }
      std::lock_guard<std::mutex> l(lat_mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  {
    // The namespace the watchers watch.
    mk::api::Namespace ns;
    ns.mutable_metadata()->set_name("watch");
    mk::api::WriteRequest req;
    req.set_resource("namespaces");
    req.set_data(ns.SerializeAsString());
    mk::api::Object out;
    grpc::ClientContext ctx;
    stub->Create(&ctx, req, &out);
  }
  while (ready < kWatchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int writes = static_cast<int>(1000 * args.seconds);
  absl::Time start = absl::Now();
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < writes; i += 8) {
        absl::Time due = start + absl::Milliseconds(i);
        absl::SleepFor(due - absl::Now());
        mk::api::WriteRequest req;
        req.set_resource("pods");
        req.set_namespace_("watch");
        req.set_data(
            PodBytes(absl::StrCat("w-", i), absl::StrCat(absl::ToUnixMicros(absl::Now()))));
        mk::api::Object out;
        grpc::ClientContext ctx;
        stub->Create(&ctx, req, &out);
      }
    });
  }
  for (auto& t : writers) t.join();
  double write_rate = writes / absl::ToDoubleSeconds(absl::Now() - start);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (auto& c : wctx) c->TryCancel();
  for (auto& t : watchers) t.join();
  std::printf(
      "watch latency, create sent -> event at %d watchers, %.0f writes/s: p50 %.2f ms, "
      "p99 %.2f ms (%zu deliveries)\n",
      kWatchers, write_rate, Percentile(latencies, 0.5), Percentile(latencies, 0.99),
      latencies.size());

  // LIST of 10,000 pods in one namespace.
  {
    mk::api::Namespace ns;
    ns.mutable_metadata()->set_name("list");
    mk::api::WriteRequest req;
    req.set_resource("namespaces");
    req.set_data(ns.SerializeAsString());
    mk::api::Object out;
    grpc::ClientContext ctx;
    stub->Create(&ctx, req, &out);
  }
  std::atomic<int> next{0};
  RunFor(args.clients, 600, [&](int, int64_t) {
    int i = next++;
    if (i >= 10000) return false;
    mk::api::WriteRequest req;
    req.set_resource("pods");
    req.set_namespace_("list");
    req.set_data(PodBytes(absl::StrCat("l-", i)));
    mk::api::Object out;
    grpc::ClientContext ctx;
    return stub->Create(&ctx, req, &out).ok();
  });
  for (int rep = 0; rep < 2; ++rep) {
    absl::Time t0 = absl::Now();
    mk::api::ListRequest lreq;
    lreq.set_resource("pods");
    lreq.set_namespace_("list");
    mk::api::ObjectList list;
    grpc::ClientContext lctx;
    stub->List(&lctx, lreq, &list);
    double grpc_ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    t0 = absl::Now();
    auto r = http[0]->Get("/api/v1/namespaces/list/pods");
    double rest_ms = absl::ToDoubleMilliseconds(absl::Now() - t0);
    std::printf("LIST %d pods: gRPC %.1f ms, REST %.1f ms (%zu bytes JSON)\n", list.items_size(),
                grpc_ms, rest_ms, r ? r->body.size() : 0);
  }
  kill(srv.pid, SIGTERM);
  waitpid(srv.pid, nullptr, 0);
  std::filesystem::remove_all(args.dir + "/data");
  return 0;
}
