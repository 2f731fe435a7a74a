#pragma once

// Per-client caps on concurrent long-running requests (watches), shared by REST and gRPC
// so a client cannot double its share by using both. A slot is held from the start of a
// watch until its stream ends; WatchSlot releases it on destruction.
//
// Thread-safe.

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace mk::apiserver {

// The client a limit counts against: the authenticated user's name when there is one
// (`user` non-empty and not system:anonymous), otherwise the peer's IP address.
std::string ClientKey(const std::string& user, const std::string& peer_ip);

// "127.0.0.1" from gRPC's peer "ipv4:127.0.0.1:5555", "::1" from "ipv6:[::1]:5555";
// anything else unchanged.
std::string PeerIpFromGrpcPeer(const std::string& peer);

class WatchLimiter {
 public:
  explicit WatchLimiter(int max_per_client) : max_(max_per_client) {}  // <= 0: unlimited

  // A slot for `key`, or null when `key` already holds max_per_client.
  class Slot {
   public:
    Slot(WatchLimiter* limiter, std::string key) : limiter_(limiter), key_(std::move(key)) {}
    ~Slot() { limiter_->Release(key_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    WatchLimiter* limiter_;
    std::string key_;
  };
  std::unique_ptr<Slot> TryAcquire(const std::string& key);

  int InUse(const std::string& key) const;
  int max_per_client() const { return max_; }

 private:
  void Release(const std::string& key);

  const int max_;
  mutable absl::Mutex mu_;
  std::map<std::string, int> in_use_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mk::apiserver
