#pragma once

// The bounded pipe between a pods/log stream from a kubelet (a producer thread running
// LogSource::StreamLogs) and the HTTP response that carries it. The REST handler waits until
// the kubelet has answered (Start) or the stream has failed (Finish), so an error before the
// first byte — a kubelet it cannot reach or verify, a container not started — becomes the
// response's status (as Kubernetes' apiserver answers) instead of text in a 200 body. Later
// bytes flow with back-pressure: Write blocks while `max_buffered` bytes wait for the client.
//
// Thread-safe: one producer, one consumer.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>

#include "absl/status/status.h"

namespace mk::apiserver {

class LogPipe {
 public:
  explicit LogPipe(size_t max_buffered = 1 << 20) : max_buffered_(max_buffered) {}

  // Producer: the stream has begun (the kubelet answered 200).
  void Start();
  // Producer: queues a chunk, blocking while the buffer is full; false once the consumer is
  // gone (Close), so the producer stops.
  bool Write(const std::string& chunk);
  // Producer: the end of the stream and how it ended.
  void Finish(absl::Status status);

  // Consumer: waits for Start or Finish. OK once started (or finished without error), else
  // the status the stream failed with before it started.
  absl::Status WaitStarted();
  // Consumer: the next chunk (true), waiting for it; false at the end, with *end = the
  // status Finish gave.
  bool Read(std::string* chunk, absl::Status* end);
  // Consumer: the client is gone; Write returns false from now on.
  void Close();

 private:
  const size_t max_buffered_;
  std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_:
  std::deque<std::string> chunks_;
  size_t buffered_ = 0;
  bool started_ = false;
  bool finished_ = false;
  bool closed_ = false;
  absl::Status status_;
};

}  // namespace mk::apiserver
