#include "common/informer.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api.pb.h"
#include "common/fake_api_client.h"
#include "common/object.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

api::Pod MakePod(const std::string& name, const std::string& node = "") {
  api::Pod p;
  p.mutable_metadata()->set_name(name);
  p.mutable_spec()->set_node_name(node);
  return p;
}

// Records handler calls as "add ns/name", "update ns/name", "delete ns/name".
class Recorder {
 public:
  EventHandlers Handlers() {
    EventHandlers h;
    h.on_add = [this](const google::protobuf::Message& o) { Push("add", o); };
    h.on_update = [this](const google::protobuf::Message& old_obj,
                         const google::protobuf::Message& o) {
      Push(Meta(old_obj).resource_version() == Meta(o).resource_version() ? "resync" : "update", o);
    };
    h.on_delete = [this](const google::protobuf::Message& o) { Push("delete", o); };
    return h;
  }
  std::vector<std::string> Take() {
    absl::MutexLock l(&mu_);
    std::vector<std::string> out;
    out.swap(events_);
    return out;
  }
  // Waits (real time) for `n` events.
  bool WaitFor(size_t n) {
    absl::MutexLock l(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return events_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }

 private:
  void Push(const char* what, const google::protobuf::Message& o) {
    absl::MutexLock l(&mu_);
    events_.push_back(absl::StrCat(what, " ", Informer::KeyOf(o)));
  }
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

// The informer syncs before it opens its watch; tests that break the watch wait for it.
bool WaitForWatches(FakeApiClient& api, int n) {
  for (int i = 0; i < 10000; ++i) {
    if (api.NumOpenWatches() == n) return true;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return false;
}

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

InformerOptions Pods(Clock* clock) {
  InformerOptions o;
  o.resource = "pods";
  o.clock = clock;
  return o;
}

TEST(InformerTest, ListsThenWatches) {
  FakeClock clock;
  FakeApiClient api(&clock);
  ASSERT_TRUE(api.Create("pods", "default", MakePod("a")).ok());
  ASSERT_TRUE(api.Create("pods", "kube-system", MakePod("b")).ok());
  Informer inf(&api, Pods(&clock));
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  EXPECT_THAT(rec.Take(), UnorderedElementsAre("add default/a", "add kube-system/b"));
  ASSERT_NE(inf.Get("default/a"), nullptr);
  EXPECT_EQ(inf.GetAs<api::Pod>("kube-system/b")->metadata().name(), "b");
  EXPECT_EQ(inf.Get("default/zzz"), nullptr);

  ASSERT_TRUE(api.Create("pods", "default", MakePod("c")).ok());
  ASSERT_TRUE(api.Bind("default", "a", "n1").ok());
  ASSERT_TRUE(api.Delete("pods", "kube-system", "b").ok());
  ASSERT_TRUE(rec.WaitFor(3));
  EXPECT_THAT(rec.Take(), ElementsAre("add default/c", "update default/a", "delete kube-system/b"));
  EXPECT_EQ(inf.GetAs<api::Pod>("default/a")->spec().node_name(), "n1");
  std::vector<std::string> keys;
  for (const auto& o : inf.List()) keys.push_back(Informer::KeyOf(*o));
  EXPECT_THAT(keys, ElementsAre("default/a", "default/c"));
  EXPECT_EQ(inf.ListCount(), 1);
  inf.Shutdown();
}

TEST(InformerTest, FieldSelectorAndNamespace) {
  FakeApiClient api;
  ASSERT_TRUE(api.Create("pods", "default", MakePod("a", "n1")).ok());
  ASSERT_TRUE(api.Create("pods", "default", MakePod("b", "n2")).ok());
  ASSERT_TRUE(api.Create("pods", "other", MakePod("c", "n1")).ok());
  InformerOptions o = Pods(nullptr);
  o.ns = "default";
  o.field_selector = "spec.nodeName=n1";
  Informer inf(&api, o);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_EQ(inf.List().size(), 1u);
  EXPECT_NE(inf.Get("default/a"), nullptr);
}

TEST(InformerTest, RelistAfterGoneDeliversTheDifferences) {
  FakeClock clock;
  FakeApiClient api(&clock);
  ASSERT_TRUE(api.Create("pods", "default", MakePod("keep")).ok());
  ASSERT_TRUE(api.Create("pods", "default", MakePod("change")).ok());
  ASSERT_TRUE(api.Create("pods", "default", MakePod("remove")).ok());
  Informer inf(&api, Pods(&clock));
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(rec.WaitFor(3));
  rec.Take();
  ASSERT_TRUE(WaitForWatches(api, 1));

  // The watch breaks with 410; while the informer backs off, the world changes.
  api.Compact();
  ASSERT_TRUE(clock.BlockUntilWaiters(1));  // in the 200 ms back-off
  ASSERT_TRUE(api.Bind("default", "change", "n1").ok());
  ASSERT_TRUE(api.Delete("pods", "default", "remove").ok());
  ASSERT_TRUE(api.Create("pods", "default", MakePod("new")).ok());
  api.Compact();  // and the history is gone, so only a relist can catch up
  EXPECT_TRUE(rec.Take().empty());
  clock.Advance(absl::Milliseconds(200));
  ASSERT_TRUE(rec.WaitFor(3));
  EXPECT_THAT(rec.Take(), UnorderedElementsAre("update default/change", "delete default/remove",
                                               "add default/new"));
  EXPECT_EQ(inf.ListCount(), 2);
  EXPECT_EQ(inf.List().size(), 3u);
  EXPECT_EQ(inf.GetAs<api::Pod>("default/change")->spec().node_name(), "n1");

  // And it watches again from the relist.
  ASSERT_TRUE(api.Delete("pods", "default", "keep").ok());
  ASSERT_TRUE(rec.WaitFor(1));
  EXPECT_THAT(rec.Take(), ElementsAre("delete default/keep"));
}

TEST(InformerTest, BrokenStreamAndListFailuresBackOffExponentially) {
  FakeClock clock;
  FakeApiClient api(&clock);
  Informer inf(&api, Pods(&clock));
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(WaitForWatches(api, 1));
  api.InjectError("list", "pods", absl::UnavailableError("down"), 3);
  api.CloseWatches(absl::UnavailableError("connection reset"));
  // Back-offs: 200 ms (after the broken watch), then 400, 800, 1600 ms for failed lists.
  for (int ms : {200, 400, 800, 1600}) {
    int lists = api.CountCalls("list", "pods");
    ASSERT_TRUE(clock.BlockUntilWaiters(1));
    clock.Advance(absl::Milliseconds(ms - 1));
    absl::SleepFor(absl::Milliseconds(5));
    EXPECT_EQ(api.CountCalls("list", "pods"), lists) << "woke early from the " << ms << " ms wait";
    clock.Advance(absl::Milliseconds(1));
    for (int i = 0; i < 10000 && api.CountCalls("list", "pods") == lists; ++i) {
      absl::SleepFor(absl::Microseconds(100));
    }
    ASSERT_EQ(api.CountCalls("list", "pods"), lists + 1) << "after the " << ms << " ms wait";
  }
  ASSERT_TRUE(WaitForWatches(api, 1));
  EXPECT_EQ(api.CountCalls("list", "pods"), 5);
  EXPECT_EQ(inf.ListCount(), 2);
  EXPECT_EQ(api.NumOpenWatches(), 1);
}

TEST(InformerTest, CleanCloseRewatchesWithoutRelist) {
  FakeApiClient api;
  Informer inf(&api, Pods(nullptr));
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(api.Create("pods", "default", MakePod("a")).ok());
  ASSERT_TRUE(rec.WaitFor(1));
  ASSERT_TRUE(WaitForWatches(api, 1));
  api.CloseWatches();
  ASSERT_TRUE(api.Create("pods", "default", MakePod("b")).ok());
  ASSERT_TRUE(rec.WaitFor(2));
  EXPECT_THAT(rec.Take(), ElementsAre("add default/a", "add default/b"));
  EXPECT_EQ(inf.ListCount(), 1);
}

TEST(InformerTest, PeriodicResync) {
  FakeClock clock;
  FakeApiClient api(&clock);
  ASSERT_TRUE(api.Create("pods", "default", MakePod("a")).ok());
  InformerOptions o = Pods(&clock);
  o.resync_period = absl::Seconds(30);
  Informer inf(&api, o);
  Recorder rec;
  inf.AddHandlers(rec.Handlers());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(rec.WaitFor(1));
  rec.Take();
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(rec.WaitFor(1));
  EXPECT_THAT(rec.Take(), ElementsAre("resync default/a"));
}

TEST(InformerTest, ShutdownWhileWatchingIsPrompt) {
  FakeApiClient api;
  Informer inf(&api, Pods(nullptr));
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  absl::Time start = absl::Now();
  inf.Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(api.NumOpenWatches(), 0);
}

}  // namespace
}  // namespace mk
