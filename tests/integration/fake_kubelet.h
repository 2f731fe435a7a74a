#pragma once

// A stand-in for a node's kubelet HTTPS server in integration tests (the real one needs
// Docker): on 127.0.0.1 with a port from the kernel, a serving certificate signed by `signer`
// (normally the apiserver's cluster CA, ClusterCa()) naming `ips`, and client certificates
// required from `client_ca_pem` at the handshake, as the real kubelet does.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/pki.h"

namespace httplib {
class SSLServer;
struct Request;
struct Response;
}  // namespace httplib

namespace mk::testing {

class Apiserver;

// The apiserver's cluster CA (<data dir>/pki/ca.crt and ca.key).
pki::CertAndKey ClusterCa(const Apiserver& apiserver);
// The CA of kubelet serving certificates (<data dir>/pki/kubelet-serving-ca.{crt,key}), the
// one the apiserver verifies kubelets with by default.
pki::CertAndKey KubeletServingCa(const Apiserver& apiserver);

class FakeKubelet {
 public:
  FakeKubelet(const pki::CertAndKey& signer, const std::vector<std::string>& ips,
              const std::string& client_ca_pem);
  ~FakeKubelet();

  // A GET route (cpp-httplib pattern); before Start().
  void Get(const std::string& pattern,
           std::function<void(const httplib::Request&, httplib::Response&)> handler);
  bool Start();
  int port() const { return port_; }
  // The CN of the last client certificate a request came with ("" before any).
  std::string last_client() const;

 private:
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mu_;
  std::string last_client_;
};

}  // namespace mk::testing
