// mk-kubeconfig: issues a client certificate from the cluster CA in an apiserver's data dir
// and writes a kubeconfig for it (as `kubeadm kubeconfig user`). Run where the CA key is:
//   mk-kubeconfig --data-dir /var/lib/mk/apiserver --user system:node:n1
//       --group system:nodes --out /var/lib/mk/kubelet/kubeconfig   (one command line)
// The server addresses come from <data-dir>/admin.kubeconfig unless --server (REST URL) and
// --grpc-server (HOST:PORT) are given (for nodes that reach the apiserver by another name,
// which must be one of its --tls-san).

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "common/flag_names.h"
#include "common/kubeconfig_file.h"
#include "common/pki.h"

ABSL_FLAG(std::string, data_dir, "/var/lib/mk/apiserver", "the apiserver's data directory");
ABSL_FLAG(std::string, user, "", "user name (certificate CN), e.g. system:node:n1");
ABSL_FLAG(std::vector<std::string>, group, {}, "groups (certificate O), comma-separated");
ABSL_FLAG(std::string, out, "", "where to write the kubeconfig (mode 0600); default stdout");
ABSL_FLAG(std::string, server, "", "REST URL; default: the admin kubeconfig's");
ABSL_FLAG(std::string, grpc_server, "", "gRPC HOST:PORT; default: the admin kubeconfig's");
ABSL_FLAG(int, days, 365, "certificate validity in days");

int main(int argc, char** argv) {
  mk::NormalizedArgs args(argc, argv);
  absl::ParseCommandLine(args.argc(), args.argv());
  const std::string dir = absl::GetFlag(FLAGS_data_dir);
  const std::string user = absl::GetFlag(FLAGS_user);
  if (user.empty()) {
    std::fprintf(stderr, "mk-kubeconfig: --user is required\n");
    return 2;
  }
  auto ca_cert = mk::pki::ReadFile(dir + "/pki/ca.crt");
  auto ca_key = mk::pki::ReadFile(dir + "/pki/ca.key");
  if (!ca_cert.ok() || !ca_key.ok()) {
    std::fprintf(stderr, "mk-kubeconfig: cannot read the CA in %s/pki (run as its owner)\n",
                 dir.c_str());
    return 1;
  }
  mk::KubeconfigCredentials creds;
  creds.server = absl::GetFlag(FLAGS_server);
  creds.grpc_server = absl::GetFlag(FLAGS_grpc_server);
  if (creds.server.empty() || creds.grpc_server.empty()) {
    auto admin = mk::LoadKubeconfigCredentials(dir + "/admin.kubeconfig");
    if (!admin.ok()) {
      std::fprintf(stderr,
                   "mk-kubeconfig: %s (start the apiserver once, or pass --server "
                   "and --grpc-server)\n",
                   std::string(admin.status().message()).c_str());
      return 1;
    }
    if (creds.server.empty()) creds.server = admin->server;
    if (creds.grpc_server.empty()) creds.grpc_server = admin->grpc_server;
  }
  mk::pki::CertOptions opts;
  opts.validity = absl::Hours(24) * absl::GetFlag(FLAGS_days);
  auto pair = mk::pki::IssueClientCert({*ca_cert, *ca_key}, user, absl::GetFlag(FLAGS_group), opts);
  if (!pair.ok()) {
    std::fprintf(stderr, "mk-kubeconfig: %s\n", std::string(pair.status().message()).c_str());
    return 1;
  }
  creds.ca_pem = *ca_cert;
  creds.cert_pem = pair->cert_pem;
  creds.key_pem = pair->key_pem;
  mk::KubeconfigNames names;
  names.user = user;
  std::string text = mk::RenderKubeconfig(names, creds);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (absl::Status s = mk::pki::WriteFileAtomic(out, text, 0600); !s.ok()) {
    std::fprintf(stderr, "mk-kubeconfig: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
