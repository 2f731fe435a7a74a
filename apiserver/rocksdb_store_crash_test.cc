// Durability of RocksDbStore under kill -9: a child process writes from several threads and
// reports every acknowledged write over a pipe; the parent SIGKILLs it mid-stream, reopens
// the store and checks that nothing acknowledged is lost and that the event history is
// complete, gap-free and consistent with the objects.
//
// The child is this binary re-executed (fork + exec, so it starts with a clean RocksDB
// environment) running only CrashChild.Writer, configured through environment variables.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "apiserver/rocksdb_store.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

constexpr char kDirEnv[] = "MK_CRASH_CHILD_DIR";
constexpr char kFdEnv[] = "MK_CRASH_CHILD_FD";
constexpr char kRoundEnv[] = "MK_CRASH_CHILD_ROUND";
constexpr int kChildThreads = 8;

// Child side: writes until killed. Each thread creates its own keys and updates the previous
// one; every acknowledged write is reported as one line "key rev" (a single write(2) of less
// than PIPE_BUF bytes, so lines never interleave or tear).
TEST(CrashChild, Writer) {
  const char* dir = getenv(kDirEnv);
  const char* fd_s = getenv(kFdEnv);
  const char* round = getenv(kRoundEnv);
  if (dir == nullptr || fd_s == nullptr || round == nullptr) GTEST_SKIP() << "parent only";
  int fd = atoi(fd_s);
  auto store = RocksDbStore::Open(dir);
  if (!store.ok()) {
    fprintf(stderr, "child: %s\n", store.status().ToString().c_str());
    _exit(3);
  }
  auto report = [fd](const std::string& key, int64_t rev) {
    std::string line = absl::StrCat(key, " ", rev, "\n");
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(4);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      int64_t prev_rev = 0;
      std::string prev_key;
      for (int i = 0;; ++i) {
        std::string key = absl::StrCat("/crash/", round, "/", t, "/", i);
        auto c = (*store)->Create(key, absl::StrCat("c", i));
        if (!c.ok()) _exit(5);
        report(key, *c);
        if (!prev_key.empty()) {
          auto u = (*store)->Update(prev_key, absl::StrCat("u", i), prev_rev);
          if (!u.ok()) _exit(6);
          report(prev_key, *u);
        }
        prev_key = key;
        prev_rev = *c;
      }
    });
  }
  for (auto& th : threads) th.join();  // never: the parent kills us
}

class RocksDbStoreCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = absl::StrCat(::testing::TempDir(), "/crash_test.XXXXXX");
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs a writer child for `run_for`, SIGKILLs it, returns its acknowledged (key, rev)s.
  std::vector<std::pair<std::string, int64_t>> RunAndKill(int round, absl::Duration run_for) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    std::string exe = std::filesystem::read_symlink("/proc/self/exe");
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, STDOUT_FILENO);  // keep the child's gtest chatter out
      setenv(kDirEnv, dir_.c_str(), 1);
      setenv(kFdEnv, absl::StrCat(fds[1]).c_str(), 1);
      setenv(kRoundEnv, absl::StrCat(round).c_str(), 1);
      execl(exe.c_str(), exe.c_str(), "--gtest_filter=CrashChild.Writer", nullptr);
      _exit(127);
    }
    close(fds[1]);
    std::string data;
    char buf[65536];
    absl::Time kill_at = absl::Now() + run_for;
    bool killed = false;
    while (true) {
      if (!killed && absl::Now() >= kill_at) {
        kill(pid, SIGKILL);
        killed = true;
      }
      pollfd p{fds[0], POLLIN, 0};
      int wait_ms = killed ? 1000 : 10;
      if (poll(&p, 1, wait_ms) <= 0) {
        if (killed) break;
        continue;
      }
      ssize_t n = read(fds[0], buf, sizeof(buf));
      if (n <= 0) break;  // EOF: the child is gone
      data.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended on its own, status " << status;
    std::vector<std::pair<std::string, int64_t>> acks;
    for (absl::string_view line : absl::StrSplit(data, '\n', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, ' ');
      int64_t rev = 0;
      EXPECT_TRUE(absl::SimpleAtoi(kv.second, &rev)) << line;
      acks.emplace_back(std::string(kv.first), rev);
    }
    return acks;
  }

  // Checks the reopened store against the acknowledged writes and its own history.
  void Verify(RocksDbStore* s, const std::vector<std::pair<std::string, int64_t>>& acks) {
    std::map<std::string, int64_t> last_ack;  // key → newest acknowledged revision
    int64_t max_ack = 0;
    for (const auto& [key, rev] : acks) {
      int64_t& r = last_ack[key];
      r = std::max(r, rev);
      max_ack = std::max(max_ack, rev);
    }
    const int64_t current = s->CurrentRevision();
    EXPECT_GE(current, max_ack);
    for (const auto& [key, rev] : last_ack) {
      auto kv = s->Get(key);
      ASSERT_TRUE(kv.ok()) << "acknowledged write lost: " << key << " @" << rev;
      // A later write may have reached disk without being acknowledged, never an older one.
      EXPECT_GE(kv->mod_revision, rev) << key;
    }
    // Replaying the full history gives exactly the stored objects, without gaps.
    ASSERT_EQ(s->CompactedRevision(), 1);
    auto w = s->Watch("/crash/", 0);
    ASSERT_TRUE(w.ok()) << w.status();
    std::map<std::string, KeyValue> replay;
    std::set<std::pair<std::string, int64_t>> events;
    int64_t expect = 1;
    StoreEvent ev;
    while (expect <= current) {
      ASSERT_EQ((*w)->Next(absl::Seconds(5), &ev), StoreWatch::Result::kEvent) << expect;
      ASSERT_EQ(ev.revision, expect);
      ++expect;
      events.emplace(ev.key, ev.revision);
      if (ev.type == StoreEvent::kCreated) {
        ASSERT_EQ(replay.count(ev.key), 0u);
        replay[ev.key] = KeyValue{ev.key, ev.value, ev.revision, ev.revision};
      } else {
        ASSERT_EQ(replay.count(ev.key), 1u);
        ASSERT_EQ(replay[ev.key].value, ev.prev_value);
        replay[ev.key].value = ev.value;
        replay[ev.key].mod_revision = ev.revision;
      }
    }
    EXPECT_EQ((*w)->Next(absl::Milliseconds(10), &ev), StoreWatch::Result::kTimeout);
    for (const auto& a : acks) EXPECT_EQ(events.count(a), 1u) << a.first << " @" << a.second;
    int64_t list_rev = 0;
    std::vector<KeyValue> listed = s->List("/crash/", &list_rev);
    EXPECT_EQ(list_rev, current);
    ASSERT_EQ(listed.size(), replay.size());
    for (const KeyValue& kv : listed) {
      const KeyValue& r = replay[kv.key];
      EXPECT_EQ(kv.value, r.value) << kv.key;
      EXPECT_EQ(kv.create_revision, r.create_revision) << kv.key;
      EXPECT_EQ(kv.mod_revision, r.mod_revision) << kv.key;
    }
  }

  std::string dir_;
};

TEST_F(RocksDbStoreCrashTest, AcknowledgedWritesSurviveKillNine) {
  int64_t before_crash = 0;  // a revision a client saw before the second crash
  int64_t last_current = 0;
  for (int round = 1; round <= 3; ++round) {
    std::vector<std::pair<std::string, int64_t>> acks = RunAndKill(round, absl::Milliseconds(1000));
    ASSERT_GT(acks.size(), 10u) << "child made no progress in round " << round;
    auto s = RocksDbStore::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    std::printf("round %d: %zu acknowledged writes, revision %ld\n", round, acks.size(),
                static_cast<long>((*s)->CurrentRevision()));
    // The revision counter never goes back across restarts.
    EXPECT_GT((*s)->CurrentRevision(), last_current);
    for (const auto& a : acks) EXPECT_GT(a.second, last_current) << "revision reused";
    last_current = (*s)->CurrentRevision();
    ASSERT_NO_FATAL_FAILURE(Verify(s->get(), acks));

    if (before_crash > 0) {
      // A watch resumed from a revision seen before an earlier crash gets every later event.
      auto w = (*s)->Watch("/crash/", before_crash);
      ASSERT_TRUE(w.ok()) << w.status();
      StoreEvent ev;
      for (int64_t r = before_crash + 1; r <= last_current; ++r) {
        ASSERT_EQ((*w)->Next(absl::Seconds(5), &ev), StoreWatch::Result::kEvent);
        ASSERT_EQ(ev.revision, r);
      }
      // ... and then live ones, continuing the counter.
      auto c = (*s)->Create(absl::StrCat("/crash/live/", round), "v");
      ASSERT_TRUE(c.ok());
      EXPECT_EQ(*c, last_current + 1);
      ASSERT_EQ((*w)->Next(absl::Seconds(5), &ev), StoreWatch::Result::kEvent);
      EXPECT_EQ(ev.revision, last_current + 1);
      last_current = *c;
    }
    before_crash = acks[acks.size() / 2].second;
  }
}

}  // namespace
}  // namespace mk::apiserver
