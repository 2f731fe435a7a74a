#include "kubelet/log_server.h"

#include <httplib.h>

#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/fake_runtime.h"

namespace mk::kubelet {
namespace {

using ::testing::HasSubstr;

TEST(LogServer, ServesContainerLogsAndErrors) {
  FakeClock clock;
  FakeRuntime runtime(&clock);
  runtime.AddImage("img:1");
  absl::StatusOr<std::string> id = runtime.CreateContainer("web-0", Json{{"Image", "img:1"}});
  ASSERT_TRUE(id.ok()) << id.status();
  std::string asked;
  LogServer server(&runtime, [&](const std::string& ns, const std::string& pod,
                                 const std::string& container, bool previous) {
    asked = ns + "/" + pod + "/" + container + (previous ? " previous" : "");
    return previous ? std::string() : *id;
  });
  absl::StatusOr<int> port = server.Start("127.0.0.1", 0);
  ASSERT_TRUE(port.ok()) << port.status();
  httplib::Client client("127.0.0.1", *port);
  auto res = client.Get("/containerLogs/default/web/main?tailLines=5");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "log of web-0\n");
  EXPECT_EQ(asked, "default/web/main");
  res = client.Get("/containerLogs/default/web/main?previous=true");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_THAT(res->body, HasSubstr("previous terminated container \"main\" in pod \"web\""));
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "ok");
  server.Shutdown();
}

}  // namespace
}  // namespace mk::kubelet
