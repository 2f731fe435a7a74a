#include "controller-manager/csr_controller.h"

#include "absl/strings/match.h"
#include "api.pb.h"
#include "common/log.h"
#include "common/object.h"
#include "controller-manager/csr_policy.h"

namespace mk::controller_manager {
namespace {

constexpr char kResource[] = "certificatesigningrequests";

void AddCondition(api::CertificateSigningRequest* csr, const std::string& type,
                  const std::string& reason, const std::string& message, absl::Time now) {
  auto* c = csr->mutable_status()->add_conditions();
  c->set_type(type);
  c->set_status("True");
  c->set_reason(reason);
  c->set_message(message);
  c->set_last_update_time(mk::FormatTime(now));
  c->set_last_transition_time(mk::FormatTime(now));
}

}  // namespace

CsrController::CsrController(ApiClient* client, Informer* csr_informer, Informer* node_informer,
                             CsrControllerOptions opts)
    : client_(client),
      csrs_(csr_informer),
      nodes_(node_informer),
      opts_(std::move(opts)),
      clock_(opts_.clock != nullptr ? opts_.clock : Clock::Real()),
      queue_(WorkQueueOptions{absl::Milliseconds(5), absl::Seconds(30), clock_}),
      workers_(
          &queue_, [this](const std::string& key) { return Sync(key); }, "csr") {
  EventHandlers h;
  h.on_add = [this](const google::protobuf::Message& m) { queue_.Add(Meta(m).name()); };
  h.on_update = [this](const google::protobuf::Message&, const google::protobuf::Message& m) {
    queue_.Add(Meta(m).name());
  };
  csrs_->AddHandlers(std::move(h));
  // A serving certificate waits for its Node's addresses.
  EventHandlers nh;
  auto pending = [this](const google::protobuf::Message&) {
    for (const auto& csr : csrs_->ListAs<api::CertificateSigningRequest>()) {
      if (!HasDecision(*csr) && csr->spec().signer_name() == kKubeletServingSigner) {
        queue_.Add(csr->metadata().name());
      }
    }
  };
  nh.on_add = pending;
  nh.on_update = [pending](const google::protobuf::Message&, const google::protobuf::Message& m) {
    pending(m);
  };
  nodes_->AddHandlers(std::move(nh));
}

CsrController::~CsrController() { Shutdown(); }

void CsrController::Run(int workers) { workers_.Start(workers); }

void CsrController::Shutdown() { workers_.Stop(); }

absl::Status CsrController::Sync(const std::string& name) {
  auto csr = csrs_->GetAs<api::CertificateSigningRequest>(name);
  if (csr == nullptr || IsFinished(*csr)) return absl::OkStatus();
  if (!HasDecision(*csr)) {
    std::shared_ptr<const api::Node> node;
    if (absl::StatusOr<pki::CsrInfo> info = pki::ParseCsr(csr->spec().request());
        info.ok() && absl::StartsWith(info->common_name, "system:node:")) {
      node = nodes_->GetAs<api::Node>(info->common_name.substr(12));
    }
    std::string reason = AutoApprovalReason(*csr, node.get());
    return reason.empty() ? absl::OkStatus() : Approve(*csr, reason);
  }
  if (IsApproved(*csr) && csr->status().certificate().empty() &&
      (!opts_.signing_ca.key_pem.empty() || !opts_.kubelet_serving_ca.key_pem.empty())) {
    return Sign(*csr);
  }
  return absl::OkStatus();
}

absl::Status CsrController::Approve(const api::CertificateSigningRequest& csr,
                                    const std::string& message) {
  api::CertificateSigningRequest next = csr;
  AddCondition(&next, "Approved", "AutoApproved", message, clock_->Now());
  absl::StatusOr<ObjectPtr> r = client_->Update(kResource, "", next, "approval");
  if (!r.ok()) return absl::IsNotFound(r.status()) ? absl::OkStatus() : r.status();
  MK_LOG(INFO) << "approved certificatesigningrequest " << csr.metadata().name() << " of "
               << csr.spec().username() << " (" << csr.spec().signer_name() << ")";
  return absl::OkStatus();
}

absl::Status CsrController::Sign(const api::CertificateSigningRequest& csr) {
  absl::StatusOr<SigningPlan> plan = PlanSigning(csr, opts_.signing_duration);
  if (absl::IsFailedPrecondition(plan.status())) return absl::OkStatus();  // another signer
  const pki::CertAndKey& ca =
      csr.spec().signer_name() == kKubeletServingSigner && !opts_.kubelet_serving_ca.key_pem.empty()
          ? opts_.kubelet_serving_ca
          : opts_.signing_ca;
  if (ca.key_pem.empty()) return absl::OkStatus();  // no CA for this signer here
  api::CertificateSigningRequest next = csr;
  if (plan.ok()) {
    pki::CertOptions cert_opts;
    cert_opts.validity = plan->validity;
    absl::StatusOr<std::string> cert =
        pki::SignCsr(ca, csr.spec().request(), plan->usage, cert_opts);
    if (cert.ok()) {
      next.mutable_status()->set_certificate(*cert);
    } else {
      plan = cert.status();
    }
  }
  if (!plan.ok()) {
    AddCondition(&next, "Failed", "SignerValidationFailure", std::string(plan.status().message()),
                 clock_->Now());
  }
  absl::StatusOr<ObjectPtr> r = client_->Update(kResource, "", next, "status");
  if (!r.ok()) return absl::IsNotFound(r.status()) ? absl::OkStatus() : r.status();
  MK_LOG(INFO) << (plan.ok() ? "signed" : "refused to sign") << " certificatesigningrequest "
               << csr.metadata().name() << (plan.ok() ? "" : ": ") << plan.status().message();
  return absl::OkStatus();
}

}  // namespace mk::controller_manager
