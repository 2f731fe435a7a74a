#pragma once

// A tiny in-memory ustar writer: enough to hand Docker a root filesystem (POST
// /images/create?fromSrc=-) without a tar binary. Entries are owned by root (uid/gid 0).
// Not thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mk::kubelet {

class TarWriter {
 public:
  // `name` is a relative path ("pause", "bin/sh"); up to 255 bytes (split into ustar's
  // prefix/name fields at a '/'). InvalidArgument when it does not fit.
  absl::Status AddFile(absl::string_view name, absl::string_view contents, uint32_t mode = 0644,
                       int64_t mtime = 0);
  absl::Status AddDirectory(absl::string_view name, uint32_t mode = 0755, int64_t mtime = 0);
  absl::Status AddSymlink(absl::string_view name, absl::string_view target, int64_t mtime = 0);

  // The archive with its two zero end blocks. The writer can't be used afterwards.
  std::string Finish();

 private:
  absl::Status AddEntry(absl::string_view name, char type, absl::string_view contents,
                        absl::string_view link, uint32_t mode, int64_t mtime);

  std::string out_;
};

}  // namespace mk::kubelet
