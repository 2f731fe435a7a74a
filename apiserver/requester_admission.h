#pragma once

// Admission that records who created an object, as Kubernetes' registry strategies do:
// a CertificateSigningRequest's spec.username, spec.uid and spec.groups are the
// authenticated requester's, whatever the client sent (the approver trusts them).

#include "apiserver/auth_types.h"
#include "common/resources.h"
#include "google/protobuf/message.h"

namespace mk::apiserver {

void StampRequester(const ResourceInfo& r, const UserInfo& user, google::protobuf::Message* obj);

}  // namespace mk::apiserver
