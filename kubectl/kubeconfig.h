#pragma once

// kubeconfig files (clusters / users / contexts / current-context), as kubectl reads them.

#include <string>

#include "absl/status/statusor.h"
#include "common/json.h"

namespace mk::kubectl {

struct Kubeconfig {
  std::string path;
  bool loaded = false;  // false when the file does not exist
  std::string context;  // the context in use
  std::string cluster;  // its cluster name
  std::string server;   // "https://127.0.0.1:6443"
  std::string ns;       // the context's namespace ("" if none)
  std::string token;
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
  // The *-data forms, base64-decoded: PEM text (the key is secret).
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure = false;
  Json raw = Json::object();
};

// ~/.mk/config.
std::string DefaultKubeconfigPath();

// Loads `path` and resolves `context` (or current-context when empty). A missing file is not
// an error (loaded=false); a bad one is.
absl::StatusOr<Kubeconfig> LoadKubeconfig(const std::string& path, const std::string& context);

}  // namespace mk::kubectl
