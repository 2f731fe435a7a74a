#pragma once

// The kubelet's resource sampler: one background loop that, every period, lists this node's
// running app containers (by the mk.node label) and reads one Docker stats sample per
// container (one-shot), turning the cumulative CPU counters of consecutive samples into a
// rate (nanocores) and memory into the working set (usage − inactive file pages), as cAdvisor
// does. Scrapes (`GET /stats/summary` on the kubelet server) read the last result: no Docker
// call per scrape. The node's figures are the sum of its containers (several kubelets may
// share one Docker engine, so the host's totals would be wrong).

#include <functional>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "common/kubelet_stats.h"

namespace mk::kubelet {

class StatsSampler {
 public:
  // Docker's GET /containers/json (running containers with the node's label) and
  // GET /containers/<id>/stats?stream=false&one-shot=true.
  using ListFn = std::function<absl::StatusOr<Json>()>;
  using StatsFn = std::function<absl::StatusOr<Json>(const std::string& id)>;

  StatsSampler(std::string node_name, ListFn list, StatsFn stats,
               absl::Duration period = absl::Seconds(10));
  ~StatsSampler();

  void Start();
  void Shutdown();
  // One sampling round (what the loop runs each period); public for tests.
  void SampleOnce();
  // The latest figures (empty pods and zero usage until two rounds have run).
  StatsSummary Summary() const;

  // cgroup v1 and v2 stats JSON → working-set bytes.
  static int64_t WorkingSet(const Json& stats);

 private:
  struct Previous {
    int64_t cpu_total_ns = 0;
    absl::Time read;
  };

  const std::string node_;
  const ListFn list_;
  const StatsFn stats_;
  const absl::Duration period_;
  mutable absl::Mutex mu_;
  StatsSummary summary_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Previous> previous_;  // by container id; only the loop touches it
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace mk::kubelet
