#include "kubelet/docker_client.h"

#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "kubelet/docker_stream.h"

namespace mk::kubelet {
namespace {

// Exec output kept for the caller (probes need only the start of it).
constexpr size_t kMaxExecOutput = 1 << 20;

absl::StatusOr<Json> ParseBody(const HttpResponse& response) {
  Json body = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return absl::InternalError(
        absl::StrCat("docker sent a body that is not JSON (HTTP ", response.status, ")"));
  }
  return body;
}

}  // namespace

Json LabelFilters(const std::vector<std::string>& labels, Json base) {
  if (!labels.empty()) base["label"] = labels;
  return base;
}

DockerClient::DockerClient(DockerClientOptions options)
    : options_(std::move(options)), transport_(options_.socket_path) {}

std::string DockerClient::Path(absl::string_view path) const {
  return absl::StrCat("/v", options_.api_version, path);
}

absl::StatusOr<HttpResponse> DockerClient::Call(HttpRequest request, const BodySink& sink,
                                                const CancelToken* cancel) const {
  return transport_.Do(request, sink, cancel);
}

absl::StatusOr<Json> DockerClient::GetJson(absl::string_view path) {
  HttpRequest request;
  request.target = Path(path);
  request.timeout = options_.timeout;
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  absl::Status st = DockerError(*response);
  if (!st.ok()) return st;
  return ParseBody(*response);
}

absl::Status DockerClient::Simple(const std::string& method, absl::string_view path,
                                  absl::Duration timeout, absl::StatusCode conflict_code) {
  HttpRequest request;
  request.method = method;
  request.target = Path(path);
  request.timeout = timeout;
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  return DockerError(*response, conflict_code);
}

absl::Status DockerClient::Ping() {
  HttpRequest request;
  request.target = "/_ping";
  request.timeout = options_.timeout;
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  return DockerError(*response);
}

absl::StatusOr<Json> DockerClient::Version() { return GetJson("/version"); }

absl::StatusOr<Json> DockerClient::Info() { return GetJson("/info"); }

absl::StatusOr<std::string> DockerClient::CreateContainer(const std::string& name,
                                                          const Json& config) {
  HttpRequest request;
  request.method = "POST";
  request.target = Path("/containers/create");
  if (!name.empty()) absl::StrAppend(&request.target, "?name=", UrlEncode(name));
  request.body = config.dump();
  request.content_type = "application/json";
  request.timeout = options_.timeout;
  absl::StatusOr<HttpResponse> response = Call(std::move(request));
  if (!response.ok()) return response.status();
  absl::Status st = DockerError(*response, absl::StatusCode::kAlreadyExists);
  if (!st.ok()) return st;
  absl::StatusOr<Json> body = ParseBody(*response);
  if (!body.ok()) return body.status();
  if (!body->contains("Id") || !(*body)["Id"].is_string()) {
    return absl::InternalError("docker create answered without an Id");
  }
  return (*body)["Id"].get<std::string>();
}

absl::Status DockerClient::StartContainer(const std::string& id) {
  return Simple("POST", absl::StrCat("/containers/", UrlEncode(id), "/start"), options_.timeout);
}

absl::Status DockerClient::StopContainer(const std::string& id, absl::Duration grace) {
  int64_t seconds = std::max<int64_t>(0, absl::ToInt64Seconds(absl::Ceil(grace, absl::Seconds(1))));
  return Simple("POST", absl::StrCat("/containers/", UrlEncode(id), "/stop?t=", seconds),
                absl::Seconds(seconds) + options_.timeout);
}

absl::Status DockerClient::KillContainer(const std::string& id, const std::string& signal) {
  return Simple("POST",
                absl::StrCat("/containers/", UrlEncode(id), "/kill?signal=", UrlEncode(signal)),
                options_.timeout);
}

absl::Status DockerClient::RemoveContainer(const std::string& id, bool force, bool remove_volumes) {
  return Simple("DELETE",
                absl::StrCat("/containers/", UrlEncode(id), "?force=", force ? "true" : "false",
                             "&v=", remove_volumes ? "true" : "false"),
                options_.timeout);
}

absl::StatusOr<Json> DockerClient::InspectContainer(const std::string& id) {
  return GetJson(absl::StrCat("/containers/", UrlEncode(id), "/json"));
}

absl::StatusOr<Json> DockerClient::ListContainers(const std::vector<std::string>& label_filters,
                                                  bool all) {
  std::string path = absl::StrCat("/containers/json?all=", all ? "true" : "false");
  if (!label_filters.empty()) {
    absl::StrAppend(&path, "&filters=", UrlEncode(LabelFilters(label_filters).dump()));
  }
  return GetJson(path);
}

absl::StatusOr<Json> DockerClient::InspectImage(const std::string& image) {
  // Image names keep their '/' and ':' in the path (Docker routes /images/{name:.*}/json).
  return GetJson(absl::StrCat("/images/", image, "/json"));
}

absl::Status DockerClient::ProgressCall(HttpRequest request, const ProgressCallback& progress) {
  absl::optional<std::string> error;
  JsonLinesScanner scanner([&](const Json& line) {
    error = ProgressError(line);
    if (error) return false;
    if (progress) progress(line);
    return true;
  });
  absl::StatusOr<HttpResponse> response =
      Call(std::move(request), [&](absl::string_view chunk) { return scanner.Feed(chunk); });
  if (!response.ok()) return response.status();
  absl::Status st = DockerError(*response);
  if (!st.ok()) return st;
  if (!error) scanner.Finish();
  if (error) return absl::UnknownError(*error);
  return absl::OkStatus();
}

absl::Status DockerClient::PullImage(const std::string& repository, const std::string& tag,
                                     const absl::optional<RegistryAuth>& auth,
                                     const ProgressCallback& progress) {
  HttpRequest request;
  request.method = "POST";
  request.target = Path(absl::StrCat("/images/create?fromImage=", UrlEncode(repository),
                                     "&tag=", UrlEncode(tag.empty() ? "latest" : tag)));
  request.timeout = options_.pull_timeout;
  if (auth) {
    request.headers.emplace_back(
        "X-Registry-Auth",
        EncodeRegistryAuth(auth->username, auth->password, auth->server_address));
  }
  return ProgressCall(std::move(request), progress);
}

absl::Status DockerClient::ImportImage(const std::string& tar, const std::string& repository,
                                       const std::string& tag,
                                       const std::vector<std::string>& changes) {
  HttpRequest request;
  request.method = "POST";
  request.target = Path(absl::StrCat("/images/create?fromSrc=-&repo=", UrlEncode(repository),
                                     "&tag=", UrlEncode(tag.empty() ? "latest" : tag)));
  for (const std::string& change : changes) {
    absl::StrAppend(&request.target, "&changes=", UrlEncode(change));
  }
  request.body = tar;
  request.content_type = "application/x-tar";
  request.timeout = options_.pull_timeout;
  return ProgressCall(std::move(request), nullptr);
}

absl::Status DockerClient::Logs(const std::string& id, const LogOptions& options,
                                const OutputSink& sink, const CancelToken* cancel) {
  // TTY containers' logs are not framed.
  absl::StatusOr<Json> inspect = InspectContainer(id);
  if (!inspect.ok()) return inspect.status();
  bool tty = inspect->value("/Config/Tty"_json_pointer, false);

  HttpRequest request;
  request.target = Path(absl::StrCat("/containers/", UrlEncode(id),
                                     "/logs?stdout=1&stderr=1&follow=", options.follow ? 1 : 0,
                                     "&timestamps=", options.timestamps ? 1 : 0));
  if (options.tail >= 0) absl::StrAppend(&request.target, "&tail=", options.tail);
  if (options.since_unix > 0) absl::StrAppend(&request.target, "&since=", options.since_unix);
  request.timeout = options.follow ? absl::InfiniteDuration() : options_.pull_timeout;

  int64_t left = options.limit_bytes > 0 ? options.limit_bytes : -1;
  bool stopped = false;
  auto limited = [&](int stream, absl::string_view data) {
    if (left >= 0) {
      if (static_cast<int64_t>(data.size()) >= left) {
        data = data.substr(0, static_cast<size_t>(left));
        left = 0;
        if (!data.empty()) sink(stream, data);
        stopped = true;
        return false;
      }
      left -= static_cast<int64_t>(data.size());
    }
    if (!sink(stream, data)) {
      stopped = true;
      return false;
    }
    return true;
  };
  LogFrameDemuxer demuxer(limited);
  BodySink body_sink = [&](absl::string_view chunk) {
    return tty ? limited(1, chunk) : demuxer.Feed(chunk);
  };
  absl::StatusOr<HttpResponse> response = Call(std::move(request), body_sink, cancel);
  if (!response.ok()) {
    if (stopped) return absl::OkStatus();
    return response.status();
  }
  return DockerError(*response);
}

absl::StatusOr<ExecResult> DockerClient::Exec(const std::string& id,
                                              const std::vector<std::string>& cmd,
                                              absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  HttpRequest create;
  create.method = "POST";
  create.target = Path(absl::StrCat("/containers/", UrlEncode(id), "/exec"));
  create.body = Json{
      {"AttachStdin", false},
      {"AttachStdout", true},
      {"AttachStderr", true},
      {"Tty", false},
      {"Cmd", cmd}}.dump();
  create.content_type = "application/json";
  create.timeout = std::min(timeout, options_.timeout);
  absl::StatusOr<HttpResponse> response = Call(std::move(create));
  if (!response.ok()) return response.status();
  absl::Status st = DockerError(*response);
  if (!st.ok()) return st;
  absl::StatusOr<Json> created = ParseBody(*response);
  if (!created.ok()) return created.status();
  std::string exec_id = created->value("Id", "");
  if (exec_id.empty()) return absl::InternalError("docker exec create answered without an Id");

  ExecResult result;
  LogFrameDemuxer demuxer([&](int /*stream*/, absl::string_view data) {
    if (result.output.size() < kMaxExecOutput) {
      result.output.append(data.data(),
                           std::min(data.size(), kMaxExecOutput - result.output.size()));
    }
    return true;
  });
  HttpRequest start;
  start.method = "POST";
  start.target = Path(absl::StrCat("/exec/", exec_id, "/start"));
  start.body = R"({"Detach":false,"Tty":false})";
  start.content_type = "application/json";
  start.timeout = std::max(absl::ZeroDuration(), deadline - absl::Now());
  response = Call(std::move(start), [&](absl::string_view chunk) { return demuxer.Feed(chunk); });
  if (!response.ok()) {
    if (absl::IsDeadlineExceeded(response.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("command timed out after ", absl::FormatDuration(timeout)));
    }
    return response.status();
  }
  st = DockerError(*response);
  if (!st.ok()) return st;

  // The attach stream ends when the process exits; the exit code may trail it briefly.
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<Json> inspect = GetJson(absl::StrCat("/exec/", exec_id, "/json"));
    if (!inspect.ok()) return inspect.status();
    const Json& code = (*inspect)["ExitCode"];
    if (!inspect->value("Running", false) && code.is_number_integer()) {
      result.exit_code = code.get<int>();
      return result;
    }
    if (attempt >= 100 || absl::Now() >= deadline) {
      return absl::DeadlineExceededError("exec finished its output but did not report an exit");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

absl::StatusOr<Json> DockerClient::Stats(const std::string& id) {
  return GetJson(absl::StrCat("/containers/", UrlEncode(id), "/stats?stream=false"));
}

absl::StatusOr<Json> DockerClient::StatsOneShot(const std::string& id) {
  return GetJson(absl::StrCat("/containers/", UrlEncode(id), "/stats?stream=false&one-shot=true"));
}

absl::Status DockerClient::Events(const Json& filters, const EventCallback& callback,
                                  const CancelToken* cancel, int64_t since) {
  HttpRequest request;
  request.target = Path("/events");
  std::string sep = "?";
  if (!filters.is_null() && !filters.empty()) {
    absl::StrAppend(&request.target, sep, "filters=", UrlEncode(filters.dump()));
    sep = "&";
  }
  if (since > 0) absl::StrAppend(&request.target, sep, "since=", since);
  request.timeout = absl::InfiniteDuration();
  bool stopped = false;
  JsonLinesScanner scanner([&](const Json& event) {
    if (!callback(event)) stopped = true;
    return !stopped;
  });
  absl::StatusOr<HttpResponse> response = Call(
      std::move(request), [&](absl::string_view chunk) { return scanner.Feed(chunk); }, cancel);
  if (!response.ok()) return response.status();
  absl::Status st = DockerError(*response);
  if (!st.ok()) return st;
  if (!stopped) return absl::UnavailableError("docker event stream ended");
  return absl::OkStatus();
}

}  // namespace mk::kubelet
