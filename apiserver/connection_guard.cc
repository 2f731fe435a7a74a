#include "apiserver/connection_guard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace mk::apiserver {
namespace {

// "ip:port" of a sockaddr; "" for other families.
std::string AddrString(const sockaddr_storage& ss, int* port) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    *port = ntohs(a->sin_port);
    return buf;
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
    *port = ntohs(a->sin6_port);
    return buf;
  }
  return "";
}

// The peer "ip:port" of `fd` when it is a TCP connection accepted on local `port`.
std::string PeerOf(int fd, int port) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return "";
  sockaddr_storage local{}, peer{};
  socklen_t len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) return "";
  int local_port = 0;
  if (AddrString(local, &local_port).empty() || local_port != port) return "";
  len = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return "";
  int peer_port = 0;
  std::string ip = AddrString(peer, &peer_port);
  if (ip.empty()) return "";
  return absl::StrCat(ip, ":", peer_port);
}

}  // namespace

ConnectionGuard::ConnectionGuard(int port, absl::Duration read_timeout,
                                 absl::Duration scan_interval)
    : port_(port), read_timeout_(read_timeout), scan_interval_(scan_interval) {}

ConnectionGuard::~ConnectionGuard() { Stop(); }

void ConnectionGuard::Start() {
  if (thread_.joinable() || read_timeout_ <= absl::ZeroDuration()) return;
  thread_ = std::thread([this] { Run(); });
}

void ConnectionGuard::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void ConnectionGuard::HandlerStarted(const std::string& peer) {
  absl::MutexLock lock(&mu_);
  conns_[peer].in_handler = true;
}

void ConnectionGuard::ResponseWritten(const std::string& peer) {
  absl::MutexLock lock(&mu_);
  auto it = conns_.find(peer);
  if (it == conns_.end()) return;
  it->second.in_handler = false;
  it->second.reading_since = absl::Now();
}

void ConnectionGuard::Run() {
  while (!stop_.WaitForNotificationWithTimeout(scan_interval_)) Scan(absl::Now());
}

void ConnectionGuard::Scan(absl::Time now) {
  // Held across the listing, so a HandlerStarted for a connection accepted during the scan
  // is never mistaken for a connection that has gone.
  absl::MutexLock lock(&mu_);
  std::set<std::string> present;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  int dir_fd = dirfd(dir);
  while (dirent* e = readdir(dir)) {
    int fd = 0;
    if (!absl::SimpleAtoi(e->d_name, &fd) || fd == dir_fd) continue;
    std::string peer = PeerOf(fd, port_);
    if (peer.empty()) continue;
    present.insert(peer);
    auto [it, added] = conns_.try_emplace(peer);
    if (added) it->second.reading_since = now;
    it->second.fd = fd;
  }
  closedir(dir);
  for (auto it = conns_.begin(); it != conns_.end();) {
    if (present.count(it->first) == 0) {
      it = conns_.erase(it);
      continue;
    }
    Conn& c = it->second;
    if (!c.in_handler && now - c.reading_since > read_timeout_ &&
        PeerOf(c.fd, port_) == it->first) {
      MK_VLOG(1) << "closing connection from " << it->first << ": no complete request within "
                 << absl::FormatDuration(read_timeout_);
      shutdown(c.fd, SHUT_RDWR);
      closed_.fetch_add(1);
      it = conns_.erase(it);
      continue;
    }
    ++it;
  }
}

}  // namespace mk::apiserver
