// The kubelet's HTTPS server on the real Docker engine (kubelet/log_server.h,
// kubelet/server_authz.h): no answer without a client certificate from the cluster CA, 403 for
// identities other than the apiserver's kubelet client (everything) and the
// controller-manager (GET /stats/summary); `mkctl logs` and `mkctl top` through the
// apiserver; and the apiserver refusing a kubelet whose serving certificate does not name
// the node's IP. The apiserver's side against other CAs: tests/integration/kubelet_tls_test.cc.

#include <csignal>
#include <string>

#include "common/kubeconfig_file.h"
#include "common/pki.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"
#include "tests/integration/fake_kubelet.h"

namespace mk::e2e {
namespace {

using ::mk::testing::ClusterCa;
using ::mk::testing::HttpsGet;
using ::testing::HasSubstr;

constexpr char kTalker[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: talker
spec:
  nodeName: NODE
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: mk-busybox:1
    command: ["sh", "-c", "echo hello-tls; sleep 3600"]
)";

pki::CertAndKey Must(absl::StatusOr<pki::CertAndKey> v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : pki::CertAndKey{};
}

bool LogsSay(Cluster& c, const std::string& text) {
  CommandResult r = c.K({"logs", "talker"});
  return r.exit_code == 0 && r.out.find(text) != std::string::npos;
}

TEST(KubeletTls, OnlyTheApiserverAndTheControllerManagerGetIn) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("tls"));
  ASSERT_TRUE(c.Start());
  c.Apply(kTalker);
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("talker")); }, 60));

  const pki::CertAndKey ca = ClusterCa(*c.apiserver());
  const std::string serving_ca = KubeletServingCa(*c.apiserver()).cert_pem;  // the kubelet
  const std::string pki_dir = c.apiserver()->data_dir() + "/pki/";
  const pki::CertAndKey apiserver{*pki::ReadFile(pki_dir + "apiserver-kubelet-client.crt"),
                                  *pki::ReadFile(pki_dir + "apiserver-kubelet-client.key")};
  absl::StatusOr<KubeconfigCredentials> cm_creds =
      LoadKubeconfigCredentials(c.apiserver()->kubeconfig("controller-manager"));
  ASSERT_TRUE(cm_creds.ok()) << cm_creds.status();
  const pki::CertAndKey cm{cm_creds->cert_pem, cm_creds->key_pem};
  const pki::CertAndKey node_b = Must(pki::IssueClientCert(ca, "system:node:b", {"system:nodes"}));
  const pki::CertAndKey stranger = Must(pki::IssueClientCert(
      Must(pki::CreateCa("other-ca")), "kube-apiserver-kubelet-client", {"system:masters"}));
  const int port = c.kubelet_port();
  const std::string logs = "/containerLogs/default/talker/main";
  std::string body;

  // No certificate, or one from another CA: the handshake fails, /healthz included.
  EXPECT_EQ(HttpsGet(port, serving_ca, {}, "/healthz"), 0);
  EXPECT_EQ(HttpsGet(port, serving_ca, {}, logs), 0);
  EXPECT_EQ(HttpsGet(port, serving_ca, stranger, logs), 0);
  // Another node: 403 with the kubelet's text.
  EXPECT_EQ(HttpsGet(port, serving_ca, node_b, logs, &body), 403);
  EXPECT_EQ(body, "Forbidden (user=system:node:b, verb=get, resource=nodes, subresource(s)=[log])");
  EXPECT_EQ(HttpsGet(port, serving_ca, node_b, "/stats/summary", &body), 403);
  EXPECT_EQ(body,
            "Forbidden (user=system:node:b, verb=get, resource=nodes, subresource(s)=[stats])");
  EXPECT_EQ(HttpsGet(port, serving_ca, node_b, "/healthz"), 403);
  // The apiserver's kubelet client: everything.
  EXPECT_EQ(HttpsGet(port, serving_ca, apiserver, logs, &body), 200);
  EXPECT_THAT(body, HasSubstr("hello-tls"));
  EXPECT_EQ(HttpsGet(port, serving_ca, apiserver, "/stats/summary"), 200);
  EXPECT_EQ(HttpsGet(port, serving_ca, apiserver, "/healthz", &body), 200);
  EXPECT_EQ(body, "ok");
  // The controller-manager (the HPA): stats only.
  EXPECT_EQ(HttpsGet(port, serving_ca, cm, "/stats/summary", &body), 200);
  EXPECT_THAT(body, HasSubstr("\"nodeName\":\"" + c.node() + "\""));
  EXPECT_EQ(HttpsGet(port, serving_ca, cm, logs, &body), 403);
  EXPECT_EQ(body,
            "Forbidden (user=system:kube-controller-manager, verb=get, resource=nodes, "
            "subresource(s)=[log])");

  // End to end through the apiserver.
  EXPECT_TRUE(LogsSay(c, "hello-tls\n"));
  CommandResult top;
  EXPECT_TRUE(WaitFor(
      [&] {
        top = c.K({"top", "pod", "talker"});
        return top.exit_code == 0 && top.out.find("talker") != std::string::npos;
      },
      40))
      << top.out << top.err;
  top = c.K({"top", "node", c.node()});
  EXPECT_EQ(top.exit_code, 0) << top.err;
  EXPECT_THAT(top.out, HasSubstr(c.node() + "   "));
  EXPECT_EQ(top.out.find("<unknown>"), std::string::npos) << top.out;
}

TEST(KubeletTls, TheApiserverRefusesAServingCertificateWithoutTheNodeIp) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("tls-san"));
  c.set_kubelet_sans({"10.9.8.7", "localhost"});  // the node IP is 127.0.0.1
  ASSERT_TRUE(c.Start());
  c.Apply(kTalker);
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("talker")); }, 60));
  CommandResult r = c.K({"logs", "talker"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("TLS verification of the kubelet of node " + c.node() +
                               " at 127.0.0.1:" + std::to_string(c.kubelet_port()) +
                               " failed: x509: certificate is not valid for 127.0.0.1"));
  EXPECT_EQ(r.out, "");
  CommandResult log = RunCmd({"/bin/cat", c.KubeletLog()});
  EXPECT_THAT(log.out, HasSubstr("does not name the node IP 127.0.0.1"));
  // With a certificate that names it, the same pod's logs come through (the restarted
  // kubelet adopts the running container).
  c.KillKubelet(SIGTERM);
  c.set_kubelet_sans({"127.0.0.1"});
  ASSERT_TRUE(c.StartKubelet());
  EXPECT_TRUE(WaitFor([&] { return LogsSay(c, "hello-tls\n"); }, 30));
}

}  // namespace
}  // namespace mk::e2e
