#pragma once

// The apiserver's request log at Kubernetes' verbosities: from -v=6 one line per request
// (method, path, status), from -v=7 its headers, from -v=8 the request and response bodies
// (cut at 1024 bytes at -v=8, whole from -v=9) and, for watches, every event sent. All
// headers and bodies go through common/redact.h: Secret data, credentials and
// Authorization never reach the log.

#include <httplib.h>

#include <string>

#include "absl/strings/string_view.h"

namespace mk::apiserver {

// httplib's logger hook: called once a response has been written.
void LogRestExchange(const httplib::Request& req, const httplib::Response& res);

// One watch event line sent on `path`.
void LogWatchEvent(absl::string_view path, absl::string_view line);

}  // namespace mk::apiserver
