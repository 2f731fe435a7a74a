#include "common/leader_election.h"

#include <unistd.h>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log.h"
#include "common/object.h"
#include "google/protobuf/util/message_differencer.h"

namespace mk {
namespace {

// metav1.MicroTime's wire format.
std::string MicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

}  // namespace

std::string DefaultIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    snprintf(host, sizeof(host), "unknown");
  }
  absl::BitGen gen;
  return absl::StrCat(host, "_", absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen)));
}

LeaderElector::LeaderElector(ApiClient* client, LeaderElectionConfig config)
    : client_(client),
      config_(std::move(config)),
      clock_(config_.clock != nullptr ? config_.clock : Clock::Real()) {
  if (config_.identity.empty()) config_.identity = DefaultIdentity();
}

LeaderElector::~LeaderElector() { Shutdown(); }

void LeaderElector::Start() {
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock l(&mu_);
  return leading_;
}

std::string LeaderElector::CurrentLeader() const {
  absl::MutexLock l(&mu_);
  return observed_holder_;
}

bool LeaderElector::Wait(absl::Duration d) {
  absl::MutexLock l(&mu_);
  auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
  return !clock_->AwaitWithDeadline(&mu_, absl::Condition(&stop), clock_->Now() + d);
}

void LeaderElector::SetLeading(bool leading) {
  {
    absl::MutexLock l(&mu_);
    if (leading_ == leading) return;
    leading_ = leading;
  }
  MK_LOG(I) << config_.identity << (leading ? " became leader of " : " stopped leading ")
            << config_.lease_namespace << "/" << config_.lease_name;
  if (leading && config_.on_started_leading) config_.on_started_leading();
  if (!leading && config_.on_stopped_leading) config_.on_stopped_leading();
}

void LeaderElector::Run() {
  while (true) {
    // Acquire.
    while (!TryAcquireOrRenew()) {
      if (!Wait(config_.retry_period)) return;
    }
    last_renew_ = clock_->Now();
    SetLeading(true);
    // Renew until we can't for renew_deadline, someone else holds the lease, or shutdown.
    while (true) {
      if (!Wait(config_.retry_period)) {
        Release();
        SetLeading(false);
        return;
      }
      if (TryAcquireOrRenew()) {
        last_renew_ = clock_->Now();
        continue;
      }
      if (lost_ || clock_->Now() - last_renew_ > config_.renew_deadline) break;
    }
    SetLeading(false);
  }
}

bool LeaderElector::TryAcquireOrRenew() {
  lost_ = false;
  absl::Time now = clock_->Now();
  const int32_t duration_s = static_cast<int32_t>(absl::ToInt64Seconds(config_.lease_duration));
  absl::StatusOr<api::Lease> got =
      client_->GetAs<api::Lease>("leases", config_.lease_namespace, config_.lease_name);
  if (absl::IsNotFound(got.status())) {
    api::Lease lease;
    lease.mutable_metadata()->set_name(config_.lease_name);
    lease.mutable_metadata()->set_namespace_(config_.lease_namespace);
    api::LeaseSpec* spec = lease.mutable_spec();
    spec->set_holder_identity(config_.identity);
    spec->set_lease_duration_seconds(duration_s);
    spec->set_acquire_time(MicroTime(now));
    spec->set_renew_time(MicroTime(now));
    spec->set_lease_transitions(0);
    absl::StatusOr<api::Lease> created =
        client_->CreateAs("leases", config_.lease_namespace, lease);
    if (!created.ok()) return false;
    Observe(*created, now);
    return true;
  }
  if (!got.ok()) {
    MK_VLOG(2) << "leader election: get lease: " << got.status().message();
    return false;
  }
  Observe(*got, now);
  const api::LeaseSpec& old = got->spec();
  const std::string& holder = old.holder_identity();
  absl::Duration held_for = old.has_lease_duration_seconds()
                                ? absl::Seconds(old.lease_duration_seconds())
                                : config_.lease_duration;
  if (!holder.empty() && holder != config_.identity) {
    if (observed_time_ + held_for > now) {
      lost_ = true;  // someone else holds a live lease
      return false;
    }
  }
  api::Lease next = *got;  // keeps resourceVersion: the update is conditional
  api::LeaseSpec* spec = next.mutable_spec();
  spec->set_holder_identity(config_.identity);
  spec->set_lease_duration_seconds(duration_s);
  spec->set_renew_time(MicroTime(now));
  if (holder != config_.identity) {
    spec->set_acquire_time(MicroTime(now));
    spec->set_lease_transitions(old.lease_transitions() + 1);
  }
  absl::StatusOr<api::Lease> updated = client_->UpdateAs("leases", config_.lease_namespace, next);
  if (!updated.ok()) {
    MK_VLOG(2) << "leader election: update lease: " << updated.status().message();
    if (absl::IsAborted(updated.status())) lost_ = holder != config_.identity;
    return false;
  }
  Observe(*updated, now);
  return true;
}

void LeaderElector::Observe(const api::Lease& lease, absl::Time now) {
  if (!have_observed_ ||
      !google::protobuf::util::MessageDifferencer::Equals(observed_.spec(), lease.spec())) {
    observed_time_ = now;
  }
  observed_ = lease;
  have_observed_ = true;
  const std::string& holder = lease.spec().holder_identity();
  bool changed;
  {
    absl::MutexLock l(&mu_);
    changed = holder != observed_holder_;
    observed_holder_ = holder;
  }
  if (changed && !holder.empty() && config_.on_new_leader) config_.on_new_leader(holder);
}

void LeaderElector::Release() {
  if (!have_observed_ || observed_.spec().holder_identity() != config_.identity) return;
  absl::Time now = clock_->Now();
  api::Lease next = observed_;
  api::LeaseSpec* spec = next.mutable_spec();
  spec->clear_holder_identity();
  spec->set_lease_duration_seconds(1);
  spec->set_acquire_time(MicroTime(now));
  spec->set_renew_time(MicroTime(now));
  absl::StatusOr<api::Lease> updated = client_->UpdateAs("leases", config_.lease_namespace, next);
  if (!updated.ok()) {
    MK_LOG(W) << "leader election: releasing lease: " << updated.status().message();
    return;
  }
  Observe(*updated, now);
}

}  // namespace mk
