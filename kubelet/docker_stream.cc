#include "kubelet/docker_stream.h"

#include <algorithm>

#include "absl/strings/escaping.h"

namespace mk::kubelet {

bool LogFrameDemuxer::Feed(absl::string_view data) {
  while (!data.empty()) {
    if (corrupt_) return sink_(1, data);
    if (remaining_ == 0) {
      size_t take = std::min(data.size(), sizeof(header_) - header_len_);
      std::copy(data.begin(), data.begin() + take, header_ + header_len_);
      header_len_ += take;
      data.remove_prefix(take);
      if (header_len_ < sizeof(header_)) return true;
      header_len_ = 0;
      if (header_[0] > 2 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
        // Not a frame header (e.g. a TTY container's raw output): pass everything through.
        corrupt_ = true;
        if (!sink_(1, absl::string_view(reinterpret_cast<const char*>(header_), 8))) {
          return false;
        }
        continue;
      }
      stream_ = header_[0] == 2 ? 2 : 1;
      remaining_ = (uint32_t{header_[4]} << 24) | (uint32_t{header_[5]} << 16) |
                   (uint32_t{header_[6]} << 8) | uint32_t{header_[7]};
      continue;
    }
    size_t take = std::min<size_t>(data.size(), remaining_);
    remaining_ -= static_cast<uint32_t>(take);
    if (!sink_(stream_, data.substr(0, take))) return false;
    data.remove_prefix(take);
  }
  return true;
}

bool JsonLinesScanner::Emit(absl::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return true;
  Json value = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) value = std::string(line);
  return callback_(value);
}

bool JsonLinesScanner::Feed(absl::string_view data) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == absl::string_view::npos) {
      partial_.append(data.data(), data.size());
      return true;
    }
    bool ok;
    if (partial_.empty()) {
      ok = Emit(data.substr(0, nl));
    } else {
      partial_.append(data.data(), nl);
      std::string line;
      line.swap(partial_);
      ok = Emit(line);
    }
    data.remove_prefix(nl + 1);
    if (!ok) return false;
  }
  return true;
}

bool JsonLinesScanner::Finish() {
  std::string line;
  line.swap(partial_);
  return Emit(line);
}

absl::optional<std::string> ProgressError(const Json& message) {
  if (!message.is_object()) return absl::nullopt;
  auto detail = message.find("errorDetail");
  if (detail != message.end() && detail->is_object()) {
    auto text = detail->find("message");
    if (text != detail->end() && text->is_string() && !text->get<std::string>().empty()) {
      return text->get<std::string>();
    }
  }
  auto error = message.find("error");
  if (error != message.end() && !error->is_null()) {
    if (error->is_string()) return error->get<std::string>();
    return error->dump();
  }
  if (detail != message.end() && !detail->is_null()) return detail->dump();
  return absl::nullopt;
}

absl::Status ScanProgressStream(absl::string_view body) {
  absl::optional<std::string> first_error;
  JsonLinesScanner scanner([&](const Json& line) {
    first_error = ProgressError(line);
    return !first_error.has_value();
  });
  if (scanner.Feed(body)) scanner.Finish();
  if (first_error) return absl::UnknownError(*first_error);
  return absl::OkStatus();
}

std::string Base64UrlEncode(absl::string_view data) {
  std::string out = absl::Base64Escape(data);
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string EncodeRegistryAuth(absl::string_view username, absl::string_view password,
                               absl::string_view server_address) {
  Json auth = Json::object();
  auth["username"] = std::string(username);
  auth["password"] = std::string(password);
  auth["serveraddress"] = std::string(server_address);
  return Base64UrlEncode(auth.dump());
}

}  // namespace mk::kubelet
