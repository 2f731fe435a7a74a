#include "apiserver/watch_decode_cache.h"

#include "api.pb.h"
#include "common/object.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

std::string PodBytes(const std::string& name, const std::string& app) {
  api::Pod pod;
  pod.mutable_metadata()->set_name(name);
  (*pod.mutable_metadata()->mutable_labels())["app"] = app;
  return pod.SerializeAsString();
}

TEST(WatchDecodeCache, DecodesOnceAndSharesBetweenWatchers) {
  WatchDecodeCache cache;
  const ResourceInfo& pods = *FindResource("pods");
  StoreEvent ev;
  ev.type = StoreEvent::kUpdated;
  ev.revision = 7;
  ev.value = PodBytes("a", "new");
  ev.prev_value = PodBytes("a", "old");
  auto first = cache.Get(pods, ev);
  auto second = cache.Get(pods, ev);
  EXPECT_EQ(first.get(), second.get());
  const auto& cur = static_cast<const api::Pod&>(*first->current.object);
  const auto& prev = static_cast<const api::Pod&>(*first->previous.object);
  EXPECT_EQ(cur.metadata().labels().at("app"), "new");
  EXPECT_EQ(prev.metadata().labels().at("app"), "old");
  EXPECT_EQ(cur.metadata().resource_version(), "7");
  api::Pod reparsed;
  ASSERT_TRUE(reparsed.ParseFromString(*first->current.bytes));
  EXPECT_EQ(reparsed.metadata().resource_version(), "7");
}

TEST(WatchDecodeCache, CreatedHasNoPreviousDeletedHasNoCurrent) {
  WatchDecodeCache cache;
  const ResourceInfo& pods = *FindResource("pods");
  StoreEvent created;
  created.type = StoreEvent::kCreated;
  created.revision = 1;
  created.value = PodBytes("a", "x");
  auto c = cache.Get(pods, created);
  EXPECT_NE(c->current.object, nullptr);
  EXPECT_EQ(c->previous.object, nullptr);
  StoreEvent deleted;
  deleted.type = StoreEvent::kDeleted;
  deleted.revision = 2;
  deleted.value = PodBytes("a", "x");
  auto d = cache.Get(pods, deleted);
  EXPECT_EQ(d->current.object, nullptr);
  ASSERT_NE(d->previous.object, nullptr);
  EXPECT_EQ(Meta(*d->previous.object).resource_version(), "2");
}

TEST(WatchDecodeCache, EvictsOldestBeyondCapacity) {
  WatchDecodeCache cache(2);
  const ResourceInfo& pods = *FindResource("pods");
  StoreEvent ev;
  ev.type = StoreEvent::kCreated;
  ev.value = PodBytes("a", "x");
  ev.revision = 1;
  auto one = cache.Get(pods, ev);
  ev.revision = 2;
  cache.Get(pods, ev);
  ev.revision = 3;
  cache.Get(pods, ev);
  ev.revision = 1;
  EXPECT_NE(cache.Get(pods, ev).get(), one.get());  // decoded again: it was evicted
}

}  // namespace
}  // namespace mk::apiserver
