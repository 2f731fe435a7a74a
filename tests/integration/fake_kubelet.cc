#include "tests/integration/fake_kubelet.h"

#include <httplib.h>

#include <cstdio>

#include "common/https.h"
#include "tests/integration/process.h"

namespace mk::testing {

pki::CertAndKey ClusterCa(const Apiserver& apiserver) {
  absl::StatusOr<std::string> cert = pki::ReadFile(apiserver.data_dir() + "/pki/ca.crt");
  absl::StatusOr<std::string> key = pki::ReadFile(apiserver.data_dir() + "/pki/ca.key");
  if (!cert.ok() || !key.ok()) return {};
  return {*cert, *key};
}

pki::CertAndKey KubeletServingCa(const Apiserver& apiserver) {
  absl::StatusOr<std::string> cert =
      pki::ReadFile(apiserver.data_dir() + "/pki/kubelet-serving-ca.crt");
  absl::StatusOr<std::string> key =
      pki::ReadFile(apiserver.data_dir() + "/pki/kubelet-serving-ca.key");
  if (!cert.ok() || !key.ok()) return {};
  return {*cert, *key};
}

FakeKubelet::FakeKubelet(const pki::CertAndKey& signer, const std::vector<std::string>& ips,
                         const std::string& client_ca_pem) {
  pki::CertOptions opts;
  opts.organizations = {"system:nodes"};
  absl::StatusOr<pki::CertAndKey> serving =
      pki::IssueServingCert(signer, "system:node:fake", {"localhost"}, ips, opts);
  if (!serving.ok()) std::fprintf(stderr, "FakeKubelet: %s\n", serving.status().ToString().c_str());
  pki::CertAndKey cert = serving.ok() ? *serving : pki::CertAndKey{};
  server_ = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    return RequireClientCerts(ctx, cert.cert_pem, cert.key_pem, client_ca_pem);
  });
  server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
    absl::StatusOr<pki::CertInfo> info = pki::ParseCert(PeerCertPem(req));
    std::lock_guard<std::mutex> lock(mu_);
    last_client_ = info.ok() ? info->common_name : "";
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

FakeKubelet::~FakeKubelet() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void FakeKubelet::Get(const std::string& pattern,
                      std::function<void(const httplib::Request&, httplib::Response&)> handler) {
  server_->Get(pattern, std::move(handler));
}

bool FakeKubelet::Start() {
  if (!server_->is_valid()) return false;
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) return false;
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  while (!server_->is_running()) std::this_thread::yield();
  return true;
}

std::string FakeKubelet::last_client() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_client_;
}

}  // namespace mk::testing
