// plinth tokens create|list|revoke, plinth teams list|create (native /api/v1).
#include "absl/strings/str_cat.h"
#include "plinth/cli/client_commands.h"
#include "plinth/common/status_macros.h"

namespace plinth::cli {
namespace {

constexpr char kTokens[] = "/api/v1/tokens";
constexpr char kTeams[] = "/api/v1/teams";

void AddTokenCreate(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string team, role, name;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("create", "Create an API token (the secret is shown once)");
  cmd->add_option("--team", flags->team, "Team the token acts for")->required();
  cmd->add_option("--role", flags->role, "viewer (read), member (read/write) or admin")
      ->required()
      ->check(CLI::IsMember({"viewer", "member", "admin"}));
  cmd->add_option("--name", flags->name, "A label to recognise the token by");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    Json body = {{"team", flags->team}, {"role", flags->role}};
    if (!flags->name.empty()) body["name"] = flags->name;
    ASSIGN_OR_RETURN(Json created, client->PostJson(kTokens, body));
    if (ctx.json()) {
      ctx.PrintJson(created);
      return absl::OkStatus();
    }
    const Json& token = JsonMember(created, "token");
    std::string secret = JsonString(created, "secret");
    ctx.Print(absl::StrCat("Created token ", JsonString(token, "id"), " for team '",
                           JsonString(token, "team"), "' with role '", JsonString(token, "role"),
                           "'.\n\nSecret (shown only this once; store it now):\n\n  ", secret,
                           "\n\nUse it with:\n\n  export PLINTH_TOKEN=", secret, "\n"));
    return absl::OkStatus();
  });
}

void AddTokenList(CLI::App& group, CliContext& ctx) {
  CLI::App* cmd = group.add_subcommand("list", "List API tokens (never their secrets)");
  OnRun(cmd, ctx, [&ctx]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json answer, client->GetJson(kTokens));
    if (ctx.json()) {
      ctx.PrintJson(answer);
      return absl::OkStatus();
    }
    Table table{{"id", "name", "team", "role", "created", "last used"}, {}, {}};
    const Json& tokens = JsonMember(answer, "tokens");
    if (tokens.is_array()) {
      for (const Json& t : tokens) {
        table.rows.push_back({JsonString(t, "id"), JsonString(t, "name"), JsonString(t, "team"),
                              JsonString(t, "role"), FormatTimestamp(JsonInt(t, "created_at")),
                              FormatTimestamp(JsonInt(t, "last_used_at"))});
      }
    }
    ctx.Print(RenderTable(table));
    return absl::OkStatus();
  });
}

void AddTokenRevoke(CLI::App& group, CliContext& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand("revoke", "Revoke a token; it stops working at once");
  cmd->add_option("ID", *id, "Token id (from 'plinth tokens list')")->required();
  OnRun(cmd, ctx, [&ctx, id]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json answer, client->DeleteJson(
                                      absl::StrCat(kTokens, "/", http::PercentEncodeComponent(*id)),
                                      Json::object()));
    if (ctx.json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.Print(absl::StrCat("Revoked token ", *id, ".\n"));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddTokensCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("tokens", "Manage API tokens");
  AddTokenCreate(*group, ctx);
  AddTokenList(*group, ctx);
  AddTokenRevoke(*group, ctx);
}

void AddTeamsCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("teams", "Manage teams");
  CLI::App* list = group->add_subcommand("list", "List teams");
  OnRun(list, ctx, [&ctx]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json answer, client->GetJson(kTeams));
    if (ctx.json()) {
      ctx.PrintJson(answer);
      return absl::OkStatus();
    }
    Table table{{"name", "created"}, {}, {}};
    const Json& teams = JsonMember(answer, "teams");
    if (teams.is_array()) {
      for (const Json& t : teams) {
        table.rows.push_back({JsonString(t, "name"), FormatTimestamp(JsonInt(t, "created_at"))});
      }
    }
    ctx.Print(RenderTable(table));
    return absl::OkStatus();
  });

  auto name = std::make_shared<std::string>();
  CLI::App* create = group->add_subcommand("create", "Create a team");
  create->add_option("NAME", *name, "Team name")->required();
  OnRun(create, ctx, [&ctx, name]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json answer, client->PostJson(kTeams, {{"name", *name}}));
    if (ctx.json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.Print(absl::StrCat("Created team '", *name, "'.\n"));
    }
    return absl::OkStatus();
  });
}

}  // namespace plinth::cli
