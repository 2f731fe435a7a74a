// mk-kubelet pulls from the password-protected registry (tests/e2e/lib/docker-env.sh):
// ErrImagePull / ImagePullBackOff with the registry's message without credentials;
// `create secret docker-registry` and the generic `--from-file=.dockerconfigjson` form;
// the default service account's imagePullSecrets; and an applied image change.

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace mk::e2e {
namespace {

using ::testing::HasSubstr;

std::string PodYaml(const std::string& name, const std::string& image,
                    const std::string& secret = "") {
  std::string y =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\nspec:\n  nodeName: NODE\n";
  if (!secret.empty()) y += "  imagePullSecrets: [{name: " + secret + "}]\n";
  y += "  containers:\n  - name: main\n    image: " + image + "\n";
  return y;
}

// Removes the local copy so the next pod must pull.
void Forget(const std::string& image) { Docker("rmi -f " + image + " >/dev/null"); }

std::string Version(const nlohmann::json& pod) {
  std::string ip = pod["status"].value("podIP", "");
  return RunCmd({"/bin/sh", "-c",
                 "wget -q -T 3 -O - http://" + ip +
                     "/version 2>/dev/null || "
                     "curl -s -m 3 http://" +
                     ip + "/version"})
      .out;
}

TEST(KubeletRegistry, PullSecretsServiceAccountAndImageChange) {
  MK_E2E_REQUIRE_DOCKER();
  Cluster c(NodeName("reg"));
  ASSERT_TRUE(c.Start());
  const std::string v1 = Registry() + "/photo-view:v1.0";
  const std::string v2 = Registry() + "/photo-view:v2.0";
  const std::string busybox = Registry() + "/busybox:1";
  Forget(v1);
  Forget(v2);
  Forget(busybox);

  // No credentials: ErrImagePull, then ImagePullBackOff, with the registry's own words.
  c.Apply(PodYaml("nosecret", v1));
  std::string reasons;
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string r = Reason(ContainerStatus(c.Pod("nosecret"), "main"));
        if (!r.empty() && reasons.find(r) == std::string::npos) reasons += r + " ";
        return r == "ImagePullBackOff";
      },
      40));
  EXPECT_THAT(reasons, HasSubstr("ErrImagePull"));
  auto describe = c.K({"describe", "pod", "nosecret"});
  EXPECT_THAT(describe.out, HasSubstr("no basic auth credentials"));
  EXPECT_THAT(describe.out, HasSubstr("Error: ErrImagePull"));
  auto get = c.K({"get", "pod", "nosecret"});
  EXPECT_THAT(get.out, ::testing::AnyOf(HasSubstr("ImagePullBackOff"), HasSubstr("ErrImagePull")));

  // create secret docker-registry → pulls and runs.
  auto s = c.K({"create", "secret", "docker-registry", "regcred", "--docker-server=" + Registry(),
                "--docker-username=" + RegistryUser(), "--docker-password=" + RegistryPassword(),
                "--docker-email=e2e@example.com"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  c.Apply(PodYaml("withsecret", v1, "regcred"));
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("withsecret")); }, 40));
  EXPECT_EQ(Version(c.Pod("withsecret")), "v1.0\n");
  describe = c.K({"describe", "pod", "withsecret"});
  EXPECT_THAT(describe.out, HasSubstr("Successfully pulled image \"" + v1 + "\""));

  // The generic form with a .dockerconfigjson file.
  Forget(v2);
  std::string auth =
      RunCmd({"/bin/sh", "-c",
              "printf %s '" + RegistryUser() + ":" + RegistryPassword() + "' | base64 -w0"})
          .out;
  std::string cfg = c.dir() + "/config.json";
  ::mk::testing::WriteFile(cfg, "{\"auths\":{\"" + Registry() + "\":{\"auth\":\"" + auth + "\"}}}");
  s = c.K({"create", "secret", "generic", "regcred2", "--from-file=.dockerconfigjson=" + cfg,
           "--type=kubernetes.io/dockerconfigjson"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  c.Apply(PodYaml("generic", v2, "regcred2"));
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("generic")); }, 40));
  EXPECT_EQ(Version(c.Pod("generic")), "v2.0\n");

  // The default service account's imagePullSecrets serve pods that name none.
  s = c.K(
      {"patch", "serviceaccount", "default", "-p", R"({"imagePullSecrets":[{"name":"regcred"}]})"});
  ASSERT_EQ(s.exit_code, 0) << s.err;
  c.Apply(PodYaml("viasa", busybox) + "    command: [\"sleep\", \"3600\"]\n");
  ASSERT_TRUE(WaitFor([&] { return AllRunning(c.Pod("viasa")); }, 40));

  // apply a changed image → the container is replaced by one running the new image.
  Forget(v2);
  c.Apply(PodYaml("withsecret", v2, "regcred"));
  ASSERT_TRUE(WaitFor(
      [&] {
        nlohmann::json p = c.Pod("withsecret");
        nlohmann::json cs = ContainerStatus(p, "main");
        return Running(cs) && cs.value("image", "") == v2 && Version(p) == "v2.0\n";
      },
      40));
}

}  // namespace
}  // namespace mk::e2e
