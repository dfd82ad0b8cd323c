#include "plinth/http/handlers.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "spdlog/spdlog.h"

namespace plinth::http {
namespace {

// The message a client sees. A server fault's own text can hold SQL, file
// paths or library internals: it goes to the log under a reference number
// and the client gets that number. Client errors keep their message, which
// says what to change.
std::string PublicMessage(const absl::Status& status) {
  if (HttpStatusFor(status) < 500 || status.code() == absl::StatusCode::kUnavailable ||
      status.code() == absl::StatusCode::kResourceExhausted) {
    return std::string(status.message());
  }
  static std::atomic<uint64_t> next_reference{1};
  uint64_t reference = next_reference.fetch_add(1);
  spdlog::error("internal error (reference {}): {}", reference, status.ToString());
  return absl::StrCat("internal server error (reference ", reference,
                      " in the server log); please report it");
}

}  // namespace

Response MlflowError(const absl::Status& status) {
  Json body = {{"error_code", MlflowErrorCode(status)}, {"message", PublicMessage(status)}};
  return Response::Json(body, HttpStatusFor(status));
}

Response NativeError(const absl::Status& status) {
  std::string code =
      ErrorNameOf(status).value_or(std::string(absl::StatusCodeToString(status.code())));
  Json body = {
      {"error", {{"code", code}, {"message", PublicMessage(status)}, {"details", Json::object()}}}};
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
  return auth::AuthorizeAction(principal, auth::Action::kWrite);
}

absl::Status RequireAdmin(const Principal& principal) {
  return auth::AuthorizeAction(principal, auth::Action::kAdmin);
}

absl::Status RequireTeamAccess(const Principal& principal, const std::string& owner_team,
                               const std::string& what) {
  // Reading: the kind is only for messages here, `what` already names it.
  return auth::Authorize(principal, {auth::ResourceKind::kRun, what, owner_team},
                         auth::Action::kRead);
}

}  // namespace plinth::http
