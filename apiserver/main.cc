// mk-apiserver: flags → options → Start() → wait for SIGTERM/SIGINT → Shutdown().

#include <csignal>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "apiserver/authn.h"
#include "apiserver/grpc_server.h"
#include "apiserver/kubelet_logs.h"
#include "apiserver/metrics.h"
#include "apiserver/metrics_api.h"
#include "apiserver/registry.h"
#include "apiserver/request_auth.h"
#include "apiserver/rest_server.h"
#include "apiserver/rocksdb_store.h"
#include "apiserver/serving_pki.h"
#include "common/flag_names.h"
#include "common/log.h"

ABSL_FLAG(std::string, data_dir, "/var/lib/mk/apiserver", "RocksDB data directory");
ABSL_FLAG(std::string, listen, "127.0.0.1:6443", "REST listen address host:port");
ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:6444", "gRPC listen address host:port");
ABSL_FLAG(int, v, 0, "log verbosity (as Kubernetes' -v)");
ABSL_FLAG(int, bookmark_interval_seconds, 30, "idle time before a watch bookmark");
ABSL_FLAG(int64_t, max_history_events, 100000, "watch history kept (events)");
ABSL_FLAG(std::string, tls_cert_file, "",
          "serving certificate (PEM); default: <data-dir>/pki/apiserver.crt, created");
ABSL_FLAG(std::string, tls_private_key_file, "", "key of --tls-cert-file (PEM)");
ABSL_FLAG(std::string, client_ca_file, "",
          "CA bundle for client certificates; default: <data-dir>/pki/ca.crt, created");
ABSL_FLAG(std::vector<std::string>, tls_san, {},
          "extra subject alternative names (DNS or IP, comma-separated) for the serving cert");
ABSL_FLAG(std::string, token_auth_file, "",
          "static bearer tokens, CSV: token,user,uid[,\"group1,group2\"]");
ABSL_FLAG(bool, anonymous_auth, true,
          "let anonymous requests read /healthz /readyz /livez /version (all else is 401)");

namespace {

bool SplitHostPort(const std::string& s, std::string* host, int* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  return absl::SimpleAtoi(s.substr(colon + 1), port);
}

}  // namespace

int main(int argc, char** argv) {
  mk::NormalizedArgs args(argc, argv);  // --data-dir and --data_dir both work
  absl::ParseCommandLine(args.argc(), args.argv());
  mk::SetLogComponent("apiserver");
  mk::SetLogVerbosity(absl::GetFlag(FLAGS_v));
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  mk::apiserver::RocksDbStore::Options store_opts;
  store_opts.max_history_events = absl::GetFlag(FLAGS_max_history_events);
  absl::Time t0 = absl::Now();
  auto store = mk::apiserver::RocksDbStore::Open(absl::GetFlag(FLAGS_data_dir), store_opts);
  if (!store.ok()) {
    MK_LOG(E) << "opening store: " << store.status();
    return 1;
  }
  MK_LOG(I) << "store open in " << absl::FormatDuration(absl::Now() - t0) << " at revision "
            << (*store)->CurrentRevision();
  mk::apiserver::Registry registry(store->get());
  if (absl::Status s = registry.Bootstrap(); !s.ok()) {
    MK_LOG(E) << "bootstrap: " << s;
    return 1;
  }
  mk::apiserver::Metrics metrics;
  mk::apiserver::RestOptions rest_opts;
  if (!SplitHostPort(absl::GetFlag(FLAGS_listen), &rest_opts.host, &rest_opts.port)) {
    MK_LOG(E) << "bad --listen " << absl::GetFlag(FLAGS_listen);
    return 2;
  }
  mk::apiserver::ServingPkiOptions pki_opts;
  pki_opts.data_dir = absl::GetFlag(FLAGS_data_dir);
  pki_opts.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  pki_opts.tls_key_file = absl::GetFlag(FLAGS_tls_private_key_file);
  pki_opts.client_ca_file = absl::GetFlag(FLAGS_client_ca_file);
  pki_opts.extra_sans = absl::GetFlag(FLAGS_tls_san);
  pki_opts.listen_host = rest_opts.host;
  std::string grpc_host;
  int grpc_port_flag = 0;
  if (SplitHostPort(absl::GetFlag(FLAGS_grpc_listen), &grpc_host, &grpc_port_flag) &&
      grpc_host != rest_opts.host && grpc_host != "0.0.0.0") {
    pki_opts.extra_sans.push_back(grpc_host);
  }
  absl::StatusOr<mk::apiserver::ServingPki> pki = mk::apiserver::LoadOrCreateServingPki(pki_opts);
  if (!pki.ok()) {
    MK_LOG(E) << "TLS: " << pki.status();
    return 1;
  }
  absl::StatusOr<std::unique_ptr<mk::apiserver::Authenticator>> authn =
      mk::apiserver::Authenticator::Create(pki->client_ca_pem,
                                           absl::GetFlag(FLAGS_token_auth_file));
  if (!authn.ok()) {
    MK_LOG(E) << "authentication: " << authn.status();
    return 1;
  }
  // The single authorization point: set gate.authorize to the real authorizer when it lands.
  mk::apiserver::AuthGate gate;
  gate.authenticator = authn->get();
  gate.anonymous_auth = absl::GetFlag(FLAGS_anonymous_auth);
  rest_opts.tls_cert_pem = pki->serving.cert_pem;
  rest_opts.tls_key_pem = pki->serving.key_pem;
  rest_opts.bookmark_interval = absl::Seconds(absl::GetFlag(FLAGS_bookmark_interval_seconds));
  mk::apiserver::RestServer rest(&registry, &metrics, rest_opts, gate);
  mk::apiserver::KubeletLogs logs(&registry);
  mk::apiserver::MetricsApi metrics_api(&registry);
  rest.set_metrics_api(&metrics_api);
  rest.set_log_source(&logs);
  if (absl::Status s = rest.Start(); !s.ok()) {
    MK_LOG(E) << s;
    return 1;
  }
  mk::apiserver::GrpcServer grpc_server(&registry, &metrics, gate);
  mk::apiserver::GrpcTlsOptions grpc_tls{pki->serving.cert_pem, pki->serving.key_pem,
                                         pki->client_ca_pem};
  if (absl::Status s = grpc_server.Start(absl::GetFlag(FLAGS_grpc_listen), grpc_tls); !s.ok()) {
    MK_LOG(E) << s;
    return 1;
  }
  const std::string& data_dir = absl::GetFlag(FLAGS_data_dir);
  absl::Status kc = mk::apiserver::WriteKubeconfigs(data_dir, *pki, rest_opts.host, rest.port(),
                                                    grpc_host, grpc_server.port());
  if (absl::IsFailedPrecondition(kc)) {
    MK_LOG(W) << kc.message();
  } else if (!kc.ok()) {
    MK_LOG(E) << "writing kubeconfigs: " << kc;
    return 1;
  } else {
    MK_LOG(I) << "kubeconfigs in " << data_dir << ": admin, scheduler, controller-manager";
  }
  MK_LOG(I) << "serving HTTPS on " << rest_opts.host << ":" << rest.port()
            << ", gRPC (TLS) on port " << grpc_server.port();
  // Tests read the chosen ports from this line when they pass port 0; the kubeconfigs are
  // written by then.
  std::printf("ready rest=%d grpc=%d\n", rest.port(), grpc_server.port());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&sigs, &sig);
  MK_LOG(I) << "signal " << sig << ", shutting down";
  grpc_server.Shutdown();
  rest.Shutdown();
  return 0;
}
