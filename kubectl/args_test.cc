#include "kubectl/args.h"

#include "gtest/gtest.h"

namespace mk::kubectl {
namespace {

Args Spec() {
  Args a;
  a.Flag("namespace", 'n')
      .Flag("output", 'o')
      .Flag("from-literal")
      .Bool("watch", 'w')
      .Bool("all-namespaces", 'A')
      .Optional("cascade", "background", "background");
  return a;
}

TEST(ArgsTest, Forms) {
  Args a = Spec();
  ASSERT_TRUE(a.Parse({"get", "-n", "kube-system", "pods", "--output=wide", "-w"}).ok());
  EXPECT_EQ(a.Get("namespace"), "kube-system");
  EXPECT_EQ(a.Get("output"), "wide");
  EXPECT_TRUE(a.GetBool("watch"));
  EXPECT_FALSE(a.GetBool("all-namespaces"));
  EXPECT_EQ(a.positional(), (std::vector<std::string>{"get", "pods"}));

  Args b = Spec();
  ASSERT_TRUE(b.Parse({"-nfoo", "-oyaml", "--watch=false", "-Aw", "x"}).ok());
  EXPECT_EQ(b.Get("namespace"), "foo");
  EXPECT_EQ(b.Get("output"), "yaml");
  EXPECT_TRUE(b.GetBool("watch"));
  EXPECT_TRUE(b.GetBool("all-namespaces"));

  Args c = Spec();
  ASSERT_TRUE(c.Parse({"-n=bar", "--namespace", "baz"}).ok());
  EXPECT_EQ(c.Get("namespace"), "baz");
  EXPECT_TRUE(c.Has("namespace"));
  EXPECT_FALSE(c.Has("output"));
}

TEST(ArgsTest, RepeatedAndOptionalValue) {
  Args a = Spec();
  ASSERT_TRUE(a.Parse({"--from-literal=a=1", "--from-literal", "b=2", "--cascade", "x"}).ok());
  EXPECT_EQ(a.GetAll("from-literal"), (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(a.Get("cascade"), "background");
  EXPECT_EQ(a.positional(), (std::vector<std::string>{"x"}));
  Args b = Spec();
  ASSERT_TRUE(b.Parse({"--cascade=orphan"}).ok());
  EXPECT_EQ(b.Get("cascade"), "orphan");
}

TEST(ArgsTest, DashDashAndErrors) {
  Args a = Spec();
  ASSERT_TRUE(a.Parse({"x", "--", "-n", "--y"}).ok());
  EXPECT_EQ(a.positional(), (std::vector<std::string>{"x", "-n", "--y"}));
  EXPECT_EQ(a.dash_index(), 1);
  EXPECT_EQ(Spec().Parse({"--bogus"}).message(), "unknown flag: --bogus");
  EXPECT_EQ(Spec().Parse({"-z"}).message(), "unknown shorthand flag: 'z' in -z");
  EXPECT_EQ(Spec().Parse({"--namespace"}).message(), "flag needs an argument: --namespace");
  EXPECT_FALSE(Spec().Parse({"--watch=maybe"}).ok());
  Args b = Spec();
  ASSERT_TRUE(b.Parse({"-"}).ok());
  EXPECT_EQ(b.positional(), (std::vector<std::string>{"-"}));
}

}  // namespace
}  // namespace mk::kubectl
