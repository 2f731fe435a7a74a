#include "common/rpc_log.h"

#include <functional>

#include "absl/strings/match.h"
#include "api.pb.h"
#include "apiserver.pb.h"
#include "common/log.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

constexpr char kCanary[] = "rpc-canary-value";

api::Secret SecretWithCanary() {
  api::Secret s;
  s.set_api_version("v1");
  s.mutable_metadata()->set_name("db");
  (*s.mutable_data())["password"] = kCanary;
  (*s.mutable_string_data())["note"] = kCanary;
  return s;
}

std::string Logged(int v, const std::function<void()>& f) {
  SetLogVerbosity(v);
  ::testing::internal::CaptureStderr();
  f();
  std::string out = ::testing::internal::GetCapturedStderr();
  SetLogVerbosity(0);
  return out;
}

TEST(RpcLogTest, WriteRequestObjectIsRedacted) {
  api::WriteRequest req;
  req.set_resource("secrets");
  req.set_namespace_("default");
  req.set_data(SecretWithCanary().SerializeAsString());
  std::string out = Logged(10, [&] { LogRpcRequest("Create", req); });
  EXPECT_TRUE(absl::StrContains(out, "gRPC Create secrets default/")) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"password\":\"<redacted>\"")) << out;
  EXPECT_FALSE(absl::StrContains(out, kCanary)) << out;
  EXPECT_FALSE(absl::StrContains(out, "cnBjLWNhbmFyeS12YWx1ZQ")) << out;  // base64 of it
}

TEST(RpcLogTest, PatchOfASecretIsRedactedWithoutKind) {
  api::PatchRequest req;
  req.set_resource("secrets");
  req.set_namespace_("default");
  req.set_name("db");
  req.set_patch_type("application/merge-patch+json");
  req.set_patch(std::string("{\"stringData\":{\"k\":\"") + kCanary + "\"}}");
  std::string out = Logged(10, [&] { LogRpcRequest("Patch", req); });
  EXPECT_TRUE(absl::StrContains(out, "gRPC patch")) << out;
  EXPECT_FALSE(absl::StrContains(out, kCanary)) << out;
}

TEST(RpcLogTest, ReceivedSecretWithoutKindIsRedacted) {
  std::string out = Logged(10, [&] { LogRpcObject("received", SecretWithCanary()); });
  EXPECT_TRUE(absl::StrContains(out, "<redacted>")) << out;
  EXPECT_FALSE(absl::StrContains(out, kCanary)) << out;
}

TEST(RpcLogTest, VerbosityLevels) {
  api::GetRequest req;
  req.set_resource("pods");
  req.set_namespace_("default");
  req.set_name("p");
  EXPECT_EQ(Logged(5, [&] { LogRpcRequest("Get", req); }), "");
  EXPECT_TRUE(
      absl::StrContains(Logged(6, [&] { LogRpcRequest("Get", req); }), "gRPC Get pods default/p"));
  EXPECT_EQ(Logged(7, [&] { LogRpcObject("received", SecretWithCanary()); }), "");
}

}  // namespace
}  // namespace mk
