// mkctl against a real apiserver + controller-manager: get/describe rs, scale -f and
// --current-replicas, drain.

#include "tests/integration/controller_harness.h"

namespace mk::testing {
namespace {

constexpr char kRs[] = R"(apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: kuard
spec:
  replicas: 3
  selector:
    matchLabels:
      app: kuard
  template:
    metadata:
      labels:
        app: kuard
    spec:
      containers:
      - name: kuard
        image: registry.local/kuard:1
)";

class ControllerMkctlIT : public ControllerTest {
 protected:
  void SetUp() override {
    ControllerTest::SetUp();
    StartCm(0);
  }
};

TEST_F(ControllerMkctlIT, GetDescribeScale) {
  std::string file = dir_.path() + "/rs.yaml";
  WriteFile(file, kRs);
  CommandResult r = Kubectl({"apply", "-f", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string uid = GetRs("kuard").metadata().uid();
  ASSERT_TRUE(WaitFor([&] { return GetRs("kuard").status().replicas() == 3; }));
  r = Kubectl({"get", "rs"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("NAME    DESIRED   CURRENT   READY   AGE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kuard   3         3         0"), std::string::npos) << r.out;
  r = Kubectl({"get", "rs", "-o", "wide"});
  EXPECT_NE(r.out.find("CONTAINERS   IMAGES                   SELECTOR"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("registry.local/kuard:1   app=kuard"), std::string::npos) << r.out;
  ASSERT_TRUE(WaitFor([&] { return Events("kuard", "SuccessfulCreate").size() == 3; }));
  r = Kubectl({"describe", "rs", "kuard"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* want : {"Replicas:", "3 current / 3 desired", "Pods Status:", "Pod Template:",
                           "SuccessfulCreate", "Created pod: kuard-"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  // scale -f, and --current-replicas as a precondition.
  r = Kubectl({"scale", "--replicas=5", "-f", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 5; }));
  r = Kubectl({"scale", "--replicas=1", "--current-replicas=3", "rs/kuard"});
  EXPECT_NE(r.exit_code, 0);
  r = Kubectl({"scale", "--replicas=2", "--current-replicas=5", "rs/kuard"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 2 && Pods().size() == 2; }));
}

TEST_F(ControllerMkctlIT, DrainCordonsAndEvictsAndTheReplicaSetReplaces) {
  api::Node node;
  node.mutable_metadata()->set_name("n1");
  api::NodeCondition* c = node.mutable_status()->add_conditions();
  c->set_type("Ready");
  c->set_status("True");
  ASSERT_TRUE(client_->Create("nodes", "", node).ok());
  std::string uid = CreateRs(MakeReplicaSet("web", 2, "web"));
  ASSERT_TRUE(WaitFor([&] { return CountOwned(uid) == 2; }));
  for (const api::Pod& p : OwnedPods(uid)) {
    ASSERT_TRUE(client_->Bind("default", p.metadata().name(), "n1").ok());
  }
  api::Pod bare;
  bare.mutable_metadata()->set_name("bare");
  bare.mutable_spec()->add_containers()->set_name("c");
  bare.mutable_spec()->mutable_containers(0)->set_image("nginx");
  bare.mutable_spec()->set_node_name("n1");
  ASSERT_TRUE(client_->Create("pods", "default", bare).ok());

  CommandResult r = Kubectl({"drain", "n1", "--grace-period=0"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot delete Pods that declare no controller"), std::string::npos)
      << r.err;
  EXPECT_NE(r.out.find("node/n1 cordoned"), std::string::npos) << r.out;
  r = Kubectl({"drain", "n1", "--grace-period=0", "--force", "--timeout=20s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("node/n1 already cordoned"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("evicting pod default/bare"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("node/n1 drained"), std::string::npos) << r.out;
  EXPECT_TRUE(client_->GetAs<api::Node>("nodes", "", "n1")->spec().unschedulable());
  ASSERT_TRUE(WaitFor([&] {
    auto owned = OwnedPods(uid);
    if (owned.size() != 2) return false;
    for (const auto& p : owned) {
      if (!p.spec().node_name().empty()) return false;
    }
    return true;
  }));
  r = Kubectl({"uncordon", "n1"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(client_->GetAs<api::Node>("nodes", "", "n1")->spec().unschedulable());
}

}  // namespace
}  // namespace mk::testing
