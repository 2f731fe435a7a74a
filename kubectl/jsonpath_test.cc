#include "kubectl/jsonpath.h"

#include "gtest/gtest.h"

namespace mk::kubectl {
namespace {

const Json kList = Json::parse(R"({"kind":"List","items":[
  {"metadata":{"name":"a","labels":{"app.kubernetes.io/name":"x"}},
   "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]},
   "spec":{"replicas":3}},
  {"metadata":{"name":"b"},"status":{"phase":"Pending",
   "conditions":[{"type":"Ready","status":"False"}]}}]})");

std::string Jp(const std::string& t, const Json& j = kList) {
  auto r = ExecuteJsonPath(t, j);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : "";
}

TEST(JsonPathTest, Basics) {
  EXPECT_EQ(Jp("{.kind}"), "List");
  EXPECT_EQ(Jp("{.items[*].metadata.name}"), "a b");
  EXPECT_EQ(Jp("{.items[0].status.phase}"), "Running");
  EXPECT_EQ(Jp("{.items[-1].metadata.name}"), "b");
  EXPECT_EQ(Jp("{.items[0:1].metadata.name}"), "a");
  EXPECT_EQ(Jp("{.items[0].spec.replicas}"), "3");
  EXPECT_EQ(Jp("name={.items[1].metadata.name}!"), "name=b!");
  EXPECT_EQ(Jp("{.items[0].missing}"), "");
  EXPECT_EQ(Jp("{$.kind}"), "List");
  EXPECT_EQ(Jp("{..name}"), "a b");
  EXPECT_EQ(Jp("{.items[0].metadata.labels['app.kubernetes.io/name']}"), "x");
  EXPECT_EQ(Jp("{.items[0].metadata.labels.app\\.kubernetes\\.io/name}"), "x");
  EXPECT_EQ(Jp("{.items[0].status.conditions[0]}"), R"({"status":"True","type":"Ready"})");
}

TEST(JsonPathTest, RangeAndFilter) {
  EXPECT_EQ(Jp(R"({range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end})"),
            "a\tRunning\nb\tPending\n");
  EXPECT_EQ(Jp(R"({range .items}{.metadata.name},{end})"), "a,b,");
  EXPECT_EQ(Jp(R"({.items[?(@.status.phase=="Pending")].metadata.name})"), "b");
  EXPECT_EQ(Jp(R"({.items[?(@.spec.replicas>2)].metadata.name})"), "a");
  EXPECT_EQ(Jp(R"({.items[0].status.conditions[?(@.type=='Ready')].status})"), "True");
  EXPECT_EQ(Jp(R"({range .items[*]}{range .status.conditions[*]}{.type}={.status};{end}{end})"),
            "Ready=True;Ready=False;");
}

TEST(JsonPathTest, Errors) {
  EXPECT_FALSE(ExecuteJsonPath("{.a", kList).ok());
  EXPECT_FALSE(ExecuteJsonPath("{range .items[*]}{.x}", kList).ok());
  EXPECT_FALSE(ExecuteJsonPath("{end}", kList).ok());
}

}  // namespace
}  // namespace mk::kubectl
