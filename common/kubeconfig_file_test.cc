#include "common/kubeconfig_file.h"

#include <unistd.h>

#include <filesystem>

#include "common/pki.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

class KubeconfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mk-kc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    EXPECT_TRUE(pki::WriteFileAtomic(path, text, 0600).ok());
    return path;
  }
  std::string dir_;
};

TEST_F(KubeconfigFileTest, RenderedDataRoundTrips) {
  KubeconfigCredentials in;
  in.server = "https://127.0.0.1:6443";
  in.grpc_server = "127.0.0.1:6444";
  in.ca_pem = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
  in.cert_pem = "-----BEGIN CERTIFICATE-----\nME\n-----END CERTIFICATE-----\n";
  in.key_pem = "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n";
  std::string text = RenderKubeconfig({"mk", "kubernetes-admin", ""}, in);
  EXPECT_NE(text.find("current-context: kubernetes-admin@mk"), std::string::npos) << text;
  EXPECT_NE(text.find("certificate-authority-data:"), std::string::npos);
  EXPECT_NE(text.find("name: mk.io/grpc"), std::string::npos);
  EXPECT_EQ(text.find("BEGIN"), std::string::npos) << "PEM must be base64-encoded";
  auto out = LoadKubeconfigCredentials(Write("config", text));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->server, in.server);
  EXPECT_EQ(out->grpc_server, in.grpc_server);
  EXPECT_EQ(out->ca_pem, in.ca_pem);
  EXPECT_EQ(out->cert_pem, in.cert_pem);
  EXPECT_EQ(out->key_pem, in.key_pem);
  EXPECT_TRUE(out->token.empty());
}

TEST_F(KubeconfigFileTest, FileReferencesResolveAgainstTheKubeconfigsFolder) {
  Write("ca.crt", "CA");
  Write("me.crt", "CERT");
  Write("me.key", "KEY");
  std::string path = Write("config", R"(apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://h:1", certificate-authority: ca.crt}
users:
- name: u
  user: {client-certificate: me.crt, client-key: me.key, token: t0k}
contexts:
- name: x
  context: {cluster: c, user: u}
- name: y
  context: {cluster: c, user: nobody}
current-context: x
)");
  auto kc = LoadKubeconfigCredentials(path);
  ASSERT_TRUE(kc.ok()) << kc.status();
  EXPECT_EQ(kc->ca_pem, "CA");
  EXPECT_EQ(kc->cert_pem, "CERT");
  EXPECT_EQ(kc->key_pem, "KEY");
  EXPECT_EQ(kc->token, "t0k");
  EXPECT_EQ(kc->grpc_server, "");
  auto y = LoadKubeconfigCredentials(path, "y");
  ASSERT_TRUE(y.ok());
  EXPECT_TRUE(y->cert_pem.empty());
  EXPECT_FALSE(LoadKubeconfigCredentials(path, "nope").ok());
  EXPECT_FALSE(LoadKubeconfigCredentials(dir_ + "/missing").ok());
}

TEST_F(KubeconfigFileTest, BadBase64IsAnError) {
  std::string path = Write("config", R"(clusters:
- name: c
  cluster: {server: "https://h:1", certificate-authority-data: "!!!"}
contexts:
- name: x
  context: {cluster: c}
current-context: x
)");
  EXPECT_FALSE(LoadKubeconfigCredentials(path).ok());
}

}  // namespace
}  // namespace mk
