#include "apiserver/watch_limiter.h"

#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

TEST(WatchLimiterTest, CapsPerKeyAndReleasesOnSlotDestruction) {
  WatchLimiter limiter(2);
  auto a1 = limiter.TryAcquire("ip:10.0.0.1");
  auto a2 = limiter.TryAcquire("ip:10.0.0.1");
  ASSERT_NE(a1, nullptr);
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(limiter.TryAcquire("ip:10.0.0.1"), nullptr);
  EXPECT_NE(limiter.TryAcquire("ip:10.0.0.2"), nullptr);  // another client's own budget
  EXPECT_EQ(limiter.InUse("ip:10.0.0.1"), 2);
  a1.reset();
  EXPECT_EQ(limiter.InUse("ip:10.0.0.1"), 1);
  EXPECT_NE(limiter.TryAcquire("ip:10.0.0.1"), nullptr);
  EXPECT_EQ(limiter.InUse("ip:10.0.0.1"), 1);  // that slot was released at once
}

TEST(WatchLimiterTest, ZeroMeansUnlimited) {
  WatchLimiter limiter(0);
  std::vector<std::unique_ptr<WatchLimiter::Slot>> slots;
  for (int i = 0; i < 1000; ++i) slots.push_back(limiter.TryAcquire("k"));
  EXPECT_NE(slots.back(), nullptr);
  EXPECT_EQ(limiter.InUse("k"), 1000);
}

TEST(WatchLimiterTest, ClientKeyIsTheUserWhenKnownElseThePeerIp) {
  EXPECT_EQ(ClientKey("", "127.0.0.1"), "ip:127.0.0.1");
  EXPECT_EQ(ClientKey("system:anonymous", "127.0.0.1"), "ip:127.0.0.1");
  EXPECT_EQ(ClientKey("system:node:n1", "127.0.0.1"), "user:system:node:n1");
  EXPECT_EQ(PeerIpFromGrpcPeer("ipv4:127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(PeerIpFromGrpcPeer("ipv6:[::1]:5555"), "::1");
  EXPECT_EQ(PeerIpFromGrpcPeer("unix:/tmp/s"), "unix:/tmp/s");
}

}  // namespace
}  // namespace mk::apiserver
