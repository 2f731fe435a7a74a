#pragma once

// Sends one call of the authorization matrix as one identity, over REST (HTTPS, keep-alive)
// or gRPC (one channel per identity), and says what came back.

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "api.pb.h"
#include "apiserver.grpc.pb.h"
#include "common/json.h"
#include "common/json_codec.h"
#include "common/resources.h"
#include "tests/integration/authz_matrix_calls.h"
#include "tests/integration/process.h"

namespace mk::testing::authz_matrix {

// What a call got.
struct Got {
  Outcome outcome = Outcome::kAllowed;
  bool succeeded = false;  // 2xx / OK
  bool answered = true;    // REST: a response came back
  std::string code;        // "201", "403" (REST); "OK", "NOTFND" (gRPC, shortened)
};

// The stored objects the updates send back (resourceVersion removed), by "resource ns/name".
using Objects = std::map<std::string, Json>;
inline std::string ObjectKey(const std::string& resource, const std::string& ns,
                             const std::string& name) {
  return absl::StrCat(resource, " ", ns, "/", name);
}

inline constexpr char kMergePatch[] = "application/merge-patch+json";

// The REST path of `c` (query included).
inline std::string RestPath(const Call& c) {
  if (!c.resource_request) return c.path;
  std::string p = c.group.empty() ? absl::StrCat("/api/", c.version)
                                  : absl::StrCat("/apis/", c.group, "/", c.version);
  if (!c.ns.empty()) absl::StrAppend(&p, "/namespaces/", c.ns);
  absl::StrAppend(&p, "/", c.resource);
  bool to_collection = c.verb == "create" && c.subresource.empty();  // the name is in the body
  if (!c.name.empty() && !to_collection) absl::StrAppend(&p, "/", c.name);
  if (!c.subresource.empty()) absl::StrAppend(&p, "/", c.subresource);
  std::string query;
  if (!c.field_selector.empty()) {
    query = "fieldSelector=" + absl::StrReplaceAll(c.field_selector, {{"=", "%3D"}});
  }
  if (c.verb == "watch")
    absl::StrAppend(&query, query.empty() ? "" : "&", "watch=1&timeoutSeconds=0");
  return query.empty() ? p : absl::StrCat(p, "?", query);
}

inline std::string Describe(const Call& c) {
  if (c.api == Api::kRest) {
    bool named_in_body = c.verb == "create" && c.subresource.empty();
    return absl::StrCat("REST ", c.method, " ", RestPath(c), named_in_body ? " name=" : "",
                        named_in_body ? c.name : "", c.never_succeeds ? " (no such endpoint)" : "");
  }
  std::string what = c.subresource.empty() ? c.resource : c.resource + "/" + c.subresource;
  std::string ns = c.sent_ns.empty() ? c.ns : c.sent_ns + " (cluster-scoped)";
  return absl::StrCat("gRPC ", c.method, " ", what, " ", ns, "/", c.name,
                      c.field_selector.empty() ? "" : " fieldSelector=", c.field_selector,
                      c.never_succeeds ? " (no such endpoint)" : "");
}

// The body a write of `c` sends (JSON).
inline Json WriteBody(const Call& c, const Objects& stored) {
  const ResourceInfo& r = *FindResource(c.resource);
  // A valid object, so that a server ignoring the subresource would create it.
  if (c.never_succeeds) return FixtureBody(r, c.ns, c.name);
  if (c.subresource == "scale") {
    if (c.verb == "patch") return {{"spec", {{"replicas", 0}}}};
    return {{"apiVersion", "autoscaling/v1"},
            {"kind", "Scale"},
            {"metadata", {{"name", c.name}, {"namespace", c.ns}}},
            {"spec", {{"replicas", 0}}}};
  }
  if (c.verb == "patch") return {{"metadata", {{"labels", {{"authz-matrix", "patched"}}}}}};
  if (c.subresource == "binding") {
    return {{"apiVersion", "v1"},
            {"kind", "Binding"},
            {"metadata", {{"name", c.name}}},
            {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", kNodeB}}}};
  }
  if (c.verb == "update") {
    auto it = stored.find(ObjectKey(c.resource, c.ns, c.name));
    return it == stored.end() ? Json::object() : it->second;
  }
  return FixtureBody(r, c.ns, c.name);
}

class MatrixClient {
 public:
  // `kubeconfig`: the identity's credentials; `token`: its bearer token for gRPC (REST takes
  // it from the kubeconfig).
  MatrixClient(const std::string& kubeconfig, const std::string& grpc_address, std::string token)
      : rest_(NewRestClient(kubeconfig)), token_(std::move(token)) {
    rest_->set_keep_alive(true);
    rest_->set_read_timeout(10, 0);
    stub_ = api::ApiServer::NewStub(NewGrpcChannel(kubeconfig, grpc_address));
  }

  Got Do(const Call& c, const Objects& stored) {
    return c.api == Api::kRest ? Rest(c, stored) : Grpc(c, stored);
  }

 private:
  Got Rest(const Call& c, const Objects& stored) {
    std::string path = RestPath(c);
    httplib::Result res = [&] {
      if (c.method == "GET") return rest_->Get(path);
      if (c.method == "DELETE") return rest_->Delete(path);
      std::string body = WriteBody(c, stored).dump();
      if (c.method == "POST") return rest_->Post(path, body, "application/json");
      if (c.method == "PUT") return rest_->Put(path, body, "application/json");
      return rest_->Patch(path, body, kMergePatch);
    }();
    Got g;
    if (!res) {
      g.answered = false;
      g.outcome = Outcome::kTlsRefused;
      g.code = httplib::to_string(res.error());
      return g;
    }
    g.code = absl::StrCat(res->status);
    g.succeeded = res->status >= 200 && res->status < 300;
    if (res->status == 401) g.outcome = Outcome::kUnauthorized;
    if (res->status == 403) g.outcome = Outcome::kForbidden;
    return g;
  }

  void Prepare(grpc::ClientContext* ctx) const {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
  }

  static std::string Serialized(const ResourceInfo& r, const Json& j) {
    std::unique_ptr<google::protobuf::Message> obj = r.New();
    if (!DecodeJson(j, obj.get()).ok()) return "";
    return obj->SerializeAsString();
  }

  Got Grpc(const Call& c, const Objects& stored) {
    const ResourceInfo& r = *FindResource(c.resource);
    const std::string& ns = c.sent_ns.empty() ? c.ns : c.sent_ns;
    grpc::ClientContext ctx;
    Prepare(&ctx);
    api::Object out;
    grpc::Status s;
    if (c.method == "Get") {
      api::GetRequest req;
      req.set_resource(c.resource);
      req.set_namespace_(ns);
      req.set_name(c.name);
      req.set_subresource(c.subresource);
      s = stub_->Get(&ctx, req, &out);
    } else if (c.method == "List") {
      api::ListRequest req;
      req.set_resource(c.resource);
      req.set_namespace_(ns);
      req.set_field_selector(c.field_selector);
      api::ObjectList list;
      s = stub_->List(&ctx, req, &list);
    } else if (c.method == "Watch") {
      return Watch(c, &ctx);
    } else if (c.method == "Create" || c.method == "Update") {
      api::WriteRequest req;
      req.set_resource(c.resource);
      req.set_namespace_(ns);
      req.set_subresource(c.subresource);
      Json body = WriteBody(c, stored);
      if (c.subresource == "scale" && !c.never_succeeds) {
        api::Scale scale;
        DecodeJson(body, &scale).IgnoreError();
        req.set_data(scale.SerializeAsString());
      } else {
        req.set_data(Serialized(r, body));
      }
      s = c.method == "Create" ? stub_->Create(&ctx, req, &out) : stub_->Update(&ctx, req, &out);
    } else if (c.method == "Patch") {
      api::PatchRequest req;
      req.set_resource(c.resource);
      req.set_namespace_(ns);
      req.set_name(c.name);
      req.set_subresource(c.subresource);
      req.set_patch_type(kMergePatch);
      req.set_patch(WriteBody(c, stored).dump());
      s = stub_->Patch(&ctx, req, &out);
    } else if (c.method == "Delete") {
      api::DeleteRequest req;
      req.set_resource(c.resource);
      req.set_namespace_(ns);
      req.set_name(c.name);
      s = stub_->Delete(&ctx, req, &out);
    } else if (c.method == "Bind") {
      api::BindRequest req;
      req.set_namespace_(ns);
      req.set_name(c.name);
      req.set_node_name(kNodeB);
      s = stub_->Bind(&ctx, req, &out);
    }
    return FromStatus(s);
  }

  // An admitted watch starts with the ADDED events of the objects already there (every
  // watched collection holds a fixture); a refused one ends with its status at once.
  Got Watch(const Call& c, grpc::ClientContext* ctx) {
    api::WatchRequest req;
    req.set_resource(c.resource);
    req.set_namespace_(c.sent_ns.empty() ? c.ns : c.sent_ns);
    req.set_field_selector(c.field_selector);
    std::unique_ptr<grpc::ClientReader<api::WatchEvent>> reader = stub_->Watch(ctx, req);
    api::WatchEvent ev;
    if (reader->Read(&ev)) {
      ctx->TryCancel();
      (void)reader->Finish();
      Got g;
      g.succeeded = true;
      g.code = "OK";
      return g;
    }
    return FromStatus(reader->Finish());
  }

  static Got FromStatus(const grpc::Status& s) {
    static const std::map<grpc::StatusCode, const char*> kNames = {
        {grpc::OK, "OK"},
        {grpc::CANCELLED, "CANCEL"},
        {grpc::INVALID_ARGUMENT, "INVAL"},
        {grpc::DEADLINE_EXCEEDED, "DEADLN"},
        {grpc::NOT_FOUND, "NOTFND"},
        {grpc::ALREADY_EXISTS, "EXISTS"},
        {grpc::PERMISSION_DENIED, "DENIED"},
        {grpc::FAILED_PRECONDITION, "PRECND"},
        {grpc::ABORTED, "ABORT"},
        {grpc::UNIMPLEMENTED, "UNIMPL"},
        {grpc::INTERNAL, "INTERN"},
        {grpc::UNAVAILABLE, "UNAVAIL"},
        {grpc::UNAUTHENTICATED, "UNAUTH"},
    };
    Got g;
    auto it = kNames.find(s.error_code());
    g.code = it != kNames.end() ? it->second : absl::StrCat("code ", s.error_code());
    g.succeeded = s.ok();
    if (s.error_code() == grpc::UNAUTHENTICATED) g.outcome = Outcome::kUnauthorized;
    if (s.error_code() == grpc::PERMISSION_DENIED) g.outcome = Outcome::kForbidden;
    if (s.error_code() == grpc::UNAVAILABLE) g.outcome = Outcome::kTlsRefused;
    return g;
  }

  std::unique_ptr<httplib::SSLClient> rest_;
  std::unique_ptr<api::ApiServer::Stub> stub_;
  std::string token_;
};

}  // namespace mk::testing::authz_matrix
