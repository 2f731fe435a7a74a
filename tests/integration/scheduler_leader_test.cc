// mk-scheduler --leader-elect: the Lease kube-system/mk-scheduler is taken and pods are
// scheduled; a second copy waits and does not schedule while the first holds the lease.

#include "tests/integration/scheduler_harness.h"

namespace mk::testing {
namespace {

class SchedulerLeaderTest : public SchedulerTest {
 protected:
  SchedulerLeaderTest() { start_scheduler_ = false; }
};

TEST_F(SchedulerLeaderTest, LeaderSchedulesStandbyWaits) {
  StartScheduler({"--leader-elect"});
  StartScheduler({"--leader-elect"});  // a standby
  CreateNode(MakeNode("node-1", "2", "2Gi"));
  CreatePod(MakePod("web"));
  ASSERT_TRUE(WaitBound("web", 20));
  auto lease = client_->GetAs<api::Lease>("leases", "kube-system", "mk-scheduler");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_FALSE(lease->spec().holder_identity().empty());
  // Exactly one binding happened (the standby never scheduled).
  EXPECT_EQ(Events("web", "Scheduled").size(), 1u);
}

}  // namespace
}  // namespace mk::testing
