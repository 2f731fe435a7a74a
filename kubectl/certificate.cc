// mkctl certificate approve|deny NAME...: adds an Approved (or Denied) condition to
// CertificateSigningRequests through their approval subresource, as kubectl certificate does.
// A request that already has the other decision is refused unless --force; one that already
// has this decision is left as is.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/object.h"
#include "common/resources.h"
#include "kubectl/commands.h"
#include "kubectl/util.h"

namespace mk::kubectl {

void CertificateFlags(Args* a) { a->Bool("force"); }

namespace {

bool HasCondition(const Json& csr, const std::string& type) {
  const Json& conds = csr.value("status", Json::object()).value("conditions", Json::array());
  for (const Json& c : conds) {
    if (c.value("type", "") == type) return true;
  }
  return false;
}

int Decide(Env& env, const std::string& name, bool approve) {
  const ResourceInfo* r = FindResource("certificatesigningrequests");
  const std::string type = approve ? "Approved" : "Denied";
  const std::string other = approve ? "Denied" : "Approved";
  const std::string verb = approve ? "approve" : "deny";
  const std::string display = absl::StrCat("certificatesigningrequest.", r->group, "/", name);
  absl::StatusOr<Json> csr = env.api().Get(ResourcePath(*r, "", name));
  if (!csr.ok()) return Fail(env, csr.status());
  if (HasCondition(*csr, type)) {
    *env.out << display << " " << (approve ? "approved" : "denied") << "\n";
    return 0;
  }
  if (HasCondition(*csr, other) && !env.args.GetBool("force")) {
    return FailMsg(env, absl::StrCat(display, " is already ", other));
  }
  Json& status = (*csr)["status"];
  if (!status.is_object()) status = Json::object();
  Json& conds = status["conditions"];
  if (!conds.is_array()) conds = Json::array();
  if (HasCondition(*csr, other)) {  // --force: the new decision replaces the old one
    Json kept = Json::array();
    for (const Json& c : conds) {
      if (c.value("type", "") != other) kept.push_back(c);
    }
    conds = kept;
  }
  const std::string now = mk::FormatTime(absl::Now());
  conds.push_back({{"type", type},
                   {"status", "True"},
                   {"reason", approve ? "KubectlApprove" : "KubectlDeny"},
                   {"message", absl::StrCat("This CSR was ", approve ? "approved" : "denied",
                                            " by kubectl certificate ", verb, ".")},
                   {"lastUpdateTime", now},
                   {"lastTransitionTime", now}});
  absl::StatusOr<Json> out = env.api().Put(ResourcePath(*r, "", name) + "/approval", *csr);
  if (!out.ok()) return Fail(env, out.status());
  *env.out << display << " " << (approve ? "approved" : "denied") << "\n";
  return 0;
}

}  // namespace

int RunCertificate(Env& env) {
  const auto& pos = env.args.positional();
  if (pos.size() < 2 || (pos[0] != "approve" && pos[0] != "deny")) {
    return FailMsg(env, "USAGE: certificate approve|deny CSR_NAME... [--force]");
  }
  int rc = 0;
  for (size_t i = 1; i < pos.size(); ++i) {
    std::string name = pos[i];
    for (const char* prefix :
         {"csr/", "certificatesigningrequest/", "certificatesigningrequests/"}) {
      if (absl::StartsWith(name, prefix)) name = name.substr(name.find('/') + 1);
    }
    if (Decide(env, name, pos[0] == "approve") != 0) rc = 1;
  }
  return rc;
}

}  // namespace mk::kubectl
