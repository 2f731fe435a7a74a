#include "common/fake_api_client.h"

#include "api.pb.h"
#include "common/object.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

api::Pod MakePod(const std::string& name, const std::string& node = "",
                 std::map<std::string, std::string> labels = {}) {
  api::Pod p;
  p.mutable_metadata()->set_name(name);
  for (auto& [k, v] : labels) (*p.mutable_metadata()->mutable_labels())[k] = v;
  p.mutable_spec()->set_node_name(node);
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("busybox");
  return p;
}

TEST(FakeApiClientTest, CreateGetAndAlreadyExists) {
  FakeApiClient c;
  auto created = c.CreateAs("pods", "default", MakePod("a"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->metadata().uid().empty());
  EXPECT_EQ(created->metadata().namespace_(), "default");
  EXPECT_EQ(created->kind(), "Pod");
  EXPECT_FALSE(created->metadata().resource_version().empty());
  auto got = c.GetAs<api::Pod>("pods", "default", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->metadata().uid(), created->metadata().uid());
  EXPECT_TRUE(absl::IsAlreadyExists(c.Create("pods", "default", MakePod("a")).status()));
  EXPECT_TRUE(absl::IsNotFound(c.Get("pods", "default", "b").status()));
  EXPECT_TRUE(absl::IsNotFound(c.Get("pods", "other", "a").status()));
}

TEST(FakeApiClientTest, UpdateConflictsOnStaleResourceVersion) {
  FakeApiClient c;
  auto v1 = c.CreateAs("pods", "default", MakePod("a"));
  ASSERT_TRUE(v1.ok());
  api::Pod edit = *v1;
  (*edit.mutable_metadata()->mutable_labels())["x"] = "1";
  auto v2 = c.UpdateAs("pods", "default", edit);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_NE(v2->metadata().resource_version(), v1->metadata().resource_version());
  // Same (now stale) resourceVersion again: 409.
  EXPECT_TRUE(absl::IsAborted(c.Update("pods", "default", edit).status()));
  // Unconditional update works.
  edit.mutable_metadata()->clear_resource_version();
  EXPECT_TRUE(c.Update("pods", "default", edit).ok());
}

TEST(FakeApiClientTest, StatusSubresourceOnlyChangesStatus) {
  FakeApiClient c;
  auto v1 = c.CreateAs("pods", "default", MakePod("a"));
  ASSERT_TRUE(v1.ok());
  api::Pod edit = *v1;
  edit.mutable_status()->set_phase("Running");
  edit.mutable_spec()->set_node_name("sneaky");
  auto v2 = c.UpdateAs("pods", "default", edit, "status");
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->status().phase(), "Running");
  EXPECT_EQ(v2->spec().node_name(), "");
  // And a main-resource update does not touch status.
  api::Pod main = *v2;
  main.mutable_status()->set_phase("Failed");
  auto v3 = c.UpdateAs("pods", "default", main);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->status().phase(), "Running");
}

TEST(FakeApiClientTest, ListWithSelectors) {
  FakeApiClient c;
  ASSERT_TRUE(c.Create("pods", "default", MakePod("a", "n1", {{"app", "web"}})).ok());
  ASSERT_TRUE(c.Create("pods", "default", MakePod("b", "n2", {{"app", "db"}})).ok());
  ASSERT_TRUE(c.Create("pods", "other", MakePod("c", "n1", {{"app", "web"}})).ok());
  auto all = c.ListAs<api::Pod>("pods", "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  auto ns = c.ListAs<api::Pod>("pods", "default");
  EXPECT_EQ(ns->size(), 2u);
  auto on_n1 = c.ListAs<api::Pod>("pods", "", {"", "spec.nodeName=n1"});
  EXPECT_EQ(on_n1->size(), 2u);
  auto unbound = c.ListAs<api::Pod>("pods", "", {"", "spec.nodeName="});
  EXPECT_EQ(unbound->size(), 0u);
  auto web = c.ListAs<api::Pod>("pods", "", {"app=web", ""});
  EXPECT_EQ(web->size(), 2u);
  auto not_web = c.ListAs<api::Pod>("pods", "", {"app!=web", ""});
  EXPECT_EQ(not_web->size(), 1u);
  auto in = c.ListAs<api::Pod>("pods", "default", {"app in (web, db)", "spec.nodeName!=n2"});
  ASSERT_EQ(in->size(), 1u);
  EXPECT_EQ((*in)[0].metadata().name(), "a");
  EXPECT_FALSE(c.List("pods", "", {"", "spec.bogus=1"}).ok());
  EXPECT_FALSE(c.Watch("pods", "", {"app in (", "", 0, false}).ok());
}

TEST(FakeApiClientTest, BindPatchDelete) {
  FakeApiClient c;
  ASSERT_TRUE(c.Create("pods", "default", MakePod("a")).ok());
  auto bound = c.Bind("default", "a", "n1");
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(c.GetAs<api::Pod>("pods", "default", "a")->spec().node_name(), "n1");
  EXPECT_TRUE(absl::IsAborted(c.Bind("default", "a", "n2").status()));

  auto patched = c.Patch("pods", "default", "a", "application/merge-patch+json",
                         R"({"metadata":{"labels":{"p":"q"}}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(Meta(**patched).labels().at("p"), "q");

  DeleteOptions stale;
  stale.precondition_uid = "nope";
  EXPECT_TRUE(absl::IsAborted(c.Delete("pods", "default", "a", stale).status()));
  ASSERT_TRUE(c.Delete("pods", "default", "a").ok());
  EXPECT_TRUE(absl::IsNotFound(c.Get("pods", "default", "a").status()));
  EXPECT_EQ(c.CountCalls("bind"), 2);
  EXPECT_EQ(c.CountCalls("delete", "pods"), 2);
}

TEST(FakeApiClientTest, ScaleSubresource) {
  FakeApiClient c;
  api::ReplicaSet rs;
  rs.mutable_metadata()->set_name("r");
  rs.mutable_spec()->set_replicas(2);
  ASSERT_TRUE(c.Create("replicasets", "default", rs).ok());
  auto scale = c.GetAs<api::Scale>("replicasets", "default", "r", "scale");
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ(scale->spec().replicas(), 2);
  scale->mutable_spec()->set_replicas(5);
  ASSERT_TRUE(c.Update("replicasets", "default", *scale, "scale").ok());
  EXPECT_EQ(c.GetAs<api::ReplicaSet>("replicasets", "default", "r")->spec().replicas(), 5);
}

TEST(FakeApiClientTest, InjectedErrors) {
  FakeApiClient c;
  c.InjectError("create", "pods", absl::UnavailableError("down"), 2);
  EXPECT_TRUE(absl::IsUnavailable(c.Create("pods", "default", MakePod("a")).status()));
  EXPECT_TRUE(absl::IsUnavailable(c.Create("pods", "default", MakePod("a")).status()));
  EXPECT_TRUE(c.Create("pods", "default", MakePod("a")).ok());
}

TEST(FakeApiClientTest, WatchReplaysAndStreams) {
  FakeApiClient c;
  ASSERT_TRUE(c.Create("pods", "default", MakePod("a")).ok());
  int64_t rv = c.resource_version();
  ASSERT_TRUE(c.Create("pods", "default", MakePod("b")).ok());
  WatchOptions from;
  from.resource_version = rv;
  auto w = c.Watch("pods", "default", from);
  ASSERT_TRUE(w.ok());
  WatchEvent ev;
  ASSERT_TRUE((*w)->Next(&ev));
  EXPECT_EQ(ev.type, "ADDED");
  EXPECT_EQ(Meta(*ev.object).name(), "b");
  ASSERT_TRUE(c.Delete("pods", "default", "a").ok());
  ASSERT_TRUE((*w)->Next(&ev));
  EXPECT_EQ(ev.type, "DELETED");
  EXPECT_EQ(Meta(*ev.object).name(), "a");
  EXPECT_EQ(c.NumOpenWatches(), 1);
  (*w)->Cancel();
  EXPECT_FALSE((*w)->Next(&ev));
  EXPECT_TRUE((*w)->status().ok());
}

TEST(FakeApiClientTest, WatchFromZeroListsFirstAndSelectorsTranslateEvents) {
  FakeApiClient c;
  ASSERT_TRUE(c.Create("pods", "default", MakePod("a")).ok());
  WatchOptions opts;
  opts.field_selector = "spec.nodeName=n1";
  auto w = c.Watch("pods", "", opts);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(c.Bind("default", "a", "n1").ok());  // starts matching: ADDED
  WatchEvent ev;
  ASSERT_TRUE((*w)->Next(&ev));
  EXPECT_EQ(ev.type, "ADDED");
  EXPECT_EQ(static_cast<api::Pod&>(*ev.object).spec().node_name(), "n1");
}

TEST(FakeApiClientTest, CompactGivesGone) {
  FakeApiClient c;
  ASSERT_TRUE(c.Create("pods", "default", MakePod("a")).ok());
  int64_t old = c.resource_version();
  auto w = c.Watch("pods", "", {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(c.Create("pods", "default", MakePod("b")).ok());
  c.Compact();
  WatchEvent ev;
  while ((*w)->Next(&ev)) {
  }
  EXPECT_TRUE(absl::IsOutOfRange((*w)->status())) << (*w)->status();
  WatchOptions from;
  from.resource_version = old;
  auto w2 = c.Watch("pods", "", from);
  ASSERT_TRUE(w2.ok());
  EXPECT_FALSE((*w2)->Next(&ev));
  EXPECT_TRUE(absl::IsOutOfRange((*w2)->status()));
}

}  // namespace
}  // namespace mk
