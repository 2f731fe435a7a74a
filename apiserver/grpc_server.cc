#include "apiserver/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "apiserver.grpc.pb.h"
#include "apiserver/requester_admission.h"
#include "apiserver/watch_limiter.h"
#include "common/api_error.h"
#include "common/manifest.h"
#include "common/object.h"
#include "common/resources.h"
#include "common/rpc_log.h"

namespace mk::apiserver {
namespace {

grpc::StatusCode ToGrpcCode(absl::StatusCode c) {
  return static_cast<grpc::StatusCode>(static_cast<int>(c));
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(ToGrpcCode(s.code()), std::string(s.message()),
                      ToApiStatus(s).SerializeAsString());
}

absl::StatusOr<const ResourceInfo*> Resource(const std::string& name) {
  const ResourceInfo* r = FindResource(name);
  if (r == nullptr || r->name != name) {
    return absl::NotFoundError(
        absl::StrCat("the server doesn't have a resource type \"", name, "\""));
  }
  return r;
}

// The subresources a method serves: Get, Update and Patch the "status", "scale" and
// "approval" (certificatesigningrequests) that the table lists for the resource; Create none (a
// binding is the Bind method). Anything else is refused once the call is authorized, so a call
// never does what it was not authorized as: a Create with subresource "binding" (create
// pods/binding, the scheduler's right) must not create a pod.
absl::Status CheckSubresource(const ResourceInfo& r, absl::string_view method,
                              const std::string& sub) {
  if (sub.empty()) return absl::OkStatus();
  if (std::find(r.subresources.begin(), r.subresources.end(), sub) == r.subresources.end()) {
    return absl::NotFoundError(
        absl::StrCat("the server could not find the requested resource (", r.name, "/", sub, ")"));
  }
  if (method != "Create" && (sub == "status" || sub == "scale" || sub == "approval")) {
    return absl::OkStatus();
  }
  return MethodNotAllowedError(absl::StrCat(method, " is not supported on ", r.name, "/", sub,
                                            sub == "binding" ? " (use Bind)" : ""));
}

absl::StatusOr<const ResourceInfo*> ResourceFor(const std::string& name, absl::string_view method,
                                                const std::string& sub) {
  absl::StatusOr<const ResourceInfo*> r = Resource(name);
  if (!r.ok()) return r;
  if (absl::Status s = CheckSubresource(**r, method, sub); !s.ok()) return s;
  return r;
}

absl::StatusOr<ObjectPtr> ParseObject(const ResourceInfo& r, const std::string& data) {
  ObjectPtr obj = r.New();
  if (!obj->ParseFromString(data)) return BadRequestError("malformed object");
  return obj;
}

std::string Metadata(const grpc::ServerContext* ctx, const char* key) {
  auto it = ctx->client_metadata().find(key);
  if (it == ctx->client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

grpc::Status Reply(const absl::StatusOr<ObjectPtr>& obj, api::Object* out) {
  if (!obj.ok()) return ToGrpc(obj.status());
  LogRpcObject("reply", **obj);  // -v=8.., redacted
  out->set_data((*obj)->SerializeAsString());
  return grpc::Status::OK;
}

}  // namespace

class GrpcServer::Service final : public api::ApiServer::Service {
 public:
  Service(Registry* registry, Metrics* metrics, const AuthGate* gate, WatchLimiter* watch_limiter)
      : registry_(registry), metrics_(metrics), gate_(gate), watch_limiter_(watch_limiter) {}

  // Authenticates and authorizes one call; the admitted user goes to *user.
  grpc::Status Admit(const grpc::ServerContext* ctx, const RequestAttributes& attrs,
                     UserInfo* user) const {
    std::string cert;
    if (std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context()) {
      std::vector<grpc::string_ref> pems = auth->FindPropertyValues("x509_pem_cert");
      if (!pems.empty()) cert.assign(pems[0].data(), pems[0].size());
    }
    absl::StatusOr<UserInfo> u = gate_->Admit(cert, Metadata(ctx, "authorization"), attrs);
    if (!u.ok()) return ToGrpc(u.status());
    *user = *std::move(u);
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext* ctx, const api::GetRequest* req,
                   api::Object* out) override {
    UserInfo user;
    if (grpc::Status a = Admit(ctx,
                               GrpcRequestAttributes("get", req->resource(), req->namespace_(),
                                                     req->name(), req->subresource()),
                               &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve Get", *req);
    auto r = ResourceFor(req->resource(), "Get", req->subresource());
    if (!r.ok()) return ToGrpc(r.status());
    if (req->subresource() == "scale") {
      return Reply(registry_->GetScale(**r, req->namespace_(), req->name()), out);
    }
    return Reply(registry_->Get(**r, req->namespace_(), req->name()), out);
  }

  grpc::Status List(grpc::ServerContext* ctx, const api::ListRequest* req,
                    api::ObjectList* out) override {
    UserInfo user;
    if (grpc::Status a = Admit(ctx,
                               GrpcRequestAttributes("list", req->resource(), req->namespace_(), "",
                                                     "", req->field_selector()),
                               &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve List", *req);
    auto r = Resource(req->resource());
    if (!r.ok()) return ToGrpc(r.status());
    absl::StatusOr<ObjectList> list =
        registry_->List(**r, req->namespace_(), {req->label_selector(), req->field_selector()});
    if (!list.ok()) return ToGrpc(list.status());
    out->set_resource_version(list->resource_version);
    for (const ObjectPtr& obj : list->items) {
      LogRpcObject("list item", *obj);
      out->add_items(obj->SerializeAsString());
    }
    return grpc::Status::OK;
  }

  grpc::Status Create(grpc::ServerContext* ctx, const api::WriteRequest* req,
                      api::Object* out) override {
    UserInfo user;
    if (grpc::Status a = Admit(ctx,
                               GrpcRequestAttributes("create", req->resource(), req->namespace_(),
                                                     WrittenName(req), req->subresource()),
                               &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve Create", *req);
    auto r = ResourceFor(req->resource(), "Create", req->subresource());
    if (!r.ok()) return ToGrpc(r.status());
    auto obj = ParseObject(**r, req->data());
    if (!obj.ok()) return ToGrpc(obj.status());
    StampRequester(**r, user, obj->get());
    return Reply(registry_->Create(**r, req->namespace_(), std::move(*obj)), out);
  }

  grpc::Status Update(grpc::ServerContext* ctx, const api::WriteRequest* req,
                      api::Object* out) override {
    UserInfo user;
    if (grpc::Status a = Admit(ctx,
                               GrpcRequestAttributes("update", req->resource(), req->namespace_(),
                                                     WrittenName(req), req->subresource()),
                               &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve Update", *req);
    auto r = ResourceFor(req->resource(), "Update", req->subresource());
    if (!r.ok()) return ToGrpc(r.status());
    if (req->subresource() == "scale") {
      api::Scale scale;
      if (!scale.ParseFromString(req->data())) return ToGrpc(BadRequestError("bad Scale"));
      Json j = {{"spec", {{"replicas", scale.spec().replicas()}}}};
      if (!scale.metadata().resource_version().empty()) {
        j["metadata"] = {{"resourceVersion", scale.metadata().resource_version()}};
      }
      return Reply(registry_->UpdateScale(**r, req->namespace_(), scale.metadata().name(), j), out);
    }
    auto obj = ParseObject(**r, req->data());
    if (!obj.ok()) return ToGrpc(obj.status());
    std::string name = Meta(**obj).name();
    return Reply(
        registry_->Update(**r, req->namespace_(), name, req->subresource(), std::move(*obj)), out);
  }

  grpc::Status Patch(grpc::ServerContext* ctx, const api::PatchRequest* req,
                     api::Object* out) override {
    UserInfo user;
    if (grpc::Status a = Admit(ctx,
                               GrpcRequestAttributes("patch", req->resource(), req->namespace_(),
                                                     req->name(), req->subresource()),
                               &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve Patch", *req);
    auto r = ResourceFor(req->resource(), "Patch", req->subresource());
    if (!r.ok()) return ToGrpc(r.status());
    absl::StatusOr<Json> patch = ParseJsonBody(req->patch());
    if (!patch.ok()) return ToGrpc(BadRequestError(patch.status().message()));
    if (req->subresource() == "scale") {
      return Reply(
          registry_->PatchScale(**r, req->namespace_(), req->name(), req->patch_type(), *patch),
          out);
    }
    return Reply(registry_->Patch(**r, req->namespace_(), req->name(), req->subresource(),
                                  req->patch_type(), *patch),
                 out);
  }

  grpc::Status Delete(grpc::ServerContext* ctx, const api::DeleteRequest* req,
                      api::Object* out) override {
    UserInfo user;
    if (grpc::Status a = Admit(
            ctx,
            GrpcRequestAttributes("delete", req->resource(), req->namespace_(), req->name(), ""),
            &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve Delete", *req);
    auto r = Resource(req->resource());
    if (!r.ok()) return ToGrpc(r.status());
    DeleteOptions opts;
    if (req->has_grace_period_seconds()) opts.grace_period_seconds = req->grace_period_seconds();
    opts.propagation_policy = req->propagation_policy();
    if (req->has_precondition_uid()) opts.precondition_uid = req->precondition_uid();
    if (req->has_precondition_resource_version()) {
      opts.precondition_resource_version = req->precondition_resource_version();
    }
    return Reply(registry_->Delete(**r, req->namespace_(), req->name(), opts), out);
  }

  grpc::Status Bind(grpc::ServerContext* ctx, const api::BindRequest* req,
                    api::Object* out) override {
    UserInfo user;
    if (grpc::Status a = Admit(
            ctx, GrpcRequestAttributes("create", "pods", req->namespace_(), req->name(), "binding"),
            &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve Bind", *req);
    std::map<std::string, std::string> annotations(req->annotations().begin(),
                                                   req->annotations().end());
    return Reply(registry_->Bind(req->namespace_(), req->name(), req->node_name(), annotations),
                 out);
  }

  grpc::Status Watch(grpc::ServerContext* ctx, const api::WatchRequest* req,
                     grpc::ServerWriter<api::WatchEvent>* writer) override {
    UserInfo user;
    if (grpc::Status a = Admit(ctx,
                               GrpcRequestAttributes("watch", req->resource(), req->namespace_(),
                                                     "", "", req->field_selector()),
                               &user);
        !a.ok()) {
      return a;
    }
    LogRpcRequest("serve Watch", *req);
    auto r = Resource(req->resource());
    if (!r.ok()) return ToGrpc(r.status());
    WatchOptions opts;
    opts.label_selector = req->label_selector();
    opts.field_selector = req->field_selector();
    opts.resource_version = req->resource_version();
    opts.allow_bookmarks = req->allow_bookmarks();
    std::unique_ptr<WatchLimiter::Slot> slot;  // held until the stream ends
    if (watch_limiter_ != nullptr) {
      slot = watch_limiter_->TryAcquire(ClientKey(user.name, PeerIpFromGrpcPeer(ctx->peer())));
      if (slot == nullptr) {
        return ToGrpc(
            TooManyRequestsError(absl::StrCat("too many watches from this client (limit is ",
                                              watch_limiter_->max_per_client(), ")"),
                                 1));
      }
    }
    absl::StatusOr<std::unique_ptr<RegistryWatch>> w =
        registry_->Watch(**r, req->namespace_(), opts);
    if (!w.ok()) {
      if (absl::IsOutOfRange(w.status())) {
        api::WatchEvent ev;
        ev.set_type("ERROR");
        ev.set_object(ToApiStatus(w.status()).SerializeAsString());
        writer->Write(ev);
        return grpc::Status::OK;
      }
      return ToGrpc(w.status());
    }
    metrics_->WatchOpened((*r)->name);
    // Headers first, on their own: were they to ride with a buffer_hint message (a watch from
    // version 0 starts with a burst of ADDED), that first Write would wait for a flush that
    // only a later Write can trigger, and block for good.
    writer->SendInitialMetadata();
    // Events already committed are sent as one batch: every message but the last carries
    // buffer_hint, so a burst costs one flush (and one wakeup of the sender) instead of many.
    constexpr int kMaxBatch = 64;
    bool open = true;
    while (open && !ctx->IsCancelled()) {
      WatchEvent ev;
      RegistryWatch::Result res = (*w)->Next(absl::Milliseconds(500), &ev);
      if (res == RegistryWatch::Result::kClosed) break;
      if (res == RegistryWatch::Result::kTimeout) continue;
      for (int n = 1;; ++n) {
        api::WatchEvent out;
        out.set_type(ev.type);
        out.set_object(ev.bytes ? *ev.bytes : ev.object->SerializeAsString());
        out.set_resource_version(ev.revision);
        if (ev.object) LogRpcObject(ev.type.c_str(), *ev.object);
        WatchEvent next;
        res = n < kMaxBatch ? (*w)->Next(absl::ZeroDuration(), &next)
                            : RegistryWatch::Result::kTimeout;
        bool more = res == RegistryWatch::Result::kEvent;
        grpc::WriteOptions wo;
        if (more) wo.set_buffer_hint();
        if (!writer->Write(out, wo)) {
          open = false;
          break;
        }
        if (res == RegistryWatch::Result::kClosed) open = false;
        if (!more) break;
        ev = std::move(next);
      }
    }
    metrics_->WatchClosed((*r)->name);
    return grpc::Status::OK;
  }

 private:
  // The name an Update writes: the object's metadata.name (Scale: its metadata too).
  static std::string WrittenName(const api::WriteRequest* req) {
    const ResourceInfo* r = FindResource(req->resource());
    if (r == nullptr) return "";
    ObjectPtr obj = req->subresource() == "scale" ? ObjectPtr(new api::Scale()) : r->New();
    if (!obj->ParseFromString(req->data())) return "";
    return Meta(*obj).name();
  }

  Registry* registry_;
  Metrics* metrics_;
  const AuthGate* gate_;
  WatchLimiter* watch_limiter_;
};

GrpcServer::GrpcServer(Registry* registry, Metrics* metrics, AuthGate gate, GrpcOptions options)
    : registry_(registry), metrics_(metrics), options_(options), gate_(std::move(gate)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

absl::Status GrpcServer::Start(const std::string& address, const GrpcTlsOptions& tls) {
  if (gate_.authenticator == nullptr) return absl::InternalError("gRPC: no authenticator");
  if (tls.cert_pem.empty() || tls.key_pem.empty() || tls.client_ca_pem.empty()) {
    return absl::InvalidArgumentError("gRPC: TLS certificate, key and client CA are required");
  }
  service_ = std::make_unique<Service>(registry_, metrics_, &gate_, options_.watch_limiter);
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  ssl.pem_root_certs = tls.client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({tls.key_pem, tls.cert_pem});
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::SslServerCredentials(ssl), &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  }
  return absl::OkStatus();
}

void GrpcServer::Shutdown() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_.reset();
  }
}

}  // namespace mk::apiserver
