// Fault cases for mk-controller-manager with a real apiserver (no scheduler, no kubelet: the
// test binds pods and renews node leases itself): kill -9 while scaling, a node whose
// heartbeats stop, and leader election between two controller-managers.

#include <atomic>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/integration/controller_harness.h"

namespace mk::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ControllerFaultsIT : public ControllerTest {};

TEST_F(ControllerFaultsIT, KilledRepeatedlyWhileScalingEndsExactlyAtDesiredCount) {
  StartCm(0);
  std::string uid = CreateRs(MakeReplicaSet("churn", 0, "churn"));
  std::atomic<bool> stop{false};
  std::atomic<int> max_seen{0};
  std::atomic<int> want{0};
  std::atomic<int> over{0};  // samples with more live pods than the larger of old/new target
  std::thread monitor([&] {
    while (!stop) {
      int n = static_cast<int>(Pods().size());
      max_seen = std::max(max_seen.load(), n);
      if (n > want) ++over;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::mt19937 rng(42);
  auto churn = [&](int target) {
    want = std::max(want.load(), target);
    CommandResult r = Kubectl({"scale", absl::StrCat("--replicas=", target), "rs/churn"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 150));
      KillCm(0, SIGKILL);
      StartCm(0);
    }
    want = target;
    ASSERT_TRUE(WaitFor([&] { return static_cast<int>(Pods().size()) == target; }, 30))
        << Pods().size() << " pods, want " << target;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    EXPECT_EQ(static_cast<int>(Pods().size()), target);
    EXPECT_EQ(CountOwned(uid), target);
  };
  churn(50);
  EXPECT_TRUE(WaitFor([&] { return GetRs("churn").status().replicas() == 50; }));
  churn(0);
  stop = true;
  monitor.join();
  EXPECT_LE(max_seen.load(), 50);
  EXPECT_EQ(over.load(), 0);
}

class NodeLifecycleIT : public ControllerTest {
 protected:
  void Heartbeat() {
    auto lease = client_->GetAs<api::Lease>("leases", "kube-node-lease", "n1");
    api::Lease l = lease.ok() ? *lease : api::Lease();
    l.mutable_metadata()->set_name("n1");
    l.mutable_metadata()->set_namespace_("kube-node-lease");
    l.mutable_spec()->set_holder_identity("n1");
    l.mutable_spec()->set_lease_duration_seconds(40);
    l.mutable_spec()->set_renew_time(
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone()));
    if (lease.ok()) {
      client_->Update("leases", "kube-node-lease", l).IgnoreError();
    } else {
      client_->Create("leases", "kube-node-lease", l).IgnoreError();
    }
  }
  void SetReady(const std::string& status) {
    auto n = client_->GetAs<api::Node>("nodes", "", "n1");
    ASSERT_TRUE(n.ok());
    api::NodeCondition* c = n->mutable_status()->mutable_conditions(0);
    c->set_status(status);
    c->set_reason("KubeletReady");
    c->set_last_heartbeat_time(mk::FormatTime(absl::Now()));
    ASSERT_TRUE(client_->Update("nodes", "", *n, "status").ok());
  }
  std::vector<std::string> TaintKeys() {
    std::vector<std::string> out;
    auto n = client_->GetAs<api::Node>("nodes", "", "n1");
    if (!n.ok()) return out;
    for (const auto& t : n->spec().taints()) out.push_back(t.key() + ":" + t.effect());
    return out;
  }
};

TEST_F(NodeLifecycleIT, SilentNodeIsTaintedPodsEvictedAndReplacedThenUntainted) {
  StartCm(0, {"--node-monitor-grace-period", "3s", "--node-monitor-period", "500ms"});
  api::Node node;
  node.mutable_metadata()->set_name("n1");
  api::NodeCondition* c = node.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  c->set_last_heartbeat_time(mk::FormatTime(absl::Now()));
  ASSERT_TRUE(client_->Create("nodes", "", node).ok());
  std::atomic<bool> beating{true}, stop{false};
  std::thread kubelet([&] {
    while (!stop) {
      if (beating) Heartbeat();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });

  api::ReplicaSet rs = MakeReplicaSet("web", 2, "web");
  for (const char* key : {"node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"}) {
    api::Toleration* t = rs.mutable_spec()->mutable_template_()->mutable_spec()->add_tolerations();
    t->set_key(key);
    t->set_operator_("Exists");
    t->set_effect("NoExecute");
    t->set_toleration_seconds(2);
  }
  std::string uid = CreateRs(rs);
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 2; }));
  std::vector<std::string> first;
  for (const api::Pod& p : OwnedPods(uid)) {
    first.push_back(p.metadata().name());
    ASSERT_TRUE(client_->Bind("default", p.metadata().name(), "n1").ok());
  }
  std::this_thread::sleep_for(std::chrono::seconds(4));  // heartbeats keep it healthy
  EXPECT_TRUE(TaintKeys().empty());

  beating = false;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto keys = TaintKeys();
        return std::find(keys.begin(), keys.end(), "node.kubernetes.io/unreachable:NoExecute") !=
               keys.end();
      },
      15));
  auto n = client_->GetAs<api::Node>("nodes", "", "n1");
  EXPECT_EQ(n->status().conditions(0).status(), "Unknown");
  // Evicted after the 2 s toleration, and replaced (the replacements are unbound).
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const std::string& name : first) {
          auto p = client_->GetAs<api::Pod>("pods", "default", name);
          if (p.ok() && p->metadata().deletion_timestamp().empty()) return false;
        }
        auto owned = OwnedPods(uid);
        if (owned.size() != 2) return false;
        for (const auto& p : owned) {
          if (!p.spec().node_name().empty()) return false;
        }
        return true;
      },
      15));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 12) << "grace 3 s + toleration 2 s";
  EXPECT_FALSE(Events(first[0], "TaintManagerEviction").empty());

  // The kubelet comes back.
  beating = true;
  SetReady("True");
  EXPECT_TRUE(WaitFor([&] { return TaintKeys().empty(); }, 10));
  // Ready=False (kubelet says not ready) → not-ready taint.
  SetReady("False");
  EXPECT_TRUE(WaitFor(
      [&] {
        auto keys = TaintKeys();
        return std::find(keys.begin(), keys.end(), "node.kubernetes.io/not-ready:NoExecute") !=
               keys.end();
      },
      10));
  stop = true;
  kubelet.join();
}

TEST_F(ControllerFaultsIT, OnlyTheLeaderActsAndTheOtherTakesOver) {
  std::vector<std::string> flags = {"--leader-elect",
                                    "--leader-elect-lease-duration",
                                    "4s",
                                    "--leader-elect-renew-deadline",
                                    "3s",
                                    "--leader-elect-retry-period",
                                    "500ms"};
  StartCm(0, flags);
  ASSERT_TRUE(
      WaitFor([&] { return ReadAll(CmLog(0)).find("became leader") != std::string::npos; }, 10));
  StartCm(1, flags);
  std::string uid = CreateRs(MakeReplicaSet("a", 3, "a"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 3; }));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(Pods().size(), 3u);
  EXPECT_EQ(ReadAll(CmLog(1)).find("became leader"), std::string::npos);
  auto lease = client_->GetAs<api::Lease>("leases", "kube-system", "mk-controller-manager");
  ASSERT_TRUE(lease.ok());
  EXPECT_FALSE(lease->spec().holder_identity().empty());

  KillCm(0, SIGKILL);
  auto t0 = std::chrono::steady_clock::now();
  std::string uid_b = CreateRs(MakeReplicaSet("b", 2, "b"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid_b) == 2; }, 15));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 8) << "lease duration is 4 s";
  EXPECT_NE(ReadAll(CmLog(1)).find("became leader"), std::string::npos);
  EXPECT_EQ(CountOwned(uid), 3);
  EXPECT_EQ(Pods().size(), 5u);
}

}  // namespace
}  // namespace mk::testing
