#include "plinth/http/handlers.h"

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"

namespace plinth::http {

Response MlflowError(const absl::Status& status) {
  Json body = {{"error_code", MlflowErrorCode(status)}, {"message", std::string(status.message())}};
  return Response::Json(body, HttpStatusFor(status));
}

Response NativeError(const absl::Status& status) {
  std::string code =
      ErrorNameOf(status).value_or(std::string(absl::StatusCodeToString(status.code())));
  Json body = {
      {"error",
       {{"code", code}, {"message", std::string(status.message())}, {"details", Json::object()}}}};
  return Response::Json(body, HttpStatusFor(status));
}

namespace {
Handler Wrap(JsonHandler fn, Response (*render_error)(const absl::Status&)) {
  return [fn = std::move(fn), render_error](Request& request) -> Response {
    absl::StatusOr<Json> result = fn(request);
    if (!result.ok()) return render_error(result.status());
    return Response::Json(*result);
  };
}
}  // namespace

Handler MlflowHandler(JsonHandler fn) { return Wrap(std::move(fn), &MlflowError); }
Handler NativeHandler(JsonHandler fn) { return Wrap(std::move(fn), &NativeError); }

absl::Status RequireWrite(const Principal& principal) {
  if (principal.CanWrite()) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      "token role '", principal.role, "' is read-only: use a 'member' or 'admin' token to write"));
}

absl::Status RequireAdmin(const Principal& principal) {
  if (principal.IsAdmin()) return absl::OkStatus();
  return absl::PermissionDeniedError("this operation needs an 'admin' token");
}

absl::Status RequireTeamAccess(const Principal& principal, const std::string& owner_team,
                               const std::string& what) {
  if (principal.CanAccessTeam(owner_team)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(what, " belongs to team '", owner_team,
                                                  "'; your token belongs to team '", principal.team,
                                                  "'"));
}

}  // namespace plinth::http
