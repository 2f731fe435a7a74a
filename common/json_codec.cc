#include "common/json_codec.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"

namespace mk {
namespace {

// Scalar fields Kubernetes always writes, even when zero (their Go struct tags have no
// omitempty): `kubectl get pod -o jsonpath='{..restartCount}'` prints 0, not nothing.
bool AlwaysEmitted(const google::protobuf::FieldDescriptor* f) {
  static const auto* kFields =
      new std::set<std::string>{"mk.api.ContainerStatus.restart_count",
                                "mk.api.ContainerStatus.ready",
                                "mk.api.ContainerStatus.image",
                                "mk.api.ContainerStatus.image_id",
                                "mk.api.ReplicaSetStatus.replicas",
                                "mk.api.ScaleStatus.replicas",
                                "mk.api.HorizontalPodAutoscalerStatus.desired_replicas"};
  return kFields->count(f->full_name()) > 0;
}

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kIntOrString[] = "mk.api.IntOrString";

std::string Join(absl::string_view path, absl::string_view name) {
  if (path.empty()) return std::string(name);
  return absl::StrCat(path, ".", name);
}

const char* TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

void TypeError(absl::string_view path, absl::string_view expected, const Json& got,
               std::vector<FieldError>* errors) {
  errors->push_back({std::string(path), "FieldValueTypeInvalid",
                     absl::StrCat("expected ", expected, ", got ", TypeName(got))});
}

// Integral value of a JSON number, or false.
bool AsInteger(const Json& j, int64_t* out) {
  if (j.is_number_integer()) {
    *out = j.get<int64_t>();
    return true;
  }
  if (j.is_number_unsigned()) {
    uint64_t u = j.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::trunc(d) != d || std::fabs(d) > 9.2e18) return false;
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

void DecodeIntOrString(const Json& j, Message* msg, absl::string_view path,
                       std::vector<FieldError>* errors) {
  const Descriptor* d = msg->GetDescriptor();
  const Reflection* r = msg->GetReflection();
  int64_t v;
  if (j.is_string()) {
    r->SetString(msg, d->FindFieldByName("str_val"), j.get<std::string>());
  } else if (AsInteger(j, &v) && v >= INT32_MIN && v <= INT32_MAX) {
    r->SetInt32(msg, d->FindFieldByName("int_val"), static_cast<int32_t>(v));
  } else {
    TypeError(path, "integer or string", j, errors);
  }
}

// Decodes a scalar JSON value into a field (singular, repeated element or map value).
// `add` is true for repeated fields.
void DecodeScalar(const Json& j, Message* msg, const FieldDescriptor* f, bool add,
                  absl::string_view path, std::vector<FieldError>* errors) {
  const Reflection* r = msg->GetReflection();
  int64_t iv;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!j.is_string()) return TypeError(path, "string", j, errors);
      std::string s = j.get<std::string>();
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string raw;
        if (!absl::Base64Unescape(s, &raw)) {
          errors->push_back({std::string(path), "FieldValueInvalid",
                             "illegal base64 data: expected a base64-encoded value"});
          return;
        }
        s = std::move(raw);
      }
      add ? r->AddString(msg, f, std::move(s)) : r->SetString(msg, f, std::move(s));
      return;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      if (!AsInteger(j, &iv) || iv < INT32_MIN || iv > INT32_MAX) {
        return TypeError(path, "32-bit integer", j, errors);
      }
      add ? r->AddInt32(msg, f, static_cast<int32_t>(iv))
          : r->SetInt32(msg, f, static_cast<int32_t>(iv));
      return;
    case FieldDescriptor::CPPTYPE_INT64:
      if (!AsInteger(j, &iv)) return TypeError(path, "integer", j, errors);
      add ? r->AddInt64(msg, f, iv) : r->SetInt64(msg, f, iv);
      return;
    case FieldDescriptor::CPPTYPE_BOOL:
      if (!j.is_boolean()) return TypeError(path, "boolean", j, errors);
      add ? r->AddBool(msg, f, j.get<bool>()) : r->SetBool(msg, f, j.get<bool>());
      return;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      if (!j.is_number()) return TypeError(path, "number", j, errors);
      add ? r->AddDouble(msg, f, j.get<double>()) : r->SetDouble(msg, f, j.get<double>());
      return;
    default:
      errors->push_back({std::string(path), "InternalError", "unsupported field type"});
  }
}

void DecodeMessage(const Json& j, Message* msg, absl::string_view path,
                   std::vector<FieldError>* errors);

// protobuf 3.21 has no lookup by JSON name; messages have few fields, so scan.
const FieldDescriptor* FieldByJsonName(const Descriptor* d, const std::string& name) {
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == name) return d->field(i);
  }
  return nullptr;
}

void DecodeMap(const Json& j, Message* msg, const FieldDescriptor* f, absl::string_view path,
               std::vector<FieldError>* errors) {
  if (!j.is_object()) return TypeError(path, "object", j, errors);
  const Reflection* r = msg->GetReflection();
  const FieldDescriptor* value_field = f->message_type()->map_value();
  for (const auto& [key, value] : j.items()) {
    std::string sub = absl::StrCat(path, "[", key, "]");
    if (value.is_null()) continue;
    Message* entry = r->AddMessage(msg, f);
    entry->GetReflection()->SetString(entry, f->message_type()->map_key(), key);
    if (value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      DecodeMessage(value, entry->GetReflection()->MutableMessage(entry, value_field), sub, errors);
    } else {
      DecodeScalar(value, entry, value_field, false, sub, errors);
    }
  }
}

void DecodeField(const Json& j, Message* msg, const FieldDescriptor* f, absl::string_view path,
                 std::vector<FieldError>* errors) {
  const Reflection* r = msg->GetReflection();
  if (f->is_map()) return DecodeMap(j, msg, f, path, errors);
  if (f->is_repeated()) {
    if (!j.is_array()) return TypeError(path, "array", j, errors);
    for (size_t i = 0; i < j.size(); ++i) {
      std::string sub = absl::StrCat(path, "[", i, "]");
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        DecodeMessage(j[i], r->AddMessage(msg, f), sub, errors);
      } else {
        DecodeScalar(j[i], msg, f, true, sub, errors);
      }
    }
    return;
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return DecodeMessage(j, r->MutableMessage(msg, f), path, errors);
  }
  DecodeScalar(j, msg, f, false, path, errors);
}

void DecodeMessage(const Json& j, Message* msg, absl::string_view path,
                   std::vector<FieldError>* errors) {
  const Descriptor* d = msg->GetDescriptor();
  if (d->full_name() == kIntOrString) return DecodeIntOrString(j, msg, path, errors);
  if (!j.is_object()) return TypeError(path, "object", j, errors);
  for (const auto& [key, value] : j.items()) {
    const FieldDescriptor* f = FieldByJsonName(d, key);
    std::string sub = Join(path, key);
    if (f == nullptr) {
      std::vector<std::string> names;
      for (int i = 0; i < d->field_count(); ++i) names.push_back(d->field(i)->json_name());
      std::string hint = SuggestName(key, names);
      errors->push_back({sub, "FieldValueInvalid",
                         hint.empty() ? "unknown field"
                                      : absl::StrCat("unknown field (did you mean ", hint, "?)")});
      continue;
    }
    if (value.is_null()) continue;  // null means unset, as in Kubernetes
    DecodeField(value, msg, f, sub, errors);
  }
}

Json EncodeScalar(const Message& msg, const FieldDescriptor* f, int index) {
  const Reflection* r = msg.GetReflection();
  bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(msg, f, index) : r->GetString(msg, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) return absl::Base64Escape(s);
      return s;
    }
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(msg, f, index) : r->GetInt32(msg, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(msg, f, index) : r->GetInt64(msg, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(msg, f, index) : r->GetBool(msg, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(msg, f, index) : r->GetDouble(msg, f);
    default:
      return nullptr;
  }
}

Json EncodeMessage(const Message& msg);

Json EncodeValue(const Message& msg, const FieldDescriptor* f, int index) {
  const Reflection* r = msg.GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return EncodeMessage(index >= 0 ? r->GetRepeatedMessage(msg, f, index) : r->GetMessage(msg, f));
  }
  return EncodeScalar(msg, f, index);
}

Json EncodeMessage(const Message& msg) {
  const Descriptor* d = msg.GetDescriptor();
  const Reflection* r = msg.GetReflection();
  if (d->full_name() == kIntOrString) {
    const FieldDescriptor* s = d->FindFieldByName("str_val");
    if (r->HasField(msg, s)) return r->GetString(msg, s);
    return r->GetInt32(msg, d->FindFieldByName("int_val"));
  }
  Json out = Json::object();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_map()) {
      int n = r->FieldSize(msg, f);
      if (n == 0) continue;
      std::map<std::string, Json> sorted;
      for (int k = 0; k < n; ++k) {
        const Message& entry = r->GetRepeatedMessage(msg, f, k);
        const FieldDescriptor* kf = f->message_type()->map_key();
        const FieldDescriptor* vf = f->message_type()->map_value();
        sorted[entry.GetReflection()->GetString(entry, kf)] = EncodeValue(entry, vf, -1);
      }
      Json m = Json::object();
      for (auto& [k, v] : sorted) m[k] = std::move(v);
      out[f->json_name()] = std::move(m);
    } else if (f->is_repeated()) {
      int n = r->FieldSize(msg, f);
      if (n == 0) continue;
      Json arr = Json::array();
      for (int k = 0; k < n; ++k) arr.push_back(EncodeValue(msg, f, k));
      out[f->json_name()] = std::move(arr);
    } else if (f->has_presence()) {
      if (r->HasField(msg, f)) out[f->json_name()] = EncodeValue(msg, f, -1);
    } else {
      Json v = EncodeScalar(msg, f, -1);
      bool zero = (v.is_string() && v.get_ref<const std::string&>().empty()) ||
                  (v.is_number() && v == 0) || (v.is_boolean() && !v.get<bool>());
      if (!zero || AlwaysEmitted(f)) out[f->json_name()] = std::move(v);
    }
  }
  return out;
}

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = absl::ascii_tolower(a[i - 1]) == absl::ascii_tolower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string SuggestName(absl::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = 3;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

void DecodeJsonInto(const Json& j, Message* msg, absl::string_view path,
                    std::vector<FieldError>* errors) {
  msg->Clear();
  DecodeMessage(j, msg, path, errors);
}

absl::Status DecodeJson(const Json& j, Message* msg) {
  std::vector<FieldError> errors;
  DecodeJsonInto(j, msg, "", &errors);
  if (errors.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const FieldError& e : errors) parts.push_back(absl::StrCat(e.field, ": ", e.message));
  std::string kind = msg->GetDescriptor()->name();
  return BadRequestError(absl::StrCat(kind, " in version \"v1\" cannot be handled as a ", kind,
                                      ": strict decoding error: ", absl::StrJoin(parts, ", ")));
}

Json EncodeJson(const Message& msg) { return EncodeMessage(msg); }

}  // namespace mk
