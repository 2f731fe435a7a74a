#pragma once

// kubeconfig files for the daemons and the apiserver's generated credentials: rendering one
// (as kubeadm writes them: CA, client certificate and key embedded as base64 *-data) and
// reading the current context's connection details back. The gRPC address of mk's apiserver
// travels in a cluster extension named mk.io/grpc, which stock kubectl ignores:
//   clusters: [{name: mk, cluster: {server: https://127.0.0.1:6443,
//               certificate-authority-data: …,
//               extensions: [{name: mk.io/grpc, extension: {server: "127.0.0.1:6444"}}]}}]

#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace mk {

inline constexpr char kGrpcExtensionName[] = "mk.io/grpc";

// The `field` object of the entry named `name` in the list `list` ("clusters", "users",
// "contexts"), or nullptr; a string field or "". Shared with mkctl's kubeconfig reader.
const Json* KubeconfigNamed(const Json& raw, const char* list, const std::string& name,
                            const char* field);
std::string KubeconfigStr(const Json& j, const char* key);

struct KubeconfigCredentials {
  std::string server;       // REST: https://127.0.0.1:6443
  std::string grpc_server;  // gRPC host:port, from the mk.io/grpc extension ("" if none)
  std::string ca_pem;       // certificate-authority(-data)
  std::string cert_pem;     // client-certificate(-data)
  std::string key_pem;      // client-key(-data): secret
  std::string token;        // secret
  bool insecure = false;    // insecure-skip-tls-verify
};

struct KubeconfigNames {
  std::string cluster = "mk";
  std::string user;     // e.g. kubernetes-admin
  std::string context;  // default: user@cluster
};

// A kubeconfig document (YAML) with one cluster, user and context, the context current.
std::string RenderKubeconfig(const KubeconfigNames& names, const KubeconfigCredentials& creds);

// Reads `path` and resolves `context` (current-context when empty). Relative file references
// (certificate-authority, client-certificate, client-key) resolve against the file's folder.
absl::StatusOr<KubeconfigCredentials> LoadKubeconfigCredentials(const std::string& path,
                                                                const std::string& context = "");

}  // namespace mk
