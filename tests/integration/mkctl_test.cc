// mkctl against a real mk-apiserver process, with the seed tutorial's manifests and
// commands: apply created/configured/unchanged, strict errors that change nothing, get in
// every output format, describe, label, patch, scale, secrets, delete.

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {
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
    - name: regcred # the secret created before
)";

constexpr char kReplicaSetYaml[] = R"(apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: nginx-replicaset
spec:
  replicas: 3
  selector:
    matchLabels:
      app: photo-view
  template:
    metadata:
      labels:
        app: photo-view
    spec:
      containers:
      - image: nginx
        name: photoview-container
)";

class MkctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Apiserver>(dir_.path() + "/data");
    ASSERT_TRUE(server_->Start()) << server_->log_path();
  }
  CommandResult Mk(const std::vector<std::string>& args, const std::string& in = "") {
    return Mkctl(server_->kubeconfig(), args, in);
  }
  std::string File(const std::string& name, const std::string& content) {
    std::string path = dir_.path() + "/" + name;
    WriteFile(path, content);
    return path;
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> server_;
};

TEST_F(MkctlTest, ApplyCreatesConfiguresAndLeavesUnchanged) {
  std::string pod = File("pod.yaml", kPodYaml);
  CommandResult r = Mk({"apply", "-f", pod});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/photoview-pod created\n");
  r = Mk({"apply", "-f", pod});
  EXPECT_EQ(r.out, "pod/photoview-pod unchanged\n") << r.err;
  std::string v1 = kPodYaml;
  v1.replace(v1.find("v2.0"), 4, "v1.0");
  r = Mk({"apply", "-f", File("pod.yaml", v1)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/photoview-pod configured\n");
  r = Mk({"get", "pod", "photoview-pod", "-o", "jsonpath={.spec.containers[0].image}"});
  EXPECT_EQ(r.out, "mydomain:5000/photo-view:v1.0");

  r = Mk({"get", "pods", "--show-labels"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_TRUE(absl::StartsWith(lines[0], "NAME            READY   STATUS    RESTARTS   AGE"))
      << lines[0];
  EXPECT_TRUE(absl::StrContains(lines[1], "app=photo-view,env=stage")) << lines[1];

  r = Mk({"delete", "-f", pod});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod \"photoview-pod\" deleted\n");
}

TEST_F(MkctlTest, TypoIsReportedAndNothingIsCreated) {
  std::string typo = kPodYaml;
  typo.replace(typo.find("imagePullSecrets"), 16, "imagepPullSecrets");
  std::string both = std::string(kReplicaSetYaml) + "---\n" + typo;
  CommandResult r = Mk({"apply", "-f", File("typo.yaml", both)});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(
      r.err, "spec.imagepPullSecrets: unknown field (did you mean imagePullSecrets?)"))
      << r.err;
  r = Mk({"get", "rs,pods", "-o", "name"});
  EXPECT_EQ(r.out, "") << "a document of a failed apply was created";

  std::string bad = std::string(kPodYaml) + "  restartPolicy: Sometimes\n";
  r = Mk({"apply", "-f", File("bad.yaml", bad)});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "Unsupported value: \"Sometimes\"")) << r.err;
}

TEST_F(MkctlTest, GetFormatsAndLabelSelectors) {
  ASSERT_EQ(Mk({"apply", "-f", "-"}, kReplicaSetYaml).exit_code, 0);
  ASSERT_EQ(Mk({"apply", "-f", "-"}, kPodYaml).exit_code, 0);
  CommandResult r = Mk({"get", "rs"});
  EXPECT_TRUE(absl::StartsWith(r.out, "NAME               DESIRED   CURRENT   READY   AGE"))
      << r.out;
  r = Mk({"get", "rs", "-o", "wide"});
  EXPECT_TRUE(absl::StrContains(r.out, "CONTAINERS")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "app=photo-view")) << r.out;
  r = Mk({"get", "pod", "photoview-pod", "-o", "json"});
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["metadata"]["labels"]["env"], "stage");
  r = Mk({"get", "pod", "photoview-pod", "-o", "yaml"});
  EXPECT_TRUE(absl::StrContains(r.out, "kind: Pod\n")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "  - containerPort: 80\n")) << r.out;
  r = Mk({"get", "pods", "-l", "env=stage", "-o", "name"});
  EXPECT_EQ(r.out, "pod/photoview-pod\n");
  r = Mk({"get", "pods", "-l", "env=prod"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "No resources found in default namespace.")) << r.err;
  r = Mk({"get", "pods", "-A"});
  EXPECT_TRUE(absl::StartsWith(r.out, "NAMESPACE")) << r.out;
  r = Mk({"get", "pod", "nope"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "Error from server (NotFound): pods \"nope\" not found"))
      << r.err;
}

TEST_F(MkctlTest, ScaleLabelPatchAndDescribe) {
  ASSERT_EQ(Mk({"apply", "-f", "-"}, kReplicaSetYaml).exit_code, 0);
  CommandResult r = Mk({"scale", "--replicas=8", "rs/nginx-replicaset"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "replicaset.apps/nginx-replicaset scaled\n");
  r = Mk({"get", "rs", "nginx-replicaset", "-o", "jsonpath={.spec.replicas}"});
  EXPECT_EQ(r.out, "8");

  r = Mk({"label", "rs", "nginx-replicaset", "server=webap"});
  EXPECT_EQ(r.out, "replicaset.apps/nginx-replicaset labeled\n") << r.err;
  r = Mk({"label", "rs", "nginx-replicaset", "server=db"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "already has a value (webap)")) << r.err;
  r = Mk({"label", "rs", "nginx-replicaset", "server=db", "--overwrite"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Mk({"label", "rs", "nginx-replicaset", "server-"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = Mk({"get", "rs", "nginx-replicaset", "--show-labels"});
  EXPECT_FALSE(absl::StrContains(r.out, "server=")) << r.out;

  r = Mk({"patch", "serviceaccount", "default", "-p",
          R"({"imagePullSecrets": [{"name": "regcred"}]})"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "serviceaccount/default patched\n");

  r = Mk({"describe", "rs", "nginx-replicaset"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "Name:")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "Replicas:")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "8 desired")) << r.out;
}

TEST_F(MkctlTest, SecretsNeverShowValuesInDescribe) {
  CommandResult r =
      Mk({"create", "secret", "docker-registry", "regcred", "--docker-server=mydomain:5000",
          "--docker-username=admin", "--docker-password=s3cr3t-canary"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "secret/regcred created\n");
  r = Mk({"get", "secret", "regcred", "-o", "jsonpath={.type}"});
  EXPECT_EQ(r.out, "kubernetes.io/dockerconfigjson");
  r = Mk({"describe", "secret", "regcred"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(absl::StrContains(r.out, "s3cr3t-canary")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, ".dockerconfigjson:")) << r.out;
  std::string cfg =
      File("config.json", R"({"auths":{"mydomain:5000":{"auth":"YWRtaW46YWRtaW4="}}})");
  r = Mk({"create", "secret", "generic", "regcred2", "--from-file=.dockerconfigjson=" + cfg,
          "--type=kubernetes.io/dockerconfigjson"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Mk({"get", "secret", "regcred2", "-o", "yaml"});
  EXPECT_TRUE(absl::StrContains(r.out, "  .dockerconfigjson: eyJ")) << r.out;  // base64
}

TEST_F(MkctlTest, VersionAndApiResources) {
  CommandResult r = Mk({"version"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "Server Version: v1.32.0-mk")) << r.out;
  r = Mk({"api-resources"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "replicasets")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "rs")) << r.out;
}

}  // namespace
}  // namespace mk::testing

namespace mk::testing {
namespace {

constexpr char kSeedHpaYaml[] = R"(apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: budy-hpa
spec:
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - resource:
      name: cpu
      targetAverageUtilization: 30
    type: Resource
  scaleTargetRef:
    apiVersion: apps/v1
    kind: ReplicaSet
    name: busy-replicaset
)";

TEST_F(MkctlTest, SeedHpaWithTheV2beta1FieldIsAcceptedWithAWarning) {
  std::string hpa = File("hpa.yaml", kSeedHpaYaml);
  CommandResult r = Mk({"apply", "-f", hpa});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "horizontalpodautoscaler.autoscaling/budy-hpa created\n");
  EXPECT_TRUE(absl::StrContains(
      r.err,
      "Warning: spec.metrics[0].resource.targetAverageUtilization is the autoscaling/v2beta1 "
      "field; in autoscaling/v2 write spec.metrics[0].resource.target: {type: Utilization, "
      "averageUtilization: 30}"))
      << r.err;
  r = Mk({"apply", "-f", hpa});
  EXPECT_EQ(r.out, "horizontalpodautoscaler.autoscaling/budy-hpa unchanged\n") << r.err;
  r = Mk({"get", "hpa"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      absl::StrContains(r.out, "budy-hpa   ReplicaSet/busy-replicaset   <unknown>/30%   1 "))
      << r.out;
  // No warning for the v2 spelling.
  std::string v2 = kSeedHpaYaml;
  v2.replace(v2.find("targetAverageUtilization: 30"), 28,
             "target: {type: Utilization, averageUtilization: 40}");
  r = Mk({"apply", "-f", File("hpa2.yaml", v2)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "horizontalpodautoscaler.autoscaling/budy-hpa configured\n");
  EXPECT_FALSE(absl::StrContains(r.err, "Warning")) << r.err;
}

TEST_F(MkctlTest, AutoscalingV1HpaWithTargetCpuPercentage) {
  const char* kV1 = R"(apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: v1-hpa
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: ReplicaSet
    name: busy-replicaset
  minReplicas: 2
  maxReplicas: 4
  targetCPUUtilizationPercentage: 50
)";
  CommandResult r = Mk({"apply", "-f", File("hpa-v1.yaml", kV1)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "horizontalpodautoscaler.autoscaling/v1-hpa created\n");
  EXPECT_FALSE(absl::StrContains(r.err, "Warning")) << r.err;
  r = Mk({"get", "hpa", "v1-hpa", "--no-headers"});
  EXPECT_TRUE(
      absl::StartsWith(r.out, "v1-hpa   ReplicaSet/busy-replicaset   <unknown>/50%   2     4 "))
      << r.out;
  r = Mk({"apply", "-f", File("hpa-v1.yaml", kV1)});
  EXPECT_EQ(r.out, "horizontalpodautoscaler.autoscaling/v1-hpa unchanged\n") << r.err;
}

TEST_F(MkctlTest, AutoscaleCreatesAnAutoscalingV2Hpa) {
  CommandResult r =
      Mk({"autoscale", "rs/nginx-replicaset", "--min=1", "--max=5", "--cpu-percent=30"});
  EXPECT_NE(r.exit_code, 0);  // no such ReplicaSet yet
  EXPECT_EQ(r.err,
            "Error from server (NotFound): replicasets.apps \"nginx-replicaset\" not found\n");
  ASSERT_EQ(Mk({"apply", "-f", File("rs.yaml", kReplicaSetYaml)}).exit_code, 0);
  r = Mk({"autoscale", "rs/nginx-replicaset", "--min=1", "--max=5", "--cpu-percent=30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "horizontalpodautoscaler.autoscaling/nginx-replicaset autoscaled\n");
  r = Mk({"get", "hpa", "nginx-replicaset", "--no-headers"});
  EXPECT_TRUE(absl::StartsWith(
      r.out, "nginx-replicaset   ReplicaSet/nginx-replicaset   <unknown>/30%   1     5 "))
      << r.out;
  r = Mk({"autoscale", "rs/nginx-replicaset", "--min=6", "--max=5"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "--max=MAXPODS must be larger or equal to --min=MINPODS"))
      << r.err;
}

}  // namespace
}  // namespace mk::testing

namespace mk::testing {
namespace {

TEST_F(MkctlTest, CreateDryRunCreatesNothing) {
  std::string pod = File("pod.yaml", kPodYaml);
  CommandResult r = Mk({"create", "-f", pod, "--dry-run=client"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/photoview-pod created (dry run)\n");
  r = Mk({"create", "-f", pod, "--dry-run=server"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "pod/photoview-pod created (server dry run)\n");
  r = Mk({"get", "pods", "-o", "name"});
  EXPECT_EQ(r.out, "") << "a dry run created something";
  // The server still validates a dry run.
  std::string bad = kPodYaml;
  bad.replace(bad.find("name: photoview-container"), 25, "name: Photoview_Container");
  r = Mk({"create", "-f", File("bad.yaml", bad), "--dry-run=server"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "spec.containers[0].name")) << r.err;
  ASSERT_EQ(Mk({"create", "-f", pod}).exit_code, 0);
  r = Mk({"create", "-f", pod, "--dry-run=server"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "already exists")) << r.err;
}

}  // namespace
}  // namespace mk::testing
