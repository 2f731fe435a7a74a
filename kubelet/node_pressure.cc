#include "kubelet/node_pressure.h"

#include <dirent.h>
#include <sys/statvfs.h>

#include <cctype>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "kubelet/container_spec.h"

namespace mk::kubelet {

bool Threshold::Crossed(int64_t available, int64_t capacity) const {
  if (available < 0) return false;  // signal unknown: no pressure claimed
  if (percent >= 0) {
    if (capacity <= 0) return false;
    return static_cast<double>(available) < static_cast<double>(capacity) * percent / 100.0;
  }
  return available < value;
}

absl::StatusOr<EvictionThresholds> ParseEvictionHard(const std::string& s) {
  EvictionThresholds out;
  for (absl::string_view entry : absl::StrSplit(s, ',', absl::SkipWhitespace())) {
    std::vector<absl::string_view> kv = absl::StrSplit(entry, absl::MaxSplits('<', 1));
    if (kv.size() != 2 || kv[0].empty() || kv[1].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--eviction-hard: \"", entry, "\": expected signal<quantity or signal<N%"));
    }
    std::string signal(absl::StripAsciiWhitespace(kv[0]));
    std::string value(absl::StripAsciiWhitespace(kv[1]));
    Threshold t;
    if (absl::ConsumeSuffix(&kv[1], "%")) {
      double p = 0;
      if (!absl::SimpleAtod(absl::StripAsciiWhitespace(kv[1]), &p) || p < 0 || p > 100) {
        return absl::InvalidArgumentError(
            absl::StrCat("--eviction-hard: ", signal, ": \"", value, "\" is not a percentage"));
      }
      t.percent = p;
    } else {
      absl::StatusOr<int64_t> q = ParseBytes(value);
      if (!q.ok() || *q < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--eviction-hard: ", signal, ": \"", value, "\" is not a quantity"));
      }
      t.value = *q;
    }
    if (signal == "memory.available") {
      out.memory_available = t;
    } else if (signal == "nodefs.available") {
      out.nodefs_available = t;
    } else if (signal == "pid.available") {
      out.pid_available = t;
    } else if (signal == "nodefs.inodesFree" || signal == "imagefs.available" ||
               signal == "imagefs.inodesFree") {
      // Accepted as Kubernetes does; mk measures only the three signals above.
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--eviction-hard: unknown signal \"", signal,
                       "\" (expected memory.available, nodefs.available or pid.available)"));
    }
  }
  return out;
}

namespace {

// "MemAvailable:   123456 kB" → bytes, or -1.
int64_t MeminfoBytes(const std::string& meminfo, absl::string_view key) {
  std::istringstream in(meminfo);
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view l(line);
    if (!absl::ConsumePrefix(&l, key) || !absl::ConsumePrefix(&l, ":")) continue;
    l = absl::StripAsciiWhitespace(l);
    absl::ConsumeSuffix(&l, " kB");
    int64_t kb = 0;
    if (absl::SimpleAtoi(l, &kb)) return kb * 1024;
  }
  return -1;
}

int64_t CountProcesses() {
  DIR* d = opendir("/proc");
  if (d == nullptr) return -1;
  int64_t n = 0;
  while (struct dirent* e = readdir(d)) {
    if (std::isdigit(static_cast<unsigned char>(e->d_name[0]))) ++n;
  }
  closedir(d);
  return n;
}

}  // namespace

NodeSignals SampleNodeSignals(const std::string& root_dir) {
  NodeSignals s;
  std::ifstream mi("/proc/meminfo");
  std::stringstream ss;
  ss << mi.rdbuf();
  s.memory_available_bytes = MeminfoBytes(ss.str(), "MemAvailable");
  s.memory_capacity_bytes = MeminfoBytes(ss.str(), "MemTotal");
  struct statvfs fs;
  if (statvfs(root_dir.c_str(), &fs) == 0) {
    s.nodefs_available_bytes = static_cast<int64_t>(fs.f_bavail) * fs.f_frsize;
    s.nodefs_capacity_bytes = static_cast<int64_t>(fs.f_blocks) * fs.f_frsize;
  }
  std::ifstream pm("/proc/sys/kernel/pid_max");
  int64_t pid_max = -1;
  if (pm >> pid_max) {
    int64_t procs = CountProcesses();
    if (procs >= 0) {
      s.pid_capacity = pid_max;
      s.pid_available = pid_max - procs;
    }
  }
  return s;
}

PressureState EvaluatePressure(const EvictionThresholds& t, const NodeSignals& s) {
  PressureState p;
  if (t.memory_available) {
    p.memory = t.memory_available->Crossed(s.memory_available_bytes, s.memory_capacity_bytes);
  }
  if (t.nodefs_available) {
    p.disk = t.nodefs_available->Crossed(s.nodefs_available_bytes, s.nodefs_capacity_bytes);
  }
  if (t.pid_available) p.pid = t.pid_available->Crossed(s.pid_available, s.pid_capacity);
  return p;
}

}  // namespace mk::kubelet
