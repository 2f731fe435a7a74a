#include "common/event_recorder.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json.h"
#include "common/log.h"
#include "common/object.h"
#include "common/redact.h"
#include "common/resources.h"
#include "google/protobuf/descriptor.h"

namespace mk {
namespace {

constexpr size_t kMaxSeen = 4096;

api::ObjectReference RefOf(const google::protobuf::Message& obj) {
  api::ObjectReference ref;
  std::string kind = GetKind(obj);
  std::string api_version = GetApiVersion(obj);
  if (kind.empty()) kind = obj.GetDescriptor()->name();  // message names are the kinds
  if (api_version.empty()) {
    for (const ResourceInfo& r : AllResources()) {
      if (r.kind == kind) {
        api_version = r.ApiVersion();
        break;
      }
    }
  }
  const api::ObjectMeta& m = Meta(obj);
  ref.set_kind(kind);
  ref.set_api_version(api_version);
  ref.set_namespace_(m.namespace_());
  ref.set_name(m.name());
  ref.set_uid(m.uid());
  ref.set_resource_version(m.resource_version());
  return ref;
}

}  // namespace

EventRecorder::EventRecorder(ApiClient* client, std::string component, std::string host,
                             EventRecorderOptions opts)
    : client_(client),
      component_(std::move(component)),
      host_(std::move(host)),
      opts_(opts),
      clock_(opts.clock != nullptr ? opts.clock : Clock::Real()) {
  thread_ = std::thread([this] { Run(); });
}

EventRecorder::~EventRecorder() { Shutdown(); }

void EventRecorder::Event(const google::protobuf::Message& involved_object, const std::string& type,
                          const std::string& reason, const std::string& message) {
  // Defence in depth: credentials in free text ("Bearer x", "Basic x") never reach an Event.
  Pending p{RefOf(involved_object), type, reason, RedactText(message), clock_->Now()};
  absl::MutexLock l(&mu_);
  if (stopping_ || queue_.size() >= opts_.max_queued) {
    ++dropped_;
    return;
  }
  queue_.push_back(std::move(p));
}

bool EventRecorder::Flush(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return queue_.empty() && !busy_; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void EventRecorder::Shutdown() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

int64_t EventRecorder::dropped() const {
  absl::MutexLock l(&mu_);
  return dropped_;
}

void EventRecorder::Run() {
  while (true) {
    Pending p;
    {
      absl::MutexLock l(&mu_);
      busy_ = false;
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything was written
      p = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Write(p);
  }
}

void EventRecorder::Write(const Pending& p) {
  const std::string ns = p.ref.namespace_().empty() ? "default" : p.ref.namespace_();
  const std::string key =
      absl::StrCat(p.ref.uid(), "\x1f", p.ref.kind(), "\x1f", ns, "\x1f", p.ref.name(), "\x1f",
                   p.type, "\x1f", p.reason, "\x1f", p.message);
  auto it = seen_.find(key);
  if (it != seen_.end() && p.time - it->second.last <= opts_.aggregation_window) {
    Seen& s = it->second;
    Json patch = {{"count", s.count + 1}, {"lastTimestamp", mk::FormatTime(p.time)}};
    absl::StatusOr<ObjectPtr> r =
        client_->Patch("events", s.ns, s.event_name, "application/merge-patch+json", patch.dump());
    if (r.ok()) {
      ++s.count;
      s.last = p.time;
      return;
    }
    if (!absl::IsNotFound(r.status())) {
      MK_LOG(W) << "event " << s.ns << "/" << s.event_name << ": " << r.status().message();
      return;
    }
    seen_.erase(it);  // the Event is gone (expired or deleted): write a new one
  }

  api::Event ev;
  ev.set_api_version("v1");
  ev.set_kind("Event");
  std::string name = absl::StrFormat("%s.%x", p.ref.name(), absl::ToUnixNanos(p.time));
  ev.mutable_metadata()->set_name(name);
  ev.mutable_metadata()->set_namespace_(ns);
  *ev.mutable_involved_object() = p.ref;
  ev.set_reason(p.reason);
  ev.set_message(p.message);
  ev.set_type(p.type);
  ev.mutable_source()->set_component(component_);
  ev.mutable_source()->set_host(host_);
  ev.set_first_timestamp(mk::FormatTime(p.time));
  ev.set_last_timestamp(mk::FormatTime(p.time));
  ev.set_count(1);
  ev.set_reporting_component(component_);
  ev.set_reporting_instance(host_);
  absl::StatusOr<ObjectPtr> r = client_->Create("events", ns, ev);
  if (!r.ok()) {
    MK_LOG(W) << "event " << ns << "/" << name << " (" << p.reason << "): " << r.status().message();
    return;
  }
  if (seen_.size() >= kMaxSeen) {
    for (auto s = seen_.begin(); s != seen_.end();) {
      s = p.time - s->second.last > opts_.aggregation_window ? seen_.erase(s) : std::next(s);
    }
    if (seen_.size() >= kMaxSeen) seen_.clear();
  }
  seen_[key] = Seen{name, ns, 1, p.time, p.time};
}

}  // namespace mk
