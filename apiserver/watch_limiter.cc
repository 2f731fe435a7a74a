#include "apiserver/watch_limiter.h"

#include "absl/strings/match.h"
#include "apiserver/auth_types.h"

namespace mk::apiserver {

std::string ClientKey(const std::string& user, const std::string& peer_ip) {
  if (!user.empty() && user != kAnonymousUser) return "user:" + user;
  return "ip:" + peer_ip;
}

std::string PeerIpFromGrpcPeer(const std::string& peer) {
  std::string rest;
  if (absl::StartsWith(peer, "ipv4:")) {
    rest = peer.substr(5);
    size_t colon = rest.rfind(':');
    return colon == std::string::npos ? rest : rest.substr(0, colon);
  }
  if (absl::StartsWith(peer, "ipv6:")) {
    rest = peer.substr(5);
    size_t close = rest.rfind(']');
    if (!rest.empty() && rest[0] == '[' && close != std::string::npos) {
      return rest.substr(1, close - 1);
    }
    return rest;
  }
  return peer;
}

std::unique_ptr<WatchLimiter::Slot> WatchLimiter::TryAcquire(const std::string& key) {
  absl::MutexLock lock(&mu_);
  int& n = in_use_[key];
  if (max_ > 0 && n >= max_) {
    if (n == 0) in_use_.erase(key);
    return nullptr;
  }
  ++n;
  return std::make_unique<Slot>(this, key);
}

void WatchLimiter::Release(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(key);
  if (it == in_use_.end()) return;
  if (--it->second <= 0) in_use_.erase(it);
}

int WatchLimiter::InUse(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = in_use_.find(key);
  return it == in_use_.end() ? 0 : it->second;
}

}  // namespace mk::apiserver
