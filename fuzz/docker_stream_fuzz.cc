// Docker stream parsers. The input is a byte stream plus a way of cutting it into the
// pieces a socket might deliver (FuzzedDataProvider). Properties:
//  - LogFrameDemuxer: streams are 1 or 2, the payload never exceeds the input, and what
//    comes out (streams and bytes) does not depend on how the input was cut;
//  - JsonLinesScanner: the sequence of values does not depend on the cuts either;
//  - ScanProgressStream / ProgressError run on the whole stream.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "kubelet/docker_stream.h"

namespace {

using mk::Json;
using mk::kubelet::JsonLinesScanner;
using mk::kubelet::LogFrameDemuxer;

// (stream, bytes) with adjacent pieces of the same stream joined.
using Output = std::vector<std::pair<int, std::string>>;

Output Demux(absl::string_view stream, const std::vector<size_t>& cuts, bool* boundary) {
  Output out;
  LogFrameDemuxer demuxer([&](int s, absl::string_view payload) {
    if (s != 1 && s != 2) {
      std::cerr << "stream " << s << "\n";
      abort();
    }
    if (!out.empty() && out.back().first == s) {
      out.back().second.append(payload.data(), payload.size());
    } else {
      out.emplace_back(s, std::string(payload));
    }
    return true;
  });
  size_t pos = 0;
  for (size_t cut : cuts) {
    if (cut > stream.size() - pos) break;
    demuxer.Feed(stream.substr(pos, cut));
    pos += cut;
  }
  demuxer.Feed(stream.substr(pos));
  *boundary = demuxer.AtFrameBoundary();
  return out;
}

std::vector<Json> Lines(absl::string_view stream, const std::vector<size_t>& cuts) {
  std::vector<Json> out;
  JsonLinesScanner scanner([&](const Json& v) {
    out.push_back(v);
    return true;
  });
  size_t pos = 0;
  for (size_t cut : cuts) {
    if (cut > stream.size() - pos) break;
    scanner.Feed(stream.substr(pos, cut));
    pos += cut;
  }
  scanner.Feed(stream.substr(pos));
  scanner.Finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  FuzzedDataProvider fdp(data, size);
  std::vector<size_t> cuts;
  size_t ncuts = fdp.ConsumeIntegralInRange<size_t>(0, 16);
  for (size_t i = 0; i < ncuts; ++i) cuts.push_back(fdp.ConsumeIntegralInRange<size_t>(0, 64));
  std::string stream = fdp.ConsumeRemainingBytesAsString();

  bool whole_boundary = false, cut_boundary = false;
  Output whole = Demux(stream, {}, &whole_boundary);
  Output pieces = Demux(stream, cuts, &cut_boundary);
  size_t total = 0;
  for (const auto& p : whole) total += p.second.size();
  if (total > stream.size()) {
    std::cerr << "demuxer produced " << total << " bytes from " << stream.size() << "\n";
    abort();
  }
  if (whole != pieces || whole_boundary != cut_boundary) {
    std::cerr << "demuxer output depends on how the input is cut\n";
    abort();
  }

  std::vector<Json> lines = Lines(stream, {});
  if (lines != Lines(stream, cuts)) {
    std::cerr << "JSON lines depend on how the input is cut\n";
    abort();
  }
  for (const Json& line : lines) (void)mk::kubelet::ProgressError(line);
  (void)mk::kubelet::ScanProgressStream(stream);
  return 0;
}
