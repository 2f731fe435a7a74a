#pragma once

// Kubernetes API errors as absl::Status. The status code carries the class of error
// (NotFound, AlreadyExists, Aborted=Conflict, InvalidArgument=Invalid, ...) and a payload
// carries the Kubernetes reason and details, so REST and gRPC can render the same
// `Status` object. One mapping from codes to HTTP and gRPC lives here.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "api.pb.h"

namespace mk {

struct FieldError {
  std::string field;    // full path, e.g. spec.containers[0].image
  std::string reason;   // FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, ...
  std::string message;  // e.g. "Required value"
};

// Errors with Kubernetes' reasons and messages. `resource` is the plural name ("pods").
absl::Status NotFoundError(absl::string_view resource, absl::string_view name);
absl::Status AlreadyExistsError(absl::string_view resource, absl::string_view name);
absl::Status ConflictError(absl::string_view resource, absl::string_view name,
                           absl::string_view why);
// 422: `Pod "x" is invalid: <causes joined by ", ">`.
absl::Status InvalidError(absl::string_view kind, absl::string_view name,
                          const std::vector<FieldError>& causes);
absl::Status BadRequestError(absl::string_view message);
absl::Status GoneError(absl::string_view message);                  // 410 Expired
absl::Status TooLargeError(absl::string_view message);              // 413
absl::Status UnsupportedMediaTypeError(absl::string_view message);  // 415
absl::Status MethodNotAllowedError(absl::string_view message);      // 405
absl::Status ForbiddenError(absl::string_view message);             // 403
// 403 with details {group, kind: resource, name}, as Kubernetes' NewForbidden.
absl::Status ForbiddenError(absl::string_view message, absl::string_view group,
                            absl::string_view resource, absl::string_view name);
// 429 TooManyRequests with details.retryAfterSeconds (REST adds a Retry-After header).
absl::Status TooManyRequestsError(absl::string_view message, int retry_after_seconds);
absl::Status TimeoutError(absl::string_view message);  // 504

// The Kubernetes Status object for any absl::Status (non-ok). Statuses not made above map
// by code (e.g. kInternal → 500 InternalError).
api::Status ToApiStatus(const absl::Status& status);
// Inverse: rebuild an absl::Status from a Status object (client side).
absl::Status FromApiStatus(const api::Status& status);
int HttpCode(const absl::Status& status);

}  // namespace mk
