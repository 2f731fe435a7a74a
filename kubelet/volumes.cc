#include "kubelet/volumes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mk::kubelet {
namespace fs = std::filesystem;
namespace {

absl::Status FsError(const std::string& what, const std::error_code& ec) {
  return absl::InternalError(absl::StrCat(what, ": ", ec.message()));
}

absl::Status MakeDirs(const std::string& path, fs::perms perms) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return FsError(absl::StrCat("mkdir ", path), ec);
  fs::permissions(path, perms, ec);
  return absl::OkStatus();
}

// A relative path with no "..", "." -only or empty components.
bool SafeRelative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  for (absl::string_view part : absl::StrSplit(p, '/')) {
    if (part == "..") return false;
  }
  return true;
}

bool Within(const fs::path& base, const fs::path& p) {
  std::string b = base.string(), s = p.string();
  return s == b || absl::StartsWith(s, b + "/");
}

// Writes `data` to `path` atomically with `mode` (skips when unchanged).
absl::Status WriteFileAtomic(const std::string& path, const std::string& data, int mode) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && static_cast<size_t>(st.st_size) == data.size() &&
      (st.st_mode & 07777) == static_cast<mode_t>(mode)) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      std::string cur(data.size(), '\0');
      ssize_t n = cur.empty() ? 0 : ::read(fd, cur.data(), cur.size());
      ::close(fd);
      if (n == static_cast<ssize_t>(data.size()) && cur == data) return absl::OkStatus();
    }
  }
  std::string tmp = absl::StrCat(path, ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", tmp, ": ", strerror(errno)));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      return absl::InternalError(absl::StrCat("write ", tmp, ": ", strerror(errno)));
    }
    off += static_cast<size_t>(n);
  }
  ::fchmod(fd, static_cast<mode_t>(mode));
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("rename ", path, ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status SetUpSecret(const api::Pod& pod, const api::Volume& v, const std::string& dir,
                         const SecretGetter& secrets) {
  const api::SecretVolumeSource& src = v.secret();
  bool optional = src.has_optional() && src.optional();
  absl::Status s =
      MakeDirs(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                        fs::perms::others_read | fs::perms::others_exec);
  if (!s.ok()) return s;
  absl::StatusOr<api::Secret> secret = secrets
                                           ? secrets(pod.metadata().namespace_(), src.secret_name())
                                           : absl::NotFoundError("no secret getter");
  if (!secret.ok()) {
    if (absl::IsNotFound(secret.status())) {
      if (optional) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat("secret \"", src.secret_name(), "\" not found"));
    }
    return secret.status();
  }
  int default_mode = src.has_default_mode() ? src.default_mode() : 0644;
  std::map<std::string, std::pair<std::string, int>> files;  // rel path → (data, mode)
  if (src.items_size() > 0) {
    for (const api::KeyToPath& item : src.items()) {
      std::string value;
      if (!SecretValue(*secret, item.key(), &value)) {
        if (optional) continue;
        return absl::FailedPreconditionError(
            absl::StrCat("couldn't find key ", item.key(), " in Secret ",
                         pod.metadata().namespace_(), "/", src.secret_name()));
      }
      if (!SafeRelative(item.path())) {
        return absl::FailedPreconditionError(
            absl::StrCat("invalid secret item path \"", item.path(), "\""));
      }
      files[item.path()] = {value, item.has_mode() ? item.mode() : default_mode};
    }
  } else {
    for (const auto& [k, val] : secret->data()) files[k] = {val, default_mode};
    for (const auto& [k, val] : secret->string_data()) {
      if (!files.count(k)) files[k] = {val, default_mode};
    }
  }
  std::set<std::string> keep;
  for (const auto& [rel, content] : files) {
    if (!SafeRelative(rel)) continue;
    fs::path p = fs::path(dir) / rel;
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    absl::Status w = WriteFileAtomic(p.string(), content.first, content.second);
    if (!w.ok()) return w;
    keep.insert(p.string());
  }
  // Drop keys that left the Secret.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file() && !keep.count(it->path().string())) fs::remove(it->path(), ec);
  }
  return absl::OkStatus();
}

absl::Status SetUpHostPath(const api::HostPathVolumeSource& hp) {
  std::error_code ec;
  if (hp.type() == "DirectoryOrCreate") {
    return MakeDirs(hp.path(), fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
  }
  if (hp.type() == "FileOrCreate") {
    if (fs::exists(hp.path(), ec)) return absl::OkStatus();
    fs::create_directories(fs::path(hp.path()).parent_path(), ec);
    int fd = ::open(hp.path().c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return absl::InternalError(absl::StrCat("create ", hp.path(), ": ", strerror(errno)));
    ::close(fd);
    return absl::OkStatus();
  }
  if (hp.type() == "Directory" && !fs::is_directory(hp.path(), ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("hostPath type check failed: ", hp.path(), " is not a directory"));
  }
  if (hp.type() == "File" && !fs::is_regular_file(hp.path(), ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("hostPath type check failed: ", hp.path(), " is not a file"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string PodDir(const std::string& root_dir, const std::string& uid) {
  return absl::StrCat(root_dir, "/pods/", uid);
}

absl::StatusOr<VolumeMap> SetUpVolumes(const api::Pod& pod, const std::string& root_dir,
                                       const SecretGetter& secrets) {
  VolumeMap out;
  std::string base = absl::StrCat(PodDir(root_dir, pod.metadata().uid()), "/volumes");
  for (const api::Volume& v : pod.spec().volumes()) {
    if (!SafeRelative(v.name()) || absl::StrContains(v.name(), "/")) {
      return absl::FailedPreconditionError(absl::StrCat("invalid volume name \"", v.name(), "\""));
    }
    VolumeInfo info;
    if (v.has_secret()) {
      info.host_path = absl::StrCat(base, "/secret/", v.name());
      info.read_only = true;
      absl::Status s = SetUpSecret(pod, v, info.host_path, secrets);
      if (!s.ok()) return s;
    } else if (v.has_host_path()) {
      info.host_path = v.host_path().path();
      absl::Status s = SetUpHostPath(v.host_path());
      if (!s.ok()) return s;
    } else {  // emptyDir, and the default when no source is given
      info.host_path = absl::StrCat(base, "/empty-dir/", v.name());
      absl::Status s = MakeDirs(info.host_path, fs::perms::all);
      if (!s.ok()) return s;
    }
    out[v.name()] = std::move(info);
  }
  return out;
}

absl::StatusOr<std::string> ResolveSubPath(const std::string& volume_dir,
                                           const std::string& sub_path) {
  if (!SafeRelative(sub_path)) {
    return absl::FailedPreconditionError(
        absl::StrCat("subPath \"", sub_path, "\" must be a relative path without '..'"));
  }
  std::error_code ec;
  fs::path base = fs::canonical(volume_dir, ec);
  if (ec) return FsError(absl::StrCat("volume ", volume_dir), ec);
  fs::path p = base / sub_path;
  // Walk component by component so a symlink is judged by where it points.
  fs::path cur = base;
  for (const fs::path& part : fs::path(sub_path)) {
    if (part.empty() || part == ".") continue;
    cur /= part;
    if (fs::is_symlink(cur, ec)) {
      fs::path target = fs::canonical(cur, ec);
      if (ec || !Within(base, target)) {
        return absl::FailedPreconditionError(
            absl::StrCat("subPath \"", sub_path, "\" leaves the volume"));
      }
      cur = target;
    }
  }
  if (!fs::exists(cur, ec)) {
    fs::create_directories(cur, ec);
    if (ec) return FsError(absl::StrCat("mkdir ", cur.string()), ec);
    fs::permissions(cur, fs::perms::all, ec);
  }
  fs::path real = fs::canonical(cur, ec);
  if (ec) return FsError(absl::StrCat("subPath ", p.string()), ec);
  if (!Within(base, real)) {
    return absl::FailedPreconditionError(
        absl::StrCat("subPath \"", sub_path, "\" leaves the volume"));
  }
  return real.string();
}

absl::StatusOr<std::vector<std::string>> MountBinds(const api::Container& container,
                                                    const VolumeMap& volumes) {
  std::vector<std::string> binds;
  for (const api::VolumeMount& m : container.volume_mounts()) {
    auto it = volumes.find(m.name());
    if (it == volumes.end()) {
      return absl::FailedPreconditionError(absl::StrCat("cannot find volume \"", m.name(),
                                                        "\" to mount into container \"",
                                                        container.name(), "\""));
    }
    std::string src = it->second.host_path;
    if (!m.sub_path().empty()) {
      absl::StatusOr<std::string> r = ResolveSubPath(src, m.sub_path());
      if (!r.ok()) return r.status();
      src = *r;
    }
    bool ro = it->second.read_only || (m.has_read_only() && m.read_only());
    binds.push_back(absl::StrCat(src, ":", m.mount_path(), ro ? ":ro" : ""));
  }
  return binds;
}

absl::Status RemovePodDir(const std::string& root_dir, const std::string& uid) {
  if (uid.empty() || absl::StrContains(uid, "/") || uid == "." || uid == "..") {
    return absl::InvalidArgumentError("bad pod uid");
  }
  std::error_code ec;
  fs::remove_all(PodDir(root_dir, uid), ec);  // remove_all does not follow symlinks
  if (ec) return FsError("remove pod dir", ec);
  return absl::OkStatus();
}

}  // namespace mk::kubelet
