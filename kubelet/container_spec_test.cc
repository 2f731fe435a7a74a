#include "kubelet/container_spec.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/backoff.h"
#include "kubelet/volumes.h"

namespace mk::kubelet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

api::Pod WebPod() {
  api::Pod pod;
  pod.mutable_metadata()->set_name("web");
  pod.mutable_metadata()->set_namespace_("prod");
  pod.mutable_metadata()->set_uid("0123456789abcdef");
  api::Container* c = pod.mutable_spec()->add_containers();
  c->set_name("httpd");
  c->set_image("busybox:1");
  c->add_command("sh");
  c->add_command("-c");
  c->add_args("echo $(GREETING) $$(HOME) $(UNDEFINED)");
  c->set_working_dir("/www");
  (*c->mutable_resources()->mutable_limits())["memory"] = "300Mi";
  (*c->mutable_resources()->mutable_limits())["cpu"] = "500m";
  (*c->mutable_resources()->mutable_requests())["cpu"] = "250m";
  api::ContainerPort* p = c->add_ports();
  p->set_container_port(80);
  p->set_host_port(8080);
  p->set_protocol("TCP");
  return pod;
}

TEST(ContainerSpecTest, CommandArgsEnvAndResources) {
  api::Pod pod = WebPod();
  ContainerOptions o;
  o.node = "n1";
  o.sandbox_id = "sb123";
  o.attempt = 3;
  o.env = {"GREETING=hello"};
  o.binds = {"/a:/b:ro"};
  absl::StatusOr<Json> body = ContainerBody(pod, pod.spec().containers(0), o);
  ASSERT_TRUE(body.ok()) << body.status();
  Json& b = *body;
  EXPECT_EQ(b["Image"], "busybox:1");
  EXPECT_EQ(b["Entrypoint"], Json::array({"sh", "-c"}));
  EXPECT_EQ(b["Cmd"], Json::array({"echo hello $(HOME) $(UNDEFINED)"}));
  EXPECT_EQ(b["Env"], Json::array({"GREETING=hello"}));
  EXPECT_EQ(b["WorkingDir"], "/www");
  const Json& h = b["HostConfig"];
  EXPECT_EQ(h["Memory"], 300 * 1024 * 1024);
  EXPECT_EQ(h["MemorySwap"], 300 * 1024 * 1024);
  EXPECT_EQ(h["CpuPeriod"], 100000);
  EXPECT_EQ(h["CpuQuota"], 50000);
  EXPECT_EQ(h["CpuShares"], 256);
  EXPECT_EQ(h["NetworkMode"], "container:sb123");
  EXPECT_EQ(h["IpcMode"], "container:sb123");
  EXPECT_EQ(h["RestartPolicy"]["Name"], "no");
  EXPECT_EQ(h["Binds"], Json::array({"/a:/b:ro"}));
  EXPECT_FALSE(b.contains("Hostname"));  // Docker refuses these with container: networking
  EXPECT_FALSE(b.contains("ExposedPorts"));
  EXPECT_FALSE(h.contains("PortBindings"));
  EXPECT_EQ(b["Labels"][kLabelAttempt], "3");
  EXPECT_EQ(b["Labels"][kLabelPodUid], "0123456789abcdef");
  EXPECT_EQ(b["Labels"][kLabelContainerName], "httpd");
  EXPECT_EQ(ContainerName(pod, "httpd", 3), "mk_httpd_web_prod_01234567_3");
}

TEST(ContainerSpecTest, OnlyArgsKeepsTheImageEntrypointAndLimitsOnlyGiveShares) {
  api::Pod pod = WebPod();
  api::Container* c = pod.mutable_spec()->mutable_containers(0);
  c->clear_command();
  c->mutable_resources()->mutable_requests()->clear();
  (*c->mutable_resources()->mutable_limits())["cpu"] = "2";
  absl::StatusOr<Json> body = ContainerBody(pod, *c, ContainerOptions{});
  ASSERT_TRUE(body.ok());
  EXPECT_FALSE(body->contains("Entrypoint"));
  EXPECT_EQ((*body)["Cmd"].size(), 1u);
  EXPECT_EQ((*body)["HostConfig"]["CpuShares"], 2048);  // requests default to limits
  EXPECT_EQ((*body)["HostConfig"]["CpuQuota"], 200000);

  c->mutable_resources()->mutable_limits()->clear();
  body = ContainerBody(pod, *c, ContainerOptions{});
  EXPECT_EQ((*body)["HostConfig"]["CpuShares"], 2);  // best effort: the minimum
  EXPECT_FALSE((*body)["HostConfig"].contains("Memory"));

  (*c->mutable_resources()->mutable_limits())["memory"] = "5 Mi";
  EXPECT_FALSE(ContainerBody(pod, *c, ContainerOptions{}).ok());
}

TEST(ContainerSpecTest, SandboxOwnsHostnamePortsAndIpc) {
  api::Pod pod = WebPod();
  SandboxOptions o;
  o.node = "n1";
  o.network = "mk-net";
  Json b = SandboxBody(pod, o);
  EXPECT_EQ(b["Image"], "mk-pause:1");
  EXPECT_EQ(b["Hostname"], "web");
  EXPECT_EQ(b["Labels"][kLabelSandbox], "true");
  EXPECT_EQ(b["ExposedPorts"], Json::parse(R"({"80/tcp":{}})"));
  EXPECT_EQ(b["HostConfig"]["PortBindings"],
            Json::parse(R"({"80/tcp":[{"HostIp":"","HostPort":"8080"}]})"));
  EXPECT_EQ(b["HostConfig"]["NetworkMode"], "mk-net");
  EXPECT_EQ(b["HostConfig"]["IpcMode"], "shareable");
  EXPECT_EQ(SandboxName(pod, 0), "mk_POD_web_prod_01234567_0");
}

TEST(ContainerSpecTest, Quantities) {
  EXPECT_EQ(*ParseCpuMilli("500m"), 500);
  EXPECT_EQ(*ParseCpuMilli("1.5"), 1500);
  EXPECT_EQ(*ParseCpuMilli("2"), 2000);
  EXPECT_EQ(*ParseBytes("300Mi"), 314572800);
  EXPECT_EQ(*ParseBytes("1G"), 1000000000);
  EXPECT_EQ(*ParseBytes("1.5Gi"), 1610612736);
  EXPECT_EQ(*ParseBytes("1e3"), 1000);
  EXPECT_FALSE(ParseBytes("5 Mi").ok());
  EXPECT_FALSE(ParseBytes("").ok());
}

TEST(ContainerSpecTest, FieldRefEnv) {
  api::Pod pod = WebPod();
  pod.mutable_spec()->set_node_name("node-7");
  (*pod.mutable_metadata()->mutable_labels())["app"] = "web";
  api::Container c;
  for (auto [name, path] :
       std::vector<std::pair<std::string, std::string>>{{"N", "metadata.name"},
                                                        {"NS", "metadata.namespace"},
                                                        {"IP", "status.podIP"},
                                                        {"NODE", "spec.nodeName"},
                                                        {"APP", "metadata.labels['app']"}}) {
    api::EnvVar* e = c.add_env();
    e->set_name(name);
    e->mutable_value_from()->mutable_field_ref()->set_field_path(path);
  }
  api::EnvVar* e = c.add_env();
  e->set_name("URL");
  e->set_value("http://$(IP):80");
  auto env = BuildEnv(pod, c, nullptr, "10.0.0.5", "192.168.0.1");
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(*env, ElementsAre("N=web", "NS=prod", "IP=10.0.0.5", "NODE=node-7", "APP=web",
                                "URL=http://10.0.0.5:80"));
}

TEST(ContainerSpecTest, GoDurations) {
  EXPECT_EQ(GoDuration(absl::Seconds(10)), "10s");
  EXPECT_EQ(GoDuration(absl::Seconds(80)), "1m20s");
  EXPECT_EQ(GoDuration(absl::Seconds(160)), "2m40s");
  EXPECT_EQ(GoDuration(absl::Seconds(300)), "5m0s");
}

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/vol-", getpid());
    std::filesystem::create_directories(dir_ + "/vol/inner");
    std::filesystem::create_directories(dir_ + "/outside");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(VolumesTest, SubPathStaysInsideTheVolume) {
  std::string vol = dir_ + "/vol";
  auto ok = ResolveSubPath(vol, "inner");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, std::filesystem::canonical(vol).string() + "/inner");
  auto created = ResolveSubPath(vol, "new/deeper");
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(std::filesystem::is_directory(*created));

  EXPECT_THAT(std::string(ResolveSubPath(vol, "../outside").status().message()),
              HasSubstr("without '..'"));
  EXPECT_FALSE(ResolveSubPath(vol, "inner/../../outside").ok());
  EXPECT_FALSE(ResolveSubPath(vol, "/etc").ok());
  std::filesystem::create_symlink(dir_ + "/outside", vol + "/escape");
  EXPECT_THAT(std::string(ResolveSubPath(vol, "escape").status().message()),
              HasSubstr("leaves the volume"));
  EXPECT_FALSE(ResolveSubPath(vol, "escape/x").ok());
  std::filesystem::create_symlink("inner", vol + "/alias");
  EXPECT_TRUE(ResolveSubPath(vol, "alias").ok());  // a symlink within the volume is fine
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/outside/x"));
}

TEST_F(VolumesTest, MountBindsWithSubPathAndReadOnly) {
  VolumeMap vols{{"data", {dir_ + "/vol", false}}, {"sec", {dir_ + "/outside", true}}};
  api::Container c;
  c.set_name("c");
  auto* m = c.add_volume_mounts();
  m->set_name("data");
  m->set_mount_path("/data");
  m->set_sub_path("inner");
  m->set_read_only(true);
  auto* m2 = c.add_volume_mounts();
  m2->set_name("sec");
  m2->set_mount_path("/sec");
  auto binds = MountBinds(c, vols);
  ASSERT_TRUE(binds.ok()) << binds.status();
  EXPECT_THAT(*binds,
              ElementsAre(std::filesystem::canonical(dir_ + "/vol/inner").string() + ":/data:ro",
                          dir_ + "/outside:/sec:ro"));
  m->set_sub_path("../outside");
  EXPECT_FALSE(MountBinds(c, vols).ok());
  m->set_name("nope");
  EXPECT_THAT(std::string(MountBinds(c, vols).status().message()),
              HasSubstr("cannot find volume \"nope\""));
}

}  // namespace
}  // namespace mk::kubelet
