#include "common/log.h"

#include <cstdio>
#include <cstring>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace mk {
namespace {
std::atomic<int> g_verbosity{0};
std::string& Component() {
  static std::string* c = new std::string("mk");
  return *c;
}
}  // namespace

void SetLogVerbosity(int v) { g_verbosity = v; }
int LogVerbosity() { return g_verbosity; }
void SetLogComponent(const std::string& name) { Component() = name; }

LogLine::LogLine(char level, const char* file, int line) {
  const char* base = std::strrchr(file, '/');
  out_ << level << absl::FormatTime("%m%d %H:%M:%E6S", absl::Now(), absl::UTCTimeZone()) << " "
       << Component() << " " << (base ? base + 1 : file) << ":" << line << "] ";
}

LogLine::~LogLine() {
  out_ << '\n';
  std::string s = out_.str();
  std::fwrite(s.data(), 1, s.size(), stderr);
}

}  // namespace mk
