// mk-kubeconfig: issues a client certificate from the cluster CA in an apiserver's data dir
// and writes a kubeconfig for it (as `kubeadm kubeconfig user`). Run where the CA key is:
//   mk-kubeconfig --data-dir /var/lib/mk/apiserver --user system:node:n1
//       --group system:nodes --out /var/lib/mk/kubelet/kubeconfig   (one command line)
// The server addresses come from <data-dir>/admin.kubeconfig unless --server (REST URL) and
// --grpc-server (HOST:PORT) are given (for nodes that reach the apiserver by another name,
// which must be one of its --tls-san).
// It also issues a kubelet's serving certificate (its HTTPS server: --tls-cert-file and
// --tls-private-key-file) from the kubelet serving CA (pki/kubelet-serving-ca) with
// --serving-cert-out/--serving-key-out: CN = --user, O = --group,
// EKU serverAuth, SANs from --san (IPs and DNS names; default 127.0.0.1,localhost) — the node's
// IP, which the apiserver dials and verifies, must be one of them. With only the serving
// flags, no kubeconfig is written.

#include <arpa/inet.h>

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
ABSL_FLAG(std::string, serving_cert_out, "",
          "also issue a kubelet serving certificate (CN --user, O --group) to this file");
ABSL_FLAG(std::string, serving_key_out, "", "its private key (mode 0600)");
ABSL_FLAG(std::vector<std::string>, san, std::vector<std::string>({"127.0.0.1", "localhost"}),
          "subject alternative names of the serving certificate: IPs and DNS names, "
          "comma-separated (the node IP must be one)");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "mk-kubeconfig: %s\n", message.c_str());
  return 1;
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// Writes the kubelet serving certificate (--serving-cert-out, key --serving-key-out 0600).
int WriteServingCert(const mk::pki::CertAndKey& ca, const std::string& user,
                     const mk::pki::CertOptions& base) {
  const std::string cert_out = absl::GetFlag(FLAGS_serving_cert_out);
  const std::string key_out = absl::GetFlag(FLAGS_serving_key_out);
  if (key_out.empty()) return Fail("--serving-cert-out needs --serving-key-out");
  std::vector<std::string> dns, ips;
  for (const std::string& san : absl::GetFlag(FLAGS_san)) {
    if (!san.empty()) (IsIp(san) ? ips : dns).push_back(san);
  }
  mk::pki::CertOptions opts = base;
  opts.organizations = absl::GetFlag(FLAGS_group);
  auto pair = mk::pki::IssueServingCert(ca, user, dns, ips, opts);
  if (!pair.ok()) return Fail(std::string(pair.status().message()));
  if (absl::Status s = mk::pki::WriteFileAtomic(key_out, pair->key_pem, 0600); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  if (absl::Status s = mk::pki::WriteFileAtomic(cert_out, pair->cert_pem, 0644); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  return 0;
}

}  // namespace

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
    return Fail("cannot read the CA in " + dir + "/pki (run as its owner)");
  }
  mk::pki::CertOptions opts;
  opts.validity = absl::Hours(24) * absl::GetFlag(FLAGS_days);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (!absl::GetFlag(FLAGS_serving_cert_out).empty()) {
    // Kubelet serving certificates come from their own CA (apiserver/serving_pki.h).
    auto serving_ca_cert = mk::pki::ReadFile(dir + "/pki/kubelet-serving-ca.crt");
    auto serving_ca_key = mk::pki::ReadFile(dir + "/pki/kubelet-serving-ca.key");
    if (!serving_ca_cert.ok() || !serving_ca_key.ok()) {
      return Fail("cannot read the kubelet serving CA in " + dir +
                  "/pki (start the apiserver once; run as its owner)");
    }
    if (int rc = WriteServingCert({*serving_ca_cert, *serving_ca_key}, user, opts); rc != 0) {
      return rc;
    }
    if (out.empty()) return 0;  // only the serving certificate was asked for
  } else if (!absl::GetFlag(FLAGS_serving_key_out).empty()) {
    return Fail("--serving-key-out needs --serving-cert-out");
  }
  mk::KubeconfigCredentials creds;
  creds.server = absl::GetFlag(FLAGS_server);
  creds.grpc_server = absl::GetFlag(FLAGS_grpc_server);
  if (creds.server.empty() || creds.grpc_server.empty()) {
    auto admin = mk::LoadKubeconfigCredentials(dir + "/admin.kubeconfig");
    if (!admin.ok()) {
      return Fail(std::string(admin.status().message()) +
                  " (start the apiserver once, or pass --server and --grpc-server)");
    }
    if (creds.server.empty()) creds.server = admin->server;
    if (creds.grpc_server.empty()) creds.grpc_server = admin->grpc_server;
  }
  auto pair = mk::pki::IssueClientCert({*ca_cert, *ca_key}, user, absl::GetFlag(FLAGS_group), opts);
  if (!pair.ok()) return Fail(std::string(pair.status().message()));
  creds.ca_pem = *ca_cert;
  creds.cert_pem = pair->cert_pem;
  creds.key_pem = pair->key_pem;
  mk::KubeconfigNames names;
  names.user = user;
  std::string text = mk::RenderKubeconfig(names, creds);
  if (out.empty()) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  if (absl::Status s = mk::pki::WriteFileAtomic(out, text, 0600); !s.ok()) {
    return Fail(std::string(s.message()));
  }
  return 0;
}
