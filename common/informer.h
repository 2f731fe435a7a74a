#pragma once

// An informer keeps a local, read-only cache of one resource (optionally one namespace and
// selectors) up to date: List, then Watch from the list's resourceVersion. Handlers get
// OnAdd / OnUpdate(old, new) / OnDelete in event order, on the informer's thread, never under
// the cache lock (they may call Get/List). Handlers should only enqueue keys.
//
// When the watch ends cleanly it re-watches from the last resourceVersion; on 410 Gone or a
// broken stream it relists with exponential back-off (200 ms doubling to 10 s) and delivers
// synthetic adds, updates and deletes for what changed meanwhile, so handlers stay
// level-correct. With a resync period, OnUpdate(obj, obj) is re-delivered for every cached
// object each period (from a second thread; handler calls are still serialized).
//
// Keys are "ns/name" (cluster-scoped: "name"), as client-go's MetaNamespaceKeyFunc.
// Thread-safe. Owns its thread(s): Start() once, Shutdown() cancels the watch and joins.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "google/protobuf/message.h"

namespace mk {

using CachedObject = std::shared_ptr<const google::protobuf::Message>;

struct EventHandlers {
  std::function<void(const google::protobuf::Message& obj)> on_add;
  std::function<void(const google::protobuf::Message& old_obj,
                     const google::protobuf::Message& new_obj)>
      on_update;
  // For deletes found by a relist, `obj` is the last state the informer saw.
  std::function<void(const google::protobuf::Message& obj)> on_delete;
};

struct InformerOptions {
  std::string resource;  // plural, e.g. "pods"
  std::string ns;        // "" = all namespaces
  std::string label_selector;
  std::string field_selector;
  absl::Duration resync_period = absl::ZeroDuration();  // zero: no resync
  absl::Duration min_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  Clock* clock = nullptr;  // nullptr: Clock::Real()
};

class Informer {
 public:
  Informer(ApiClient* client, InformerOptions opts);
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;
  ~Informer();

  // Before Start().
  void AddHandlers(EventHandlers handlers);
  void Start();
  void Shutdown();

  // True once the first list is in the cache and its OnAdds were delivered.
  bool HasSynced() const;
  // Waits (real time) for HasSynced(); false on timeout or shutdown.
  bool WaitForSync(absl::Duration timeout);

  CachedObject Get(const std::string& key) const;  // nullptr if absent
  std::vector<CachedObject> List() const;          // in key order
  template <typename T>
  std::shared_ptr<const T> GetAs(const std::string& key) const {
    return std::dynamic_pointer_cast<const T>(Get(key));
  }
  template <typename T>
  std::vector<std::shared_ptr<const T>> ListAs() const {
    std::vector<std::shared_ptr<const T>> out;
    for (CachedObject& o : List()) {
      if (auto t = std::dynamic_pointer_cast<const T>(o)) out.push_back(std::move(t));
    }
    return out;
  }

  // The resourceVersion the informer has seen up to.
  int64_t LastResourceVersion() const;
  // Number of (re)lists done, for tests and metrics.
  int ListCount() const;

  static std::string KeyOf(const google::protobuf::Message& obj);

 private:
  struct Delta {
    enum Type { kAdd, kUpdate, kDelete } type;
    CachedObject old_obj;  // kUpdate
    CachedObject obj;
  };

  void Run();
  void ResyncLoop();
  // Lists and replaces the cache; returns the deltas to deliver.
  absl::Status Relist(std::vector<Delta>* deltas);
  // Watches until the stream ends; returns its final status.
  absl::Status WatchOnce();
  void Deliver(const std::vector<Delta>& deltas);
  // Sleeps on the clock; false if shutting down.
  bool Backoff(absl::Duration d);

  ApiClient* const client_;
  const InformerOptions opts_;
  Clock* const clock_;
  std::vector<EventHandlers> handlers_;  // set before Start

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, CachedObject> cache_ ABSL_GUARDED_BY(mu_);
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 0;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int list_count_ ABSL_GUARDED_BY(mu_) = 0;
  WatchStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;

  // Serializes handler calls between the watch and resync threads; guards no data.
  absl::Mutex dispatch_mu_;
  std::thread thread_;
  std::thread resync_thread_;
  bool started_ = false;
};

}  // namespace mk
