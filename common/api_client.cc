#include "common/api_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "apiserver.grpc.pb.h"
#include "common/api_error.h"
#include "common/kubeconfig_file.h"
#include "common/object.h"
#include "common/resources.h"
#include "common/rpc_log.h"

namespace mk {
namespace {

// A gRPC failure as an absl::Status: the Kubernetes Status in error_details when the server
// sent one, else the transport's code (Unavailable, DeadlineExceeded, ...).
absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  api::Status st;
  if (!s.error_details().empty() && st.ParseFromString(s.error_details()) && st.code() != 0) {
    return FromApiStatus(st);
  }
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(s.error_code())),
                      s.error_message());
}

absl::StatusOr<const ResourceInfo*> Resource(const std::string& name) {
  const ResourceInfo* r = FindResource(name);
  if (r == nullptr) return absl::NotFoundError(absl::StrCat("unknown resource \"", name, "\""));
  return r;
}

absl::StatusOr<ObjectPtr> Parse(const google::protobuf::Message& prototype,
                                const std::string& data) {
  ObjectPtr obj(prototype.New());
  if (!obj->ParseFromString(data)) return absl::InternalError("malformed object from server");
  LogRpcObject("received", *obj);  // -v=8.., redacted
  return obj;
}

const google::protobuf::Message& Prototype(const ResourceInfo& r, const std::string& subresource) {
  if (subresource == "scale") return api::Scale::default_instance();
  return *r.prototype;
}

class GrpcWatchStream : public WatchStream {
 public:
  GrpcWatchStream(std::unique_ptr<grpc::ClientContext> ctx, const ResourceInfo* r)
      : ctx_(std::move(ctx)), r_(r) {}
  ~GrpcWatchStream() override {
    Cancel();
    if (reader_ != nullptr && !finished_) reader_->Finish();
  }

  void Start(std::unique_ptr<grpc::ClientReader<api::WatchEvent>> reader) {
    reader_ = std::move(reader);
  }

  bool Next(WatchEvent* event) override {
    if (finished_) return false;
    api::WatchEvent ev;
    while (reader_->Read(&ev)) {
      if (ev.type() == "ERROR") {
        api::Status st;
        absl::Status s;
        if (st.ParseFromString(ev.object()) && st.code() != 0) {
          s = FromApiStatus(st);
        } else {
          s = GoneError("watch expired");
        }
        End(s);
        return false;
      }
      absl::StatusOr<ObjectPtr> obj = Parse(*r_->prototype, ev.object());
      if (!obj.ok()) {
        End(obj.status());
        return false;
      }
      event->type = ev.type();
      event->object = std::move(*obj);
      event->resource_version = ev.resource_version();
      return true;
    }
    grpc::Status s = reader_->Finish();
    finished_ = true;
    absl::MutexLock l(&mu_);
    if (!cancelled_) status_ = FromGrpc(s);
    return false;
  }

  void Cancel() override {
    absl::MutexLock l(&mu_);
    cancelled_ = true;
    ctx_->TryCancel();
  }

  absl::Status status() override {
    absl::MutexLock l(&mu_);
    return status_;
  }

 private:
  void End(absl::Status s) {
    ctx_->TryCancel();
    reader_->Finish();
    finished_ = true;
    absl::MutexLock l(&mu_);
    status_ = std::move(s);
  }

  std::unique_ptr<grpc::ClientContext> ctx_;
  const ResourceInfo* r_;
  std::unique_ptr<grpc::ClientReader<api::WatchEvent>> reader_;
  bool finished_ = false;  // reader thread only
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

class GrpcApiClient : public ApiClient {
 public:
  GrpcApiClient(const std::string& address, const GrpcApiClientOptions& opts) : opts_(opts) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    std::shared_ptr<grpc::ChannelCredentials> creds;
    if (opts.ca_pem.empty()) {
      creds = grpc::InsecureChannelCredentials();
    } else {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = opts.ca_pem;
      ssl.pem_cert_chain = opts.cert_pem;
      ssl.pem_private_key = opts.key_pem;
      creds = grpc::SslCredentials(ssl);
      if (!opts.token.empty()) {
        creds = grpc::CompositeChannelCredentials(creds, grpc::AccessTokenCredentials(opts.token));
      }
    }
    channel_ = grpc::CreateCustomChannel(address, creds, args);
    stub_ = api::ApiServer::NewStub(channel_);
  }

  absl::StatusOr<ObjectPtr> Get(const std::string& resource, const std::string& ns,
                                const std::string& name, const std::string& subresource) override {
    auto r = Resource(resource);
    if (!r.ok()) return r.status();
    api::GetRequest req;
    req.set_resource((*r)->name);
    req.set_namespace_(ns);
    req.set_name(name);
    req.set_subresource(subresource);
    api::Object out;
    LogRpcRequest("Get", req);
    auto ctx = Context();
    return Reply(stub_->Get(ctx.get(), req, &out), Prototype(**r, subresource), out);
  }

  absl::StatusOr<ListResult> List(const std::string& resource, const std::string& ns,
                                  const ListOptions& opts) override {
    auto r = Resource(resource);
    if (!r.ok()) return r.status();
    api::ListRequest req;
    req.set_resource((*r)->name);
    req.set_namespace_(ns);
    req.set_label_selector(opts.label_selector);
    req.set_field_selector(opts.field_selector);
    api::ObjectList out;
    LogRpcRequest("List", req);
    auto ctx = Context();
    grpc::Status s = stub_->List(ctx.get(), req, &out);
    if (!s.ok()) return FromGrpc(s);
    ListResult result;
    result.resource_version = out.resource_version();
    result.items.reserve(out.items_size());
    for (const std::string& item : out.items()) {
      absl::StatusOr<ObjectPtr> obj = Parse(*(*r)->prototype, item);
      if (!obj.ok()) return obj.status();
      result.items.push_back(std::move(*obj));
    }
    return result;
  }

  absl::StatusOr<ObjectPtr> Create(const std::string& resource, const std::string& ns,
                                   const google::protobuf::Message& obj) override {
    return Write(resource, ns, obj, "", /*create=*/true);
  }

  absl::StatusOr<ObjectPtr> Update(const std::string& resource, const std::string& ns,
                                   const google::protobuf::Message& obj,
                                   const std::string& subresource) override {
    return Write(resource, ns, obj, subresource, /*create=*/false);
  }

  absl::StatusOr<ObjectPtr> Patch(const std::string& resource, const std::string& ns,
                                  const std::string& name, const std::string& patch_type,
                                  const std::string& patch,
                                  const std::string& subresource) override {
    auto r = Resource(resource);
    if (!r.ok()) return r.status();
    api::PatchRequest req;
    req.set_resource((*r)->name);
    req.set_namespace_(ns);
    req.set_name(name);
    req.set_subresource(subresource);
    req.set_patch_type(patch_type);
    req.set_patch(patch);
    api::Object out;
    LogRpcRequest("Patch", req);
    auto ctx = Context();
    return Reply(stub_->Patch(ctx.get(), req, &out), Prototype(**r, subresource), out);
  }

  absl::StatusOr<ObjectPtr> Delete(const std::string& resource, const std::string& ns,
                                   const std::string& name, const DeleteOptions& opts) override {
    auto r = Resource(resource);
    if (!r.ok()) return r.status();
    api::DeleteRequest req;
    req.set_resource((*r)->name);
    req.set_namespace_(ns);
    req.set_name(name);
    if (opts.grace_period_seconds) req.set_grace_period_seconds(*opts.grace_period_seconds);
    req.set_propagation_policy(opts.propagation_policy);
    if (opts.precondition_uid) req.set_precondition_uid(*opts.precondition_uid);
    if (opts.precondition_resource_version) {
      req.set_precondition_resource_version(*opts.precondition_resource_version);
    }
    api::Object out;
    LogRpcRequest("Delete", req);
    auto ctx = Context();
    return Reply(stub_->Delete(ctx.get(), req, &out), *(*r)->prototype, out);
  }

  absl::StatusOr<ObjectPtr> Bind(const std::string& ns, const std::string& pod,
                                 const std::string& node,
                                 const std::map<std::string, std::string>& annotations) override {
    api::BindRequest req;
    req.set_namespace_(ns);
    req.set_name(pod);
    req.set_node_name(node);
    req.mutable_annotations()->insert(annotations.begin(), annotations.end());
    api::Object out;
    LogRpcRequest("Bind", req);
    auto ctx = Context();
    return Reply(stub_->Bind(ctx.get(), req, &out), api::Pod::default_instance(), out);
  }

  absl::StatusOr<std::unique_ptr<WatchStream>> Watch(const std::string& resource,
                                                     const std::string& ns,
                                                     const WatchOptions& opts) override {
    auto r = Resource(resource);
    if (!r.ok()) return r.status();
    api::WatchRequest req;
    req.set_resource((*r)->name);
    req.set_namespace_(ns);
    req.set_label_selector(opts.label_selector);
    req.set_field_selector(opts.field_selector);
    req.set_resource_version(opts.resource_version);
    req.set_allow_bookmarks(opts.allow_bookmarks);
    LogRpcRequest("Watch", req);
    auto ctx = std::make_unique<grpc::ClientContext>();
    grpc::ClientContext* raw = ctx.get();
    auto stream = std::make_unique<GrpcWatchStream>(std::move(ctx), *r);
    stream->Start(stub_->Watch(raw, req));
    return std::unique_ptr<WatchStream>(std::move(stream));
  }

 private:
  std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::microseconds(absl::ToInt64Microseconds(opts_.timeout)));
    return ctx;
  }

  static absl::StatusOr<ObjectPtr> Reply(const grpc::Status& s,
                                         const google::protobuf::Message& prototype,
                                         const api::Object& out) {
    if (!s.ok()) return FromGrpc(s);
    return Parse(prototype, out.data());
  }

  absl::StatusOr<ObjectPtr> Write(const std::string& resource, const std::string& ns,
                                  const google::protobuf::Message& obj,
                                  const std::string& subresource, bool create) {
    auto r = Resource(resource);
    if (!r.ok()) return r.status();
    api::WriteRequest req;
    req.set_resource((*r)->name);
    req.set_namespace_(ns);
    req.set_subresource(subresource);
    req.set_data(obj.SerializeAsString());
    api::Object out;
    LogRpcRequest(create ? "Create" : "Update", req);
    auto ctx = Context();
    grpc::Status s =
        create ? stub_->Create(ctx.get(), req, &out) : stub_->Update(ctx.get(), req, &out);
    return Reply(s, Prototype(**r, subresource), out);
  }

  const GrpcApiClientOptions opts_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<api::ApiServer::Stub> stub_;
};

}  // namespace

std::unique_ptr<ApiClient> NewGrpcApiClient(const std::string& address,
                                            const GrpcApiClientOptions& opts) {
  return std::make_unique<GrpcApiClient>(address, opts);
}

absl::StatusOr<std::unique_ptr<ApiClient>> NewGrpcApiClientFromKubeconfig(
    const std::string& kubeconfig, const std::string& address_override, GrpcApiClientOptions base) {
  if (kubeconfig.empty()) {
    return absl::InvalidArgumentError(
        "a kubeconfig is required: the apiserver serves TLS and authenticates every client");
  }
  absl::StatusOr<KubeconfigCredentials> creds = LoadKubeconfigCredentials(kubeconfig);
  if (!creds.ok()) return creds.status();
  std::string address = address_override.empty() ? creds->grpc_server : address_override;
  if (address.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kubeconfig, ": no gRPC address (cluster extension ", kGrpcExtensionName,
                     "); pass --apiserver HOST:PORT"));
  }
  if (creds->ca_pem.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kubeconfig, ": no certificate-authority; the apiserver serves TLS only"));
  }
  if (creds->cert_pem.empty() && creds->token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kubeconfig, ": no client certificate and no token"));
  }
  base.ca_pem = creds->ca_pem;
  base.cert_pem = creds->cert_pem;
  base.key_pem = creds->key_pem;
  base.token = creds->token;
  return NewGrpcApiClient(address, base);
}

}  // namespace mk
