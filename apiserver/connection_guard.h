#pragma once

// Slowloris protection for the REST port. cpp-httplib's read timeout bounds each recv(), so
// a client that sends a request one byte every few seconds holds a server thread forever.
// The guard bounds the whole read instead: a connection accepted on `port` must deliver a
// complete request (headers and body) within `read_timeout` of being accepted or of its
// previous response; otherwise the guard shuts the socket down, which ends the thread's
// read. While a handler runs (including a streaming watch) the connection is not timed.
//
// The guard finds the server's connections itself (every socket of this process whose local
// port is `port` and that has a peer, from /proc/self/fd), so it needs no hook into the
// HTTP library's accept loop and works the same for plain and TLS servers. The server tells
// it when a handler starts and when a response has been written, by peer "ip:port".
//
// Thread-safe.

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace mk::apiserver {

class ConnectionGuard {
 public:
  ConnectionGuard(int port, absl::Duration read_timeout,
                  absl::Duration scan_interval = absl::Milliseconds(250));
  ~ConnectionGuard();  // stops the scanning thread

  void Start();
  void Stop();

  void HandlerStarted(const std::string& peer);
  void ResponseWritten(const std::string& peer);

  int64_t closed() const { return closed_.load(); }  // connections cut off so far

 private:
  struct Conn {
    int fd = -1;
    absl::Time reading_since;
    bool in_handler = false;
  };
  void Run();
  void Scan(absl::Time now);

  const int port_;
  const absl::Duration read_timeout_;
  const absl::Duration scan_interval_;
  absl::Mutex mu_;
  std::map<std::string, Conn> conns_ ABSL_GUARDED_BY(mu_);  // by peer "ip:port"
  std::atomic<int64_t> closed_{0};
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace mk::apiserver
