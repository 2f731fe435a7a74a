#include "apiserver/log_pipe.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace mk::apiserver {
namespace {

TEST(LogPipe, AnErrorBeforeTheStartIsTheAnswer) {
  LogPipe pipe;
  std::thread producer([&] { pipe.Finish(absl::UnavailableError("cannot reach")); });
  absl::Status s = pipe.WaitStarted();
  producer.join();
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
}

TEST(LogPipe, StreamsChunksThenTheEnd) {
  LogPipe pipe;
  std::thread producer([&] {
    pipe.Start();
    EXPECT_TRUE(pipe.Write("a"));
    EXPECT_TRUE(pipe.Write("b"));
    pipe.Finish(absl::InternalError("cut"));
  });
  ASSERT_TRUE(pipe.WaitStarted().ok());
  std::string got, chunk;
  absl::Status end;
  while (pipe.Read(&chunk, &end)) got += chunk;
  producer.join();
  EXPECT_EQ(got, "ab");
  EXPECT_TRUE(absl::IsInternal(end)) << end;
}

TEST(LogPipe, FinishingWithoutStartingIsAnEmptyStream) {
  LogPipe pipe;
  pipe.Finish(absl::OkStatus());
  EXPECT_TRUE(pipe.WaitStarted().ok());
  std::string chunk;
  absl::Status end = absl::UnknownError("unset");
  EXPECT_FALSE(pipe.Read(&chunk, &end));
  EXPECT_TRUE(end.ok());
}

TEST(LogPipe, BackPressureAndAGoneClient) {
  LogPipe pipe(/*max_buffered=*/4);
  pipe.Start();
  ASSERT_TRUE(pipe.Write("1234"));
  bool second = true;
  std::thread producer([&] { second = pipe.Write("5"); });  // blocks: the buffer is full
  absl::SleepFor(absl::Milliseconds(50));
  pipe.Close();  // the client went away: the blocked write gives up
  producer.join();
  EXPECT_FALSE(second);
  EXPECT_FALSE(pipe.Write("6"));
}

}  // namespace
}  // namespace mk::apiserver
