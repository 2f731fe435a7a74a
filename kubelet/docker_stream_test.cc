#include "kubelet/docker_stream.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mk::kubelet {
namespace {

std::string Frame(int stream, const std::string& payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  uint32_t n = static_cast<uint32_t>(payload.size());
  out[4] = static_cast<char>(n >> 24);
  out[5] = static_cast<char>(n >> 16);
  out[6] = static_cast<char>(n >> 8);
  out[7] = static_cast<char>(n);
  return out + payload;
}

struct Collected {
  std::string out, err;
  std::vector<int> order;  // stream of each piece, consecutive duplicates merged
};

LogFrameDemuxer::Sink Collect(Collected* c) {
  return [c](int stream, absl::string_view data) {
    (stream == 2 ? c->err : c->out).append(data.data(), data.size());
    if (c->order.empty() || c->order.back() != stream) c->order.push_back(stream);
    return true;
  };
}

TEST(LogFrameDemuxerTest, SplitAtEveryByteBoundary) {
  std::string big(70000, 'x');
  std::string input =
      Frame(1, "hello\n") + Frame(2, "oops\n") + Frame(1, "") + Frame(1, "world\n") + Frame(2, big);
  for (size_t cut = 0; cut <= input.size(); cut += (cut < 64 ? 1 : 997)) {
    Collected c;
    LogFrameDemuxer demux(Collect(&c));
    ASSERT_TRUE(demux.Feed(absl::string_view(input).substr(0, cut)));
    ASSERT_TRUE(demux.Feed(absl::string_view(input).substr(cut)));
    EXPECT_EQ(c.out, "hello\nworld\n") << "cut at " << cut;
    EXPECT_EQ(c.err, "oops\n" + big) << "cut at " << cut;
    EXPECT_THAT(c.order, ::testing::ElementsAre(1, 2, 1, 2));
    EXPECT_TRUE(demux.AtFrameBoundary());
    EXPECT_FALSE(demux.corrupt());
  }
}

TEST(LogFrameDemuxerTest, OneByteAtATimeAndEveryTwoWaySplitOfSmallInput) {
  std::string input = Frame(1, "ab") + Frame(2, "cde") + Frame(1, "f");
  Collected bytewise;
  LogFrameDemuxer demux(Collect(&bytewise));
  for (char ch : input) ASSERT_TRUE(demux.Feed(absl::string_view(&ch, 1)));
  EXPECT_EQ(bytewise.out, "abf");
  EXPECT_EQ(bytewise.err, "cde");
  for (size_t a = 0; a <= input.size(); ++a) {
    for (size_t b = a; b <= input.size(); ++b) {
      Collected c;
      LogFrameDemuxer d(Collect(&c));
      d.Feed(input.substr(0, a));
      d.Feed(input.substr(a, b - a));
      d.Feed(input.substr(b));
      ASSERT_EQ(c.out, "abf") << a << "," << b;
      ASSERT_EQ(c.err, "cde") << a << "," << b;
    }
  }
}

TEST(LogFrameDemuxerTest, IncompleteFrameIsDeliveredAsItArrives) {
  Collected c;
  LogFrameDemuxer demux(Collect(&c));
  std::string frame = Frame(1, "0123456789");
  demux.Feed(frame.substr(0, 12));
  EXPECT_EQ(c.out, "0123");
  EXPECT_FALSE(demux.AtFrameBoundary());
  demux.Feed(frame.substr(12));
  EXPECT_EQ(c.out, "0123456789");
  EXPECT_TRUE(demux.AtFrameBoundary());
}

TEST(LogFrameDemuxerTest, SinkStops) {
  int calls = 0;
  LogFrameDemuxer demux([&](int, absl::string_view) { return ++calls < 2; });
  EXPECT_FALSE(demux.Feed(Frame(1, "a") + Frame(1, "b") + Frame(1, "c")));
  EXPECT_EQ(calls, 2);
}

TEST(LogFrameDemuxerTest, UnframedInputPassesThroughRaw) {
  Collected c;
  LogFrameDemuxer demux(Collect(&c));
  demux.Feed("plain tty output\n");
  demux.Feed("more\n");
  EXPECT_TRUE(demux.corrupt());
  EXPECT_EQ(c.out, "plain tty output\nmore\n");
}

TEST(JsonLinesScannerTest, SplitsLinesAcrossFeeds) {
  std::string input = "{\"a\":1}\n{\"b\":\"x\\ny\"}\r\n\nnot json\n{\"c\":3}";
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    std::vector<Json> got;
    JsonLinesScanner scanner([&](const Json& j) {
      got.push_back(j);
      return true;
    });
    ASSERT_TRUE(scanner.Feed(input.substr(0, cut)));
    ASSERT_TRUE(scanner.Feed(input.substr(cut)));
    ASSERT_TRUE(scanner.Finish());
    ASSERT_EQ(got.size(), 4u) << cut;
    EXPECT_EQ(got[0]["a"], 1);
    EXPECT_EQ(got[1]["b"], "x\ny");
    EXPECT_EQ(got[2], "not json");
    EXPECT_EQ(got[3]["c"], 3);
  }
}

TEST(JsonLinesScannerTest, CallbackStops) {
  int n = 0;
  JsonLinesScanner scanner([&](const Json&) { return ++n < 2; });
  EXPECT_FALSE(scanner.Feed("1\n2\n3\n"));
  EXPECT_EQ(n, 2);
}

TEST(ProgressTest, ErrorLines) {
  EXPECT_FALSE(ProgressError(Json::parse(R"({"status":"Pulling fs layer","id":"a"})")));
  EXPECT_EQ(*ProgressError(
                Json::parse(R"({"errorDetail":{"message":"unauthorized: authentication required"},)"
                            R"("error":"unauthorized: authentication required"})")),
            "unauthorized: authentication required");
  EXPECT_EQ(*ProgressError(Json::parse(R"({"error":"only error"})")), "only error");
  EXPECT_EQ(*ProgressError(Json::parse(R"({"errorDetail":{"message":"detail"}})")), "detail");
  EXPECT_FALSE(ProgressError(Json("a string")));
}

TEST(ProgressTest, ScanWholeStream) {
  EXPECT_TRUE(ScanProgressStream("{\"status\":\"Pulling from busybox\"}\n"
                                 "{\"status\":\"Digest: sha256:abc\"}\n"
                                 "{\"status\":\"Status: Downloaded newer image\"}\n")
                  .ok());
  absl::Status st = ScanProgressStream(
      "{\"status\":\"Pulling from photo-view\",\"id\":\"v1.0\"}\n"
      "{\"errorDetail\":{\"message\":\"Head \\\"http://127.0.0.1:5000/v2/photo-view/manifests/"
      "v1.0\\\": no basic auth credentials\"},\"error\":\"no basic auth credentials\"}\n"
      "{\"status\":\"never reached\"}");
  EXPECT_EQ(st.code(), absl::StatusCode::kUnknown);
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("no basic auth credentials"));
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("photo-view"));
  // An error on a last line without newline is still seen.
  EXPECT_FALSE(ScanProgressStream("{\"status\":\"x\"}\n{\"error\":\"boom\"}").ok());
}

TEST(RegistryAuthTest, Base64UrlWithPaddingRoundTrips) {
  std::string header = EncodeRegistryAuth("admin", "p?>>~~", "127.0.0.1:5000");
  EXPECT_EQ(header.find_first_of("+/"), std::string::npos);
  EXPECT_EQ(header.size() % 4, 0u);
  std::string decoded;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(header, &decoded));
  Json j = Json::parse(decoded);
  EXPECT_EQ(j["username"], "admin");
  EXPECT_EQ(j["password"], "p?>>~~");
  EXPECT_EQ(j["serveraddress"], "127.0.0.1:5000");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8=");
}

}  // namespace
}  // namespace mk::kubelet
