#pragma once

// Minimal leveled logging to stderr (Debian's Abseil has no absl/log). Verbosity follows
// Kubernetes' -v=N: MK_VLOG(n) prints when the global verbosity is >= n.
//   MK_LOG(INFO) << "listening on " << addr;
//   MK_VLOG(4) << "request " << path;
// Never log secret values: callers pass redacted text (see common/redact.h when it exists).

#include <atomic>
#include <sstream>
#include <string>

namespace mk {

void SetLogVerbosity(int v);
int LogVerbosity();
void SetLogComponent(const std::string& name);

class LogLine {
 public:
  LogLine(char level, const char* file, int line);
  ~LogLine();
  std::ostream& stream() { return out_; }

 private:
  std::ostringstream out_;
};

}  // namespace mk

#define MK_LOG(level) ::mk::LogLine(#level[0], __FILE__, __LINE__).stream()
#define MK_VLOG(n) \
  if (::mk::LogVerbosity() >= (n)) ::mk::LogLine('I', __FILE__, __LINE__).stream()
