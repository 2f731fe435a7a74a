// mk-apiserver: flags → options → Start() → wait for SIGTERM/SIGINT → Shutdown().

#include <csignal>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "apiserver/authn.h"
#include "apiserver/authz.h"
#include "apiserver/bootstrap_token.h"
#include "apiserver/grpc_server.h"
#include "apiserver/kubelet_logs.h"
#include "apiserver/metrics.h"
#include "apiserver/metrics_api.h"
#include "apiserver/node_authorizer.h"
#include "apiserver/registry.h"
#include "apiserver/request_auth.h"
#include "apiserver/rest_server.h"
#include "apiserver/rocksdb_store.h"
#include "apiserver/serving_pki.h"
#include "apiserver/transforming_store.h"
#include "apiserver/watch_limiter.h"
#include "common/flag_names.h"
#include "common/log.h"

ABSL_FLAG(std::string, data_dir, "/var/lib/mk/apiserver", "RocksDB data directory");
ABSL_FLAG(std::string, listen, "127.0.0.1:6443", "REST listen address host:port");
ABSL_FLAG(std::string, grpc_listen, "127.0.0.1:6444", "gRPC listen address host:port");
ABSL_FLAG(int, v, 0, "log verbosity (as Kubernetes' -v)");
ABSL_FLAG(int, bookmark_interval_seconds, 30, "idle time before a watch bookmark");
ABSL_FLAG(int64_t, max_history_events, 100000, "watch history kept (events)");
ABSL_FLAG(std::string, encryption_provider_config, "",
          "EncryptionConfiguration file: encryption at rest of the listed resources");
// Request limits (see docs/architecture.md, "Request limits").
ABSL_FLAG(int64_t, max_request_bytes, 3 * 1024 * 1024,
          "largest request body (REST) / object message (gRPC); larger: 413 / RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_requests_inflight, 400,
          "REST requests handled at once, watches and log streams excluded; beyond: 429 "
          "(0: no limit)");
ABSL_FLAG(int, max_watches_per_user, 100,
          "concurrent watches per client (REST and gRPC together; the peer IP until "
          "authentication identifies users); beyond: 429 / RESOURCE_EXHAUSTED (0: no limit)");
ABSL_FLAG(absl::Duration, request_read_timeout, absl::Seconds(32),
          "a REST connection must send a complete request (headers and body) within this "
          "long of connecting or of its previous response, else it is closed (slowloris)");
ABSL_FLAG(std::string, tls_cert_file, "",
          "serving certificate (PEM); default: <data-dir>/pki/apiserver.crt, created");
ABSL_FLAG(std::string, tls_private_key_file, "", "key of --tls-cert-file (PEM)");
ABSL_FLAG(std::string, client_ca_file, "",
          "CA bundle for client certificates; default: <data-dir>/pki/ca.crt, created");
ABSL_FLAG(std::vector<std::string>, tls_san, {},
          "extra subject alternative names (DNS or IP, comma-separated) for the serving cert");
ABSL_FLAG(std::string, kubelet_client_certificate, "",
          "client certificate (PEM) for kubelets (logs, stats); default: "
          "<data-dir>/pki/apiserver-kubelet-client.crt, created");
ABSL_FLAG(std::string, kubelet_client_key, "", "key of --kubelet-client-certificate (PEM)");
ABSL_FLAG(std::string, kubelet_certificate_authority, "",
          "CA bundle kubelets' serving certificates must chain to; default: "
          "<data-dir>/pki/kubelet-serving-ca.crt, created");
ABSL_FLAG(std::string, token_auth_file, "",
          "static bearer tokens, CSV: token,user,uid[,\"group1,group2\"]");
ABSL_FLAG(bool, enable_bootstrap_token_auth, true,
          "accept bootstrap tokens (Secrets kube-system/bootstrap-token-<id>) for node join");
ABSL_FLAG(std::string, authorization_mode, mk::apiserver::kDefaultAuthorizationMode,
          "comma-separated authorizers: Node, RBAC (mk's fixed roles), AlwaysAllow");
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

  // Encryption at rest (Kubernetes' --encryption-provider-config); a bad file stops startup.
  absl::StatusOr<mk::apiserver::EncryptionConfig> encryption = mk::apiserver::EncryptionConfig{};
  if (!absl::GetFlag(FLAGS_encryption_provider_config).empty()) {
    encryption =
        mk::apiserver::LoadEncryptionConfig(absl::GetFlag(FLAGS_encryption_provider_config));
    if (!encryption.ok()) {
      MK_LOG(E) << encryption.status().message();
      return 1;
    }
  }
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
  mk::apiserver::TransformingStore storage(store->get(), std::move(*encryption));
  mk::apiserver::Registry registry(&storage);
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
  pki_opts.kubelet_client_cert_file = absl::GetFlag(FLAGS_kubelet_client_certificate);
  pki_opts.kubelet_client_key_file = absl::GetFlag(FLAGS_kubelet_client_key);
  pki_opts.kubelet_ca_file = absl::GetFlag(FLAGS_kubelet_certificate_authority);
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
  if (absl::GetFlag(FLAGS_enable_bootstrap_token_auth)) {
    (*authn)->set_bootstrap_lookup(mk::apiserver::BootstrapTokenLookup(&registry));
  }
  // The single authorization point: Node + the fixed RBAC roles (apiserver/authz.h).
  mk::apiserver::RegistryNodeGraph node_graph(&registry);
  absl::StatusOr<std::unique_ptr<mk::apiserver::Authorizer>> authz =
      mk::apiserver::Authorizer::Create(absl::GetFlag(FLAGS_authorization_mode), &node_graph);
  if (!authz.ok()) {
    MK_LOG(E) << "--authorization-mode: " << authz.status();
    return 2;
  }
  mk::apiserver::AuthGate gate;
  gate.authenticator = authn->get();
  gate.anonymous_auth = absl::GetFlag(FLAGS_anonymous_auth);
  gate.authorize = [a = authz->get()](const mk::apiserver::UserInfo& user,
                                      const mk::apiserver::RequestAttributes& attrs) {
    mk::apiserver::Decision d = a->Authorize(user, attrs);
    return d.allowed ? absl::OkStatus() : mk::apiserver::ForbiddenStatus(user, attrs, d.reason);
  };
  rest_opts.tls_cert_pem = pki->serving.cert_pem;
  rest_opts.tls_key_pem = pki->serving.key_pem;
  rest_opts.bookmark_interval = absl::Seconds(absl::GetFlag(FLAGS_bookmark_interval_seconds));
  const int64_t max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  if (max_request_bytes <= 0 || max_request_bytes > (1 << 30)) {
    MK_LOG(E) << "--max-request-bytes must be in (0, 1 GiB]";
    return 2;
  }
  rest_opts.max_body_bytes = static_cast<size_t>(max_request_bytes);
  rest_opts.max_requests_inflight = absl::GetFlag(FLAGS_max_requests_inflight);
  rest_opts.request_read_timeout = absl::GetFlag(FLAGS_request_read_timeout);
  mk::apiserver::WatchLimiter watch_limiter(absl::GetFlag(FLAGS_max_watches_per_user));
  mk::apiserver::RestServer rest(&registry, &metrics, rest_opts, gate);
  rest.set_watch_limiter(&watch_limiter);
  // The apiserver → kubelet connection (logs, stats): TLS both ways (common/kubelet_client.h).
  const mk::KubeletClientConfig kubelet_client{pki->kubelet_ca_pem, pki->kubelet_client.cert_pem,
                                               pki->kubelet_client.key_pem};
  mk::apiserver::KubeletLogs logs(&registry, kubelet_client);
  mk::apiserver::MetricsApi metrics_api(&registry, kubelet_client);
  rest.set_metrics_api(&metrics_api);
  rest.set_log_source(&logs);
  if (absl::Status s = rest.Start(); !s.ok()) {
    MK_LOG(E) << s;
    return 1;
  }
  mk::apiserver::GrpcOptions grpc_opts;
  grpc_opts.max_receive_message_bytes = static_cast<int>(max_request_bytes) + 4096;
  grpc_opts.watch_limiter = &watch_limiter;
  mk::apiserver::GrpcServer grpc_server(&registry, &metrics, gate, grpc_opts);
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
