#include "common/fake_api_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/json_codec.h"
#include "common/manifest.h"
#include "common/object.h"
#include "common/resources.h"
#include "common/selectors.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"

namespace mk {
namespace {

using google::protobuf::Message;
using Shared = std::shared_ptr<const Message>;

// Parsed selectors; the apiserver answers a bad selector with 400 BadRequest.
struct Selectors {
  LabelSelector labels;
  FieldSelector fields;
  bool Matches(const Message& obj) const {
    return labels.Matches(Meta(obj).labels()) && fields.Matches(obj);
  }
};

absl::StatusOr<Selectors> ParseSelectors(const std::string& resource, const std::string& label,
                                         const std::string& field) {
  absl::StatusOr<LabelSelector> l = LabelSelector::Parse(label);
  if (!l.ok()) return BadRequestError(l.status().message());
  absl::StatusOr<FieldSelector> f = FieldSelector::Parse(resource, field);
  if (!f.ok()) return BadRequestError(f.status().message());
  return Selectors{std::move(*l), std::move(*f)};
}

// --- RFC 7386 JSON merge patch.
Json MergePatch(Json target, const Json& patch) {
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      target.erase(it.key());
    } else {
      target[it.key()] =
          MergePatch(target.contains(it.key()) ? target[it.key()] : Json(), it.value());
    }
  }
  return target;
}

ObjectPtr Clone(const Message& m) {
  ObjectPtr c(m.New());
  c->CopyFrom(m);
  return c;
}

const google::protobuf::FieldDescriptor* Field(const Message& m, const char* name) {
  return m.GetDescriptor()->FindFieldByName(name);
}

// Copies message field `name` from `from` to `to` (both of the same type), if it exists.
void CopyField(const Message& from, Message* to, const char* name) {
  const auto* f = Field(from, name);
  if (f == nullptr) return;
  to->GetReflection()->MutableMessage(to, f)->CopyFrom(from.GetReflection()->GetMessage(from, f));
}

bool FieldEquals(const Message& a, const Message& b, const char* name) {
  const auto* f = Field(a, name);
  if (f == nullptr) return true;
  return google::protobuf::util::MessageDifferencer::Equals(a.GetReflection()->GetMessage(a, f),
                                                            b.GetReflection()->GetMessage(b, f));
}

bool HasSubresource(const ResourceInfo& r, const std::string& sub) {
  return std::find(r.subresources.begin(), r.subresources.end(), sub) != r.subresources.end();
}

absl::StatusOr<const ResourceInfo*> Resource(const std::string& name) {
  const ResourceInfo* r = FindResource(name);
  if (r == nullptr) return absl::NotFoundError(absl::StrCat("unknown resource \"", name, "\""));
  return r;
}

std::string Key(const ResourceInfo& r, const std::string& ns, const std::string& name) {
  return r.namespaced ? absl::StrCat(ns, "/", name) : name;
}

}  // namespace

// A watch: events are queued by the fake (under its lock) and read by the consumer.
class FakeApiClient::Stream : public WatchStream {
 public:
  Stream(FakeApiClient* fake, const ResourceInfo* r, std::string ns, Selectors sel)
      : fake_(fake), r_(r), ns_(std::move(ns)), sel_(std::move(sel)) {}
  ~Stream() override {
    absl::MutexLock l(&fake_->mu_);
    auto& v = fake_->streams_;
    v.erase(std::remove(v.begin(), v.end(), this), v.end());
  }

  bool Next(WatchEvent* event) override {
    absl::MutexLock l(&mu_);
    mu_.Await(absl::Condition(
        +[](Stream* s)
             ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->closed_ || !s->queue_.empty(); },
        this));
    if (queue_.empty()) return false;
    *event = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  void Cancel() override { Close(absl::OkStatus()); }
  absl::Status status() override {
    absl::MutexLock l(&mu_);
    return status_;
  }

  // Events after a close are dropped; a closed stream still drains what was queued.
  void Close(absl::Status s) {
    absl::MutexLock l(&mu_);
    if (closed_) return;
    closed_ = true;
    status_ = std::move(s);
  }
  bool closed() {
    absl::MutexLock l(&mu_);
    return closed_;
  }

  bool Matches(const Message& obj) const {
    if (r_->namespaced && !ns_.empty() && Meta(obj).namespace_() != ns_) return false;
    return sel_.Matches(obj);
  }

  // Translates a change into what this watcher sees: an object that stops matching its
  // selectors is DELETED for it, one that starts matching is ADDED.
  void Offer(const std::string& resource, const std::string& type, const Message& obj,
             const Message* prev, int64_t rv) {
    if (resource != r_->name) return;
    bool now = Matches(obj);
    bool before = prev != nullptr && Matches(*prev);
    std::string t = type;
    if (type == "MODIFIED") {
      if (!now && !before) return;
      if (now && !before) t = "ADDED";
      if (!now && before) t = "DELETED";
    } else if (!now) {
      return;
    }
    WatchEvent ev;
    ev.type = t;
    ev.object = Clone(obj);
    ev.resource_version = rv;
    absl::MutexLock l(&mu_);
    if (!closed_) queue_.push_back(std::move(ev));
  }

 private:
  FakeApiClient* const fake_;
  const ResourceInfo* const r_;
  const std::string ns_;
  const Selectors sel_;
  absl::Mutex mu_;
  std::deque<WatchEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status status_ ABSL_GUARDED_BY(mu_);
};

FakeApiClient::FakeApiClient(Clock* clock) : clock_(clock != nullptr ? clock : Clock::Real()) {}

FakeApiClient::~FakeApiClient() = default;

absl::Status FakeApiClient::Record(const std::string& verb, const std::string& resource,
                                   const std::string& ns, const std::string& name,
                                   const std::string& subresource) {
  calls_.push_back({verb, resource, ns, name, subresource});
  for (auto it = injected_.begin(); it != injected_.end(); ++it) {
    if ((it->verb == "*" || it->verb == verb) && it->resource == resource) {
      absl::Status s = it->status;
      if (--it->times <= 0) injected_.erase(it);
      return s;
    }
  }
  return absl::OkStatus();
}

ObjectPtr FakeApiClient::CommitLocked(const std::string& resource, const std::string& key,
                                      ObjectPtr obj, const std::string& type) {
  int64_t rv = ++rv_;
  MutableMeta(obj.get())->set_resource_version(absl::StrCat(rv));
  auto& objects = objects_[resource];
  Shared prev;
  if (auto it = objects.find(key); it != objects.end()) prev = it->second;
  Shared stored(Clone(*obj).release());
  if (type == "DELETED") {
    objects.erase(key);
  } else {
    objects[key] = stored;
  }
  Emit({type, resource, stored, prev, rv});
  return obj;
}

void FakeApiClient::Emit(Event ev) {
  for (Stream* s : streams_) s->Offer(ev.resource, ev.type, *ev.object, ev.prev.get(), ev.rv);
  history_.push_back(std::move(ev));
  while (history_.size() > 10000) {
    compacted_rv_ = history_.front().rv;
    history_.pop_front();
  }
}

absl::StatusOr<ObjectPtr> FakeApiClient::Get(const std::string& resource, const std::string& ns,
                                             const std::string& name,
                                             const std::string& subresource) {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Record("get", resource, ns, name, subresource); !s.ok()) return s;
  auto r = Resource(resource);
  if (!r.ok()) return r.status();
  auto& objects = objects_[(*r)->name];
  auto it = objects.find(Key(**r, ns, name));
  if (it == objects.end()) return NotFoundError((*r)->name, name);
  if (subresource == "scale") {
    auto scale = std::make_unique<api::Scale>();
    SetTypeMeta(scale.get(), "autoscaling/v1", "Scale");
    *scale->mutable_metadata() = Meta(*it->second);
    const Message& obj = *it->second;
    const Message& spec = obj.GetReflection()->GetMessage(obj, Field(obj, "spec"));
    const auto* replicas = Field(spec, "replicas");
    if (replicas != nullptr && spec.GetReflection()->HasField(spec, replicas)) {
      scale->mutable_spec()->set_replicas(spec.GetReflection()->GetInt32(spec, replicas));
    }
    return ObjectPtr(std::move(scale));
  }
  return Clone(*it->second);
}

absl::StatusOr<ListResult> FakeApiClient::List(const std::string& resource, const std::string& ns,
                                               const ListOptions& opts) {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Record("list", resource, ns, "", ""); !s.ok()) return s;
  auto r = Resource(resource);
  if (!r.ok()) return r.status();
  absl::StatusOr<Selectors> sel =
      ParseSelectors((*r)->name, opts.label_selector, opts.field_selector);
  if (!sel.ok()) return sel.status();
  ListResult out;
  out.resource_version = rv_;
  for (const auto& [key, obj] : objects_[(*r)->name]) {
    if ((*r)->namespaced && !ns.empty() && Meta(*obj).namespace_() != ns) continue;
    if (!sel->Matches(*obj)) continue;
    out.items.push_back(Clone(*obj));
  }
  return out;
}

absl::StatusOr<ObjectPtr> FakeApiClient::Create(const std::string& resource, const std::string& ns,
                                                const Message& in) {
  absl::MutexLock l(&mu_);
  auto r = Resource(resource);
  if (!r.ok()) return r.status();
  ObjectPtr obj = Clone(in);
  api::ObjectMeta* meta = MutableMeta(obj.get());
  if (meta->name().empty() && !meta->generate_name().empty()) {
    meta->set_name(meta->generate_name() + NewUid().substr(0, 5));
  }
  if (absl::Status s = Record("create", (*r)->name, ns, meta->name(), ""); !s.ok()) return s;
  if (meta->name().empty()) {
    return InvalidError((*r)->kind, "",
                        {{"metadata.name", "FieldValueRequired",
                          "Required value: name or generateName is required"}});
  }
  if ((*r)->namespaced) {
    if (!meta->namespace_().empty() && meta->namespace_() != ns) {
      return BadRequestError("the namespace of the object does not match the request");
    }
    meta->set_namespace_(ns);
  } else {
    meta->clear_namespace_();
  }
  std::string key = Key(**r, ns, meta->name());
  if (objects_[(*r)->name].count(key)) return AlreadyExistsError((*r)->name, meta->name());
  meta->set_uid(NewUid());
  meta->set_creation_timestamp(mk::FormatTime(clock_->Now()));
  meta->set_generation(1);
  SetTypeMeta(obj.get(), (*r)->ApiVersion(), (*r)->kind);
  return CommitLocked((*r)->name, key, std::move(obj), "ADDED");
}

absl::StatusOr<ObjectPtr> FakeApiClient::Update(const std::string& resource, const std::string& ns,
                                                const Message& in, const std::string& subresource) {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Record("update", resource, ns, Meta(in).name(), subresource); !s.ok()) {
    return s;
  }
  return UpdateLocked(resource, ns, Clone(in), subresource);
}

absl::StatusOr<ObjectPtr> FakeApiClient::UpdateLocked(const std::string& resource,
                                                      const std::string& ns, ObjectPtr in,
                                                      const std::string& subresource) {
  auto r = Resource(resource);
  if (!r.ok()) return r.status();
  const std::string name = Meta(*in).name();
  const std::string key = Key(**r, ns, name);
  auto& objects = objects_[(*r)->name];
  auto it = objects.find(key);
  if (it == objects.end()) return NotFoundError((*r)->name, name);
  const Message& cur = *it->second;
  const std::string& rv = Meta(*in).resource_version();
  if (!rv.empty() && rv != Meta(cur).resource_version()) {
    return ConflictError((*r)->name, name,
                         "the object has been modified; please apply your changes to the "
                         "latest version and try again");
  }
  ObjectPtr next;
  if (subresource == "status") {
    next = Clone(cur);
    CopyField(*in, next.get(), "status");
  } else if (subresource == "scale") {
    auto* scale = dynamic_cast<api::Scale*>(in.get());
    if (scale == nullptr) return BadRequestError("scale update needs a Scale");
    next = Clone(cur);
    Message* spec = next->GetReflection()->MutableMessage(next.get(), Field(*next, "spec"));
    const auto* replicas = Field(*spec, "replicas");
    if (replicas == nullptr) return BadRequestError("resource has no spec.replicas");
    spec->GetReflection()->SetInt32(spec, replicas, scale->spec().replicas());
  } else {
    next = std::move(in);
    if (HasSubresource(**r, "status")) CopyField(cur, next.get(), "status");
    api::ObjectMeta* m = MutableMeta(next.get());
    m->set_uid(Meta(cur).uid());
    m->set_creation_timestamp(Meta(cur).creation_timestamp());
    m->set_namespace_(Meta(cur).namespace_());
    if (!Meta(cur).deletion_timestamp().empty()) {
      m->set_deletion_timestamp(Meta(cur).deletion_timestamp());
    }
    SetTypeMeta(next.get(), (*r)->ApiVersion(), (*r)->kind);
  }
  api::ObjectMeta* m = MutableMeta(next.get());
  m->set_generation(Meta(cur).generation() + (FieldEquals(cur, *next, "spec") ? 0 : 1));
  bool finished = !m->deletion_timestamp().empty() && m->finalizers().empty();
  return CommitLocked((*r)->name, key, std::move(next), finished ? "DELETED" : "MODIFIED");
}

absl::StatusOr<ObjectPtr> FakeApiClient::Patch(const std::string& resource, const std::string& ns,
                                               const std::string& name,
                                               const std::string& patch_type,
                                               const std::string& patch,
                                               const std::string& subresource) {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Record("patch", resource, ns, name, subresource); !s.ok()) return s;
  auto r = Resource(resource);
  if (!r.ok()) return r.status();
  if (patch_type != "application/merge-patch+json" &&
      patch_type != "application/strategic-merge-patch+json") {
    return UnsupportedMediaTypeError(absl::StrCat("fake: unsupported patch type ", patch_type));
  }
  auto& objects = objects_[(*r)->name];
  auto it = objects.find(Key(**r, ns, name));
  if (it == objects.end()) return NotFoundError((*r)->name, name);
  absl::StatusOr<Json> p = ParseJsonBody(patch);
  if (!p.ok()) return BadRequestError(p.status().message());
  ObjectPtr next((*r)->prototype->New());
  if (absl::Status s = DecodeJson(MergePatch(EncodeJson(*it->second), *p), next.get()); !s.ok()) {
    return s;
  }
  MutableMeta(next.get())->set_name(name);
  return UpdateLocked((*r)->name, ns, std::move(next), subresource);
}

absl::StatusOr<ObjectPtr> FakeApiClient::Delete(const std::string& resource, const std::string& ns,
                                                const std::string& name,
                                                const DeleteOptions& opts) {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Record("delete", resource, ns, name, ""); !s.ok()) return s;
  auto r = Resource(resource);
  if (!r.ok()) return r.status();
  std::string key = Key(**r, ns, name);
  auto& objects = objects_[(*r)->name];
  auto it = objects.find(key);
  if (it == objects.end()) return NotFoundError((*r)->name, name);
  const api::ObjectMeta& meta = Meta(*it->second);
  if ((opts.precondition_uid && *opts.precondition_uid != meta.uid()) ||
      (opts.precondition_resource_version &&
       *opts.precondition_resource_version != meta.resource_version())) {
    return ConflictError((*r)->name, name, "Precondition failed");
  }
  ObjectPtr obj = Clone(*it->second);
  if (!meta.finalizers().empty()) {
    if (!meta.deletion_timestamp().empty()) return obj;
    MutableMeta(obj.get())->set_deletion_timestamp(mk::FormatTime(clock_->Now()));
    return CommitLocked((*r)->name, key, std::move(obj), "MODIFIED");
  }
  return CommitLocked((*r)->name, key, std::move(obj), "DELETED");
}

absl::StatusOr<ObjectPtr> FakeApiClient::Bind(
    const std::string& ns, const std::string& pod, const std::string& node,
    const std::map<std::string, std::string>& annotations) {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Record("bind", "pods", ns, pod, "binding"); !s.ok()) return s;
  auto& objects = objects_["pods"];
  auto it = objects.find(absl::StrCat(ns, "/", pod));
  if (it == objects.end()) return NotFoundError("pods", pod);
  auto next = std::make_unique<api::Pod>(static_cast<const api::Pod&>(*it->second));
  if (!next->spec().node_name().empty()) {
    return ConflictError("pods", pod,
                         absl::StrCat("pod ", pod, " is already assigned to node \"",
                                      next->spec().node_name(), "\""));
  }
  next->mutable_spec()->set_node_name(node);
  auto* ann = next->mutable_metadata()->mutable_annotations();
  ann->erase("scheduler.mk.io/filter-reasons");
  for (const auto& [k, v] : annotations) (*ann)[k] = v;
  return CommitLocked("pods", it->first, std::move(next), "MODIFIED");
}

absl::StatusOr<std::unique_ptr<WatchStream>> FakeApiClient::Watch(const std::string& resource,
                                                                  const std::string& ns,
                                                                  const WatchOptions& opts) {
  absl::MutexLock l(&mu_);
  if (absl::Status s = Record("watch", resource, ns, "", ""); !s.ok()) return s;
  auto r = Resource(resource);
  if (!r.ok()) return r.status();
  absl::StatusOr<Selectors> sel =
      ParseSelectors((*r)->name, opts.label_selector, opts.field_selector);
  if (!sel.ok()) return sel.status();
  auto stream = std::make_unique<Stream>(this, *r, ns, std::move(*sel));
  if (opts.resource_version == 0) {
    for (const auto& [key, obj] : objects_[(*r)->name]) {
      stream->Offer((*r)->name, "ADDED", *obj, nullptr, rv_);
    }
  } else if (opts.resource_version < compacted_rv_) {
    stream->Close(GoneError(absl::StrCat("too old resource version: ", opts.resource_version, " (",
                                         compacted_rv_, ")")));
    return std::unique_ptr<WatchStream>(std::move(stream));
  } else {
    for (const Event& ev : history_) {
      if (ev.rv > opts.resource_version) {
        stream->Offer(ev.resource, ev.type, *ev.object, ev.prev.get(), ev.rv);
      }
    }
  }
  streams_.push_back(stream.get());
  return std::unique_ptr<WatchStream>(std::move(stream));
}

std::vector<FakeApiClient::Call> FakeApiClient::Calls() const {
  absl::MutexLock l(&mu_);
  return calls_;
}

int FakeApiClient::CountCalls(const std::string& verb, const std::string& resource) const {
  absl::MutexLock l(&mu_);
  return static_cast<int>(std::count_if(calls_.begin(), calls_.end(), [&](const Call& c) {
    return c.verb == verb && (resource.empty() || c.resource == resource);
  }));
}

void FakeApiClient::ClearCalls() {
  absl::MutexLock l(&mu_);
  calls_.clear();
}

void FakeApiClient::InjectError(const std::string& verb, const std::string& resource,
                                absl::Status status, int times) {
  absl::MutexLock l(&mu_);
  injected_.push_back({verb, resource, std::move(status), times});
}

void FakeApiClient::Compact() {
  absl::MutexLock l(&mu_);
  history_.clear();
  compacted_rv_ = rv_;
  for (Stream* s : streams_) s->Close(GoneError("too old resource version"));
}

void FakeApiClient::CloseWatches(absl::Status status) {
  absl::MutexLock l(&mu_);
  for (Stream* s : streams_) s->Close(status);
}

int FakeApiClient::NumOpenWatches() const {
  absl::MutexLock l(&mu_);
  return static_cast<int>(
      std::count_if(streams_.begin(), streams_.end(), [](Stream* s) { return !s->closed(); }));
}

int64_t FakeApiClient::resource_version() const {
  absl::MutexLock l(&mu_);
  return rv_;
}

}  // namespace mk
