#include "common/json_codec.h"

#include "api.pb.h"
#include "common/manifest.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

Json Yaml(const char* text) {
  auto docs = ParseManifests(text);
  EXPECT_TRUE(docs.ok()) << docs.status();
  return docs->at(0);
}

TEST(JsonCodec, RoundTripsAPodWithKubernetesNames) {
  Json j = Yaml(R"(
apiVersion: v1
kind: Pod
metadata:
  name: photoview-pod
  labels: {app: photo-view, env: stage}
spec:
  containers:
  - image: mydomain:5000/photo-view:v2.0
    name: photoview-container
    ports:
    - containerPort: 80
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
      initialDelaySeconds: 10
  imagePullSecrets:
  - name: regcred
status:
  podIP: 10.0.0.1
)");
  api::Pod pod;
  ASSERT_TRUE(DecodeJson(j, &pod).ok());
  EXPECT_EQ(pod.spec().containers(0).ports(0).container_port(), 80);
  EXPECT_EQ(pod.spec().containers(0).liveness_probe().http_get().port().int_val(), 8080);
  EXPECT_EQ(pod.spec().image_pull_secrets(0).name(), "regcred");
  EXPECT_EQ(pod.status().pod_ip(), "10.0.0.1");
  Json out = EncodeJson(pod);
  EXPECT_EQ(out["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"], 8080);
  EXPECT_EQ(out["status"]["podIP"], "10.0.0.1");
  EXPECT_EQ(out.begin().key(), "apiVersion");
  EXPECT_FALSE(out["spec"].contains("nodeName"));
}

TEST(JsonCodec, NamedPortIsAString) {
  api::Probe p;
  ASSERT_TRUE(DecodeJson(Json::parse(R"({"httpGet":{"port":"http"}})"), &p).ok());
  EXPECT_EQ(p.http_get().port().str_val(), "http");
  EXPECT_EQ(EncodeJson(p)["httpGet"]["port"], "http");
}

TEST(JsonCodec, UnknownFieldSuggestsTheIntendedOne) {
  Json j = Yaml("spec:\n  imagepPullSecrets:\n  - name: regcred\n");
  api::Pod pod;
  absl::Status s = DecodeJson(j, &pod);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("spec.imagepPullSecrets: unknown field (did you mean "
                             "imagePullSecrets?)"),
            std::string::npos)
      << s;
}

TEST(JsonCodec, WrongTypesNameTheFullPath) {
  Json j = Yaml("spec:\n  containers:\n  - name: a\n    ports:\n    - containerPort: eighty\n");
  api::Pod pod;
  std::vector<FieldError> errs;
  DecodeJsonInto(j, &pod, "", &errs);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].field, "spec.containers[0].ports[0].containerPort");
  EXPECT_EQ(errs[0].message, "expected 32-bit integer, got string");
}

TEST(JsonCodec, BytesAreBase64) {
  api::Secret s;
  ASSERT_TRUE(DecodeJson(Json::parse(R"({"data":{"k":"aGVsbG8="}})"), &s).ok());
  EXPECT_EQ(s.data().at("k"), "hello");
  EXPECT_EQ(EncodeJson(s)["data"]["k"], "aGVsbG8=");
  EXPECT_FALSE(DecodeJson(Json::parse(R"({"data":{"k":"not base64!"}})"), &s).ok());
}

TEST(Manifest, AliasBombIsRefused) {
  std::string bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, c - 1);
    bomb += std::string(1, c) + ": &" + c + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev +
            ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n";
  }
  auto docs = ParseManifests(bomb);
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.status().message().find("alias"), std::string::npos);
}

TEST(Manifest, DeepNestingIsRefused) {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  EXPECT_FALSE(ParseManifests(deep).ok());
  EXPECT_FALSE(ParseJsonBody(deep).ok());
}

TEST(Manifest, MultipleDocumentsAndScalars) {
  auto docs = ParseManifests("a: 1\nb: '1'\nc: true\nd: 1.5\ne: ~\n---\n---\nx: y\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_TRUE((*docs)[0]["a"].is_number_integer());
  EXPECT_TRUE((*docs)[0]["b"].is_string());
  EXPECT_TRUE((*docs)[0]["c"].is_boolean());
  EXPECT_TRUE((*docs)[0]["d"].is_number_float());
  EXPECT_TRUE((*docs)[0]["e"].is_null());
}

// Found by fuzz/manifest_fuzz: a non-string `kind` next to `items` made Json::value throw
// (an uncaught exception, i.e. a crash of whoever parsed the body).
TEST(Manifest, NonStringKindWithItemsIsADocumentNotACrash) {
  for (const char* text :
       {"kind: 5\nitems: [a]\n", "kind:\nitems: [a]\n", R"({"kind": null, "items": []})",
        R"({"kind": ["List"], "items": [1]})"}) {
    auto docs = ParseManifests(text);
    ASSERT_TRUE(docs.ok()) << text << ": " << docs.status();
    ASSERT_EQ(docs->size(), 1u) << text;
    EXPECT_TRUE((*docs)[0].contains("items")) << text;
    EXPECT_TRUE(ParseJsonBody(text).ok()) << text;
  }
  auto list = ParseManifests("kind: List\nitems: [{a: 1}, {b: 2}]\n");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 2u);
}

// Found by fuzz/manifest_fuzz: yaml-cpp 0.7's LoadAll appends empty documents forever (GBs in
// seconds) after an indented block collection followed by ',' at column 0.
TEST(Manifest, YamlThatNeverEndsIsRefused) {
  for (const char* text :
       {" c: a\n,\n", " c: [a]\n,\n", " - [a]\n,\n", "x: 1\n---\n c: {a: 1}\n,\n"}) {
    auto docs = ParseManifests(text);
    ASSERT_FALSE(docs.ok()) << text;
    EXPECT_EQ(docs.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_FALSE(ParseJsonBody(text).ok()) << text;
  }
  auto docs = ParseManifests(" c: a\n---\n- x\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ(docs->size(), 2u);
}

// Found by fuzz/rest_patch_fuzz: YAML passed invalid UTF-8 through into JSON strings, and
// dumping them threw (an uncaught exception).
TEST(Manifest, YamlStringsMustBeUtf8) {
  for (const char* text : {"a: \xff\n", "\xc3: b\n", "a: \"\xed\xa0\x80\"\n", "- \xc0\xaf\n"}) {
    auto docs = ParseManifests(text);
    ASSERT_FALSE(docs.ok()) << text << ": " << (docs.ok() ? docs->at(0).dump(-1, ' ', true) : "");
    EXPECT_NE(docs.status().message().find("invalid UTF-8"), absl::string_view::npos)
        << docs.status();
  }
  auto docs = ParseManifests("a: \"h\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80\"\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_EQ((*docs)[0]["a"].dump(), "\"h\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80\"");
}

}  // namespace
}  // namespace mk

namespace mk {
namespace {

TEST(EncodeJsonAlwaysEmitted, ZeroRestartCountAndReplicasAreWritten) {
  api::Pod pod;
  pod.mutable_metadata()->set_name("p");
  api::ContainerStatus* cs = pod.mutable_status()->add_container_statuses();
  cs->set_name("c");
  Json j = EncodeJson(pod);
  EXPECT_EQ(j["status"]["containerStatuses"][0]["restartCount"], 0);
  EXPECT_EQ(j["status"]["containerStatuses"][0]["ready"], false);
  api::ReplicaSet rs;
  rs.mutable_status();
  EXPECT_EQ(EncodeJson(rs)["status"]["replicas"], 0);
  // Other zero fields stay omitted.
  EXPECT_FALSE(j["metadata"].contains("generation"));
}

}  // namespace
}  // namespace mk

namespace mk {
namespace {

// Decoding errors on Secret fields name the field and what was expected, never the value.
TEST(SecretDecodeErrors, NeverEchoTheValue) {
  const std::string canary = "not!base64!canary-value";
  Json j = {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", "s"}}},
            {"data", {{"password", canary}, {"count", 12345678}}},
            {"stringData", {{"other", {{"nested", canary}}}}}};
  api::Secret s;
  absl::Status st = DecodeJson(j, &s);
  ASSERT_FALSE(st.ok());
  std::string msg(st.message());
  EXPECT_NE(msg.find("data[password]: illegal base64 data: expected a base64-encoded value"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("data[count]: expected string, got integer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("stringData[other]: expected string, got object"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("canary"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("12345678"), std::string::npos) << msg;
}

}  // namespace
}  // namespace mk
