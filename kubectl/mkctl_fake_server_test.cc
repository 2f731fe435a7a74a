// mkctl against a tiny in-memory fake of the Kubernetes REST API (httplib::Server on
// 127.0.0.1, port picked by the OS): the requests mkctl makes and the output it prints.

#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "common/object.h"
#include "gtest/gtest.h"
#include "kubectl/cli.h"
#include "kubectl/merge_patch.h"

namespace mk::kubectl {
namespace {

constexpr char kPodYaml[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: photoview-pod
  labels:
    app: photo-view
    env: stage
spec:
  containers:
  - image: mydomain:5000/photo-view:v2.0
    name: photoview-container
    ports:
    - containerPort: 80
  imagePullSecrets:
    - name: regcred
)";

// Stores objects by path ("/api/v1/namespaces/default/pods/x"); lists by prefix.
class FakeApiserver {
 public:
  FakeApiserver() {
    server_.Get(".*",
                [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Post(".*",
                 [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Patch(
        ".*", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    server_.Delete(
        ".*", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeApiserver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

  void Put(const std::string& path, Json obj) {
    std::lock_guard<std::mutex> l(mu_);
    obj["metadata"]["resourceVersion"] = absl::StrCat(++rv_);
    if (!obj["metadata"].contains("uid")) obj["metadata"]["uid"] = absl::StrCat("uid-", rv_);
    objects_[path] = obj;
  }
  absl::optional<Json> Obj(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = objects_.find(path);
    if (it == objects_.end()) return absl::nullopt;
    return it->second;
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> l(mu_);
    return requests_;
  }
  std::string last_body;
  std::string last_content_type;

 private:
  static Json Status(int code, const std::string& reason, const std::string& msg) {
    return {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
            {"message", msg},   {"reason", reason},   {"code", code}};
  }
  static std::string Plural(const std::string& path) {
    std::vector<std::string> parts = absl::StrSplit(path, '/');
    return parts.size() >= 2 ? parts[parts.size() - 2] : "";
  }
  static bool Matches(const Json& obj, const std::string& label_selector,
                      const std::string& field_selector) {
    for (absl::string_view term : absl::StrSplit(label_selector, ',', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(term, '=');
      Json labels = obj["metadata"].value("labels", Json::object());
      if (!labels.contains(kv.first) || labels[kv.first] != kv.second) return false;
    }
    for (absl::string_view term : absl::StrSplit(field_selector, ',', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(term, '=');
      if (kv.first == "metadata.name" && obj["metadata"].value("name", "") != kv.second) {
        return false;
      }
    }
    return true;
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> l(mu_);
    requests_.push_back(absl::StrCat(req.method, " ", req.path));
    auto reply = [&](int code, const Json& j) {
      res.status = code;
      res.set_content(j.dump(), "application/json");
    };
    const std::string& p = req.path;
    if (p == "/version") {
      return reply(200, {{"major", "1"}, {"minor", "32"}, {"gitVersion", "v1.32.0-fake"}});
    }
    if (p == "/apis") {
      return reply(
          200,
          {{"kind", "APIGroupList"},
           {"groups", {{{"name", "apps"}, {"preferredVersion", {{"groupVersion", "apps/v1"}}}}}}});
    }
    if (p == "/api/v1") {
      return reply(
          200, {{"resources",
                 {{{"name", "pods"}, {"namespaced", true}, {"kind", "Pod"}, {"shortNames", {"po"}}},
                  {{"name", "pods/log"}, {"namespaced", true}, {"kind", "Pod"}}}}});
    }
    if (p == "/apis/apps/v1") {
      return reply(200, {{"resources",
                          {{{"name", "replicasets"},
                            {"namespaced", true},
                            {"kind", "ReplicaSet"},
                            {"shortNames", {"rs"}}}}}});
    }
    if (absl::EndsWith(p, "/log")) {
      res.set_content(absl::StrCat("line1\nline2\ncontainer=", req.get_param_value("container"),
                                   " tail=", req.get_param_value("tailLines"), "\n"),
                      "text/plain");
      return;
    }
    if (req.get_param_value("watch") == "true") {
      Json ev = {{"type", "MODIFIED"}, {"object", objects_.begin()->second}};
      std::string body = ev.dump() + "\n" + R"({"type":"BOOKMARK","object":{}})" + "\n";
      res.set_chunked_content_provider("application/json", [body](size_t, httplib::DataSink& sink) {
        sink.write(body.data(), body.size());
        sink.done();
        return true;
      });
      return;
    }
    bool is_scale = absl::EndsWith(p, "/scale");
    std::string path = is_scale ? p.substr(0, p.size() - 6) : p;
    if (req.method == "GET") {
      auto it = objects_.find(path);
      if (it != objects_.end()) {
        if (is_scale) {
          return reply(200, {{"kind", "Scale"},
                             {"spec", {{"replicas", it->second["spec"].value("replicas", 1)}}}});
        }
        return reply(200, it->second);
      }
      // A list: every object directly under this path.
      Json items = Json::array();
      bool all_ns = !absl::StrContains(path, "/namespaces/");
      for (const auto& [k, v] : objects_) {
        if (!absl::StartsWith(k, path + "/")) {
          if (!all_ns || Plural(k) != path.substr(path.rfind('/') + 1)) continue;
        } else if (k.substr(path.size() + 1).find('/') != std::string::npos) {
          continue;
        }
        if (!Matches(v, req.get_param_value("labelSelector"),
                     req.get_param_value("fieldSelector"))) {
          continue;
        }
        items.push_back(v);
      }
      std::string last = path.substr(path.rfind('/') + 1);
      bool is_collection = last == "pods" || last == "replicasets" || last == "secrets" ||
                           last == "nodes" || last == "events" || last == "serviceaccounts" ||
                           last == "namespaces";
      if (!is_collection) {
        return reply(
            404, Status(404, "NotFound", absl::StrCat(Plural(path), " \"", last, "\" not found")));
      }
      return reply(200, {{"kind", "List"},
                         {"apiVersion", "v1"},
                         {"metadata", {{"resourceVersion", absl::StrCat(rv_)}}},
                         {"items", items}});
    }
    if (req.method == "POST") {
      Json obj = Json::parse(req.body);
      std::string name = obj["metadata"].value("name", "");
      std::string key = absl::StrCat(path, "/", name);
      if (objects_.count(key)) {
        return reply(409, Status(409, "AlreadyExists",
                                 absl::StrCat(path.substr(path.rfind('/') + 1), " \"", name,
                                              "\" already exists")));
      }
      obj["metadata"]["resourceVersion"] = absl::StrCat(++rv_);
      obj["metadata"]["uid"] = absl::StrCat("uid-", rv_);
      obj["metadata"]["creationTimestamp"] = "2020-04-24T00:51:25Z";
      objects_[key] = obj;
      return reply(201, obj);
    }
    auto it = objects_.find(path);
    if (it == objects_.end()) {
      std::string name = path.substr(path.rfind('/') + 1);
      return reply(
          404, Status(404, "NotFound", absl::StrCat(Plural(path), " \"", name, "\" not found")));
    }
    if (req.method == "PATCH") {
      last_body = req.body;
      last_content_type = req.get_header_value("Content-Type");
      Json patch = Json::parse(req.body);
      if (is_scale) {
        it->second["spec"]["replicas"] = patch["spec"]["replicas"];
      } else {
        Json before = it->second;
        it->second = ApplyMergePatch(it->second, patch);
        if (it->second != before) it->second["metadata"]["resourceVersion"] = absl::StrCat(++rv_);
      }
      return reply(200, it->second);
    }
    if (req.method == "DELETE") {
      last_body = req.body;
      Json obj = it->second;
      objects_.erase(it);
      return reply(200, obj);
    }
    reply(405, Status(405, "MethodNotAllowed", "no"));
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, Json> objects_;
  std::vector<std::string> requests_;
  int rv_ = 100;
};

struct Result {
  int code;
  std::string out, err;
};

class MkctlFakeTest : public ::testing::Test {
 protected:
  Result Run(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), {"--kubeconfig=/nonexistent", "-s", server_.url()});
    std::istringstream is(in);
    std::ostringstream os, es;
    int code = RunMkctl(args, is, os, es);
    return {code, os.str(), es.str()};
  }
  // Under a directory of this process: ctest runs this binary's tests in parallel.
  static std::string Dir() {
    static const std::string dir = [] {
      std::string d = absl::StrCat(::testing::TempDir(), "mkctl-fake-", getpid());
      std::filesystem::create_directories(d);
      return d;
    }();
    return dir;
  }
  std::string TempFile(const std::string& name, const std::string& content) {
    std::string path = Dir() + "/" + name;
    std::ofstream(path) << content;
    return path;
  }
  FakeApiserver server_;
};

TEST_F(MkctlFakeTest, ApplyCreatedUnchangedConfigured) {
  std::string file = TempFile("pod.yaml", kPodYaml);
  Result r = Run({"apply", "-f", file});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/photoview-pod created\n");
  auto obj = server_.Obj("/api/v1/namespaces/default/pods/photoview-pod");
  ASSERT_TRUE(obj.has_value());
  std::string last =
      (*obj)["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"];
  EXPECT_TRUE(absl::StrContains(last, "\"namespace\":\"default\"")) << last;
  EXPECT_TRUE(absl::EndsWith(last, "\n"));

  r = Run({"apply", "-f", file});
  EXPECT_EQ(r.out, "pod/photoview-pod unchanged\n") << r.err;

  std::string v1 = kPodYaml;
  v1.replace(v1.find("v2.0"), 4, "v1.0");
  v1.replace(v1.find("    env: stage\n"), 15, "");
  r = Run({"apply", "-f", TempFile("pod.yaml", v1)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/photoview-pod configured\n");
  EXPECT_EQ(server_.last_content_type, "application/merge-patch+json");
  Json patch = Json::parse(server_.last_body);
  EXPECT_TRUE(patch["metadata"]["labels"]["env"].is_null()) << patch.dump();
  EXPECT_EQ(patch["spec"]["containers"][0]["image"], "mydomain:5000/photo-view:v1.0");
  obj = server_.Obj("/api/v1/namespaces/default/pods/photoview-pod");
  EXPECT_FALSE((*obj)["metadata"]["labels"].contains("env"));
}

TEST_F(MkctlFakeTest, StrictValidationSendsNothing) {
  std::string typo = kPodYaml;
  typo.replace(typo.find("imagePullSecrets"), 16, "imagepPullSecrets");
  std::string other = R"(apiVersion: v1
kind: Secret
metadata:
  name: s
)";
  Result r = Run({"apply", "-f", TempFile("pod.yaml", other + "---\n" + typo)});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: error validating \"" + Dir() +
                       "/pod.yaml\": spec.imagepPullSecrets: unknown field (did you mean "
                       "imagePullSecrets?)\n");
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(MkctlFakeTest, GetTableAndFormats) {
  Json pod = Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"photoview-pod",
    "namespace":"default","labels":{"app":"photo-view","env":"stage"},
    "creationTimestamp":"2020-04-24T00:51:25Z"},
    "spec":{"nodeName":"minikube","containers":[{"name":"c","image":"nginx"}]},
    "status":{"phase":"Running","podIP":"172.18.0.2","containerStatuses":[{"name":"c",
    "ready":true,"restartCount":0,"state":{"running":{}}}]}})");
  pod["metadata"]["creationTimestamp"] = mk::FormatTime(absl::Now() - absl::Seconds(133));
  server_.Put("/api/v1/namespaces/default/pods/photoview-pod", pod);
  Result r = Run({"get", "pods", "--show-labels"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "NAME            READY   STATUS    RESTARTS   AGE     LABELS");
  EXPECT_TRUE(absl::StartsWith(lines[1], "photoview-pod   1/1     Running   0          2m1"))
      << lines[1];
  EXPECT_TRUE(absl::EndsWith(lines[1], "app=photo-view,env=stage"));

  r = Run({"get", "po", "-o", "wide", "--no-headers"});
  EXPECT_TRUE(absl::StrContains(r.out, "   172.18.0.2   minikube   <none>   <none>\n")) << r.out;
  r = Run({"get", "pods", "-o", "name"});
  EXPECT_EQ(r.out, "pod/photoview-pod\n");
  r = Run({"get", "pod", "photoview-pod", "-o", "jsonpath={.status.podIP}"});
  EXPECT_EQ(r.out, "172.18.0.2");
  r = Run({"get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"});
  EXPECT_EQ(r.out, "photoview-pod\n");
  r = Run({"get", "pod", "photoview-pod", "-o", "yaml"});
  EXPECT_TRUE(absl::StartsWith(r.out, "apiVersion: v1\nkind: Pod\nmetadata:\n")) << r.out;
  r = Run({"get", "pods", "-o", "json"});
  Json list = Json::parse(r.out);
  EXPECT_EQ(list["kind"], "List");
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "photoview-pod");
  r = Run({"get", "pods", "-A"});
  EXPECT_TRUE(absl::StartsWith(r.out, "NAMESPACE   NAME ")) << r.out;

  r = Run({"get", "pods", "-l", "env=prod"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "No resources found in default namespace.\n");

  r = Run({"get", "pod", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error from server (NotFound): pods \"nope\" not found\n");
  r = Run({"get", "widgets"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: the server doesn't have a resource type \"widgets\"\n");
}

TEST_F(MkctlFakeTest, LabelPatchScaleDelete) {
  server_.Put("/api/v1/nodes/m02", Json::parse(R"({"apiVersion":"v1","kind":"Node",
    "metadata":{"name":"m02","labels":{"a":"b"}}})"));
  Result r = Run({"label", "node", "m02", "server=webap"});
  EXPECT_EQ(r.out, "node/m02 labeled\n") << r.err;
  r = Run({"label", "node", "m02", "server=db"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: 'server' already has a value (webap), and --overwrite is false\n");
  r = Run({"label", "node/m02", "server=db", "--overwrite"});
  EXPECT_EQ(r.out, "node/m02 labeled\n") << r.err;
  r = Run({"label", "no", "m02", "server-"});
  EXPECT_EQ(r.out, "node/m02 labeled\n") << r.err;
  EXPECT_FALSE((*server_.Obj("/api/v1/nodes/m02"))["metadata"]["labels"].contains("server"));
  r = Run({"cordon", "m02"});
  EXPECT_EQ(r.out, "node/m02 cordoned\n") << r.err;
  r = Run({"get", "nodes", "--no-headers"});
  EXPECT_TRUE(absl::StrContains(r.out, "Unknown,SchedulingDisabled")) << r.out;

  server_.Put("/api/v1/namespaces/default/serviceaccounts/default",
              Json::parse(R"({"metadata":{"name":"default","namespace":"default"}})"));
  r = Run({"patch", "serviceaccount", "default", "-p",
           R"({"imagePullSecrets": [{"name": "regcred"}]})"});
  EXPECT_EQ(r.out, "serviceaccount/default patched\n") << r.err;
  EXPECT_EQ(server_.last_content_type, "application/strategic-merge-patch+json");
  r = Run({"patch", "sa", "default", "--type", "merge", "-p",
           R"({"imagePullSecrets": [{"name": "regcred"}]})"});
  EXPECT_EQ(r.out, "serviceaccount/default patched (no change)\n") << r.err;

  server_.Put("/apis/apps/v1/namespaces/default/replicasets/nginx",
              Json::parse(R"({"metadata":{"name":"nginx","namespace":"default"},
                "spec":{"replicas":3}})"));
  r = Run({"scale", "--replicas=8", "rs/nginx"});
  EXPECT_EQ(r.out, "replicaset.apps/nginx scaled\n") << r.err;
  EXPECT_EQ(server_.last_body, R"({"spec":{"replicas":8}})");
  r = Run({"scale", "--replicas=2", "--current-replicas=3", "rs", "nginx"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "error: Expected replicas to be 3, was 8\n");

  r = Run({"delete", "rs", "nginx", "--cascade=orphan", "--grace-period=5"});
  EXPECT_EQ(r.out, "replicaset.apps \"nginx\" deleted\n") << r.err;
  Json opts = Json::parse(server_.last_body);
  EXPECT_EQ(opts["propagationPolicy"], "Orphan");
  EXPECT_EQ(opts["gracePeriodSeconds"], 5);
  r = Run({"delete", "rs", "nginx"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error from server (NotFound): replicasets \"nginx\" not found\n");
}

TEST_F(MkctlFakeTest, SecretsAndDescribe) {
  Result r = Run({"create", "secret", "docker-registry", "regcred", "--docker-server=mydomain:5000",
                  "--docker-username=admin", "--docker-password=s3cr3t"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "secret/regcred created\n");
  auto secret = server_.Obj("/api/v1/namespaces/default/secrets/regcred");
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ((*secret)["type"], "kubernetes.io/dockerconfigjson");
  r = Run({"describe", "secret", "regcred"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "s3cr3t"));
  EXPECT_TRUE(absl::StrContains(r.out, "\nType:  kubernetes.io/dockerconfigjson\n")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "Data\n====\n.dockerconfigjson:  ")) << r.out;
  r = Run({"create", "secret", "docker-registry", "regcred", "--docker-username=a",
           "--docker-password=b"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "Error from server (AlreadyExists): secrets \"regcred\" already exists\n");
  r = Run({"create", "secret", "generic", "lit", "--from-literal=user=admin", "--type=Opaque"});
  EXPECT_EQ(r.out, "secret/lit created\n") << r.err;
  EXPECT_EQ((*server_.Obj("/api/v1/namespaces/default/secrets/lit"))["data"]["user"], "YWRtaW4=");
}

TEST_F(MkctlFakeTest, LogsVersionApiResources) {
  server_.Put("/api/v1/namespaces/default/pods/p",
              Json::parse(R"({"metadata":{"name":"p","namespace":"default"},
                "spec":{"containers":[{"name":"a"},{"name":"b"}]}})"));
  Result r = Run({"logs", "p", "--tail=2"});
  EXPECT_EQ(r.out, "line1\nline2\ncontainer=a tail=2\n");
  EXPECT_EQ(r.err, "Defaulted container \"a\" out of: a, b\n");
  r = Run({"version"});
  EXPECT_TRUE(absl::StrContains(r.out, "Server Version: v1.32.0-fake\n")) << r.out;
  r = Run({"api-resources"});
  EXPECT_EQ(r.out,
            "NAME          SHORTNAMES   APIVERSION   NAMESPACED   KIND\n"
            "pods          po           v1           true         Pod\n"
            "replicasets   rs           apps/v1      true         ReplicaSet\n");
}

TEST_F(MkctlFakeTest, WatchPrintsRowsPerEvent) {
  server_.Put("/api/v1/namespaces/default/pods/p",
              Json::parse(R"({"metadata":{"name":"p","namespace":"default"},
                "spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending"}})"));
  Result r = Run({"get", "pods", "-w"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "NAME   READY   STATUS    RESTARTS   AGE\n"
            "p      0/1     Pending   0          <unknown>\n"
            "p      0/1     Pending   0          <unknown>\n");
  r = Run({"get", "pods", "--watch-only", "-o", "name"});
  EXPECT_EQ(r.out, "pod/p\n");
}

TEST_F(MkctlFakeTest, DescribePodAndNode) {
  absl::Time now = absl::Now();
  std::string created = mk::FormatTime(now - absl::Minutes(26));
  server_.Put("/api/v1/nodes/minikube", Json::parse(R"({"apiVersion":"v1","kind":"Node",
    "metadata":{"name":"minikube","labels":{"kubernetes.io/os":"linux",
      "node-role.kubernetes.io/master":""}, "creationTimestamp":")" +
                                                    created + R"("},
    "spec":{"podCIDR":"10.244.0.0/24","podCIDRs":["10.244.0.0/24"]},
    "status":{"capacity":{"cpu":"4","memory":"2037260Ki","pods":"110"},
      "allocatable":{"cpu":"4","memory":"2037260Ki","pods":"110"},
      "conditions":[{"type":"Ready","status":"True","reason":"KubeletReady",
        "message":"kubelet is posting ready status"}],
      "addresses":[{"type":"InternalIP","address":"172.17.0.2"},
        {"type":"Hostname","address":"minikube"}],
      "nodeInfo":{"kubeletVersion":"v1.32.0","operatingSystem":"linux",
        "architecture":"amd64"}}})"));
  server_.Put(
      "/api/v1/namespaces/default/pods/requests-pod",
      Json::parse(R"({
    "apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"requests-pod","namespace":"default","creationTimestamp":")" +
                  created +
                  R"(","ownerReferences":[{"kind":"ReplicaSet","name":"rs","controller":true}]},
    "spec":{"nodeName":"minikube","containers":[{"name":"main","image":"busybox",
      "command":["dd","if=/dev/zero","of=/dev/null"],
      "resources":{"requests":{"cpu":"50m","memory":"300Mi"},"limits":{"cpu":"100m"}},
      "livenessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":5},
      "env":[{"name":"A","value":"b"}],
      "volumeMounts":[{"name":"v","mountPath":"/data","readOnly":true}]}],
      "volumes":[{"name":"v","emptyDir":{}}],"serviceAccountName":"default"},
    "status":{"phase":"Running","hostIP":"172.17.0.2","podIP":"172.18.0.2",
      "podIPs":[{"ip":"172.18.0.2"}],
      "conditions":[{"type":"Ready","status":"True"}],
      "containerStatuses":[{"name":"main","ready":true,"restartCount":0,
        "image":"busybox","imageID":"docker://sha256:1","containerID":"docker://abc",
        "state":{"running":{"startedAt":")" +
                  created + R"("}}}]}})"));
  server_.Put("/api/v1/namespaces/default/events/e1", Json::parse(R"({"metadata":{"name":"e1",
    "namespace":"default"},"involvedObject":{"kind":"Pod","name":"requests-pod",
    "namespace":"default"},"type":"Normal","reason":"Scheduled",
    "message":"Successfully assigned default/requests-pod to minikube",
    "source":{"component":"default-scheduler"},"firstTimestamp":")" +
                                                                  created + R"("})"));
  Result r = Run({"describe", "pod", "requests-pod"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* want : {
           "Name:             requests-pod\n",
           "Node:             minikube/172.17.0.2\n",
           "IPs:\n  IP:           172.18.0.2\nControlled By:  ReplicaSet/rs\n",
           "    Container ID:  docker://abc\n",
           "    Command:\n      dd\n      if=/dev/zero\n",
           "    State:          Running\n",
           "    Liveness:  http-get http://:8080/healthz delay=0s timeout=1s period=5s "
           "#success=1 #failure=3\n",
           "    Limits:\n      cpu:  100m\n",
           "      /data from v (ro)\n",
           "  Type    Reason     Age   From               Message\n",
           "  Normal  Scheduled  26m   default-scheduler  Successfully assigned",
           "QoS Class:       Burstable\n",
       }) {
    EXPECT_TRUE(absl::StrContains(r.out, want)) << want << "\n---\n" << r.out;
  }
  r = Run({"describe", "node", "minikube"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* want : {
           "Roles:              master\n",
           "Non-terminated Pods:          (1 in total)\n",
           "  default                     requests-pod    50m (1%)      100m (2%)   300Mi (15%)"
           "      0 (0%)         26m\n",
           "  cpu       50m (1%)     100m (2%)\n",
           "  memory    300Mi (15%)  0 (0%)\n",
           "PodCIDR:                      10.244.0.0/24\n",
       }) {
    EXPECT_TRUE(absl::StrContains(r.out, want)) << want << "\n---\n" << r.out;
  }
}

TEST_F(MkctlFakeTest, ConnectionRefused) {
  std::istringstream is;
  std::ostringstream os, es;
  int code = RunMkctl({"-s", "http://127.0.0.1:1", "--kubeconfig=/x", "get", "pods"}, is, os, es);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(es.str(),
            "The connection to the server 127.0.0.1:1 was refused - did you specify the right "
            "host or port?\n");
}

}  // namespace
}  // namespace mk::kubectl
