// mk-apiserver as a real process on loopback, driven over raw HTTP: Kubernetes paths,
// verbs, status codes and messages; watches; selectors; subresources; hostile input.

#include <httplib.h>

#include <fstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Apiserver>(dir_.path() + "/data",
                                          std::vector<std::string>{"--max_history_events=50"});
    ASSERT_TRUE(server_->Start()) << "see " << server_->log_path();
    client_ = NewRestClient(server_->kubeconfig());
    ASSERT_NE(client_, nullptr);
    client_->set_read_timeout(30, 0);
  }

  httplib::Result Post(const std::string& path, const Json& body) {
    return client_->Post(path.c_str(), body.dump(), "application/json");
  }
  Json Body(const httplib::Result& r) { return Json::parse(r->body); }

  Json Pod(const std::string& name, const std::string& node = "") {
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox:1"}}}}}}};
    if (!node.empty()) pod["spec"]["nodeName"] = node;
    return pod;
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> server_;
  std::unique_ptr<httplib::SSLClient> client_;
};

constexpr char kPods[] = "/api/v1/namespaces/default/pods";

TEST_F(RestTest, CreateGetAndDefaults) {
  auto r = Post(kPods, Pod("p1"));
  ASSERT_EQ(r->status, 201) << r->body;
  Json created = Body(r);
  EXPECT_FALSE(created["metadata"]["uid"].get<std::string>().empty());
  EXPECT_FALSE(created["metadata"]["resourceVersion"].get<std::string>().empty());
  EXPECT_EQ(created["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(created["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(created["spec"]["terminationGracePeriodSeconds"], 30);
  EXPECT_EQ(created["spec"]["serviceAccountName"], "default");
  EXPECT_EQ(created["status"]["phase"], "Pending");

  auto g = client_->Get(absl::StrCat(kPods, "/p1").c_str());
  ASSERT_EQ(g->status, 200);
  EXPECT_EQ(Body(g)["metadata"]["uid"], created["metadata"]["uid"]);

  auto again = Post(kPods, Pod("p1"));
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(Body(again)["reason"], "AlreadyExists");
  EXPECT_EQ(Body(again)["message"], "pods \"p1\" already exists");

  auto missing = client_->Get(absl::StrCat(kPods, "/nope").c_str());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(Body(missing)["message"], "pods \"nope\" not found");
}

TEST_F(RestTest, StaleUpdateIsAConflict) {
  Json created = Body(Post(kPods, Pod("p1")));
  Json v1 = created;
  v1["metadata"]["labels"]["x"] = "1";
  auto u1 = client_->Put(absl::StrCat(kPods, "/p1").c_str(), v1.dump(), "application/json");
  ASSERT_EQ(u1->status, 200) << u1->body;
  Json stale = created;
  stale["metadata"]["labels"]["x"] = "2";
  auto u2 = client_->Put(absl::StrCat(kPods, "/p1").c_str(), stale.dump(), "application/json");
  EXPECT_EQ(u2->status, 409);
  EXPECT_EQ(Body(u2)["message"],
            "Operation cannot be fulfilled on pods \"p1\": the object has been modified; "
            "please apply your changes to the latest version and try again");
}

TEST_F(RestTest, GenerateName) {
  Json pod = Pod("");
  pod["metadata"].erase("name");
  pod["metadata"]["generateName"] = "web-";
  auto r = Post(kPods, pod);
  ASSERT_EQ(r->status, 201) << r->body;
  std::string name = Body(r)["metadata"]["name"];
  EXPECT_EQ(name.size(), 9u);
  EXPECT_TRUE(absl::StartsWith(name, "web-"));
}

TEST_F(RestTest, InvalidAndUnknownFieldsAreRejectedAndChangeNothing) {
  Json bad = Pod("bad");
  bad["spec"]["restartPolicy"] = "Sometimes";
  auto r = Post(kPods, bad);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(absl::StrContains(Body(r)["message"].get<std::string>(),
                                "spec.restartPolicy: Unsupported value: \"Sometimes\""))
      << r->body;

  Json typo = Pod("typo");
  typo["spec"]["imagepPullSecrets"] = {{{"name", "regcred"}}};
  r = Post(kPods, typo);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(
      absl::StrContains(Body(r)["message"].get<std::string>(),
                        "spec.imagepPullSecrets: unknown field (did you mean imagePullSecrets?)"))
      << r->body;

  Json noimage = Pod("noimage");
  noimage["spec"]["containers"][0].erase("image");
  r = Post(kPods, noimage);
  EXPECT_EQ(r->status, 422);
  EXPECT_TRUE(absl::StrContains(Body(r)["message"].get<std::string>(),
                                "spec.containers[0].image: Required value"))
      << r->body;

  auto list = client_->Get(kPods);
  EXPECT_TRUE(Body(list)["items"].empty()) << list->body;
}

TEST_F(RestTest, SelectorsOnList) {
  ASSERT_EQ(Post(kPods, Pod("a", "node-1"))->status, 201);
  Json b = Pod("b");
  b["metadata"]["labels"]["app"] = "db";
  ASSERT_EQ(Post(kPods, b)->status, 201);
  auto r = client_->Get(absl::StrCat(kPods, "?labelSelector=app%3Dweb").c_str());
  ASSERT_EQ(Body(r)["items"].size(), 1u);
  EXPECT_EQ(Body(r)["items"][0]["metadata"]["name"], "a");
  r = client_->Get("/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1");
  ASSERT_EQ(Body(r)["items"].size(), 1u) << r->body;
  r = client_->Get("/api/v1/pods?labelSelector=app%20notin%20(web)");
  ASSERT_EQ(Body(r)["items"].size(), 1u);
  EXPECT_EQ(Body(r)["items"][0]["metadata"]["name"], "b");
  r = client_->Get("/api/v1/pods?fieldSelector=spec.bogus%3Dx");
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(Body(r)["message"], "field label not supported: spec.bogus");
}

// Reads watch lines until `n` events arrived.
std::vector<Json> ReadWatch(const std::string& kubeconfig, const std::string& path, size_t n) {
  std::vector<Json> events;
  auto c = NewRestClient(kubeconfig);
  c->set_read_timeout(10, 0);
  std::string buf;
  c->Get(path.c_str(), [&](const char* data, size_t len) {
    buf.append(data, len);
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      events.push_back(Json::parse(buf.substr(0, nl)));
      buf.erase(0, nl + 1);
    }
    return events.size() < n;
  });
  return events;
}

TEST_F(RestTest, WatchDeliversEveryEventInOrder) {
  Json first = Body(Post(kPods, Pod("w0")));
  std::string rv = first["metadata"]["resourceVersion"];
  std::vector<Json> events;
  std::thread watcher([&] {
    events = ReadWatch(server_->kubeconfig(),
                       absl::StrCat(kPods, "?watch=true&resourceVersion=", rv), 21);
  });
  for (int i = 1; i <= 20; ++i) ASSERT_EQ(Post(kPods, Pod(absl::StrCat("w", i)))->status, 201);
  ASSERT_EQ(client_->Delete(absl::StrCat(kPods, "/w1").c_str())->status, 200);
  watcher.join();
  ASSERT_EQ(events.size(), 21u);
  int64_t last = std::stoll(rv);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_EQ(events[i]["type"], "ADDED");
    EXPECT_EQ(events[i]["object"]["metadata"]["name"], absl::StrCat("w", i + 1));
    int64_t cur = std::stoll(events[i]["object"]["metadata"]["resourceVersion"].get<std::string>());
    EXPECT_EQ(cur, last + 1);  // no gaps: every write in between is a pod create
    last = cur;
  }
  EXPECT_EQ(events[20]["type"], "DELETED");
  EXPECT_EQ(events[20]["object"]["metadata"]["name"], "w1");
}

TEST_F(RestTest, WatchWithoutVersionStartsWithAddedForExisting) {
  ASSERT_EQ(Post(kPods, Pod("e1"))->status, 201);
  ASSERT_EQ(Post(kPods, Pod("e2"))->status, 201);
  std::vector<Json> events = ReadWatch(server_->kubeconfig(), absl::StrCat(kPods, "?watch=1"), 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["type"], "ADDED");
  EXPECT_EQ(events[1]["object"]["metadata"]["name"], "e2");
}

TEST_F(RestTest, WatchFromCompactedRevisionIsGone) {
  for (int i = 0; i < 120; ++i) ASSERT_EQ(Post(kPods, Pod(absl::StrCat("c", i)))->status, 201);
  std::vector<Json> events =
      ReadWatch(server_->kubeconfig(), absl::StrCat(kPods, "?watch=1&resourceVersion=2"), 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "ERROR");
  EXPECT_EQ(events[0]["object"]["code"], 410);
  EXPECT_EQ(events[0]["object"]["reason"], "Expired");
}

TEST_F(RestTest, GracefulDeleteOfBoundPodAndImmediateDeleteOfUnbound) {
  ASSERT_EQ(Post(kPods, Pod("unbound"))->status, 201);
  ASSERT_EQ(client_->Delete(absl::StrCat(kPods, "/unbound").c_str())->status, 200);
  EXPECT_EQ(client_->Get(absl::StrCat(kPods, "/unbound").c_str())->status, 404);

  ASSERT_EQ(Post(kPods, Pod("bound", "node-1"))->status, 201);
  auto d = client_->Delete(absl::StrCat(kPods, "/bound").c_str());
  ASSERT_EQ(d->status, 200);
  Json obj = Body(d);
  EXPECT_FALSE(obj["metadata"]["deletionTimestamp"].get<std::string>().empty());
  EXPECT_EQ(obj["metadata"]["deletionGracePeriodSeconds"], 30);
  EXPECT_EQ(client_->Get(absl::StrCat(kPods, "/bound").c_str())->status, 200);
  // The kubelet finishes with grace 0.
  d = client_->Delete(absl::StrCat(kPods, "/bound?gracePeriodSeconds=0").c_str());
  ASSERT_EQ(d->status, 200);
  EXPECT_EQ(client_->Get(absl::StrCat(kPods, "/bound").c_str())->status, 404);
}

TEST_F(RestTest, BindingAndScale) {
  ASSERT_EQ(Post(kPods, Pod("tobind"))->status, 201);
  Json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", "tobind"}, {"annotations", {{"bound-by", "test"}}}}},
                  {"target", {{"kind", "Node"}, {"name", "node-2"}}}};
  auto b = Post(absl::StrCat(kPods, "/tobind/binding"), binding);
  ASSERT_EQ(b->status, 201) << b->body;
  Json pod = Body(client_->Get(absl::StrCat(kPods, "/tobind").c_str()));
  EXPECT_EQ(pod["spec"]["nodeName"], "node-2");
  EXPECT_EQ(pod["metadata"]["annotations"]["bound-by"], "test");  // as Kubernetes
  EXPECT_EQ(pod["status"]["conditions"][0]["type"], "PodScheduled");
  EXPECT_EQ(Post(absl::StrCat(kPods, "/tobind/binding"), binding)->status, 409);

  Json rs = {{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata", {{"name", "web"}}},
             {"spec",
              {{"replicas", 3},
               {"selector", {{"matchLabels", {{"app", "web"}}}}},
               {"template",
                {{"metadata", {{"labels", {{"app", "web"}}}}},
                 {"spec", {{"containers", {{{"name", "c"}, {"image", "busybox:1"}}}}}}}}}}};
  const std::string rs_path = "/apis/apps/v1/namespaces/default/replicasets";
  ASSERT_EQ(Post(rs_path, rs)->status, 201);
  auto s = client_->Get((rs_path + "/web/scale").c_str());
  ASSERT_EQ(s->status, 200);
  EXPECT_EQ(Body(s)["kind"], "Scale");
  EXPECT_EQ(Body(s)["spec"]["replicas"], 3);
  EXPECT_EQ(Body(s)["status"]["selector"], "app=web");
  auto p = client_->Patch((rs_path + "/web/scale").c_str(), R"({"spec":{"replicas":8}})",
                          "application/merge-patch+json");
  ASSERT_EQ(p->status, 200) << p->body;
  EXPECT_EQ(Body(client_->Get((rs_path + "/web").c_str()))["spec"]["replicas"], 8);
}

TEST_F(RestTest, PatchTypes) {
  ASSERT_EQ(Post(kPods, Pod("pp"))->status, 201);
  const std::string path = absl::StrCat(kPods, "/pp");
  auto r = client_->Patch(path.c_str(), R"({"metadata":{"labels":{"tier":"fe"}}})",
                          "application/merge-patch+json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["metadata"]["labels"]["tier"], "fe");
  r = client_->Patch(path.c_str(), R"({"spec":{"containers":[{"name":"c","image":"busybox:2"}]}})",
                     "application/strategic-merge-patch+json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["spec"]["containers"][0]["image"], "busybox:2");
  r = client_->Patch(path.c_str(), R"([{"op":"remove","path":"/metadata/labels/tier"}])",
                     "application/json-patch+json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_FALSE(Body(r)["metadata"]["labels"].contains("tier"));
  r = client_->Patch(path.c_str(), "{}", "text/plain");
  EXPECT_EQ(r->status, 415);

  // The seed's service-account patch.
  r = client_->Patch("/api/v1/namespaces/default/serviceaccounts/default",
                     R"({"imagePullSecrets": [{"name": "regcred"}]})",
                     "application/strategic-merge-patch+json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(Body(r)["imagePullSecrets"][0]["name"], "regcred");
  // ...and new pods get the account's pull secrets at admission.
  Json created = Body(Post(kPods, Pod("withsa")));
  EXPECT_EQ(created["spec"]["imagePullSecrets"][0]["name"], "regcred");
}

TEST_F(RestTest, DiscoveryTableVersionAndMetrics) {
  Json api = Body(client_->Get("/api"));
  EXPECT_EQ(api["versions"][0], "v1");
  Json v1 = Body(client_->Get("/api/v1"));
  bool pods_short = false;
  for (const Json& r : v1["resources"]) {
    if (r["name"] == "pods") pods_short = r["shortNames"][0] == "po";
  }
  EXPECT_TRUE(pods_short);
  Json apps = Body(client_->Get("/apis/apps/v1"));
  EXPECT_EQ(apps["resources"][0]["shortNames"][0], "rs");
  EXPECT_EQ(Body(client_->Get("/version"))["major"], "1");

  ASSERT_EQ(Post(kPods, Pod("t1"))->status, 201);
  httplib::Headers h = {{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}};
  auto t = client_->Get(kPods, h);
  Json table = Body(t);
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_TRUE(
      absl::EqualsIgnoreCase(table["columnDefinitions"][0]["name"].get<std::string>(), "Name"));
  EXPECT_EQ(table["rows"][0]["cells"][0], "t1");
  EXPECT_EQ(table["rows"][0]["cells"][2], "Pending");

  auto m = client_->Get("/metrics");
  EXPECT_TRUE(absl::StrContains(m->body,
                                "apiserver_request_total{verb=\"CREATE\",resource="
                                "\"pods\",code=\"201\"}"))
      << m->body.substr(0, 500);
  EXPECT_TRUE(absl::StrContains(m->body, "apiserver_storage_objects{resource=\"pods\"} 1"));
}

int64_t RssKb(pid_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(f, line)) {
    if (absl::StartsWith(line, "VmRSS:")) return std::stoll(line.substr(6));
  }
  return -1;
}

TEST_F(RestTest, HostileInputIsRefusedQuicklyAndServerKeepsServing) {
  // Billion laughs.
  std::string bomb =
      "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    std::string p(1, c - 1);
    bomb += absl::StrCat(std::string(1, c), ": &", std::string(1, c), " [*", p, ",*", p, ",*", p,
                         ",*", p, ",*", p, ",*", p, ",*", p, ",*", p, ",*", p, "]\n");
  }
  bomb += "kind: Pod\n";
  absl::Time t0 = absl::Now();
  auto r = client_->Post(kPods, bomb, "application/yaml");
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));

  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  r = client_->Post(kPods, deep, "application/json");
  EXPECT_EQ(r->status, 400);

  std::string huge(100 * 1024 * 1024, ' ');
  huge[0] = '{';
  huge.back() = '}';
  // RSS sampled after the first hostile requests, so what follows is measured on its own.
  int64_t before = RssKb(server_->pid());
  t0 = absl::Now();
  r = client_->Post(kPods, huge, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  int64_t after = RssKb(server_->pid());
  EXPECT_LT(after - before, 20 * 1024) << "RSS grew from " << before << " kB to " << after;

  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  EXPECT_EQ(Post(kPods, Pod("after"))->status, 201);
}

}  // namespace
}  // namespace mk::testing
