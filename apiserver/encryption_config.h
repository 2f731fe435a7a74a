#pragma once

// --encryption-provider-config: Kubernetes' EncryptionConfiguration file (YAML or JSON),
//
//   apiVersion: apiserver.config.k8s.io/v1
//   kind: EncryptionConfiguration
//   resources:
//     - resources: [secrets]
//       providers:
//         - aesgcm:
//             keys:
//               - name: key1
//                 secret: <base64 of a 16, 24 or 32 byte key>
//         - identity: {}
//
// mk supports the aesgcm and identity providers. Resource names may be group-qualified
// ("replicasets.apps") and must be known to mk. Errors name the file, the field path and
// what was expected, never a key's value.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "apiserver/value_transformer.h"

namespace mk::apiserver {

// Resource plural name ("secrets") → its transformer.
using EncryptionConfig = std::map<std::string, std::shared_ptr<const ValueTransformer>>;

absl::StatusOr<EncryptionConfig> ParseEncryptionConfig(absl::string_view text);
// Reads and parses `path`; errors start with the path.
absl::StatusOr<EncryptionConfig> LoadEncryptionConfig(const std::string& path);

}  // namespace mk::apiserver
