#pragma once

// The kubelet's small HTTP server, the endpoint the apiserver proxies `pods/log` to
// (apiserver/kubelet_logs.cc):
//   GET /containerLogs/<ns>/<pod>/<container>?follow=&previous=&tailLines=&timestamps=
//       &sinceSeconds=&limitBytes=
//   GET /healthz → "ok"
// Logs stream straight from Docker (stdout and stderr merged) as a chunked response; with
// follow=true until the container stops or the client goes away. Errors answer 400/404
// with kubectl's text (e.g. `previous terminated container "c" in pod "p" not found`).
//
// Thread-safe; Start() binds and serves on its own threads, Shutdown() stops them.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "kubelet/runtime.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace mk::kubelet {

// The id of the current (or, with previous, the last exited) instance of a container;
// "" when there is none.
using ContainerFinder = std::function<std::string(const std::string& ns, const std::string& pod,
                                                  const std::string& container, bool previous)>;

class LogServer {
 public:
  LogServer(ContainerRuntime* runtime, ContainerFinder find);
  ~LogServer();
  LogServer(const LogServer&) = delete;
  LogServer& operator=(const LogServer&) = delete;

  // Adds a GET route (a regex, as cpp-httplib takes them) served next to the logs, e.g. the
  // stats sampler's /stats/summary. Before Start().
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  void HandleGet(const std::string& pattern, Handler handler);

  // Binds `address`:`port` (port 0: the kernel picks) and serves. Returns the bound port.
  absl::StatusOr<int> Start(const std::string& address, int port);
  void Shutdown();

 private:
  ContainerRuntime* const runtime_;
  const ContainerFinder find_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace mk::kubelet
