#include "kubectl/merge_patch.h"

#include "gtest/gtest.h"

namespace mk::kubectl {
namespace {

TEST(MergePatchTest, CreateAndApply) {
  Json a = Json::parse(R"({"a":1,"b":{"c":2,"d":3},"l":[1,2]})");
  Json b = Json::parse(R"({"a":1,"b":{"c":5},"l":[1,2,3],"n":"x"})");
  Json p = CreateMergePatch(a, b);
  EXPECT_EQ(p, Json::parse(R"({"b":{"d":null,"c":5},"l":[1,2,3],"n":"x"})"));
  EXPECT_EQ(ApplyMergePatch(a, p), b);
  EXPECT_EQ(CreateMergePatch(a, a), Json::object());
}

const Json kApplied = Json::parse(R"({"apiVersion":"v1","kind":"Pod",
  "metadata":{"name":"p","labels":{"app":"x","env":"stage"}},
  "spec":{"containers":[{"name":"c","image":"nginx:1","ports":[{"containerPort":80}]}]}})");

// The live object: the applied config plus server defaults and status.
Json Live() {
  Json live = kApplied;
  live["metadata"]["uid"] = "u";
  live["metadata"]["resourceVersion"] = "7";
  live["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
  live["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP";
  live["spec"]["restartPolicy"] = "Always";
  live["status"] = {{"phase", "Running"}};
  return live;
}

TEST(ThreeWayTest, UnchangedDespiteServerDefaults) {
  EXPECT_EQ(ThreeWayMergePatch(kApplied, kApplied, Live()), Json::object());
}

TEST(ThreeWayTest, ChangesAndDeletions) {
  Json modified = kApplied;
  modified["spec"]["containers"][0]["image"] = "nginx:2";
  modified["metadata"]["labels"].erase("env");
  Json patch = ThreeWayMergePatch(kApplied, modified, Live());
  EXPECT_TRUE(patch["metadata"]["labels"]["env"].is_null()) << patch.dump();
  EXPECT_EQ(patch["spec"]["containers"], modified["spec"]["containers"]);
  EXPECT_FALSE(patch.contains("status"));
  EXPECT_FALSE(patch["metadata"].contains("uid"));
}

TEST(ThreeWayTest, FieldsSetByOthersAreKept) {
  Json live = Live();
  live["metadata"]["labels"]["added-by-label"] = "yes";
  Json patch = ThreeWayMergePatch(kApplied, kApplied, live);
  EXPECT_EQ(patch, Json::object());
}

TEST(ThreeWayTest, RemovedListElementFieldReplacesList) {
  Json modified = kApplied;
  modified["spec"]["containers"][0].erase("ports");
  Json patch = ThreeWayMergePatch(kApplied, modified, Live());
  EXPECT_EQ(patch["spec"]["containers"], modified["spec"]["containers"]) << patch.dump();
}

TEST(ThreeWayTest, NoLastAppliedOnlyAdds) {
  Json modified = kApplied;
  modified["metadata"]["labels"]["new"] = "1";
  Json patch = ThreeWayMergePatch(Json::object(), modified, Live());
  EXPECT_EQ(patch, Json::parse(R"({"metadata":{"labels":{"new":"1"}}})"));
}

}  // namespace
}  // namespace mk::kubectl
