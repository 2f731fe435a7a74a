#include "apiserver/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apiserver/store.h"
#include "common/resources.h"

namespace mk::apiserver {

void Metrics::ObserveRequest(const std::string& verb, const std::string& resource, int code,
                             absl::Duration latency) {
  double secs = absl::ToDoubleSeconds(latency);
  absl::MutexLock l(&mu_);
  ++requests_[{verb, resource, code}];
  Histogram& h = latency_[{verb, resource}];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (secs <= kBuckets[i]) ++h.counts[i];
  }
  ++h.count;
  h.sum += secs;
}

void Metrics::WatchOpened(const std::string& resource) {
  absl::MutexLock l(&mu_);
  ++watches_[resource];
}

void Metrics::WatchClosed(const std::string& resource) {
  absl::MutexLock l(&mu_);
  --watches_[resource];
}

std::string Metrics::Render(Store* store) {
  std::string out;
  {
    absl::MutexLock l(&mu_);
    out += "# HELP apiserver_request_total Requests by verb, resource and HTTP code.\n";
    out += "# TYPE apiserver_request_total counter\n";
    for (const auto& [k, v] : requests_) {
      absl::StrAppend(&out, "apiserver_request_total{verb=\"", std::get<0>(k), "\",resource=\"",
                      std::get<1>(k), "\",code=\"", std::get<2>(k), "\"} ", v, "\n");
    }
    out += "# HELP apiserver_request_duration_seconds Request latency.\n";
    out += "# TYPE apiserver_request_duration_seconds histogram\n";
    for (const auto& [k, h] : latency_) {
      std::string labels = absl::StrCat("verb=\"", k.first, "\",resource=\"", k.second, "\"");
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        absl::StrAppend(&out, "apiserver_request_duration_seconds_bucket{", labels, ",le=\"",
                        kBuckets[i], "\"} ", h.counts[i], "\n");
      }
      absl::StrAppend(&out, "apiserver_request_duration_seconds_bucket{", labels, ",le=\"+Inf\"} ",
                      h.count, "\n");
      absl::StrAppend(&out, "apiserver_request_duration_seconds_sum{", labels, "} ",
                      absl::StrFormat("%.6f", h.sum), "\n");
      absl::StrAppend(&out, "apiserver_request_duration_seconds_count{", labels, "} ", h.count,
                      "\n");
    }
    out += "# HELP apiserver_registered_watchers Open watches by resource.\n";
    out += "# TYPE apiserver_registered_watchers gauge\n";
    for (const auto& [r, n] : watches_) {
      absl::StrAppend(&out, "apiserver_registered_watchers{resource=\"", r, "\"} ", n, "\n");
    }
  }
  out += "# HELP apiserver_storage_objects Stored objects by resource.\n";
  out += "# TYPE apiserver_storage_objects gauge\n";
  for (const ResourceInfo& r : AllResources()) {
    int64_t rev;
    size_t n = store->List(absl::StrCat("/registry/", r.name, "/"), &rev).size();
    absl::StrAppend(&out, "apiserver_storage_objects{resource=\"", r.name, "\"} ", n, "\n");
  }
  absl::StrAppend(&out, "# TYPE mk_store_revision gauge\nmk_store_revision ",
                  store->CurrentRevision(), "\n");
  return out;
}

}  // namespace mk::apiserver
