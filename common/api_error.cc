#include "api_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mk {
namespace {

constexpr char kPayloadUrl[] = "type.mk/mk.api.Status";

absl::Status Make(absl::StatusCode code, int http, absl::string_view reason,
                  absl::string_view message, api::StatusDetails details = {}) {
  api::Status s;
  s.set_api_version("v1");
  s.set_kind("Status");
  s.set_status("Failure");
  s.set_message(std::string(message));
  s.set_reason(std::string(reason));
  s.set_code(http);
  if (details.ByteSizeLong() > 0) *s.mutable_details() = std::move(details);
  absl::Status st(code, message);
  st.SetPayload(kPayloadUrl, absl::Cord(s.SerializeAsString()));
  return st;
}

api::StatusDetails Details(absl::string_view resource, absl::string_view name) {
  api::StatusDetails d;
  d.set_name(std::string(name));
  d.set_kind(std::string(resource));
  return d;
}

}  // namespace

absl::Status NotFoundError(absl::string_view resource, absl::string_view name) {
  return Make(absl::StatusCode::kNotFound, 404, "NotFound",
              absl::StrCat(resource, " \"", name, "\" not found"), Details(resource, name));
}

absl::Status AlreadyExistsError(absl::string_view resource, absl::string_view name) {
  return Make(absl::StatusCode::kAlreadyExists, 409, "AlreadyExists",
              absl::StrCat(resource, " \"", name, "\" already exists"), Details(resource, name));
}

absl::Status ConflictError(absl::string_view resource, absl::string_view name,
                           absl::string_view why) {
  return Make(absl::StatusCode::kAborted, 409, "Conflict",
              absl::StrCat("Operation cannot be fulfilled on ", resource, " \"", name, "\": ", why),
              Details(resource, name));
}

absl::Status InvalidError(absl::string_view kind, absl::string_view name,
                          const std::vector<FieldError>& causes) {
  api::StatusDetails d;
  d.set_name(std::string(name));
  d.set_kind(std::string(kind));
  std::vector<std::string> parts;
  for (const FieldError& c : causes) {
    api::StatusCause* cause = d.add_causes();
    cause->set_reason(c.reason);
    cause->set_message(c.message);
    cause->set_field(c.field);
    parts.push_back(c.field.empty() ? c.message : absl::StrCat(c.field, ": ", c.message));
  }
  std::string msg = absl::StrCat(kind, " \"", name, "\" is invalid: ");
  if (parts.size() == 1) {
    absl::StrAppend(&msg, parts[0]);
  } else {
    absl::StrAppend(&msg, "[", absl::StrJoin(parts, ", "), "]");
  }
  return Make(absl::StatusCode::kInvalidArgument, 422, "Invalid", msg, std::move(d));
}

absl::Status BadRequestError(absl::string_view message) {
  return Make(absl::StatusCode::kFailedPrecondition, 400, "BadRequest", message);
}
absl::Status GoneError(absl::string_view message) {
  return Make(absl::StatusCode::kOutOfRange, 410, "Expired", message);
}
absl::Status TooLargeError(absl::string_view message) {
  return Make(absl::StatusCode::kResourceExhausted, 413, "RequestEntityTooLarge", message);
}
absl::Status UnsupportedMediaTypeError(absl::string_view message) {
  return Make(absl::StatusCode::kUnimplemented, 415, "UnsupportedMediaType", message);
}
absl::Status MethodNotAllowedError(absl::string_view message) {
  return Make(absl::StatusCode::kUnimplemented, 405, "MethodNotAllowed", message);
}
absl::Status ForbiddenError(absl::string_view message) {
  return Make(absl::StatusCode::kPermissionDenied, 403, "Forbidden", message);
}
absl::Status ForbiddenError(absl::string_view message, absl::string_view group,
                            absl::string_view resource, absl::string_view name) {
  api::StatusDetails d = Details(resource, name);
  d.set_group(std::string(group));
  return Make(absl::StatusCode::kPermissionDenied, 403, "Forbidden", message, std::move(d));
}
absl::Status TooManyRequestsError(absl::string_view message, int retry_after_seconds) {
  api::StatusDetails d;
  d.set_retry_after_seconds(retry_after_seconds);
  return Make(absl::StatusCode::kResourceExhausted, 429, "TooManyRequests", message, std::move(d));
}
absl::Status TimeoutError(absl::string_view message) {
  return Make(absl::StatusCode::kDeadlineExceeded, 504, "Timeout", message);
}

api::Status ToApiStatus(const absl::Status& status) {
  api::Status s;
  if (auto payload = status.GetPayload(kPayloadUrl);
      payload.has_value() && s.ParseFromString(std::string(*payload))) {
    return s;
  }
  s.set_api_version("v1");
  s.set_kind("Status");
  s.set_status("Failure");
  s.set_message(std::string(status.message()));
  int code = 500;
  std::string reason = "InternalError";
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      code = 404;
      reason = "NotFound";
      break;
    case absl::StatusCode::kAlreadyExists:
      code = 409;
      reason = "AlreadyExists";
      break;
    case absl::StatusCode::kAborted:
      code = 409;
      reason = "Conflict";
      break;
    case absl::StatusCode::kInvalidArgument:
      code = 422;
      reason = "Invalid";
      break;
    case absl::StatusCode::kFailedPrecondition:
      code = 400;
      reason = "BadRequest";
      break;
    case absl::StatusCode::kOutOfRange:
      code = 410;
      reason = "Expired";
      break;
    case absl::StatusCode::kResourceExhausted:
      code = 429;
      reason = "TooManyRequests";
      break;
    case absl::StatusCode::kPermissionDenied:
      code = 403;
      reason = "Forbidden";
      break;
    case absl::StatusCode::kUnauthenticated:
      code = 401;
      reason = "Unauthorized";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      code = 504;
      reason = "Timeout";
      break;
    case absl::StatusCode::kUnavailable:
      code = 503;
      reason = "ServiceUnavailable";
      break;
    default:
      break;
  }
  s.set_code(code);
  s.set_reason(reason);
  return s;
}

absl::Status FromApiStatus(const api::Status& s) {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  switch (s.code()) {
    case 400:
      code = absl::StatusCode::kFailedPrecondition;
      break;
    case 401:
      code = absl::StatusCode::kUnauthenticated;
      break;
    case 403:
      code = absl::StatusCode::kPermissionDenied;
      break;
    case 404:
      code = absl::StatusCode::kNotFound;
      break;
    case 405:
    case 415:
      code = absl::StatusCode::kUnimplemented;
      break;
    case 409:
      code = s.reason() == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                           : absl::StatusCode::kAborted;
      break;
    case 410:
      code = absl::StatusCode::kOutOfRange;
      break;
    case 413:
    case 429:
      code = absl::StatusCode::kResourceExhausted;
      break;
    case 422:
      code = absl::StatusCode::kInvalidArgument;
      break;
    case 503:
      code = absl::StatusCode::kUnavailable;
      break;
    case 504:
      code = absl::StatusCode::kDeadlineExceeded;
      break;
    default:
      code = absl::StatusCode::kInternal;
      break;
  }
  absl::Status st(code, s.message());
  st.SetPayload(kPayloadUrl, absl::Cord(s.SerializeAsString()));
  return st;
}

int HttpCode(const absl::Status& status) { return ToApiStatus(status).code(); }

}  // namespace mk
