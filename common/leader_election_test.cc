#include "common/leader_election.h"

#include <atomic>
#include <functional>

#include "common/fake_api_client.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

// Delegates to a shared FakeApiClient; partition() makes every call fail as if the network
// to the apiserver was cut.
class PartitionableClient : public ApiClient {
 public:
  explicit PartitionableClient(ApiClient* inner) : inner_(inner) {}
  void partition(bool p) { partitioned_ = p; }

  absl::StatusOr<ObjectPtr> Get(const std::string& r, const std::string& ns, const std::string& n,
                                const std::string& sub) override {
    if (partitioned_) return Down();
    return inner_->Get(r, ns, n, sub);
  }
  absl::StatusOr<ListResult> List(const std::string& r, const std::string& ns,
                                  const ListOptions& o) override {
    if (partitioned_) return Down();
    return inner_->List(r, ns, o);
  }
  absl::StatusOr<ObjectPtr> Create(const std::string& r, const std::string& ns,
                                   const google::protobuf::Message& m) override {
    if (partitioned_) return Down();
    return inner_->Create(r, ns, m);
  }
  absl::StatusOr<ObjectPtr> Update(const std::string& r, const std::string& ns,
                                   const google::protobuf::Message& m,
                                   const std::string& sub) override {
    if (partitioned_) return Down();
    return inner_->Update(r, ns, m, sub);
  }
  absl::StatusOr<ObjectPtr> Patch(const std::string& r, const std::string& ns, const std::string& n,
                                  const std::string& t, const std::string& p,
                                  const std::string& sub) override {
    if (partitioned_) return Down();
    return inner_->Patch(r, ns, n, t, p, sub);
  }
  absl::StatusOr<ObjectPtr> Delete(const std::string& r, const std::string& ns,
                                   const std::string& n, const DeleteOptions& o) override {
    if (partitioned_) return Down();
    return inner_->Delete(r, ns, n, o);
  }
  absl::StatusOr<ObjectPtr> Bind(const std::string& ns, const std::string& p, const std::string& n,
                                 const std::map<std::string, std::string>& a) override {
    if (partitioned_) return Down();
    return inner_->Bind(ns, p, n, a);
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const std::string& r, const std::string& ns,
                                                     const WatchOptions& o) override {
    if (partitioned_) return Down();
    return inner_->Watch(r, ns, o);
  }

 private:
  static absl::Status Down() { return absl::UnavailableError("connection refused"); }
  ApiClient* inner_;
  std::atomic<bool> partitioned_{false};
};

class Candidate {
 public:
  Candidate(ApiClient* api, Clock* clock, const std::string& id) {
    LeaderElectionConfig c;
    c.lease_name = "mk-scheduler";
    c.identity = id;
    c.clock = clock;
    c.on_started_leading = [this] { ++started; };
    c.on_stopped_leading = [this] { ++stopped; };
    c.on_new_leader = [this](const std::string& who) {
      absl::MutexLock l(&mu);
      seen_leader = who;
    };
    elector = std::make_unique<LeaderElector>(api, c);
  }
  std::atomic<int> started{0}, stopped{0};
  absl::Mutex mu;
  std::string seen_leader ABSL_GUARDED_BY(mu);
  std::unique_ptr<LeaderElector> elector;
};

// Advances fake time in small steps (letting the electors run in between) until `done`.
bool AdvanceUntil(FakeClock& clock, const std::function<bool()>& done, absl::Duration max,
                  absl::Duration step = absl::Milliseconds(500)) {
  for (absl::Duration t; t <= max; t += step) {
    for (int i = 0; i < 10; ++i) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(1));
    }
    clock.Advance(step);
  }
  return done();
}

api::Lease GetLease(FakeApiClient& api) {
  return *api.GetAs<api::Lease>("leases", "kube-system", "mk-scheduler");
}

TEST(LeaderElectionTest, OneLeaderThenTakeoverWhenTheLeaderStopsRenewing) {
  FakeClock clock;
  FakeApiClient api(&clock);
  PartitionableClient net_a(&api), net_b(&api);
  Candidate a(&net_a, &clock, "a"), b(&net_b, &clock, "b");
  a.elector->Start();
  ASSERT_TRUE(AdvanceUntil(
      clock, [&] { return a.elector->IsLeader(); }, absl::Seconds(5)));
  b.elector->Start();
  // Many retry periods later, still exactly one leader.
  ASSERT_FALSE(AdvanceUntil(
      clock, [&] { return b.elector->IsLeader(); }, absl::Seconds(60)));
  EXPECT_TRUE(a.elector->IsLeader());
  EXPECT_EQ(b.elector->CurrentLeader(), "a");
  {
    absl::MutexLock l(&b.mu);
    EXPECT_EQ(b.seen_leader, "a");
  }
  EXPECT_EQ(GetLease(api).spec().holder_identity(), "a");
  EXPECT_EQ(GetLease(api).spec().lease_transitions(), 0);

  // a is cut off: it steps down after the renew deadline; b takes over once the lease has
  // not changed for a lease duration.
  net_a.partition(true);
  absl::Time cut = clock.Now();
  ASSERT_TRUE(AdvanceUntil(
      clock, [&] { return b.elector->IsLeader(); }, absl::Seconds(30)));
  EXPECT_GE(clock.Now() - cut, absl::Seconds(15) - absl::Seconds(2));
  EXPECT_FALSE(a.elector->IsLeader());
  EXPECT_EQ(a.started.load(), 1);
  EXPECT_EQ(a.stopped.load(), 1);
  EXPECT_EQ(GetLease(api).spec().holder_identity(), "b");
  EXPECT_EQ(GetLease(api).spec().lease_transitions(), 1);

  // a comes back and does not take the lease from the live leader.
  net_a.partition(false);
  ASSERT_FALSE(AdvanceUntil(
      clock, [&] { return a.elector->IsLeader(); }, absl::Seconds(40)));
  EXPECT_TRUE(b.elector->IsLeader());
  a.elector->Shutdown();
  b.elector->Shutdown();
  EXPECT_EQ(b.stopped.load(), 1);
}

TEST(LeaderElectionTest, ReleaseOnShutdownHandsOverWithinARetryPeriod) {
  FakeClock clock;
  FakeApiClient api(&clock);
  Candidate a(&api, &clock, "a"), b(&api, &clock, "b");
  a.elector->Start();
  ASSERT_TRUE(AdvanceUntil(
      clock, [&] { return a.elector->IsLeader(); }, absl::Seconds(5)));
  b.elector->Start();
  ASSERT_FALSE(AdvanceUntil(
      clock, [&] { return b.elector->IsLeader(); }, absl::Seconds(10)));

  a.elector->Shutdown();
  EXPECT_EQ(a.stopped.load(), 1);
  EXPECT_EQ(GetLease(api).spec().holder_identity(), "");
  absl::Time released = clock.Now();
  ASSERT_TRUE(AdvanceUntil(
      clock, [&] { return b.elector->IsLeader(); }, absl::Seconds(5)));
  EXPECT_LE(clock.Now() - released, absl::Seconds(3));
  EXPECT_EQ(GetLease(api).spec().holder_identity(), "b");
  EXPECT_EQ(GetLease(api).spec().lease_transitions(), 1);
}

TEST(LeaderElectionTest, RacingCandidatesProduceOneLeader) {
  FakeClock clock;
  FakeApiClient api(&clock);
  std::vector<std::unique_ptr<Candidate>> cs;
  for (const char* id : {"a", "b", "c", "d"}) {
    cs.push_back(std::make_unique<Candidate>(&api, &clock, id));
  }
  for (auto& c : cs) c->elector->Start();
  auto leaders = [&] {
    int n = 0;
    for (auto& c : cs) n += c->elector->IsLeader();
    return n;
  };
  ASSERT_TRUE(AdvanceUntil(
      clock, [&] { return leaders() >= 1; }, absl::Seconds(5)));
  AdvanceUntil(
      clock, [] { return false; }, absl::Seconds(30));
  EXPECT_EQ(leaders(), 1);
  int started = 0;
  for (auto& c : cs) started += c->started.load();
  EXPECT_EQ(started, 1);
  for (auto& c : cs) c->elector->Shutdown();
}

TEST(LeaderElectionTest, DefaultIdentityIsHostAndSuffix) {
  std::string id = DefaultIdentity();
  EXPECT_NE(id.find('_'), std::string::npos);
  EXPECT_NE(id, DefaultIdentity());
}

}  // namespace
}  // namespace mk
