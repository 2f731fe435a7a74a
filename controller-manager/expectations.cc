#include "controller-manager/expectations.h"

#include <vector>

namespace mk::controller_manager {

Expectations::Expectations(Clock* clock, absl::Duration ttl)
    : clock_(clock != nullptr ? clock : Clock::Real()), ttl_(ttl) {}

bool Expectations::Satisfied(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return true;
  const Record& r = it->second;
  if (r.adds <= 0 && r.dels.empty()) return true;
  if (clock_->Now() - r.timestamp > ttl_) return true;
  return false;
}

void Expectations::ExpectCreations(const std::string& key, int n) {
  absl::MutexLock l(&mu_);
  Record& r = records_[key];
  r.adds = n;
  r.dels.clear();
  r.timestamp = clock_->Now();
}

void Expectations::ExpectDeletions(const std::string& key,
                                   const std::vector<std::string>& pod_keys) {
  absl::MutexLock l(&mu_);
  Record& r = records_[key];
  r.adds = 0;
  r.dels.clear();
  r.dels.insert(pod_keys.begin(), pod_keys.end());
  r.timestamp = clock_->Now();
}

void Expectations::CreationObserved(const std::string& key) {
  absl::MutexLock l(&mu_);
  auto it = records_.find(key);
  if (it != records_.end() && it->second.adds > 0) --it->second.adds;
}

void Expectations::DeletionObserved(const std::string& key, const std::string& pod_key) {
  absl::MutexLock l(&mu_);
  auto it = records_.find(key);
  if (it != records_.end()) it->second.dels.erase(pod_key);
}

void Expectations::Delete(const std::string& key) {
  absl::MutexLock l(&mu_);
  records_.erase(key);
}

void Expectations::Pending(const std::string& key, int* adds, int* dels) {
  absl::MutexLock l(&mu_);
  auto it = records_.find(key);
  *adds = it == records_.end() ? 0 : it->second.adds;
  *dels = it == records_.end() ? 0 : static_cast<int>(it->second.dels.size());
}

}  // namespace mk::controller_manager
