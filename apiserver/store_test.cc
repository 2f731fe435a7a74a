// One suite for every Store implementation (MemoryStore, RocksDbStore), plus
// RocksDbStore-only tests of what survives a reopen.

#include "apiserver/store.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "apiserver/memory_store.h"
#include "apiserver/rocksdb_store.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

using Result = StoreWatch::Result;

std::string MakeTempDir() {
  std::string tmpl = absl::StrCat(::testing::TempDir(), "/store_test.XXXXXX");
  char* d = mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

// Owns a store of one kind and whatever it needs (a temp dir).
class StoreHolder {
 public:
  virtual ~StoreHolder() = default;
  virtual Store* Make(size_t max_history_events) = 0;
};

class MemoryHolder : public StoreHolder {
 public:
  Store* Make(size_t max_history_events) override {
    MemoryStore::Options o;
    o.max_history_events = max_history_events;
    store_ = std::make_unique<MemoryStore>(o);
    return store_.get();
  }

 private:
  std::unique_ptr<MemoryStore> store_;
};

class RocksHolder : public StoreHolder {
 public:
  ~RocksHolder() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  Store* Make(size_t max_history_events) override {
    dir_ = MakeTempDir();
    RocksDbStore::Options o;
    o.max_history_events = max_history_events;
    auto s = RocksDbStore::Open(dir_, o);
    EXPECT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    return store_.get();
  }

 private:
  std::string dir_;
  std::unique_ptr<RocksDbStore> store_;
};

template <typename H>
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = holder_->Make(100000); }
  // Replaces the store with a fresh one keeping at most `n` events.
  void Remake(size_t n) {
    holder_ = std::make_unique<H>();
    store_ = holder_->Make(n);
  }

  std::unique_ptr<H> holder_ = std::make_unique<H>();
  Store* store_ = nullptr;
};

using Implementations = ::testing::Types<MemoryHolder, RocksHolder>;
class Names {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryHolder> ? "Memory" : "RocksDb";
  }
};
TYPED_TEST_SUITE(StoreTest, Implementations, Names);

// Reads events until `n` arrived or `timeout` passed without one.
std::vector<StoreEvent> Drain(StoreWatch* w, size_t n, absl::Duration timeout = absl::Seconds(10)) {
  std::vector<StoreEvent> out;
  StoreEvent ev;
  while (out.size() < n && w->Next(timeout, &ev) == Result::kEvent) out.push_back(ev);
  return out;
}

TYPED_TEST(StoreTest, CreateGetUpdateDelete) {
  Store* s = this->store_;
  EXPECT_EQ(s->CurrentRevision(), 0);
  auto r1 = s->Create("/registry/pods/default/a", "v1");
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_EQ(*r1, 1);
  auto kv = s->Get("/registry/pods/default/a");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->key, "/registry/pods/default/a");
  EXPECT_EQ(kv->value, "v1");
  EXPECT_EQ(kv->create_revision, 1);
  EXPECT_EQ(kv->mod_revision, 1);

  auto r2 = s->Update("/registry/pods/default/a", "v2", 1);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_EQ(*r2, 2);
  kv = s->Get("/registry/pods/default/a");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "v2");
  EXPECT_EQ(kv->create_revision, 1);
  EXPECT_EQ(kv->mod_revision, 2);

  auto r3 = s->Update("/registry/pods/default/a", "v3", 0);  // unconditional
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(*r3, 3);

  auto r4 = s->Delete("/registry/pods/default/a", 3);
  ASSERT_TRUE(r4.ok()) << r4.status();
  EXPECT_EQ(*r4, 4);
  EXPECT_TRUE(absl::IsNotFound(s->Get("/registry/pods/default/a").status()));
  EXPECT_EQ(s->CurrentRevision(), 4);

  // Re-creating a deleted key starts a new life.
  auto r5 = s->Create("/registry/pods/default/a", "again");
  ASSERT_TRUE(r5.ok());
  kv = s->Get("/registry/pods/default/a");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->create_revision, 5);
  EXPECT_EQ(kv->value, "again");

  // Empty values are values.
  ASSERT_TRUE(s->Create("/registry/empty", "").ok());
  kv = s->Get("/registry/empty");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "");
}

TYPED_TEST(StoreTest, PreconditionErrorsChangeNothing) {
  Store* s = this->store_;
  ASSERT_TRUE(s->Create("/k/a", "v1").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(s->Create("/k/a", "x").status()));
  EXPECT_TRUE(absl::IsNotFound(s->Update("/k/missing", "x", 0).status()));
  EXPECT_TRUE(absl::IsNotFound(s->Delete("/k/missing", 0).status()));
  EXPECT_TRUE(absl::IsAborted(s->Update("/k/a", "x", 7).status()));
  EXPECT_TRUE(absl::IsAborted(s->Delete("/k/a", 7).status()));
  EXPECT_EQ(s->CurrentRevision(), 1);
  auto kv = s->Get("/k/a");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "v1");
  // A stale revision after a successful update.
  ASSERT_TRUE(s->Update("/k/a", "v2", 1).ok());
  EXPECT_TRUE(absl::IsAborted(s->Update("/k/a", "v3", 1).status()));
  EXPECT_EQ(s->CurrentRevision(), 2);
  auto w = s->Watch("/k/", 0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Drain(w->get(), 3, absl::Milliseconds(50)).size(), 2u);  // failures left no event
}

TYPED_TEST(StoreTest, ListPrefixInKeyOrderAtOneRevision) {
  Store* s = this->store_;
  ASSERT_TRUE(s->Create("/registry/pods/ns2/b", "b").ok());
  ASSERT_TRUE(s->Create("/registry/pods/ns1/z", "z").ok());
  ASSERT_TRUE(s->Create("/registry/podsx/ns1/q", "q").ok());
  ASSERT_TRUE(s->Create("/registry/pods/ns1/a", "a").ok());
  ASSERT_TRUE(s->Create("/registry/nodes/n1", "n").ok());
  ASSERT_TRUE(s->Delete("/registry/pods/ns1/z", 0).ok());
  int64_t rev = -1;
  std::vector<KeyValue> kvs = s->List("/registry/pods/", &rev);
  EXPECT_EQ(rev, 6);
  ASSERT_EQ(kvs.size(), 2u);
  EXPECT_EQ(kvs[0].key, "/registry/pods/ns1/a");
  EXPECT_EQ(kvs[0].mod_revision, 4);
  EXPECT_EQ(kvs[1].key, "/registry/pods/ns2/b");
  EXPECT_EQ(kvs[1].value, "b");
  EXPECT_EQ(s->List("/registry/pods/ns1/", nullptr).size(), 1u);
  EXPECT_EQ(s->List("/registry/", &rev).size(), 4u);
  EXPECT_TRUE(s->List("/nothing/", &rev).empty());
  EXPECT_EQ(rev, 6);
}

TYPED_TEST(StoreTest, WatchFromRevisionGetsExactlyTheLaterEventsInOrder) {
  Store* s = this->store_;
  ASSERT_TRUE(s->Create("/registry/pods/a", "a1").ok());     // 1
  ASSERT_TRUE(s->Create("/registry/nodes/n", "n1").ok());    // 2 (other prefix)
  ASSERT_TRUE(s->Update("/registry/pods/a", "a2", 1).ok());  // 3
  ASSERT_TRUE(s->Create("/registry/pods/b", "b1").ok());     // 4
  ASSERT_TRUE(s->Delete("/registry/pods/a", 3).ok());        // 5
  auto w = s->Watch("/registry/pods/", 2);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<StoreEvent> evs = Drain(w->get(), 3);
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0].type, StoreEvent::kUpdated);
  EXPECT_EQ(evs[0].revision, 3);
  EXPECT_EQ(evs[0].value, "a2");
  EXPECT_EQ(evs[0].prev_value, "a1");
  EXPECT_EQ(evs[1].type, StoreEvent::kCreated);
  EXPECT_EQ(evs[1].revision, 4);
  EXPECT_EQ(evs[1].key, "/registry/pods/b");
  EXPECT_EQ(evs[1].prev_value, "");
  EXPECT_EQ(evs[2].type, StoreEvent::kDeleted);
  EXPECT_EQ(evs[2].revision, 5);
  EXPECT_EQ(evs[2].value, "a2");  // the last value
  StoreEvent ev;
  EXPECT_EQ((*w)->Next(absl::Milliseconds(20), &ev), Result::kTimeout);
  EXPECT_EQ((*w)->Progress(), 5);

  // Live events follow, other prefixes are skipped, and Progress moves past them.
  ASSERT_TRUE(s->Create("/registry/nodes/m", "m").ok());  // 6
  EXPECT_EQ((*w)->Next(absl::Milliseconds(50), &ev), Result::kTimeout);
  EXPECT_EQ((*w)->Progress(), 6);
  std::thread writer([s] {
    absl::SleepFor(absl::Milliseconds(30));
    ASSERT_TRUE(s->Update("/registry/pods/b", "b2", 4).ok());  // 7
  });
  ASSERT_EQ((*w)->Next(absl::Seconds(10), &ev), Result::kEvent);
  writer.join();
  EXPECT_EQ(ev.revision, 7);
  EXPECT_EQ(ev.value, "b2");
  EXPECT_EQ(ev.prev_value, "b1");
  EXPECT_EQ((*w)->Progress(), 7);
}

TYPED_TEST(StoreTest, WatchFromZeroReplaysAllFromCurrentOnlyNew) {
  Store* s = this->store_;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->Create(absl::StrCat("/k/", i), "v").ok());
  auto all = s->Watch("/k/", 0);
  ASSERT_TRUE(all.ok());
  auto now = s->Watch("/k/", s->CurrentRevision());
  ASSERT_TRUE(now.ok());
  std::vector<StoreEvent> evs = Drain(all->get(), 5);
  ASSERT_EQ(evs.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(evs[i].revision, i + 1);
  StoreEvent ev;
  EXPECT_EQ((*now)->Next(absl::Milliseconds(20), &ev), Result::kTimeout);
  EXPECT_EQ((*now)->Progress(), 5);
  ASSERT_TRUE(s->Create("/k/new", "v").ok());
  ASSERT_EQ((*now)->Next(absl::Seconds(5), &ev), Result::kEvent);
  EXPECT_EQ(ev.revision, 6);
  EXPECT_EQ(ev.key, "/k/new");
  ASSERT_EQ((*all)->Next(absl::Seconds(5), &ev), Result::kEvent);
  EXPECT_EQ(ev.revision, 6);

  // A watch from a future revision waits for it.
  auto future = s->Watch("/k/", 7);
  ASSERT_TRUE(future.ok());
  ASSERT_TRUE(s->Create("/k/seven", "v").ok());
  ASSERT_TRUE(s->Create("/k/eight", "v").ok());
  ASSERT_EQ((*future)->Next(absl::Seconds(5), &ev), Result::kEvent);
  EXPECT_EQ(ev.revision, 8);
}

TYPED_TEST(StoreTest, CompactedRevisionIsOutOfRange) {
  this->Remake(10);
  Store* s = this->store_;
  EXPECT_EQ(s->CompactedRevision(), 1);
  ASSERT_TRUE(s->Watch("/", 0).ok());
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(s->Create(absl::StrCat("/k/", i), "v").ok());
  // Revisions 16..25 are kept.
  EXPECT_EQ(s->CompactedRevision(), 16);
  EXPECT_TRUE(absl::IsOutOfRange(s->Watch("/k/", 0).status()));
  EXPECT_TRUE(absl::IsOutOfRange(s->Watch("/k/", 14).status()));
  auto w = s->Watch("/k/", 15);
  ASSERT_TRUE(w.ok()) << w.status();
  std::vector<StoreEvent> evs = Drain(w->get(), 10);
  ASSERT_EQ(evs.size(), 10u);
  EXPECT_EQ(evs.front().revision, 16);
  EXPECT_EQ(evs.back().revision, 25);
  // Objects are never compacted, only history.
  EXPECT_EQ(s->List("/k/", nullptr).size(), 25u);
}

TYPED_TEST(StoreTest, WatcherThatFallsBehindTheHistoryIsClosed) {
  this->Remake(10);
  Store* s = this->store_;
  auto w = s->Watch("/k/", 0);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(s->Create(absl::StrCat("/k/", i), "v").ok());
  StoreEvent ev;
  EXPECT_EQ((*w)->Next(absl::Seconds(1), &ev), Result::kClosed);
  EXPECT_EQ((*w)->Next(absl::Seconds(1), &ev), Result::kClosed);
}

TYPED_TEST(StoreTest, WatchersOutliveTheStoreAndAreClosed) {
  Store* s = this->store_;
  ASSERT_TRUE(s->Create("/k/a", "v").ok());
  auto w = s->Watch("/k/", 1);
  ASSERT_TRUE(w.ok());
  std::unique_ptr<StoreWatch> watch = std::move(*w);
  std::thread reader([&] {
    StoreEvent ev;
    EXPECT_EQ(watch->Next(absl::Seconds(30), &ev), Result::kClosed);
  });
  absl::SleepFor(absl::Milliseconds(50));
  this->holder_.reset();  // destroys the store
  reader.join();
  StoreEvent ev;
  EXPECT_EQ(watch->Next(absl::Milliseconds(1), &ev), Result::kClosed);
}

TYPED_TEST(StoreTest, ConcurrentWritersGetUniqueIncreasingRevisionsAndOneOrderedStream) {
  Store* s = this->store_;
  constexpr int kThreads = 16;
  constexpr int kPerThread = 150;  // create + update + (every third) delete each
  auto w = s->Watch("/c/", 0);
  ASSERT_TRUE(w.ok());
  std::vector<StoreEvent> seen;
  std::atomic<bool> writers_done{false};
  std::thread reader([&] {
    StoreEvent ev;
    while (true) {
      Result r = (*w)->Next(absl::Milliseconds(200), &ev);
      if (r == Result::kEvent) {
        seen.push_back(ev);
      } else if (r == Result::kClosed || writers_done) {
        if (r == Result::kTimeout) break;  // drained
        ADD_FAILURE() << "watch closed";
        break;
      }
    }
  });
  std::vector<std::vector<int64_t>> revs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([s, t, &revs] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = absl::StrCat("/c/", t, "/", i);
        auto c = s->Create(key, absl::StrCat("v", i));
        ASSERT_TRUE(c.ok()) << c.status();
        revs[t].push_back(*c);
        auto u = s->Update(key, "u", *c);
        ASSERT_TRUE(u.ok()) << u.status();
        revs[t].push_back(*u);
        if (i % 3 == 0) {
          auto d = s->Delete(key, *u);
          ASSERT_TRUE(d.ok()) << d.status();
          revs[t].push_back(*d);
        } else {
          EXPECT_TRUE(absl::IsAlreadyExists(s->Create(key, "dup").status()));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  writers_done = true;
  reader.join();

  std::set<int64_t> all;
  for (const auto& r : revs) {
    for (size_t i = 1; i < r.size(); ++i) EXPECT_LT(r[i - 1], r[i]);
    all.insert(r.begin(), r.end());
  }
  const size_t total = kThreads * (kPerThread * 2 + (kPerThread + 2) / 3);
  EXPECT_EQ(all.size(), total);
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), static_cast<int64_t>(total));
  EXPECT_EQ(s->CurrentRevision(), static_cast<int64_t>(total));
  ASSERT_EQ(seen.size(), total);
  for (size_t i = 0; i < seen.size(); ++i) ASSERT_EQ(seen[i].revision, static_cast<int64_t>(i + 1));
  // Final state matches the events.
  EXPECT_EQ(s->List("/c/", nullptr).size(), static_cast<size_t>(kThreads * (kPerThread - 50)));
}

// Read-modify-write loops (what the registry's GuaranteedUpdate does) on one hot key: each
// base comes from GetForUpdate, so a write queued but not yet durable is not a conflict to
// retry in a tight loop until it commits. Every increment lands within a few attempts.
TYPED_TEST(StoreTest, ReadModifyWriteOnAHotKeySeesQueuedWrites) {
  Store* s = this->store_;
  ASSERT_TRUE(s->Create("/hot", "0").ok());
  constexpr int kThreads = 8, kPerThread = 40, kMaxAttempts = 16;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        bool done = false;
        for (int a = 0; a < kMaxAttempts && !done; ++a) {
          absl::StatusOr<KeyValue> kv = s->GetForUpdate("/hot");
          ASSERT_TRUE(kv.ok()) << kv.status();
          int n = 0;
          ASSERT_TRUE(absl::SimpleAtoi(kv->value, &n));
          absl::StatusOr<int64_t> r = s->Update("/hot", absl::StrCat(n + 1), kv->mod_revision);
          if (r.ok())
            done = true;
          else
            ASSERT_TRUE(absl::IsAborted(r.status())) << r.status();
        }
        if (!done) failed++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  absl::StatusOr<KeyValue> kv = s->Get("/hot");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, absl::StrCat(kThreads * kPerThread - failed.load()));
}

// ---- RocksDbStore only: what survives a reopen ----

class RocksDbStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = MakeTempDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<RocksDbStore> Open(RocksDbStore::Options o = {}) {
    auto s = RocksDbStore::Open(dir_, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string dir_;
};

TEST_F(RocksDbStoreTest, ReopenKeepsObjectsRevisionsAndHistory) {
  {
    auto s = Open();
    ASSERT_TRUE(s->Create("/k/a", "a1").ok());     // 1
    ASSERT_TRUE(s->Create("/k/b", "b1").ok());     // 2
    ASSERT_TRUE(s->Update("/k/a", "a2", 1).ok());  // 3
    ASSERT_TRUE(s->Delete("/k/b", 2).ok());        // 4
  }
  auto s = Open();
  EXPECT_EQ(s->CurrentRevision(), 4);
  auto kv = s->Get("/k/a");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->value, "a2");
  EXPECT_EQ(kv->create_revision, 1);
  EXPECT_EQ(kv->mod_revision, 3);
  EXPECT_TRUE(absl::IsNotFound(s->Get("/k/b").status()));
  EXPECT_TRUE(absl::IsAborted(s->Update("/k/a", "x", 1).status()));
  auto w = s->Watch("/k/", 1);
  ASSERT_TRUE(w.ok());
  auto r = s->Create("/k/c", "c");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  std::vector<StoreEvent> evs = Drain(w->get(), 4);
  ASSERT_EQ(evs.size(), 4u);
  EXPECT_EQ(evs[0].revision, 2);
  EXPECT_EQ(evs[1].prev_value, "a1");
  EXPECT_EQ(evs[2].type, StoreEvent::kDeleted);
  EXPECT_EQ(evs[2].value, "b1");
  EXPECT_EQ(evs[3].revision, 5);
}

TEST_F(RocksDbStoreTest, CompactionIsPersisted) {
  RocksDbStore::Options o;
  o.max_history_events = 32;
  {
    auto s = Open(o);
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(s->Create(absl::StrCat("/k/", i), "v").ok());
    EXPECT_EQ(s->CompactedRevision(), 169);
  }
  auto s = Open(o);
  EXPECT_EQ(s->CurrentRevision(), 200);
  EXPECT_EQ(s->CompactedRevision(), 169);
  EXPECT_TRUE(absl::IsOutOfRange(s->Watch("/k/", 167).status()));
  auto w = s->Watch("/k/", 168);
  ASSERT_TRUE(w.ok());
  std::vector<StoreEvent> evs = Drain(w->get(), 32);
  ASSERT_EQ(evs.size(), 32u);
  EXPECT_EQ(evs.front().revision, 169);
  EXPECT_EQ(evs.back().revision, 200);
  // With a larger bound after the restart, events already deleted on disk stay gone but
  // nothing is invented.
  s.reset();
  o.max_history_events = 1000;
  s = Open(o);
  EXPECT_GE(s->CompactedRevision(), 1);
  EXPECT_LE(s->CompactedRevision(), 169);
  w = s->Watch("/k/", s->CompactedRevision() - 1);
  ASSERT_TRUE(w.ok());
  evs = Drain(w->get(), 1000, absl::Milliseconds(100));
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.front().revision, s->CompactedRevision());
  EXPECT_EQ(evs.back().revision, 200);
}

TEST_F(RocksDbStoreTest, OpenWithTenThousandObjectsIsFast) {
  {
    RocksDbStore::Options o;
    o.sync = false;  // setup speed only
    auto s = Open(o);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&s, t] {
        std::string value(600, 'x');
        for (int i = 0; i < 1250; ++i) {
          ASSERT_TRUE(s->Create(absl::StrCat("/registry/pods/ns", t, "/p", i), value).ok());
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  absl::Time t0 = absl::Now();
  auto s = Open();
  absl::Duration took = absl::Now() - t0;
  EXPECT_LT(took, absl::Seconds(1));
  std::printf("open with 10000 objects: %s\n", absl::FormatDuration(took).c_str());
  EXPECT_EQ(s->CurrentRevision(), 10000);
  EXPECT_EQ(s->List("/registry/pods/", nullptr).size(), 10000u);
  auto w = s->Watch("/registry/", 0);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Drain(w->get(), 10000).size(), 10000u);
}

// Measures the raw synced-write rate: 1 writer vs 64 (group commit). Not a timed test; run
// with --gtest_also_run_disabled_tests --gtest_filter='*SyncedCreateRate*'.
TEST_F(RocksDbStoreTest, DISABLED_SyncedCreateRate) {
  auto s = Open();
  auto run = [&](int threads, absl::Duration dur) {
    std::atomic<int64_t> n{0};
    std::vector<std::thread> ts;
    absl::Time end = absl::Now() + dur;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        std::string value(500, 'v');
        for (int i = 0; absl::Now() < end; ++i) {
          if (s->Create(absl::StrCat("/bench/", threads, "/", t, "/", i), value).ok()) ++n;
        }
      });
    }
    for (auto& th : ts) th.join();
    return static_cast<double>(n) / absl::ToDoubleSeconds(dur);
  };
  RocksDbStore::Stats before = s->stats();
  double one = run(1, absl::Seconds(3));
  RocksDbStore::Stats mid = s->stats();
  double many = run(64, absl::Seconds(3));
  RocksDbStore::Stats after = s->stats();
  std::printf(
      "synced creates/s: 1 thread %.0f (%.2f writes/sync), 64 threads %.0f "
      "(%.1f writes/sync), ratio %.1fx\n",
      one, double(mid.writes - before.writes) / double(mid.syncs - before.syncs), many,
      double(after.writes - mid.writes) / double(after.syncs - mid.syncs), many / one);
}

}  // namespace
}  // namespace mk::apiserver
