#include "apiserver/rest_server.h"

#include <httplib.h>
#include <openssl/ssl.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "apiserver/connection_guard.h"
#include "apiserver/discovery.h"
#include "apiserver/log_pipe.h"
#include "apiserver/metrics_api.h"
#include "apiserver/request_log.h"
#include "apiserver/requester_admission.h"
#include "apiserver/rest_path.h"
#include "apiserver/table.h"
#include "apiserver/watch_limiter.h"
#include "common/api_error.h"
#include "common/deprecations.h"
#include "common/https.h"
#include "common/json_codec.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/object.h"

namespace mk::apiserver {
namespace {

constexpr char kJson[] = "application/json";

void WriteJson(httplib::Response& res, int code, const Json& j) {
  res.status = code;
  res.set_content(j.dump(), kJson);
}

void WriteError(httplib::Response& res, const absl::Status& status) {
  api::Status s = ToApiStatus(status);
  if (s.code() == 429 && s.details().retry_after_seconds() > 0) {
    res.set_header("Retry-After", absl::StrCat(s.details().retry_after_seconds()));
  }
  WriteJson(res, s.code(), EncodeJson(s));
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

bool IsTrue(const std::string& v) { return v == "true" || v == "1"; }

Json ListJson(const ResourceInfo& r, ObjectList& list) {
  Json items = Json::array();
  for (const ObjectPtr& obj : list.items) items.push_back(EncodeJson(*obj));
  return Json{{"kind", r.kind + "List"},
              {"apiVersion", r.ApiVersion()},
              {"metadata", {{"resourceVersion", absl::StrCat(list.resource_version)}}},
              {"items", std::move(items)}};
}

// Decodes a request body into an object of resource `r`, strictly.
absl::StatusOr<ObjectPtr> DecodeBody(const httplib::Request& req, const ResourceInfo& r,
                                     size_t max_bytes) {
  ManifestLimits limits;
  limits.max_bytes = max_bytes;
  absl::StatusOr<Json> j = ParseJsonBody(req.body, limits);
  if (!j.ok()) {
    if (absl::IsResourceExhausted(j.status())) return TooLargeError(j.status().message());
    return BadRequestError(j.status().message());
  }
  if (!j->is_object()) return BadRequestError("the request body must be a JSON object");
  std::string kind = j->value("kind", "");
  if (!kind.empty() && kind != r.kind) {
    return BadRequestError(
        absl::StrCat("the body of the request was of kind ", kind, ", expected ", r.kind));
  }
  ObjectPtr obj = r.New();
  std::vector<FieldError> errs;
  DecodeJsonInto(*j, obj.get(), "", &errs);
  if (!errs.empty()) {
    std::string msg =
        absl::StrCat(r.kind, " in version \"", r.version, "\" cannot be handled as a ", r.kind,
                     ": strict decoding error: ");
    for (size_t i = 0; i < errs.size(); ++i) {
      absl::StrAppend(&msg, i ? ", " : "", errs[i].field, ": ", errs[i].message);
    }
    return BadRequestError(msg);
  }
  return obj;
}

absl::StatusOr<Json> BodyJson(const httplib::Request& req, size_t max_bytes) {
  ManifestLimits limits;
  limits.max_bytes = max_bytes;
  absl::StatusOr<Json> j = ParseJsonBody(req.body, limits);
  if (!j.ok()) {
    if (absl::IsResourceExhausted(j.status())) return TooLargeError(j.status().message());
    return BadRequestError(j.status().message());
  }
  return j;
}

absl::StatusOr<DeleteOptions> ParseDeleteOptions(const httplib::Request& req, size_t max) {
  DeleteOptions opts;
  if (!req.body.empty()) {
    absl::StatusOr<Json> j = BodyJson(req, max);
    if (!j.ok()) return j.status();
    api::DeleteOptions d;
    if (absl::Status s = DecodeJson(*j, &d); !s.ok()) return s;
    if (d.has_grace_period_seconds()) opts.grace_period_seconds = d.grace_period_seconds();
    opts.propagation_policy = d.propagation_policy();
    if (d.has_orphan_dependents() && d.orphan_dependents()) opts.propagation_policy = "Orphan";
    if (d.preconditions().has_uid()) opts.precondition_uid = d.preconditions().uid();
    if (d.preconditions().has_resource_version()) {
      opts.precondition_resource_version = d.preconditions().resource_version();
    }
  }
  int64_t grace;
  if (req.has_param("gracePeriodSeconds")) {
    if (!absl::SimpleAtoi(Param(req, "gracePeriodSeconds"), &grace)) {
      return BadRequestError("gracePeriodSeconds must be an integer");
    }
    opts.grace_period_seconds = grace;
  }
  if (req.has_param("propagationPolicy")) {
    opts.propagation_policy = Param(req, "propagationPolicy");
  }
  return opts;
}

// The serving certificate chain and key (TLS 1.2 minimum); clients are asked for a certificate
// that is neither required nor judged here: the AuthGate verifies it per request, so a bad
// client certificate is a 401 Status rather than a failed handshake (as Kubernetes).
bool SetUpTls(SSL_CTX& ctx, const std::string& cert_pem, const std::string& key_pem) {
  if (!UseCertAndKey(ctx, cert_pem, key_pem)) return false;
  SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
  return true;
}

}  // namespace

RestServer::RestServer(Registry* registry, Metrics* metrics, RestOptions options, AuthGate gate)
    : registry_(registry),
      metrics_(metrics),
      options_(std::move(options)),
      gate_(std::move(gate)) {}

RestServer::~RestServer() { Shutdown(); }

absl::Status RestServer::Start() {
  if (gate_.authenticator == nullptr) return absl::InternalError("REST: no authenticator");
  const std::string& cert = options_.tls_cert_pem;
  const std::string& key = options_.tls_key_pem;
  auto tls = std::make_unique<httplib::SSLServer>(
      [&cert, &key](SSL_CTX& ctx) { return SetUpTls(ctx, cert, key); });
  if (!tls->is_valid()) {
    return absl::InvalidArgumentError("REST: cannot use the TLS certificate and key");
  }
  server_ = std::move(tls);
  int threads = options_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_payload_max_length(options_.max_body_bytes);
  server_->set_read_timeout(30, 0);
  server_->set_keep_alive_max_count(1000);
  // TLS writes a response as several records: without TCP_NODELAY, Nagle + delayed ACK add
  // ~40 ms to every keep-alive request (measured: 23 -> see bench/README.md).
  server_->set_tcp_nodelay(true);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    Dispatch(req, res);
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  size_t max_body = options_.max_body_bytes;
  server_->set_error_handler([max_body](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413) {
      WriteError(res, TooLargeError(absl::StrCat("Request entity too large: limit is ", max_body)));
    } else if (res.body.empty()) {
      api::Status s = ToApiStatus(absl::UnknownError(absl::StrCat("HTTP ", res.status)));
      s.set_code(res.status);
      WriteJson(res, res.status, EncodeJson(s));
    }
  });
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return absl::UnavailableError("cannot bind REST port");
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options_.host, ":", options_.port));
    }
    port_ = options_.port;
  }
  guard_ = std::make_unique<ConnectionGuard>(port_, options_.request_read_timeout);
  // httplib has one logger: the connection guard's bookkeeping and the -v=6.. request log
  // (redacted; apiserver/request_log.h).
  server_->set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    guard_->ResponseWritten(absl::StrCat(req.remote_addr, ":", req.remote_port));
    LogRestExchange(req, res);
  });
  guard_->Start();
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void RestServer::Shutdown() {
  if (guard_) guard_->Stop();
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

bool RestServer::HandleNonResource(const httplib::Request& req, httplib::Response& res) {
  const std::string& p = req.path;
  if (p == "/healthz" || p == "/readyz" || p == "/livez") {
    res.set_content("ok", "text/plain");
  } else if (p == "/version") {
    WriteJson(res, 200, VersionInfo());
  } else if (p == "/metrics") {
    res.set_content(metrics_->Render(registry_->store()), "text/plain; version=0.0.4");
  } else if (p == "/api" || p == "/api/") {
    WriteJson(res, 200, ApiVersions(absl::StrCat(options_.host, ":", port_)));
  } else if (p == "/apis" || p == "/apis/") {
    WriteJson(res, 200, ApiGroupList());
  } else if (p == "/api/v1" || p == "/api/v1/") {
    WriteJson(res, 200, *ApiResourceList("", "v1"));
  } else if (absl::StartsWith(p, "/apis/") && std::count(p.begin(), p.end(), '/') <= 3) {
    std::vector<std::string> parts = absl::StrSplit(p.substr(6), '/', absl::SkipEmpty());
    if (parts.size() != 2) return false;
    absl::optional<Json> list = ApiResourceList(parts[0], parts[1]);
    if (!list) return false;
    WriteJson(res, 200, *list);
  } else {
    return false;
  }
  return true;
}

std::string RestServer::ClientKeyOf(const httplib::Request& req, const UserInfo& user) const {
  return ClientKey(user.name, req.remote_addr);
}

void RestServer::Dispatch(const httplib::Request& req, httplib::Response& res) {
  if (guard_) guard_->HandlerStarted(absl::StrCat(req.remote_addr, ":", req.remote_port));
  // As Kubernetes' max-in-flight filter: long-running requests (watches, log streams) and
  // health checks are not counted.
  bool exempt = options_.max_requests_inflight <= 0 ||
                (req.method == "GET" &&
                 (IsTrue(Param(req, "watch")) || absl::EndsWith(req.path, "/log") ||
                  req.path == "/healthz" || req.path == "/readyz" || req.path == "/livez"));
  if (exempt) {
    Handle(req, res);
    return;
  }
  if (inflight_.fetch_add(1) >= options_.max_requests_inflight) {
    inflight_.fetch_sub(1);
    WriteError(res, TooManyRequestsError("Too many requests, please try again later.", 1));
    metrics_->ObserveRequest(req.method, "", res.status, absl::ZeroDuration());
    return;
  }
  Handle(req, res);
  inflight_.fetch_sub(1);
}

void RestServer::Handle(const httplib::Request& req, httplib::Response& res) {
  RequestAttributes attrs = RestRequestAttributes(req.method, req.path, IsTrue(Param(req, "watch")),
                                                  Param(req, "fieldSelector"));
  if (attrs.resource_request && attrs.verb == "create" && attrs.name.empty() &&
      attrs.subresource.empty()) {
    // The object's own name, so the Node authorizer can tell a kubelet creating its own Node
    // or Lease from one creating another's.
    Json body = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_object() && body.contains("metadata") && body["metadata"].is_object() &&
        body["metadata"].contains("name") && body["metadata"]["name"].is_string()) {
      attrs.name = body["metadata"]["name"].get<std::string>();
    }
  }
  absl::StatusOr<UserInfo> user =
      gate_.Admit(PeerCertPem(req), req.get_header_value("Authorization"), attrs);
  if (!user.ok()) {
    WriteError(res, user.status());
    metrics_->ObserveRequest(req.method, attrs.resource, res.status, absl::ZeroDuration());
    return;
  }
  HandleAdmitted(req, res, *user);
}

void RestServer::HandleAdmitted(const httplib::Request& req, httplib::Response& res,
                                const UserInfo& user) {
  MK_VLOG(6) << "user " << user.name;
  absl::Time start = absl::Now();
  std::string verb = req.method;
  std::string resource = "";
  MK_VLOG(4) << req.method << " " << req.path;
  if (req.method == "GET" && metrics_api_ != nullptr) {
    absl::StatusOr<Json> m;
    if (metrics_api_->Handle(req.path, Param(req, "labelSelector"), &m)) {
      if (m.ok()) {
        WriteJson(res, 200, *m);
      } else {
        WriteError(res, m.status());
      }
      metrics_->ObserveRequest("GET", "metrics", res.status, absl::Now() - start);
      return;
    }
  }
  if (req.method == "GET" && HandleNonResource(req, res)) {
    metrics_->ObserveRequest("GET", "", res.status, absl::Now() - start);
    return;
  }
  absl::StatusOr<RestPath> path = ParseRestPath(req.path);
  if (!path.ok()) {
    WriteError(res, path.status());
    metrics_->ObserveRequest(verb, "", res.status, absl::Now() - start);
    return;
  }
  const ResourceInfo& r = *path->resource;
  resource = r.name;
  const std::string& ns = path->ns;
  const std::string& name = path->name;
  const std::string& sub = path->subresource;
  const size_t max = options_.max_body_bytes;
  bool want_table = absl::StrContains(req.get_header_value("Accept"), "as=Table");
  if (r.namespaced && ns.empty() && (req.method != "GET" || !name.empty())) {
    WriteError(res, NotFoundError(r.name, name));
    return;
  }

  absl::StatusOr<ObjectPtr> result = absl::UnknownError("unhandled");
  int ok_code = 200;
  if (req.method == "GET" && name.empty()) {
    if (IsTrue(Param(req, "watch"))) {
      verb = "WATCH";
      Watch(req, res, r, ns, user, &verb);
      metrics_->ObserveRequest(verb, resource, res.status, absl::Now() - start);
      return;
    }
    verb = "LIST";
    absl::StatusOr<ObjectList> list =
        registry_->List(r, ns, {Param(req, "labelSelector"), Param(req, "fieldSelector")});
    if (!list.ok()) {
      WriteError(res, list.status());
    } else if (want_table) {
      WriteJson(res, 200, TableFor(r, list->items, list->resource_version));
    } else {
      WriteJson(res, 200, ListJson(r, *list));
    }
    metrics_->ObserveRequest(verb, resource, res.status, absl::Now() - start);
    return;
  }
  if (req.method == "GET" && sub == "log") {
    if (logs_ == nullptr) {
      WriteError(res, absl::UnavailableError("no kubelet connection for logs"));
      return;
    }
    std::string query;
    for (const auto& [k, v] : req.params) {
      absl::StrAppend(&query, query.empty() ? "" : "&", k, "=", v);
    }
    // Validate first so errors get a proper status code, then stream.
    absl::StatusOr<ObjectPtr> pod = registry_->Get(r, ns, name);
    if (!pod.ok()) {
      WriteError(res, pod.status());
      return;
    }
    // The kubelet is asked on a thread of its own; the response starts once it has answered,
    // so that failing to reach or verify it is this response's status.
    auto pipe = std::make_shared<LogPipe>();
    std::thread([logs = logs_, pipe, ns, name, query] {
      pipe->Finish(logs->StreamLogs(
          ns, name, query, [&] { pipe->Start(); },
          [&](const std::string& chunk) { return pipe->Write(chunk); }));
    }).detach();
    if (absl::Status s = pipe->WaitStarted(); !s.ok()) {
      pipe->Close();
      WriteError(res, s);
      return;
    }
    res.set_chunked_content_provider(
        "text/plain",
        [pipe](size_t, httplib::DataSink& sink) {
          std::string chunk;
          absl::Status end;
          if (pipe->Read(&chunk, &end)) return sink.write(chunk.data(), chunk.size());
          if (!end.ok()) {  // after the first byte: the stream can only say so in-band
            std::string msg = absl::StrCat("error: ", end.message(), "\n");
            sink.write(msg.data(), msg.size());
          }
          sink.done();
          return true;
        },
        [pipe](bool) { pipe->Close(); });
    return;
  }
  if (req.method != "GET" && req.method != "DELETE" &&
      absl::StrContains(req.body, "targetAverage")) {
    ManifestLimits limits;
    limits.max_bytes = max;
    absl::StatusOr<Json> body = ParseJsonBody(req.body, limits);
    if (body.ok()) {
      for (const std::string& w : DeprecationWarnings(*body)) {
        res.set_header("Warning", absl::StrCat("299 - \"", w, "\""));
      }
    }
  }
  if (req.method == "GET") {
    result = sub == "scale" ? registry_->GetScale(r, ns, name) : registry_->Get(r, ns, name);
  } else if (req.method == "POST") {
    verb = "CREATE";
    if (sub == "binding") {
      absl::StatusOr<Json> body = BodyJson(req, max);
      if (!body.ok()) {
        result = body.status();
      } else {
        api::Binding b;
        absl::Status s = DecodeJson(*body, &b);
        std::map<std::string, std::string> annotations(b.metadata().annotations().begin(),
                                                       b.metadata().annotations().end());
        result = s.ok() ? registry_->Bind(ns, name, b.target().name(), annotations) : s;
        if (result.ok()) {
          auto st = std::make_unique<api::Status>();
          st->set_api_version("v1");
          st->set_kind("Status");
          st->set_status("Success");
          st->set_code(201);
          result = ObjectPtr(std::move(st));
        }
      }
      ok_code = 201;
    } else if (!name.empty()) {
      result = MethodNotAllowedError("POST is not allowed on a named object");
    } else {
      absl::StatusOr<ObjectPtr> obj = DecodeBody(req, r, max);
      if (obj.ok()) StampRequester(r, user, obj->get());
      bool dry_run = Param(req, "dryRun") == "All";
      result = obj.ok() ? registry_->Create(r, ns, std::move(*obj), dry_run) : obj.status();
      ok_code = 201;
    }
  } else if (req.method == "PUT") {
    verb = "UPDATE";
    if (sub == "scale") {
      absl::StatusOr<Json> body = BodyJson(req, max);
      result = body.ok() ? registry_->UpdateScale(r, ns, name, *body) : body.status();
    } else {
      absl::StatusOr<ObjectPtr> obj = DecodeBody(req, r, max);
      result = obj.ok() ? registry_->Update(r, ns, name, sub, std::move(*obj)) : obj.status();
    }
  } else if (req.method == "PATCH") {
    verb = "PATCH";
    absl::StatusOr<Json> body = BodyJson(req, max);
    std::string ct = req.get_header_value("Content-Type");
    if (!body.ok()) {
      result = body.status();
    } else if (sub == "scale") {
      result = registry_->PatchScale(r, ns, name, ct, *body);
    } else {
      result = registry_->Patch(r, ns, name, sub, ct, *body);
    }
  } else if (req.method == "DELETE") {
    verb = "DELETE";
    absl::StatusOr<DeleteOptions> opts = ParseDeleteOptions(req, max);
    result = opts.ok() ? registry_->Delete(r, ns, name, *opts) : opts.status();
  }
  if (!result.ok()) {
    WriteError(res, result.status());
  } else if (want_table && req.method == "GET") {
    std::vector<ObjectPtr> one;
    one.push_back(std::move(*result));
    WriteJson(res, 200, TableFor(r, one, 0));
  } else {
    WriteJson(res, ok_code, EncodeJson(**result));
  }
  metrics_->ObserveRequest(verb, resource, res.status, absl::Now() - start);
}

void RestServer::Watch(const httplib::Request& req, httplib::Response& res, const ResourceInfo& r,
                       const std::string& ns, const UserInfo& user, std::string* verb) {
  WatchOptions opts;
  opts.label_selector = Param(req, "labelSelector");
  opts.field_selector = Param(req, "fieldSelector");
  opts.allow_bookmarks = IsTrue(Param(req, "allowWatchBookmarks"));
  opts.bookmark_interval = options_.bookmark_interval;
  std::string rv = Param(req, "resourceVersion");
  if (!rv.empty() && !absl::SimpleAtoi(rv, &opts.resource_version)) {
    WriteError(res, BadRequestError("invalid resourceVersion"));
    return;
  }
  int64_t timeout_s = 1800;
  if (req.has_param("timeoutSeconds")) {
    absl::SimpleAtoi(Param(req, "timeoutSeconds"), &timeout_s);
  }
  bool table = absl::StrContains(req.get_header_value("Accept"), "as=Table");
  std::shared_ptr<WatchLimiter::Slot> slot;
  if (watch_limiter_ != nullptr) {
    slot = watch_limiter_->TryAcquire(ClientKeyOf(req, user));
    if (slot == nullptr) {
      WriteError(res,
                 TooManyRequestsError(absl::StrCat("too many watches from this client (limit is ",
                                                   watch_limiter_->max_per_client(), ")"),
                                      1));
      return;
    }
  }
  absl::StatusOr<std::unique_ptr<RegistryWatch>> w = registry_->Watch(r, ns, opts);
  std::shared_ptr<RegistryWatch> watch;
  Json first_error;
  if (!w.ok()) {
    if (!absl::IsOutOfRange(w.status())) {
      WriteError(res, w.status());
      return;
    }
    // As Kubernetes does: 200, then an ERROR event carrying the 410 Status.
    first_error = {{"type", "ERROR"}, {"object", EncodeJson(ToApiStatus(w.status()))}};
  } else {
    watch = std::move(*w);
  }
  metrics_->WatchOpened(r.name);
  absl::Time deadline = absl::Now() + absl::Seconds(timeout_s);
  Metrics* metrics = metrics_;
  const ResourceInfo* rp = &r;
  std::string path = req.path;
  res.set_chunked_content_provider(
      kJson,
      [watch, first_error, deadline, table, rp, path](size_t, httplib::DataSink& sink) mutable {
        if (!first_error.is_null()) {
          std::string line = first_error.dump() + "\n";
          sink.write(line.data(), line.size());
          sink.done();
          return true;
        }
        WatchEvent ev;
        absl::Duration left = std::min(absl::Seconds(1), deadline - absl::Now());
        if (left <= absl::ZeroDuration()) {
          sink.done();
          return true;
        }
        RegistryWatch::Result res = watch->Next(left, &ev);
        if (res == RegistryWatch::Result::kClosed) {
          sink.done();
          return true;
        }
        if (res == RegistryWatch::Result::kTimeout) return sink.is_writable();
        Json obj;
        if (table && ev.type != "BOOKMARK") {
          std::vector<ObjectPtr> one;
          one.emplace_back(ev.object->New());
          one.back()->CopyFrom(*ev.object);
          obj = TableFor(*rp, one, ev.revision);
        } else {
          obj = EncodeJson(*ev.object);
        }
        std::string line = Json{{"type", ev.type}, {"object", std::move(obj)}}.dump() + "\n";
        LogWatchEvent(path, line);
        return sink.write(line.data(), line.size());
      },
      [metrics, rp, slot](bool) mutable {
        slot.reset();  // frees this client's watch slot
        metrics->WatchClosed(rp->name);
      });
  *verb = "WATCH";
}

}  // namespace mk::apiserver
