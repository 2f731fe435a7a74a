#pragma once

// pods/log: the apiserver finds the pod's node, then streams from that node's kubelet
// (`GET http://<InternalIP>:<kubeletEndpoint.Port>/containerLogs/<ns>/<pod>/<container>`,
// the Kubernetes kubelet API path) back to the client.

#include <string>

#include "apiserver/registry.h"
#include "apiserver/rest_server.h"

namespace mk::apiserver {

class KubeletLogs : public LogSource {
 public:
  explicit KubeletLogs(Registry* registry) : registry_(registry) {}
  absl::Status StreamLogs(const std::string& ns, const std::string& pod, const std::string& query,
                          const std::function<void()>& start,
                          const std::function<bool(const std::string&)>& write) override;

 private:
  Registry* registry_;
};

}  // namespace mk::apiserver
