#pragma once

// pods/log: the apiserver finds the pod's node, then streams from that node's kubelet
// (`GET https://<InternalIP>:<kubeletEndpoint.Port>/containerLogs/<ns>/<pod>/<container>`,
// the Kubernetes kubelet API path) back to the client. The connection is authenticated both
// ways (common/kubelet_client.h): the apiserver presents its kubelet client certificate and
// accepts only a serving certificate from --kubelet-certificate-authority naming the node's
// InternalIP.

#include <string>

#include "apiserver/registry.h"
#include "apiserver/rest_server.h"
#include "common/kubelet_client.h"

namespace mk::apiserver {

class KubeletLogs : public LogSource {
 public:
  KubeletLogs(Registry* registry, KubeletClientConfig kubelet)
      : registry_(registry), kubelet_(std::move(kubelet)) {}
  absl::Status StreamLogs(const std::string& ns, const std::string& pod, const std::string& query,
                          const std::function<void()>& start,
                          const std::function<bool(const std::string&)>& write) override;

 private:
  Registry* registry_;
  const KubeletClientConfig kubelet_;
};

}  // namespace mk::apiserver
