// Who may do what to which resource: the one authorization policy of every
// API, store and service.
//
// A Principal is the caller, as the authenticator established it. Stores and
// services take it and call Authorize inside the transaction that reads the
// resource's owner, so the check and the use see the same row. A denial is
// PERMISSION_DENIED and never names the owning team: a caller may learn that
// a resource exists, not who holds it.
//
// This library depends on nothing but Abseil, so every module (the HTTP
// layer included) can use it.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace plinth::auth {

struct Principal {
  bool authenticated = false;  // false: anonymous (allowed only when auth is off)
  std::string token_id;        // empty when anonymous
  std::string team;            // owning team for created resources
  std::string role;            // "viewer" | "member" | "admin"
  bool IsAdmin() const { return role == "admin"; }
  bool CanWrite() const { return role == "member" || role == "admin"; }
  // Whether this principal may see or change a resource owned by `owner_team`.
  bool CanAccessTeam(const std::string& owner_team) const {
    return IsAdmin() || owner_team == team;
  }
};

// The kinds of resources a team owns (and the ones the modules to come
// will add: pipelines, deployments, tables, feature views).
enum class ResourceKind {
  kExperiment,
  kRun,
  kModel,
  kJob,
  kQueue,
  kTeam,
  kToken,
  kPipeline,
  kDeployment,
  kTable,
  kFeatureView,
};

enum class Action {
  kRead,   // see it: viewer, member, admin of the owning team
  kWrite,  // create, change, delete: member or admin of the owning team
  kAdmin,  // teams, tokens, other teams' resources: admin only
};

// A resource as the policy sees it: its kind, how a message names it
// ("run 5f2c..."), and the team that owns it ("" for server-wide ones).
struct Resource {
  ResourceKind kind;
  std::string name;
  std::string team;
};

// "experiment", "run", ... (for messages and tests).
absl::string_view KindName(ResourceKind kind);

// OK, or PERMISSION_DENIED with a message that says what the token may do and
// what would be needed, without naming `resource.team`.
absl::Status Authorize(const Principal& principal, const Resource& resource, Action action);

// Authorize for an action that is not about one existing resource
// (creating one in the caller's team, writing at all, administering).
absl::Status AuthorizeAction(const Principal& principal, Action action);

}  // namespace plinth::auth
