#include "plinth/auth/policy.h"

#include "absl/strings/str_cat.h"

namespace plinth::auth {

absl::string_view KindName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kExperiment:
      return "experiment";
    case ResourceKind::kRun:
      return "run";
    case ResourceKind::kModel:
      return "registered model";
    case ResourceKind::kJob:
      return "job";
    case ResourceKind::kQueue:
      return "queue";
    case ResourceKind::kTeam:
      return "team";
    case ResourceKind::kToken:
      return "token";
    case ResourceKind::kPipeline:
      return "pipeline";
    case ResourceKind::kDeployment:
      return "deployment";
    case ResourceKind::kTable:
      return "table";
    case ResourceKind::kFeatureView:
      return "feature view";
  }
  return "resource";
}

absl::Status AuthorizeAction(const Principal& principal, Action action) {
  switch (action) {
    case Action::kRead:
      return absl::OkStatus();
    case Action::kWrite:
      if (principal.CanWrite()) return absl::OkStatus();
      return absl::PermissionDeniedError(absl::StrCat("token role '", principal.role,
                                                      "' is read-only: use a 'member' or "
                                                      "'admin' token to write"));
    case Action::kAdmin:
      if (principal.IsAdmin()) return absl::OkStatus();
      return absl::PermissionDeniedError("this operation needs an 'admin' token");
  }
  return absl::PermissionDeniedError("unknown action");
}

absl::Status Authorize(const Principal& principal, const Resource& resource, Action action) {
  if (!principal.CanAccessTeam(resource.team)) {
    return absl::PermissionDeniedError(
        absl::StrCat("Permission denied: ", resource.name, " is not visible to team '",
                     principal.team, "'; ask an admin, or use a token of the team that owns it"));
  }
  return AuthorizeAction(principal, action);
}

}  // namespace plinth::auth
