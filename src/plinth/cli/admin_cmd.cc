#include "plinth/cli/admin_cmd.h"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "plinth/auth/token_store.h"
#include "plinth/common/clock.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/database.h"
#include "plinth/server/config.h"

namespace plinth::cli {
namespace {

struct CreateTokenFlags {
  std::string home, db, team = auth::kDefaultTeam, role = "admin", name = "admin";
  bool json = false;
};

// Opens the server's token store the way `plinth server` does: the
// database URL if given, else the SQLite file in the home folder.
absl::StatusOr<auth::CreatedToken> CreateToken(const CreateTokenFlags& flags) {
  std::string home = flags.home.empty() ? server::DefaultHome() : flags.home;
  db::Options options;
  options.url = flags.db.empty() ? "sqlite" : flags.db;
  options.sqlite_path = absl::StrCat(home, "/plinth.db");
  options.read_connections = 1;
  if (options.url == "sqlite" && !std::filesystem::exists(options.sqlite_path)) {
    return absl::NotFoundError(absl::StrCat("no Plinth database in ", home,
                                            ": pass the server's --home (or --db for PostgreSQL)"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<db::Database> database, db::Database::Open(options));
  ASSIGN_OR_RETURN(std::unique_ptr<auth::TokenStore> tokens,
                   auth::TokenStore::Create(*database, SystemClock::Get()));
  RETURN_IF_ERROR(tokens->EnsureTeam(flags.team));
  return tokens->CreateUserToken(flags.name, flags.team, flags.role);
}

int RunCreateToken(const CreateTokenFlags& flags) {
  absl::StatusOr<auth::CreatedToken> created = CreateToken(flags);
  if (!created.ok()) {
    std::fprintf(stderr, "plinth: %s\n", std::string(created.status().message()).c_str());
    return 1;
  }
  if (flags.json) {
    std::printf(R"({"id":"%s","team":"%s","role":"%s","secret":"%s"})"
                "\n",
                created->token.id.c_str(), created->token.team.c_str(), created->token.role.c_str(),
                created->secret.c_str());
  } else {
    std::printf("created %s token %s for team %s; the secret is shown once:\n%s\n",
                created->token.role.c_str(), created->token.id.c_str(), created->token.team.c_str(),
                created->secret.c_str());
  }
  return 0;
}

}  // namespace

void AddAdminCommand(CLI::App& app) {
  CLI::App* admin =
      app.add_subcommand("admin", "Offline maintenance on a stopped server's home folder");
  admin->require_subcommand(1);
  auto flags = std::make_shared<CreateTokenFlags>();
  CLI::App* create = admin->add_subcommand(
      "create-token", "Create an API token directly in the server's database (server stopped)");
  create->add_option("--home", flags->home, "The server's data folder (default $PLINTH_HOME)");
  create->add_option("--db", flags->db, "The server's database URL, if not SQLite in --home");
  create->add_option("--team", flags->team, "Team of the token (created if missing)");
  create->add_option("--role", flags->role, "viewer, member or admin (default admin)");
  create->add_option("--name", flags->name, "A name to recognise the token by");
  create->add_flag("--json", flags->json, "Print the token as JSON");
  create->callback([flags] { std::exit(RunCreateToken(*flags)); });
}

}  // namespace plinth::cli
