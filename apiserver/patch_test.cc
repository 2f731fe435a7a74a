#include "apiserver/patch.h"

#include "common/api_error.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

Json J(const char* text) { return Json::parse(text); }

Json MustPatch(const Json& original, const Json& patch, PatchType type, absl::string_view kind) {
  absl::StatusOr<Json> out = ApplyPatch(original, patch, type, kind);
  EXPECT_TRUE(out.ok()) << out.status();
  return out.ok() ? *out : Json();
}

Json Strategic(const Json& original, const char* patch, absl::string_view kind = "Pod") {
  return MustPatch(original, J(patch), PatchType::kStrategic, kind);
}

int FailCode(const Json& original, const char* patch, PatchType type, absl::string_view kind) {
  absl::StatusOr<Json> out = ApplyPatch(original, J(patch), type, kind);
  EXPECT_FALSE(out.ok()) << out->dump();
  return out.ok() ? 0 : HttpCode(out.status());
}

const Json& TwoContainerPod() {
  static const Json* pod = new Json(J(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"},
                 "finalizers": ["a/x"]},
    "spec": {
      "containers": [
        {"name": "app", "image": "nginx:1.25",
         "ports": [{"containerPort": 80}, {"containerPort": 443}],
         "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
        {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "1d"]}],
      "volumes": [{"name": "data", "emptyDir": {}}],
      "tolerations": [{"key": "k1", "operator": "Exists"}]
    }})"));
  return *pod;
}

TEST(ParsePatchType, KnownTypesIgnoringParameters) {
  EXPECT_EQ(*ParsePatchType("application/merge-patch+json"), PatchType::kMerge);
  EXPECT_EQ(*ParsePatchType("application/strategic-merge-patch+json; charset=utf-8"),
            PatchType::kStrategic);
  EXPECT_EQ(*ParsePatchType("application/json-patch+json"), PatchType::kJson);
  EXPECT_EQ(*ParsePatchType("application/apply-patch+yaml"), PatchType::kApply);
}

TEST(ParsePatchType, UnknownIs415WithKubernetesMessage) {
  for (const char* ct : {"application/json", "text/plain", ""}) {
    absl::StatusOr<PatchType> t = ParsePatchType(ct);
    ASSERT_FALSE(t.ok()) << ct;
    EXPECT_EQ(HttpCode(t.status()), 415);
    api::Status s = ToApiStatus(t.status());
    EXPECT_EQ(s.reason(), "UnsupportedMediaType");
    EXPECT_EQ(s.message(),
              "the body of the request was in an unknown format - accepted media types include: "
              "application/json-patch+json, application/merge-patch+json, "
              "application/strategic-merge-patch+json, application/apply-patch+yaml");
  }
}

TEST(StrategicPatch, ServiceAccountImagePullSecrets) {
  // kubectl patch serviceaccount default -p '{"imagePullSecrets":[{"name":"regcred"}]}'
  Json sa = J(R"({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": "default", "namespace": "default"},
                  "secrets": [{"name": "default-token"}]})");
  Json out = Strategic(sa, R"({"imagePullSecrets":[{"name":"regcred"}]})", "ServiceAccount");
  EXPECT_EQ(out["imagePullSecrets"], J(R"([{"name": "regcred"}])"));
  EXPECT_EQ(out["secrets"], sa["secrets"]);
  EXPECT_EQ(out["metadata"], sa["metadata"]);
  // A second secret merges by name; repeating one is idempotent.
  out = Strategic(out, R"({"imagePullSecrets":[{"name":"other"},{"name":"regcred"}]})",
                  "ServiceAccount");
  EXPECT_EQ(out["imagePullSecrets"], J(R"([{"name": "regcred"}, {"name": "other"}])"));
}

TEST(StrategicPatch, ContainerImageByNameKeepsTheOther) {
  Json out = Strategic(TwoContainerPod(),
                       R"({"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}})");
  const Json& cs = out["spec"]["containers"];
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0], TwoContainerPod()["spec"]["containers"][0]);
  EXPECT_EQ(cs[1]["name"], "sidecar");
  EXPECT_EQ(cs[1]["image"], "busybox:1.37");
  EXPECT_EQ(cs[1]["command"], J(R"(["sleep", "1d"])"));
  // A new name is appended.
  out = Strategic(out, R"({"spec":{"containers":[{"name":"log","image":"fluentd"}]}})");
  ASSERT_EQ(out["spec"]["containers"].size(), 3u);
  EXPECT_EQ(out["spec"]["containers"][2], J(R"({"name":"log","image":"fluentd"})"));
}

TEST(StrategicPatch, EnvAndPortsMergeByKey) {
  Json out = Strategic(TwoContainerPod(), R"({"spec":{"containers":[{"name":"app",
      "env":[{"name":"B","value":"3"},{"name":"C","value":"4"}],
      "ports":[{"containerPort":443,"name":"https"}]}]}})");
  const Json& app = out["spec"]["containers"][0];
  EXPECT_EQ(app["env"], J(R"([{"name":"A","value":"1"},{"name":"B","value":"3"},
                              {"name":"C","value":"4"}])"));
  EXPECT_EQ(app["ports"], J(R"([{"containerPort":80},{"containerPort":443,"name":"https"}])"));
  EXPECT_EQ(app["image"], "nginx:1.25");
}

TEST(StrategicPatch, PatchDeleteRemovesByKey) {
  Json out = Strategic(TwoContainerPod(), R"({"spec":{"containers":[
      {"name":"app","env":[{"name":"A","$patch":"delete"}]},
      {"name":"sidecar","$patch":"delete"}]}})");
  ASSERT_EQ(out["spec"]["containers"].size(), 1u);
  EXPECT_EQ(out["spec"]["containers"][0]["env"], J(R"([{"name":"B","value":"2"}])"));
  // On a map, $patch: delete removes the field.
  out = Strategic(TwoContainerPod(), R"({"metadata":{"labels":{"$patch":"delete"}}})");
  EXPECT_FALSE(out["metadata"].contains("labels"));
}

TEST(StrategicPatch, PatchReplaceOnListAndMap) {
  Json out = Strategic(TwoContainerPod(), R"({"spec":{"containers":[
      {"$patch":"replace"},{"name":"only","image":"x"}]}})");
  EXPECT_EQ(out["spec"]["containers"], J(R"([{"name":"only","image":"x"}])"));
  out = Strategic(TwoContainerPod(), R"({"metadata":{"labels":{"$patch":"replace","new":"1"}}})");
  EXPECT_EQ(out["metadata"]["labels"], J(R"({"new":"1"})"));
}

TEST(StrategicPatch, NullDeletesMapKeyAndTolerationsReplace) {
  Json out = Strategic(TwoContainerPod(), R"({"metadata":{"labels":{"tier":null,"v":"2"}},
      "spec":{"tolerations":[{"key":"k2","operator":"Exists"}]}})");
  EXPECT_EQ(out["metadata"]["labels"], J(R"({"app":"web","v":"2"})"));
  EXPECT_EQ(out["spec"]["tolerations"], J(R"([{"key":"k2","operator":"Exists"}])"));
}

TEST(StrategicPatch, RetainKeysOnAVolume) {
  Json out = Strategic(TwoContainerPod(), R"({"spec":{"volumes":[
      {"name":"data","hostPath":{"path":"/srv"},"$retainKeys":["name","hostPath"]}]}})");
  EXPECT_EQ(out["spec"]["volumes"], J(R"([{"name":"data","hostPath":{"path":"/srv"}}])"));
}

TEST(StrategicPatch, FinalizersMergeAsASetAndDeleteFromPrimitiveList) {
  Json out = Strategic(TwoContainerPod(), R"({"metadata":{"finalizers":["b/y","a/x"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], J(R"(["a/x","b/y"])"));
  out = Strategic(out, R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a/x"],
                                       "$setElementOrder/finalizers":["b/y"]}})");
  EXPECT_EQ(out["metadata"]["finalizers"], J(R"(["b/y"])"));
}

TEST(StrategicPatch, SetElementOrderReordersAKeyedList) {
  Json out = Strategic(TwoContainerPod(), R"({"spec":{
      "$setElementOrder/containers":[{"name":"sidecar"},{"name":"app"}],
      "containers":[{"name":"app","image":"nginx:1.26"}]}})");
  const Json& cs = out["spec"]["containers"];
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]["name"], "sidecar");
  EXPECT_EQ(cs[1]["image"], "nginx:1.26");
}

TEST(StrategicPatch, ReplicaSetTemplateContainers) {
  Json rs = J(R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"fe"},
      "spec":{"replicas":3,"selector":{"matchLabels":{"app":"fe"}},
        "template":{"metadata":{"labels":{"app":"fe"}},
          "spec":{"containers":[{"name":"php","image":"php:7"},{"name":"redis","image":"redis"}]}}},
      "status":{"replicas":3,"conditions":[{"type":"ReplicaFailure","status":"False"}]}})");
  Json out = Strategic(
      rs,
      R"({"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"php","image":"php:8"}]}}},
              "status":{"conditions":[{"type":"ReplicaFailure","status":"True"}]}})",
      "ReplicaSet");
  EXPECT_EQ(out["spec"]["replicas"], 5);
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"],
            J(R"([{"name":"php","image":"php:8"},{"name":"redis","image":"redis"}])"));
  EXPECT_EQ(out["status"]["conditions"], J(R"([{"type":"ReplicaFailure","status":"True"}])"));
}

TEST(StrategicPatch, NodeTaintsByKeyAndStatusByType) {
  Json node = J(R"({"kind":"Node","metadata":{"name":"n1"},
      "spec":{"taints":[{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoSchedule"}]},
      "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"MemoryPressure",
                "status":"False"}],"addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}})");
  Json out = Strategic(node, R"({"spec":{"taints":[{"key":"b","effect":"NoExecute"}]},
      "status":{"conditions":[{"type":"Ready","status":"True"}],
                "addresses":[{"type":"Hostname","address":"n1"}]}})",
                       "Node");
  EXPECT_EQ(out["spec"]["taints"][1], J(R"({"key":"b","effect":"NoExecute"})"));
  EXPECT_EQ(out["status"]["conditions"][0], J(R"({"type":"Ready","status":"True"})"));
  EXPECT_EQ(out["status"]["conditions"].size(), 2u);
  EXPECT_EQ(out["status"]["addresses"].size(), 2u);
}

TEST(StrategicPatch, Errors) {
  EXPECT_EQ(FailCode(TwoContainerPod(), R"({"spec":{"containers":[{"image":"x"}]}})",
                     PatchType::kStrategic, "Pod"),
            400);
  EXPECT_EQ(FailCode(TwoContainerPod(), R"({"metadata":{"labels":{"$patch":"explode"}}})",
                     PatchType::kStrategic, "Pod"),
            400);
  EXPECT_EQ(FailCode(TwoContainerPod(), R"({"metadata":{"$retainKeys":"name"}})",
                     PatchType::kStrategic, "Pod"),
            400);
  EXPECT_EQ(FailCode(TwoContainerPod(), R"([1])", PatchType::kStrategic, "Pod"), 400);
}

TEST(StrategicPatch, UnknownKindReplacesLists) {
  Json out = Strategic(J(R"({"items":[{"name":"a"}]})"), R"({"items":[{"name":"b"}]})", "Thing");
  EXPECT_EQ(out["items"], J(R"([{"name":"b"}])"));
}

TEST(MergePatch, NullDeletesALabelAndArraysReplace) {
  Json out = MustPatch(TwoContainerPod(), J(R"({"metadata":{"labels":{"tier":null}},
      "spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}})"),
                       PatchType::kMerge, "Pod");
  EXPECT_EQ(out["metadata"]["labels"], J(R"({"app":"web"})"));
  EXPECT_EQ(out["spec"]["containers"], J(R"([{"name":"app","image":"nginx:1.26"}])"));
  EXPECT_EQ(FailCode(TwoContainerPod(), R"("x")", PatchType::kMerge, "Pod"), 400);
}

TEST(ApplyPatchType, IsAMergePatchOfTheAppliedObject) {
  Json out = MustPatch(TwoContainerPod(), J(R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","labels":{"tier":"be"}}})"),
                       PatchType::kApply, "Pod");
  EXPECT_EQ(out["metadata"]["labels"], J(R"({"app":"web","tier":"be"})"));
  EXPECT_EQ(FailCode(TwoContainerPod(), R"({"kind":"Node"})", PatchType::kApply, "Pod"), 400);
}

TEST(JsonPatch, AddReplaceRemoveMoveCopyTest) {
  Json out = MustPatch(TwoContainerPod(), J(R"([
      {"op":"test","path":"/metadata/name","value":"web"},
      {"op":"add","path":"/metadata/annotations","value":{}},
      {"op":"add","path":"/metadata/annotations/example.com~1owner","value":"me"},
      {"op":"replace","path":"/spec/containers/1/image","value":"busybox:1.37"},
      {"op":"remove","path":"/metadata/labels/tier"},
      {"op":"add","path":"/metadata/finalizers/-","value":"b/y"},
      {"op":"copy","from":"/metadata/labels/app","path":"/metadata/labels/copy"},
      {"op":"move","from":"/metadata/labels/copy","path":"/metadata/labels/moved"}])"),
                       PatchType::kJson, "Pod");
  EXPECT_EQ(out["metadata"]["annotations"], J(R"({"example.com/owner":"me"})"));
  EXPECT_EQ(out["spec"]["containers"][1]["image"], "busybox:1.37");
  EXPECT_EQ(out["spec"]["containers"][0], TwoContainerPod()["spec"]["containers"][0]);
  EXPECT_EQ(out["metadata"]["labels"], J(R"({"app":"web","moved":"web"})"));
  EXPECT_EQ(out["metadata"]["finalizers"], J(R"(["a/x","b/y"])"));
}

TEST(JsonPatch, FailuresAreBadRequests) {
  absl::StatusOr<Json> out =
      ApplyPatch(TwoContainerPod(), J(R"([{"op":"replace","path":"/metadata/name","value":"x"},
            {"op":"test","path":"/spec/containers/0/image","value":"nginx:0"}])"),
                 PatchType::kJson, "Pod");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(HttpCode(out.status()), 400);
  EXPECT_NE(out.status().message().find("test operation 1 failed"), absl::string_view::npos)
      << out.status();
  EXPECT_NE(out.status().message().find("/spec/containers/0/image"), absl::string_view::npos);

  for (const char* bad : {R"([{"op":"remove","path":"/metadata/nope"}])",
                          R"([{"op":"replace","path":"/spec/containers/7/image","value":"x"}])",
                          R"([{"op":"frobnicate","path":"/x"}])", R"([{"path":"/x"}])",
                          R"([{"op":"add","value":1}])", R"({"op":"add"})"}) {
    EXPECT_EQ(FailCode(TwoContainerPod(), bad, PatchType::kJson, "Pod"), 400) << bad;
  }
}

}  // namespace
}  // namespace mk::apiserver
