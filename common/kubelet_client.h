#pragma once

// The client side of a node's kubelet server (kubelet/log_server.h), shared by the
// apiserver (pods/log, metrics.k8s.io) and the controller-manager's HPA: where the Node says
// its kubelet listens (InternalIP, daemonEndpoints.kubeletEndpoint.Port), an HTTPS client
// that presents the caller's client certificate and accepts only a serving certificate from
// the given CA that names that address, and the errors of a request that got no answer.

#include <httplib.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/https.h"

namespace mk {

// The caller's credentials for kubelets: the CA their serving certificates chain to
// (apiserver: --kubelet-certificate-authority; controller-manager: its kubeconfig's CA) and
// the client certificate and key the kubelet authenticates (kubelet/server_authz.h).
using KubeletClientConfig = TlsClientConfig;

// host:port of the node's kubelet (InternalIP and daemonEndpoints.kubeletEndpoint.Port), or an
// error when it publishes none.
absl::StatusOr<std::pair<std::string, int>> KubeletEndpoint(const api::Node& node);

struct KubeletConnection {
  std::string node;
  std::string host;
  int port = 0;
  std::unique_ptr<httplib::SSLClient> http;
};

// A client for the node's kubelet (nothing is sent yet); `connect_timeout` bounds the TCP
// connect, `read_timeout` each read.
absl::StatusOr<KubeletConnection> ConnectKubelet(const api::Node& node,
                                                 const KubeletClientConfig& config,
                                                 absl::Duration connect_timeout,
                                                 absl::Duration read_timeout);

// Unavailable, for a request on `conn` that failed with `error` and got no response: "cannot
// reach the kubelet of node N at H:P…", or, when the kubelet's serving certificate was
// refused, "TLS verification of the kubelet of node N at H:P failed: x509: …". Call on the
// thread that sent the request.
absl::Status KubeletRequestError(const KubeletConnection& conn, httplib::Error error);

}  // namespace mk
