#pragma once

// Pure parsers for the byte streams the Docker Engine API sends back, kept apart from the
// socket code so they can be tested byte by byte:
//  - LogFrameDemuxer: the multiplexed stdout/stderr framing of logs, attach and exec;
//  - JsonLinesScanner: newline-delimited JSON (pull/import progress, events);
//  - ProgressError: the error an image pull reports inside a 200 response;
//  - EncodeRegistryAuth: the X-Registry-Auth header value.
//
// None of these are thread-safe; each stream gets its own instance.

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "common/json.h"

namespace mk::kubelet {

// Splits Docker's framed stream ([stream, 0, 0, 0, size uint32 big-endian] + payload) into
// payload pieces. Feed() takes the bytes in whatever pieces the socket delivers; the sink is
// called with each piece of payload as soon as it arrives (one frame may come in several
// pieces, a piece never spans two frames). stream is 1 (stdout) or 2 (stderr); 0 (stdin) is
// reported as 1. The sink returns false to stop: Feed() then returns false too.
class LogFrameDemuxer {
 public:
  using Sink = std::function<bool(int stream, absl::string_view payload)>;

  explicit LogFrameDemuxer(Sink sink) : sink_(std::move(sink)) {}

  bool Feed(absl::string_view data);
  // True when the stream stopped between frames (a clean end).
  bool AtFrameBoundary() const { return header_len_ == 0 && remaining_ == 0; }
  // Set when a header had an unknown stream byte; the rest is then passed through raw.
  bool corrupt() const { return corrupt_; }

 private:
  Sink sink_;
  unsigned char header_[8] = {};
  size_t header_len_ = 0;
  uint32_t remaining_ = 0;  // payload bytes left in the current frame
  int stream_ = 1;
  bool corrupt_ = false;
};

// Splits a byte stream into lines and parses each non-empty line as JSON. A line that is not
// JSON is handed over as a JSON string so nothing is lost. The callback returns false to stop.
class JsonLinesScanner {
 public:
  using Callback = std::function<bool(const Json& value)>;

  explicit JsonLinesScanner(Callback callback) : callback_(std::move(callback)) {}

  // Returns false once the callback asked to stop.
  bool Feed(absl::string_view data);
  // Handles a last line without a trailing newline. Returns false if the callback stopped.
  bool Finish();

 private:
  bool Emit(absl::string_view line);

  Callback callback_;
  std::string partial_;
};

// The error carried by one progress message of a pull/import/push
// ({"errorDetail":{"message":...},"error":...}), or nullopt for a normal progress line.
absl::optional<std::string> ProgressError(const Json& message);

// Scans a whole progress stream (as from POST /images/create) and returns the first error
// line's message as an Unknown status (the registry's own text), or OK.
absl::Status ScanProgressStream(absl::string_view body);

// X-Registry-Auth: base64url (with padding, as Docker decodes it) of
// {"username","password","serveraddress"}.
std::string EncodeRegistryAuth(absl::string_view username, absl::string_view password,
                               absl::string_view server_address);

// Standard base64 with URL-safe alphabet and padding.
std::string Base64UrlEncode(absl::string_view data);

}  // namespace mk::kubelet
