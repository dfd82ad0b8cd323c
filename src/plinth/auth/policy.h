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
// layer included) can use it. http/handlers.h wraps it for HTTP code
// (RequireWrite, RequireAdmin, RequireTeamAccess); RequireTeamAccess always
// passes kRun, so a module with a kind of its own calls Authorize itself.
// docs/security.md ("The policy") says what each role may do per kind.
//
// Adding a module (pipelines, deployments, tables, feature views):
//  1. Its resource kind: a value in ResourceKind, its word in KindName
//     (policy.cc), and the value in EveryKindHasAName (policy_test.cc).
//  2. Every resource gets the creating principal's team as its owner
//     (AuthorizeAction(who, kWrite) before creating). Each read or change
//     calls Authorize(who, {kind, "<kind> <id>", owner_team}, action) inside
//     the store transaction that reads the owner, as the registry's
//     FindModel does. A listing filters by team in its query for non-admins
//     (WHERE team = ?) rather than answering 403. A resource with team ""
//     passes for admins only: a thing every team may use (a queue without a
//     team) is not checked through Authorize.
//  3. Its routes: a Register<Module>Routes(http::Router&, ...) that calls
//     router.Add / AddPrefix, called from server/app.cc. GET /api/v1/routes
//     then lists them. Only a route that must work without a token (health,
//     metrics) is marked router.SetPublic.
//  4. The route-isolation test: one entry per new (method, path) in ROUTES
//     of tests/integration/test_route_isolation.py,
//       route(method, path, other, viewer, params=, body=, data=, suffix=,
//             reason=, stream=)
//     where `path` is the registered path (the prefix, for a prefix route,
//     with `suffix` the rest), `other` the answer for team b's member and
//     `viewer` for team a's viewer: a status (DENIED is 403), FILTERED (200
//     and no secret in the body), NA with a `reason`, or PUBLIC.
//     Placeholders such as "{job}" are filled from the `world` fixture: add
//     a resource of team a of the new kind there, its id in `ids` and its
//     id and name in `secrets`. The test fails for any route GET
//     /api/v1/routes lists without an entry, and calls each route without a
//     token (401 unless PUBLIC), with team b's member token (the status, and
//     no "'a'" in a denial) and with team a's viewer token.
//  5. Event topics: EventChannel::AddTopics({prefix, open}) (a TopicFamily,
//     http/event_channel.h). open(who, topic) authorizes `who` for that
//     topic through the module's authorized read and returns its current
//     state, as RegisterJobTopics (jobs/job_routes.cc) does; its error is the
//     answer, before any event is sent.
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
