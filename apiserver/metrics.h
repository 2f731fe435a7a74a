#pragma once

// Prometheus metrics of the apiserver: request counts and latency histograms per verb and
// resource, open watches, and store sizes. Thread-safe.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mk::apiserver {

class Store;

class Metrics {
 public:
  void ObserveRequest(const std::string& verb, const std::string& resource, int code,
                      absl::Duration latency);
  void WatchOpened(const std::string& resource);
  void WatchClosed(const std::string& resource);
  // Prometheus text exposition format.
  std::string Render(Store* store);

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  absl::Mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, Histogram> latency_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> watches_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mk::apiserver
