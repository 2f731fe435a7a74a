#include "kubelet/backoff.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mk::kubelet {

Backoff::Backoff(absl::Duration initial, absl::Duration max, absl::Duration reset_after)
    : initial_(initial), max_(max), reset_after_(reset_after) {}

bool Backoff::Expired(const Entry& e, absl::Time event_time) const {
  return event_time - e.last_update > reset_after_;
}

void Backoff::Next(const std::string& key, absl::Time event_time, absl::Time now) {
  auto it = entries_.find(key);
  if (it == entries_.end() || Expired(it->second, event_time)) {
    entries_[key] = Entry{initial_, now};
    return;
  }
  it->second.duration = std::min(it->second.duration * 2, max_);
  it->second.last_update = now;
}

absl::Duration Backoff::RemainingSince(const std::string& key, absl::Time event_time,
                                       absl::Time now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || Expired(it->second, event_time)) return absl::ZeroDuration();
  return std::max(event_time + it->second.duration - now, absl::ZeroDuration());
}

absl::Duration Backoff::RemainingSinceUpdate(const std::string& key, absl::Time now) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || Expired(it->second, now)) return absl::ZeroDuration();
  return std::max(it->second.last_update + it->second.duration - now, absl::ZeroDuration());
}

absl::Duration Backoff::Get(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? absl::ZeroDuration() : it->second.duration;
}

void Backoff::Reset(const std::string& key) { entries_.erase(key); }

void Backoff::ForgetPrefix(const std::string& prefix) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = absl::StartsWith(it->first, prefix) ? entries_.erase(it) : std::next(it);
  }
}

std::string GoDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < 60) return absl::StrCat(s, "s");
  int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  if (h > 0) return absl::StrCat(h, "h", m, "m", sec, "s");
  return absl::StrCat(m, "m", sec, "s");
}

}  // namespace mk::kubelet
