#include "common/rpc_log.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/redact.h"
#include "common/resources.h"

namespace mk {
namespace {

std::string Field(const google::protobuf::Message& m, const char* name) {
  const auto* f = m.GetDescriptor()->FindFieldByName(name);
  if (f == nullptr || f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_STRING ||
      f->is_repeated()) {
    return "";
  }
  return m.GetReflection()->GetString(m, f);
}

}  // namespace

void LogRpcRequest(const char* method, const google::protobuf::Message& req) {
  int v = LogVerbosity();
  if (v < 6) return;
  std::string resource = Field(req, "resource");
  std::string ns = Field(req, "namespace");
  std::string name = Field(req, "name");
  std::string sub = Field(req, "subresource");
  MK_LOG(I) << "gRPC " << method << " " << resource << (sub.empty() ? "" : "/") << sub << " " << ns
            << (ns.empty() ? "" : "/") << name;
  if (v < 8) return;
  // Secret bodies carry no kind in a patch: the path tells the redactor what they are.
  std::string path = absl::StrCat("/api/v1/", resource);
  const std::string type = req.GetDescriptor()->name();
  if (type == "WriteRequest") {
    const ResourceInfo* r = FindResource(resource);
    std::unique_ptr<google::protobuf::Message> obj(r != nullptr ? r->New() : nullptr);
    if (obj != nullptr && obj->ParseFromString(Field(req, "data"))) {
      MK_LOG(I) << "gRPC request object: " << BodyForLog(RedactMessage(*obj), path, v);
    }
  } else if (type == "PatchRequest") {
    MK_LOG(I) << "gRPC patch (" << Field(req, "patch_type")
              << "): " << BodyForLog(Field(req, "patch"), path, v);
  }
}

void LogRpcObject(const char* what, const google::protobuf::Message& obj) {
  int v = LogVerbosity();
  if (v < 8) return;
  MK_LOG(I) << "gRPC " << what << ": " << BodyForLog(RedactMessage(obj), "", v);
}

}  // namespace mk
