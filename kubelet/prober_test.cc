#include "kubelet/prober.h"

#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/fake_runtime.h"

namespace mk::kubelet {
namespace {

using ::testing::HasSubstr;

class ProbeHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/healthz", [this](const httplib::Request& req, httplib::Response& res) {
      header_ = req.get_header_value("Custom-Header");
      res.status = status_;
      res.set_content("x", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 200 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    container_.set_name("c");
    auto* p = container_.add_ports();
    p->set_name("web");
    p->set_container_port(port_);
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  api::Probe HttpProbe(bool by_name) {
    api::Probe probe;
    probe.mutable_http_get()->set_path("/healthz");
    if (by_name) {
      probe.mutable_http_get()->mutable_port()->set_str_val("web");
    } else {
      probe.mutable_http_get()->mutable_port()->set_int_val(port_);
    }
    auto* h = probe.mutable_http_get()->add_http_headers();
    h->set_name("Custom-Header");
    h->set_value("Awesome");
    return probe;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int status_ = 200;
  std::string header_;
  api::Container container_;
  FakeClock clock_;
  FakeRuntime runtime_{&clock_};
};

TEST_F(ProbeHttpTest, SuccessSendsHeadersAndResolvesNamedPort) {
  ProbeResult r = RunProbe(&runtime_, HttpProbe(true), container_, "127.0.0.1", "id");
  EXPECT_TRUE(r.success) << r.message;
  EXPECT_EQ(header_, "Awesome");
}

TEST_F(ProbeHttpTest, ServerErrorFailsWithStatusCode) {
  status_ = 500;
  ProbeResult r = RunProbe(&runtime_, HttpProbe(false), container_, "127.0.0.1", "id");
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.message, "HTTP probe failed with statuscode: 500");
  status_ = 302;
  EXPECT_TRUE(RunProbe(&runtime_, HttpProbe(false), container_, "127.0.0.1", "id").success);
}

TEST_F(ProbeHttpTest, TcpSocket) {
  api::Probe probe;
  probe.mutable_tcp_socket()->mutable_port()->set_int_val(port_);
  EXPECT_TRUE(RunProbe(&runtime_, probe, container_, "127.0.0.1", "id").success);
  server_.stop();
  thread_.join();
  thread_ = std::thread([] {});
  ProbeResult r = RunProbe(&runtime_, probe, container_, "127.0.0.1", "id");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.message, HasSubstr("connection refused"));
}

// HTTPS probes against a self-signed certificate: Kubernetes does not verify it.
TEST(ProbeHttps, SelfSignedServerIsProbedWithoutVerification) {
  char dir_tmpl[] = "/tmp/mk-probe-tls-XXXXXX";
  ASSERT_NE(mkdtemp(dir_tmpl), nullptr);
  const std::string dir = dir_tmpl;
  const std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=pod -days 1 "
      "-keyout " +
      dir + "/k.pem -out " + dir + "/c.pem 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  httplib::SSLServer server((dir + "/c.pem").c_str(), (dir + "/k.pem").c_str());
  ASSERT_TRUE(server.is_valid());
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { server.listen_after_bind(); });
  for (int i = 0; i < 200 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FakeClock clock;
  FakeRuntime runtime(&clock);
  api::Container c;
  c.set_name("c");
  api::Probe probe;
  probe.mutable_http_get()->set_path("/healthz");
  probe.mutable_http_get()->mutable_port()->set_int_val(port);
  probe.mutable_http_get()->set_scheme("HTTPS");
  ProbeResult r = RunProbe(&runtime, probe, c, "127.0.0.1", "id");
  EXPECT_TRUE(r.success) << r.message;
  probe.mutable_http_get()->set_scheme("HTTP");  // plain HTTP to a TLS port fails
  r = RunProbe(&runtime, probe, c, "127.0.0.1", "id");
  EXPECT_FALSE(r.success);
  EXPECT_THAT(r.message, HasSubstr("http://127.0.0.1:"));
  server.stop();
  t.join();
  std::filesystem::remove_all(dir);
}

TEST(Probe, NoPodIpFails) {
  FakeClock clock;
  FakeRuntime runtime(&clock);
  api::Probe probe;
  probe.mutable_http_get()->mutable_port()->set_int_val(80);
  ProbeResult r = RunProbe(&runtime, probe, api::Container(), "", "id");
  EXPECT_FALSE(r.success);
}

TEST(ProbeManager, NoProbesMeansReady) {
  FakeClock clock;
  FakeRuntime runtime(&clock);
  ProbeManager m(&runtime, nullptr, "n");
  api::Pod pod;
  pod.mutable_metadata()->set_uid("u");
  pod.mutable_spec()->add_containers()->set_name("c");
  m.ContainerStarted(pod, "c", "id1");
  EXPECT_TRUE(m.Ready("u", "c", "id1"));
}

TEST(ProbeManager, ReadinessStartsFalse) {
  FakeClock clock;
  FakeRuntime runtime(&clock);
  ProbeManager m(&runtime, nullptr, "n");
  api::Pod pod;
  pod.mutable_metadata()->set_uid("u");
  auto* c = pod.mutable_spec()->add_containers();
  c->set_name("c");
  c->mutable_readiness_probe()->set_initial_delay_seconds(3600);
  c->mutable_readiness_probe()->mutable_exec()->add_command("true");
  m.ContainerStarted(pod, "c", "id1");
  EXPECT_FALSE(m.Ready("u", "c", "id1"));
  m.PodRemoved("u");
  m.Shutdown();
}

}  // namespace
}  // namespace mk::kubelet
