#include "apiserver/request_log.h"

#include "common/log.h"
#include "common/redact.h"

namespace mk::apiserver {

void LogRestExchange(const httplib::Request& req, const httplib::Response& res) {
  int v = LogVerbosity();
  if (v < 6) return;
  MK_LOG(I) << "HTTP " << req.method << " " << RedactText(req.target) << " " << res.status;
  if (v >= 7) {
    for (const auto& [name, value] : req.headers) {
      if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
          name == "LOCAL_PORT") {
        continue;
      }
      MK_LOG(I) << "    " << name << ": " << RedactHeader(name, value);
    }
  }
  if (v >= 8) {
    if (!req.body.empty()) MK_LOG(I) << "Request Body: " << BodyForLog(req.body, req.path, v);
    if (!res.body.empty()) MK_LOG(I) << "Response Body: " << BodyForLog(res.body, req.path, v);
  }
}

void LogWatchEvent(absl::string_view path, absl::string_view line) {
  int v = LogVerbosity();
  if (v >= 8) MK_LOG(I) << "Watch Event " << path << ": " << BodyForLog(line, path, v);
}

}  // namespace mk::apiserver
