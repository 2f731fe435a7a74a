#pragma once

// Who may call the kubelet's HTTPS server (kubelet/log_server.h). Kubernetes' kubelet asks the
// apiserver (a SubjectAccessReview) whether the client may <verb> nodes/<subresource>; mk
// uses a fixed rule instead, on the identity of the client certificate (CN = user,
// O = groups; the handshake has already verified it against the client CA):
//   - user kube-apiserver-kubelet-client, or group system:masters: every path;
//   - user system:kube-controller-manager: GET /stats/summary only (the HPA reads usage from
//     the kubelets directly, not through the metrics API);
//   - anyone else (a node's system:node:* identity too: node B may not read node A's logs):
//     403 with Kubernetes' kubelet text
//     "Forbidden (user=<u>, verb=get, resource=nodes, subresource(s)=[log])".
// Subresources as Kubernetes names them: /stats… → stats, /logs… and /containerLogs… → log
// (Kubernetes' kubelet files /containerLogs under proxy; mk calls it what it serves), anything
// else (/healthz too) → proxy.

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mk::kubelet {

inline constexpr char kApiserverKubeletClientUser[] = "kube-apiserver-kubelet-client";

// The nodes/<subresource> a request path stands for: "stats", "log" or "proxy".
std::string KubeletSubresource(const std::string& path);

// OK, or PermissionDenied with the 403 text above. `method` is the HTTP method.
absl::Status AuthorizeKubeletRequest(const std::string& user,
                                     const std::vector<std::string>& groups,
                                     const std::string& method, const std::string& path);

}  // namespace mk::kubelet
