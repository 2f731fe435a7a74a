#pragma once

// Records core/v1 Events about API objects, like client-go's EventRecorder, so `mkctl
// describe` can tell what happened to a pod. Event() never blocks: it enqueues to a bounded
// queue (excess events are dropped and counted) that one thread writes to the apiserver.
// Repeats (same object, type, reason and message within 10 minutes) bump count and
// lastTimestamp of the existing Event instead of creating a new one.
//
// The caller must never put secret values (Secret data, registry passwords, tokens) in
// `message`: Events are readable by anyone who can read the namespace.
//
// Thread-safe; owns one thread (started by the constructor, joined by Shutdown/destructor,
// which first flushes what is queued, best effort).

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/clock.h"
#include "google/protobuf/message.h"

namespace mk {

struct EventRecorderOptions {
  size_t max_queued = 1000;
  absl::Duration aggregation_window = absl::Minutes(10);
  Clock* clock = nullptr;  // nullptr: Clock::Real()
};

class EventRecorder {
 public:
  // `component` e.g. "kubelet", "default-scheduler"; `host` the node name ("" if none).
  EventRecorder(ApiClient* client, std::string component, std::string host,
                EventRecorderOptions opts = {});
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;
  ~EventRecorder();

  // `type` is "Normal" or "Warning"; `reason` UpperCamelCase ("Pulling", "BackOff").
  void Event(const google::protobuf::Message& involved_object, const std::string& type,
             const std::string& reason, const std::string& message);
  // Waits (real time) until everything queued so far has been written or dropped.
  bool Flush(absl::Duration timeout = absl::Seconds(10));
  void Shutdown();

  int64_t dropped() const;

 private:
  struct Pending {
    api::ObjectReference ref;
    std::string type, reason, message;
    absl::Time time;
  };
  struct Seen {
    std::string event_name;
    std::string ns;
    int32_t count = 0;
    absl::Time first, last;
  };

  void Run();
  void Write(const Pending& p);

  ApiClient* const client_;
  const std::string component_;
  const std::string host_;
  const EventRecorderOptions opts_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  // Aggregation key (uid/kind/ns/name + type + reason + message) → the Event written.
  std::map<std::string, Seen> seen_;  // writer thread only
  std::thread thread_;
};

}  // namespace mk
