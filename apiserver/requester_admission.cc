#include "apiserver/requester_admission.h"

#include "api.pb.h"

namespace mk::apiserver {

void StampRequester(const ResourceInfo& r, const UserInfo& user, google::protobuf::Message* obj) {
  if (r.name != "certificatesigningrequests") return;
  auto* csr = dynamic_cast<api::CertificateSigningRequest*>(obj);
  if (csr == nullptr) return;
  api::CertificateSigningRequestSpec* spec = csr->mutable_spec();
  spec->set_username(user.name);
  spec->clear_uid();
  spec->clear_groups();
  for (const std::string& g : user.groups) spec->add_groups(g);
}

}  // namespace mk::apiserver
