#include "tests/integration/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/api_client.h"
#include "common/https.h"
#include "common/kubeconfig_file.h"

namespace mk::testing {
namespace {

std::vector<char*> Argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const std::string& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// Reads everything from `fd` until EOF.
std::string Drain(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  return out;
}

}  // namespace

Process::~Process() {
  if (pid_ > 0) Kill(SIGKILL);
}

bool Process::Start(const std::vector<std::string>& argv, const std::string& log_path,
                    const std::string& ready_prefix, std::string* ready_line) {
  int out_pipe[2];
  if (pipe(out_pipe) != 0) return false;
  // Everything that allocates happens before fork(): in a multi-threaded test (gRPC clients)
  // the child may only make async-signal-safe calls, or it can deadlock on malloc's lock.
  std::vector<char*> args = Argv(argv);
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(out_pipe[1], 1);
    dup2(log, 2);
    close(out_pipe[0]);
    setpgid(0, 0);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out_pipe[1]);
  if (ready_prefix.empty()) {
    close(out_pipe[0]);
    return true;
  }
  std::string buf;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    pollfd p{out_pipe[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c[4096];
    ssize_t n = read(out_pipe[0], c, sizeof c);
    if (n <= 0) break;
    buf.append(c, n);
    size_t pos = buf.find(ready_prefix);
    size_t nl = pos == std::string::npos ? pos : buf.find('\n', pos);
    if (nl != std::string::npos) {
      if (ready_line) *ready_line = buf.substr(pos, nl - pos);
      // Keep draining stdout in the background so the child never blocks on it.
      int fd = out_pipe[0];
      if (fork() == 0) {
        char sink[4096];  // no allocation in the forked child (see above)
        while (read(fd, sink, sizeof sink) > 0) {
        }
        _exit(0);
      }
      close(fd);
      return true;
    }
  }
  close(out_pipe[0]);
  return false;
}

void Process::Kill(int sig) {
  if (pid_ <= 0) return;
  kill(pid_, sig);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/mk-test-XXXXXX";
  path_ = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Apiserver::Apiserver(std::string data_dir, std::vector<std::string> extra_flags)
    : data_dir_(std::move(data_dir)), extra_(std::move(extra_flags)) {
  log_ = data_dir_ + ".log";
}

bool Apiserver::Start() {
  std::vector<std::string> argv = {BinPath("mk-apiserver"), "--data-dir=" + data_dir_,
                                   "--listen=127.0.0.1:" + std::to_string(rest_port_),
                                   "--grpc-listen=127.0.0.1:" + std::to_string(grpc_port_)};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  std::string line;
  if (!proc_.Start(argv, log_, "ready ", &line)) return false;
  // "ready rest=N grpc=M"
  std::sscanf(line.c_str(), "ready rest=%d grpc=%d", &rest_port_, &grpc_port_);
  return rest_port_ > 0 && grpc_port_ > 0;
}

std::string Apiserver::url() const { return absl::StrCat("https://127.0.0.1:", rest_port_); }
std::string Apiserver::grpc_address() const { return absl::StrCat("127.0.0.1:", grpc_port_); }

std::string Apiserver::kubeconfig(const std::string& name) const {
  return absl::StrCat(data_dir_, "/", name, ".kubeconfig");
}

std::unique_ptr<ApiClient> Apiserver::NewClient(const std::string& name) const {
  auto client = NewGrpcApiClientFromKubeconfig(kubeconfig(name), grpc_address());
  if (!client.ok()) {
    std::fprintf(stderr, "NewClient(%s): %s\n", name.c_str(), client.status().ToString().c_str());
    return nullptr;
  }
  return *std::move(client);
}

bool Apiserver::IssueKubeconfig(const std::string& user, const std::vector<std::string>& groups,
                                const std::string& path) const {
  std::vector<std::string> argv = {BinPath("mk-kubeconfig"), "--data-dir=" + data_dir_,
                                   "--user=" + user, "--out=" + path};
  if (!groups.empty()) argv.push_back("--group=" + absl::StrJoin(groups, ","));
  CommandResult r = Run(argv);
  if (r.exit_code != 0) std::fprintf(stderr, "mk-kubeconfig: %s\n", r.err.c_str());
  return r.exit_code == 0;
}

std::vector<std::string> Apiserver::KubeletCredentials::Flags() const {
  return {"--kubeconfig=" + kubeconfig, "--tls-cert-file=" + cert, "--tls-private-key-file=" + key};
}

Apiserver::KubeletCredentials Apiserver::IssueKubeletCredentials(
    const std::string& node, const std::string& dir, const std::vector<std::string>& sans) const {
  KubeletCredentials c{dir + "/" + node + ".kubeconfig", dir + "/" + node + ".crt",
                       dir + "/" + node + ".key"};
  CommandResult r =
      Run({BinPath("mk-kubeconfig"), "--data-dir=" + data_dir_, "--user=system:node:" + node,
           "--group=system:nodes", "--out=" + c.kubeconfig, "--serving-cert-out=" + c.cert,
           "--serving-key-out=" + c.key, "--san=" + absl::StrJoin(sans, ",")});
  if (r.exit_code == 0) return c;
  std::fprintf(stderr, "mk-kubeconfig: %s\n", r.err.c_str());
  return {};
}

namespace {

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool TlsHandshake(int port, const std::string& ca_pem, int tls_version, const std::string& alpn) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (tls_version != 0) {
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, tls_version);
    SSL_CTX_set_max_proto_version(ctx, tls_version);
  }
  TrustCerts(*ctx, ca_pem);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!alpn.empty()) {
    std::string wire = std::string(1, static_cast<char>(alpn.size())) + alpn;
    SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
  }
  bool ok = false;
  int fd = ConnectLoopback(port);
  if (fd >= 0) {
    SSL* ssl = SSL_new(ctx);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
    SSL_set_fd(ssl, fd);
    ok = SSL_connect(ssl) == 1 && SSL_get_verify_result(ssl) == X509_V_OK;
    SSL_free(ssl);
    close(fd);
  }
  SSL_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

bool PlainHttpAnswers(int port) {
  int fd = ConnectLoopback(port);
  if (fd < 0) return false;
  const char req[] = "GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  ssize_t unused = write(fd, req, sizeof(req) - 1);
  (void)unused;
  char buf[64] = {};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n >= 5 && std::strncmp(buf, "HTTP/", 5) == 0;
}

int HttpsGet(int port, const std::string& ca_pem, const pki::CertAndKey& client,
             const std::string& path, std::string* body) {
  signal(SIGPIPE, SIG_IGN);
  auto c = NewHttpsClient("127.0.0.1", port, {ca_pem, client.cert_pem, client.key_pem});
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(5, 0);
  auto res = c->Get(path.c_str());
  if (!res) return 0;
  if (body != nullptr) *body = res->body;
  return res->status;
}

std::shared_ptr<grpc::Channel> NewGrpcChannel(const std::string& kubeconfig,
                                              const std::string& address) {
  auto creds = LoadKubeconfigCredentials(kubeconfig);
  if (!creds.ok()) return nullptr;
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = creds->ca_pem;
  ssl.pem_cert_chain = creds->cert_pem;
  ssl.pem_private_key = creds->key_pem;
  return grpc::CreateChannel(address, grpc::SslCredentials(ssl));
}

std::unique_ptr<httplib::SSLClient> NewRestClient(const std::string& kubeconfig) {
  auto creds = LoadKubeconfigCredentials(kubeconfig);
  if (!creds.ok()) return nullptr;
  std::string hp = creds->server.substr(creds->server.find("://") + 3);
  int port = std::atoi(hp.c_str() + hp.rfind(':') + 1);
  std::string host = hp.substr(0, hp.rfind(':'));
  auto c = NewHttpsClient(host, port, {creds->ca_pem, creds->cert_pem, creds->key_pem});
  if (!creds->token.empty()) c->set_bearer_token_auth(creds->token);
  return c;
}

CommandResult Run(const std::vector<std::string>& argv, const std::string& stdin_data) {
  CommandResult r;
  char out_tmpl[] = "/tmp/mk-out-XXXXXX";
  char err_tmpl[] = "/tmp/mk-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  int in_pipe[2];
  if (pipe(in_pipe) != 0) return r;
  std::vector<char*> args = Argv(argv);  // before fork(): see Process::Start
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    close(in_pipe[1]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in_pipe[0]);
  if (!stdin_data.empty()) {
    ssize_t unused = write(in_pipe[1], stdin_data.data(), stdin_data.size());
    (void)unused;
  }
  close(in_pipe[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  lseek(out_fd, 0, SEEK_SET);
  lseek(err_fd, 0, SEEK_SET);
  r.out = Drain(out_fd);
  r.err = Drain(err_fd);
  close(out_fd);
  close(err_fd);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return r;
}

CommandResult Mkctl(const std::string& kubeconfig, const std::vector<std::string>& args,
                    const std::string& stdin_data) {
  std::vector<std::string> argv = {BinPath("mkctl"), "--kubeconfig", kubeconfig};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, stdin_data);
}

std::string BinPath(const std::string& name) { return std::string(MK_BIN_DIR) + "/" + name; }

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path) << content;
}

}  // namespace mk::testing
