#include "common/flag_names.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

TEST(DashedFlagsToAbsl, RewritesNamesOnly) {
  const char* in[] = {"prog",
                      "--data-dir=/var/lib/a-b",
                      "--grpc-listen",
                      "127.0.0.1:1",
                      "-v=3",
                      "pos-arg",
                      "--",
                      "--not-a-flag"};
  std::vector<std::string> out = DashedFlagsToAbsl(8, const_cast<char**>(in));
  EXPECT_THAT(out, ::testing::ElementsAre("prog", "--data_dir=/var/lib/a-b", "--grpc_listen",
                                          "127.0.0.1:1", "-v=3", "pos-arg", "--", "--not-a-flag"));
}

TEST(NormalizedArgs, NullTerminatedArgv) {
  const char* in[] = {"prog", "--bookmark-interval-seconds=5"};
  NormalizedArgs args(2, const_cast<char**>(in));
  ASSERT_EQ(args.argc(), 2);
  EXPECT_STREQ(args.argv()[1], "--bookmark_interval_seconds=5");
  EXPECT_EQ(args.argv()[2], nullptr);
}

}  // namespace
}  // namespace mk
