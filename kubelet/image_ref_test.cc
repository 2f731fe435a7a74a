#include "kubelet/image_ref.h"

#include "gtest/gtest.h"

namespace mk::kubelet {
namespace {

ImageRef Parse(const std::string& s) {
  absl::StatusOr<ImageRef> ref = ParseImageRef(s);
  EXPECT_TRUE(ref.ok()) << s << ": " << ref.status();
  return ref.ok() ? *ref : ImageRef{};
}

TEST(ImageRefTest, DockerHubDefaults) {
  ImageRef r = Parse("busybox");
  EXPECT_EQ(r.domain, "docker.io");
  EXPECT_EQ(r.path, "library/busybox");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_FALSE(r.tag_given);
  EXPECT_TRUE(r.DefaultPullAlways());
  EXPECT_EQ(r.Repository(), "docker.io/library/busybox");
  EXPECT_EQ(r.String(), "docker.io/library/busybox:latest");
  EXPECT_TRUE(r.IsDockerHub());

  r = Parse("polinux/stress");
  EXPECT_EQ(r.Repository(), "docker.io/polinux/stress");
  r = Parse("nginx:1.25");
  EXPECT_EQ(r.tag, "1.25");
  EXPECT_FALSE(r.DefaultPullAlways());
  r = Parse("nginx:latest");
  EXPECT_TRUE(r.DefaultPullAlways());
  EXPECT_EQ(Parse("index.docker.io/library/nginx").Repository(), "docker.io/library/nginx");
  EXPECT_EQ(Parse("docker.io/nginx").Repository(), "docker.io/library/nginx");
}

TEST(ImageRefTest, PrivateRegistries) {
  ImageRef r = Parse("mydomain:5000/photo-view:v2.0");
  EXPECT_EQ(r.domain, "mydomain:5000");
  EXPECT_EQ(r.path, "photo-view");
  EXPECT_EQ(r.tag, "v2.0");
  EXPECT_EQ(r.Host(), "mydomain");
  EXPECT_EQ(r.Port(), "5000");
  EXPECT_FALSE(r.IsDockerHub());
  EXPECT_EQ(r.PullTag(), "v2.0");

  r = Parse("127.0.0.1:5000/busybox:1");
  EXPECT_EQ(r.domain, "127.0.0.1:5000");
  EXPECT_EQ(r.Repository(), "127.0.0.1:5000/busybox");
  EXPECT_EQ(Parse("k8s.gcr.io/liveness").Repository(), "k8s.gcr.io/liveness");
  EXPECT_EQ(Parse("k8s.gcr.io/liveness").Port(), "");
  EXPECT_EQ(Parse("localhost/app").domain, "localhost");
  EXPECT_EQ(Parse("localhost:5000/a/b/c:t").path, "a/b/c");
  // Without '.', ':' or localhost the first part is a Docker Hub namespace.
  EXPECT_EQ(Parse("mydomain/photo").Repository(), "docker.io/mydomain/photo");
  EXPECT_EQ(Parse("[::1]:5000/x").Port(), "5000");
}

TEST(ImageRefTest, Digests) {
  std::string digest = "sha256:" + std::string(64, 'a');
  ImageRef r = Parse("busybox@" + digest);
  EXPECT_EQ(r.digest, digest);
  EXPECT_EQ(r.tag, "");
  EXPECT_FALSE(r.DefaultPullAlways());
  EXPECT_EQ(r.PullTag(), digest);
  EXPECT_EQ(r.String(), "docker.io/library/busybox@" + digest);
  r = Parse("127.0.0.1:5000/busybox:1@" + digest);
  EXPECT_EQ(r.tag, "1");
  EXPECT_EQ(r.String(), "127.0.0.1:5000/busybox:1@" + digest);
}

TEST(ImageRefTest, Invalid) {
  for (const char* bad :
       {"", "Busybox", "mydomain:5000/Photo", "busybox:", ":tag", "a//b", "busybox@sha256:abc",
        "-x", "x-", "bad:tag:tag", "host:/x", "my_domain.com:5000/x", "busybox:-bad", "a/b/"}) {
    EXPECT_FALSE(ParseImageRef(bad).ok()) << bad;
  }
  absl::StatusOr<ImageRef> upper = ParseImageRef("mydomain:5000/Photo-View:v1");
  EXPECT_EQ(upper.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(upper.status().message().find("must be lowercase"), absl::string_view::npos);
  EXPECT_TRUE(ParseImageRef("ns/a__b.c-d---e").ok());
  EXPECT_FALSE(ParseImageRef("a__b.c/f").ok());            // first part has a dot: a (bad) host
  EXPECT_TRUE(ParseImageRef("MyDomain.com:5000/x").ok());  // hosts may be upper case
}

}  // namespace
}  // namespace mk::kubelet
