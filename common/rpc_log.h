#pragma once

// The gRPC client's call log at Kubernetes' verbosities: from -v=6 one line per call
// (method, resource, namespace/name), from -v=8 the objects sent and received (cut at 1024
// bytes at -v=8, whole from -v=9). Objects and patches go through common/redact.h, so
// Secret data never reaches the log.

#include "google/protobuf/message.h"

namespace mk {

// `req` is one of apiserver.proto's requests (GetRequest, WriteRequest, PatchRequest, ...).
void LogRpcRequest(const char* method, const google::protobuf::Message& req);
// An object received (a reply or a watch event's object).
void LogRpcObject(const char* what, const google::protobuf::Message& obj);

}  // namespace mk
