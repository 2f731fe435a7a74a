#include "kubelet/pause_image.h"

#include <unistd.h>

#include <climits>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "kubelet/tar_writer.h"

namespace mk::kubelet {

absl::StatusOr<std::string> PauseImageTar(const std::string& binary) {
  TarWriter tar;
  absl::Status st = tar.AddFile("pause", binary, 0755);
  if (!st.ok()) return st;
  return tar.Finish();
}

absl::Status EnsurePauseImage(DockerClient& docker, const std::string& pause_binary_path,
                              const std::string& image) {
  absl::StatusOr<Json> existing = docker.InspectImage(image);
  if (existing.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(existing.status())) return existing.status();

  std::ifstream in(pause_binary_path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("pause binary ", pause_binary_path, " not found (build mk-pause)"));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (bytes.str().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("pause binary ", pause_binary_path, " is empty"));
  }
  absl::StatusOr<std::string> tar = PauseImageTar(bytes.str());
  if (!tar.ok()) return tar.status();

  size_t colon = image.rfind(':');
  bool has_tag = colon != std::string::npos && image.find('/', colon) == std::string::npos;
  std::string repo = has_tag ? image.substr(0, colon) : image;
  std::string tag = has_tag ? image.substr(colon + 1) : "latest";
  absl::Status st = docker.ImportImage(*tar, repo, tag, {R"(CMD ["/pause"])"});
  if (!st.ok()) {
    return absl::Status(st.code(), absl::StrCat("importing ", image, ": ", st.message()));
  }
  return absl::OkStatus();
}

std::string DefaultPauseBinaryPath() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "mk-pause";
  std::string exe(buf, static_cast<size_t>(n));
  return exe.substr(0, exe.rfind('/') + 1) + "mk-pause";
}

}  // namespace mk::kubelet
