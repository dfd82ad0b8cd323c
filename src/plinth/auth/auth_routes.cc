#include "plinth/auth/auth_routes.h"

#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"

namespace plinth::auth {
namespace {

Json TokenJson(const Token& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"team", t.team},
          {"role", t.role},
          {"created_at", t.created_at}};
}

}  // namespace

void RegisterAuthRoutes(http::Router& router, TokenStore& tokens) {
  router.Add("GET", "/api/v1/teams",
             http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
               ASSIGN_OR_RETURN(auto teams, tokens.ListTeams());
               Json out = {{"teams", Json::array()}};
               for (const auto& t : teams) {
                 if (!req.principal.CanAccessTeam(t.name)) continue;
                 out["teams"].push_back({{"name", t.name}, {"created_at", t.created_at}});
               }
               return out;
             }));
  router.Add("POST", "/api/v1/teams",
             http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
               RETURN_IF_ERROR(http::RequireAdmin(req.principal));
               ASSIGN_OR_RETURN(http::Args args, http::Args::FromRequest(req));
               ASSIGN_OR_RETURN(std::string name, args.RequiredString("name"));
               RETURN_IF_ERROR(tokens.CreateTeam(name));
               return Json{{"team", {{"name", name}}}};
             }));
  router.Add("POST", "/api/v1/tokens",
             http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
               RETURN_IF_ERROR(http::RequireAdmin(req.principal));
               ASSIGN_OR_RETURN(http::Args args, http::Args::FromRequest(req));
               ASSIGN_OR_RETURN(std::string team, args.RequiredString("team"));
               ASSIGN_OR_RETURN(std::string role, args.RequiredString("role"));
               ASSIGN_OR_RETURN(auto name, args.String("name"));
               ASSIGN_OR_RETURN(CreatedToken created,
                                tokens.CreateUserToken(name.value_or(""), team, role));
               return Json{{"token", TokenJson(created.token)}, {"secret", created.secret}};
             }));
  router.Add("GET", "/api/v1/tokens",
             http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
               RETURN_IF_ERROR(http::RequireAdmin(req.principal));
               ASSIGN_OR_RETURN(auto list, tokens.ListTokens());
               Json out = {{"tokens", Json::array()}};
               for (const auto& t : list) out["tokens"].push_back(TokenJson(t));
               return out;
             }));
  router.AddPrefix("DELETE", "/api/v1/tokens/",
                   http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
                     RETURN_IF_ERROR(http::RequireAdmin(req.principal));
                     RETURN_IF_ERROR(tokens.RevokeToken(req.path_suffix));
                     return Json::object();
                   }));
}

}  // namespace plinth::auth
