#include "plinth/common/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"

namespace plinth {
namespace {
constexpr absl::string_view kErrorNameUrl = "plinth.dev/error-name";
constexpr absl::string_view kHttpStatusUrl = "plinth.dev/http-status";
}  // namespace

absl::Status WithErrorName(absl::Status status, absl::string_view name) {
  status.SetPayload(kErrorNameUrl, absl::Cord(name));
  return status;
}

std::optional<std::string> ErrorNameOf(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorNameUrl);
  if (!payload) return std::nullopt;
  return std::string(*payload);
}

absl::Status WithHttpStatus(absl::Status status, int http_status) {
  status.SetPayload(kHttpStatusUrl, absl::Cord(std::to_string(http_status)));
  return status;
}

int HttpStatusFor(const absl::Status& status) {
  if (auto payload = status.GetPayload(kHttpStatusUrl)) return std::stoi(std::string(*payload));
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

std::string MlflowErrorCode(const absl::Status& status) {
  if (auto name = ErrorNameOf(status)) return *name;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return "INVALID_PARAMETER_VALUE";
    case absl::StatusCode::kFailedPrecondition:
      return "INVALID_STATE";
    case absl::StatusCode::kAlreadyExists:
      return "RESOURCE_ALREADY_EXISTS";
    case absl::StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case absl::StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case absl::StatusCode::kNotFound:
      return "RESOURCE_DOES_NOT_EXIST";
    case absl::StatusCode::kAborted:
      return "RESOURCE_CONFLICT";
    case absl::StatusCode::kResourceExhausted:
      return "REQUEST_LIMIT_EXCEEDED";
    case absl::StatusCode::kUnimplemented:
      return "NOT_IMPLEMENTED";
    case absl::StatusCode::kUnavailable:
      return "TEMPORARILY_UNAVAILABLE";
    default:
      return "INTERNAL_ERROR";
  }
}

absl::Status BadRequest(absl::string_view message) {
  return WithErrorName(absl::InvalidArgumentError(message), "BAD_REQUEST");
}
absl::Status InvalidParameter(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}
absl::Status AlreadyExists(absl::string_view message) { return absl::AlreadyExistsError(message); }
absl::Status NotFound(absl::string_view message) { return absl::NotFoundError(message); }
absl::Status InvalidState(absl::string_view message) {
  return absl::FailedPreconditionError(message);
}

}  // namespace plinth
