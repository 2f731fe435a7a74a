#include "common/event_recorder.h"

#include "absl/strings/str_cat.h"
#include "common/fake_api_client.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

api::Pod MakePod() {
  api::Pod p;
  p.set_api_version("v1");
  p.set_kind("Pod");
  p.mutable_metadata()->set_name("web-0");
  p.mutable_metadata()->set_namespace_("prod");
  p.mutable_metadata()->set_uid("uid-1");
  p.mutable_metadata()->set_resource_version("42");
  return p;
}

EventRecorderOptions WithClock(Clock* clock) {
  EventRecorderOptions o;
  o.clock = clock;
  return o;
}

TEST(EventRecorderTest, CreatesAnEventAboutTheObject) {
  FakeClock clock;
  FakeApiClient api(&clock);
  EventRecorder rec(&api, "kubelet", "node-1", WithClock(&clock));
  rec.Event(MakePod(), "Normal", "Pulling", "Pulling image \"busybox\"");
  ASSERT_TRUE(rec.Flush());
  auto events = api.ListAs<api::Event>("events", "prod");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  const api::Event& e = (*events)[0];
  EXPECT_EQ(e.metadata().name().rfind("web-0.", 0), 0u) << e.metadata().name();
  EXPECT_EQ(e.metadata().namespace_(), "prod");
  EXPECT_EQ(e.involved_object().kind(), "Pod");
  EXPECT_EQ(e.involved_object().api_version(), "v1");
  EXPECT_EQ(e.involved_object().name(), "web-0");
  EXPECT_EQ(e.involved_object().namespace_(), "prod");
  EXPECT_EQ(e.involved_object().uid(), "uid-1");
  EXPECT_EQ(e.involved_object().resource_version(), "42");
  EXPECT_EQ(e.type(), "Normal");
  EXPECT_EQ(e.reason(), "Pulling");
  EXPECT_EQ(e.message(), "Pulling image \"busybox\"");
  EXPECT_EQ(e.source().component(), "kubelet");
  EXPECT_EQ(e.source().host(), "node-1");
  EXPECT_EQ(e.reporting_component(), "kubelet");
  EXPECT_EQ(e.count(), 1);
  EXPECT_EQ(e.first_timestamp(), "2030-01-01T00:00:00Z");
  EXPECT_EQ(e.last_timestamp(), e.first_timestamp());
}

TEST(EventRecorderTest, AggregatesRepeatsWithinTenMinutes) {
  FakeClock clock;
  FakeApiClient api(&clock);
  EventRecorder rec(&api, "kubelet", "node-1", WithClock(&clock));
  rec.Event(MakePod(), "Warning", "BackOff", "Back-off restarting failed container");
  clock.Advance(absl::Minutes(1));
  rec.Event(MakePod(), "Warning", "BackOff", "Back-off restarting failed container");
  clock.Advance(absl::Minutes(1));
  rec.Event(MakePod(), "Warning", "BackOff", "Back-off restarting failed container");
  rec.Event(MakePod(), "Warning", "Unhealthy", "Liveness probe failed");  // different
  ASSERT_TRUE(rec.Flush());
  auto events = api.ListAs<api::Event>("events", "prod");
  ASSERT_EQ(events->size(), 2u);
  for (const api::Event& e : *events) {
    if (e.reason() == "BackOff") {
      EXPECT_EQ(e.count(), 3);
      EXPECT_EQ(e.first_timestamp(), "2030-01-01T00:00:00Z");
      EXPECT_EQ(e.last_timestamp(), "2030-01-01T00:02:00Z");
    } else {
      EXPECT_EQ(e.count(), 1);
    }
  }
  EXPECT_EQ(api.CountCalls("create", "events"), 2);
  EXPECT_EQ(api.CountCalls("patch", "events"), 2);

  // More than ten minutes after the last one: a new Event.
  clock.Advance(absl::Minutes(11));
  rec.Event(MakePod(), "Warning", "BackOff", "Back-off restarting failed container");
  ASSERT_TRUE(rec.Flush());
  EXPECT_EQ(api.ListAs<api::Event>("events", "prod")->size(), 3u);
}

TEST(EventRecorderTest, RecreatesWhenTheAggregatedEventIsGone) {
  FakeClock clock;
  FakeApiClient api(&clock);
  EventRecorder rec(&api, "kubelet", "node-1", WithClock(&clock));
  rec.Event(MakePod(), "Normal", "Started", "Started container app");
  ASSERT_TRUE(rec.Flush());
  auto events = api.ListAs<api::Event>("events", "prod");
  ASSERT_EQ(events->size(), 1u);
  ASSERT_TRUE(api.Delete("events", "prod", (*events)[0].metadata().name()).ok());
  clock.Advance(absl::Seconds(1));
  rec.Event(MakePod(), "Normal", "Started", "Started container app");
  ASSERT_TRUE(rec.Flush());
  EXPECT_EQ(api.ListAs<api::Event>("events", "prod")->size(), 1u);
}

TEST(EventRecorderTest, ClusterScopedObjectsGoToDefault) {
  FakeApiClient api;
  EventRecorder rec(&api, "kubelet", "node-1");
  api::Node n;  // no kind set: taken from the message type
  n.mutable_metadata()->set_name("node-1");
  rec.Event(n, "Normal", "NodeReady", "Node node-1 status is now: NodeReady");
  ASSERT_TRUE(rec.Flush());
  auto events = api.ListAs<api::Event>("events", "default");
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].involved_object().kind(), "Node");
  EXPECT_EQ((*events)[0].involved_object().api_version(), "v1");
}

TEST(EventRecorderTest, NeverBlocksAndDropsBeyondTheBound) {
  FakeApiClient api;
  api.InjectError("create", "events", absl::UnavailableError("down"), 1000000);
  EventRecorderOptions o;
  o.max_queued = 10;
  EventRecorder rec(&api, "kubelet", "node-1", o);
  absl::Time start = absl::Now();
  for (int i = 0; i < 1000; ++i) {
    rec.Event(MakePod(), "Normal", "Spam", absl::StrCat("message ", i));
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  ASSERT_TRUE(rec.Flush());
  EXPECT_GT(rec.dropped(), 0);
  rec.Shutdown();
  rec.Event(MakePod(), "Normal", "Late", "after shutdown");  // dropped, no crash
}

}  // namespace
}  // namespace mk
