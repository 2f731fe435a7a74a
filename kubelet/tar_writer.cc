#include "kubelet/tar_writer.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace mk::kubelet {
namespace {

constexpr size_t kBlock = 512;

// Writes `value` as zero-padded octal filling `width - 1` digits plus a NUL.
// (Values that do not fit are truncated to their low digits; callers stay within range.)
void Octal(char* field, size_t width, uint64_t value) {
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

}  // namespace

absl::Status TarWriter::AddEntry(absl::string_view name, char type, absl::string_view contents,
                                 absl::string_view link, uint32_t mode, int64_t mtime) {
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (name.empty()) return absl::InvalidArgumentError("tar entry without a name");
  if (link.size() > 100) {
    return absl::InvalidArgumentError(absl::StrCat("tar link target too long: ", link));
  }
  absl::string_view prefix;
  absl::string_view base = name;
  if (name.size() > 100) {
    // Split at a '/' so that the prefix fits 155 bytes and the rest 100.
    size_t split = name.rfind('/', 155);
    if (split == absl::string_view::npos || split == 0 || name.size() - split - 1 > 100) {
      return absl::InvalidArgumentError(absl::StrCat("tar entry name too long: ", name));
    }
    prefix = name.substr(0, split);
    base = name.substr(split + 1);
  }
  char header[kBlock];
  std::memset(header, 0, sizeof(header));
  std::memcpy(header, base.data(), base.size());                          // name[100]
  Octal(header + 100, 8, mode & 07777);                                   // mode
  Octal(header + 108, 8, 0);                                              // uid
  Octal(header + 116, 8, 0);                                              // gid
  Octal(header + 124, 12, contents.size());                               // size
  Octal(header + 136, 12, static_cast<uint64_t>(mtime < 0 ? 0 : mtime));  // mtime
  std::memset(header + 148, ' ', 8);                                      // chksum (spaces first)
  header[156] = type;                                                     // typeflag
  std::memcpy(header + 157, link.data(), link.size());                    // linkname[100]
  std::memcpy(header + 257, "ustar", 6);                                  // magic "ustar\0"
  std::memcpy(header + 263, "00", 2);                                     // version
  std::memcpy(header + 265, "root", 4);                                   // uname
  std::memcpy(header + 297, "root", 4);                                   // gname
  std::memcpy(header + 345, prefix.data(), prefix.size());                // prefix[155]
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  Octal(header + 148, 7, sum);  // six digits and a NUL, then a space
  header[155] = ' ';
  out_.append(header, sizeof(header));
  out_.append(contents.data(), contents.size());
  out_.append((kBlock - contents.size() % kBlock) % kBlock, '\0');
  return absl::OkStatus();
}

absl::Status TarWriter::AddFile(absl::string_view name, absl::string_view contents, uint32_t mode,
                                int64_t mtime) {
  return AddEntry(name, '0', contents, "", mode, mtime);
}

absl::Status TarWriter::AddDirectory(absl::string_view name, uint32_t mode, int64_t mtime) {
  std::string dir(name);
  if (dir.empty() || dir.back() != '/') dir.push_back('/');
  return AddEntry(dir, '5', "", "", mode, mtime);
}

absl::Status TarWriter::AddSymlink(absl::string_view name, absl::string_view target,
                                   int64_t mtime) {
  return AddEntry(name, '2', "", target, 0777, mtime);
}

std::string TarWriter::Finish() {
  out_.append(2 * kBlock, '\0');
  return std::move(out_);
}

}  // namespace mk::kubelet
