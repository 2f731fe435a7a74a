#pragma once

// The one redaction point for everything that may reach a log line: request and response
// bodies (REST and gRPC), HTTP headers and free text. Every body/header log in mk goes
// through these functions, so secret values never appear at any verbosity.
//
// Redacted (replaced by "<redacted>"):
//  - the values of `data` and `stringData` of any JSON object whose kind is Secret, of the
//    items of a SecretList, and of the top-level object when the caller says the body is
//    a Secret (a REST path under /secrets: patch bodies carry no kind), and such a
//    Secret's kubectl.kubernetes.io/last-applied-configuration annotation (it holds the
//    applied data);
//  - anywhere in a JSON document, the value of a key that holds credentials:
//    `.dockerconfigjson`, `.dockercfg`, `password`, `auth`, `identitytoken`,
//    `registrytoken`, `token`, `access_token`, `refresh_token` (Docker's registry auth and
//    the kubelet's pull credentials use these names);
//  - the Authorization, Proxy-Authorization, Cookie, Set-Cookie and X-Registry-Auth
//    headers;
//  - in free text (and in every JSON string), the credential after "Bearer " or "Basic ".
// Text that is neither JSON nor newline-delimited JSON is redacted as a whole when the path
// names secrets; otherwise only its bearer/basic credentials are.

#include <string>

#include "absl/strings/string_view.h"
#include "common/json.h"
#include "google/protobuf/message.h"

namespace mk {

inline constexpr char kRedacted[] = "<redacted>";

// Does the REST path (query ignored) address secrets ("/api/v1/namespaces/x/secrets[/n]")?
bool IsSecretPath(absl::string_view path);

// `j` with secrets and credentials replaced. `secret` treats the top-level object as a
// Secret even when it has no kind.
Json RedactJson(const Json& j, bool secret = false);

// A body for a log line: JSON or newline-delimited JSON (watch streams) is redacted and
// re-serialised; other text as described above. `path` is the request path ("" if none).
std::string RedactBody(absl::string_view body, absl::string_view path = "");

// A protobuf API object for a log line, as redacted JSON.
std::string RedactMessage(const google::protobuf::Message& msg);

// The value of header `name` for a log line.
std::string RedactHeader(absl::string_view name, absl::string_view value);

// Free text with "Bearer X"/"Basic X" credentials replaced.
std::string RedactText(absl::string_view text);

// A redacted body shortened for verbosity `v` as kubectl does: at -v=8 bodies are cut to
// 1024 bytes ("... [truncated N bytes]"), from -v=9 they are logged whole.
std::string BodyForLog(absl::string_view body, absl::string_view path, int v);

}  // namespace mk
