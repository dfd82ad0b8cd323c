#include "plinth/auth/token_store.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "plinth/common/errors.h"
#include "plinth/common/ids.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/migrations.h"
#include "plinth/db/pg_cluster.h"

namespace plinth::auth {
namespace {

const std::vector<db::Migration>& AuthMigrations() {
  static const std::vector<db::Migration> kMigrations = {
      {1, "teams and api tokens",
       "CREATE TABLE teams (name TEXT PRIMARY KEY, created_at BIGINT NOT NULL);"
       "CREATE TABLE api_tokens (token_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
       "  team TEXT NOT NULL REFERENCES teams(name), role TEXT NOT NULL, "
       "  secret_sha256 TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL)",
       ""},
  };
  return kMigrations;
}

}  // namespace

absl::Status ValidateTeamName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64;
  for (unsigned char c : name) ok = ok && (std::isalnum(c) || c == '_' || c == '-' || c == '.');
  if (!ok) {
    return InvalidParameter(
        absl::StrCat("invalid team name '", name, "': use 1-64 letters, digits, '_', '-' or '.'"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRole(const std::string& role) {
  if (role == "viewer" || role == "member" || role == "admin") return absl::OkStatus();
  return InvalidParameter(absl::StrCat("invalid role '", role, "': use viewer, member or admin"));
}

absl::StatusOr<std::unique_ptr<TokenStore>> TokenStore::Create(db::Database& db, Clock& clock) {
  RETURN_IF_ERROR(db::Migrate(db, "auth", AuthMigrations()));
  auto store = std::unique_ptr<TokenStore>(new TokenStore(db, clock));
  RETURN_IF_ERROR(db.Write([&](db::Session& s) {
    return s
        .Execute("INSERT INTO teams (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                 {std::string(kDefaultTeam), clock.NowMillis()})
        .status();
  }));
  RETURN_IF_ERROR(store->RefreshHasTokens());
  return store;
}

absl::Status TokenStore::RefreshHasTokens() {
  bool any = false;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT COUNT(*) FROM api_tokens", {}));
    any = rows.at(0).Int(0) > 0;
    return absl::OkStatus();
  }));
  std::lock_guard lock(mu_);
  has_tokens_ = any;
  return absl::OkStatus();
}

bool TokenStore::HasTokens() {
  std::lock_guard lock(mu_);
  return has_tokens_;
}

absl::Status TokenStore::CreateTeam(const std::string& name) {
  RETURN_IF_ERROR(ValidateTeamName(name));
  return db_.Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t n, s.Execute("INSERT INTO teams (name, created_at) VALUES (?, ?) ON "
                                          "CONFLICT DO NOTHING",
                                          {name, clock_.NowMillis()}));
    if (n == 0) return AlreadyExists(absl::StrCat("team '", name, "' already exists"));
    return absl::OkStatus();
  });
}

absl::Status TokenStore::EnsureTeam(const std::string& name) {
  absl::Status created = CreateTeam(name);
  return created.code() == absl::StatusCode::kAlreadyExists ? absl::OkStatus() : created;
}

absl::StatusOr<std::vector<Team>> TokenStore::ListTeams() {
  std::vector<Team> out;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT name, created_at FROM teams ORDER BY name", {}));
    for (const auto& r : rows) out.push_back({r.Str(0), r.Int(1)});
    return absl::OkStatus();
  }));
  return out;
}

absl::StatusOr<CreatedToken> TokenStore::CreateToken(const std::string& name,
                                                     const std::string& team,
                                                     const std::string& role) {
  return Insert(name, team, role, /*require_admin_first=*/false);
}

absl::StatusOr<CreatedToken> TokenStore::CreateUserToken(const std::string& name,
                                                         const std::string& team,
                                                         const std::string& role) {
  return Insert(name, team, role, /*require_admin_first=*/true);
}

absl::StatusOr<CreatedToken> TokenStore::Insert(const std::string& name, const std::string& team,
                                                const std::string& role, bool require_admin_first) {
  RETURN_IF_ERROR(ValidateTeamName(team));
  RETURN_IF_ERROR(ValidateRole(role));
  if (name.size() > 200) return InvalidParameter("token name is longer than 200 characters");
  CreatedToken created;
  created.secret = absl::StrCat("plt_", RandomHex(20));
  created.token = {RandomHex(6), name, team, role, clock_.NowMillis()};
  RETURN_IF_ERROR(db_.Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto teams, s.Query("SELECT 1 FROM teams WHERE name = ?", {team}));
    if (teams.empty()) {
      return NotFound(absl::StrCat("team '", team,
                                   "' does not exist: create it first (plinth "
                                   "teams create ",
                                   team, ")"));
    }
    if (require_admin_first && role != "admin") {
      ASSIGN_OR_RETURN(auto admins,
                       s.Query("SELECT COUNT(*) FROM api_tokens WHERE role = 'admin'", {}));
      if (admins.at(0).Int(0) == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "no admin token exists yet, so this '", role,
            "' token would leave the server without anyone who can create teams or tokens: "
            "create an admin token first (--role admin)"));
      }
    }
    RETURN_IF_ERROR(
        s.Execute("INSERT INTO api_tokens (token_id, name, team, role, secret_sha256, created_at) "
                  "VALUES (?, ?, ?, ?, ?, ?)",
                  {created.token.id, name, team, role, Sha256Hex(created.secret),
                   created.token.created_at})
            .status());
    // Other servers learn that tokens exist (no more anonymous access there).
    return db::Notify(s, kChannel, "created");
  }));
  std::lock_guard lock(mu_);
  has_tokens_ = true;
  return created;
}

absl::StatusOr<std::vector<Token>> TokenStore::ListTokens() {
  std::vector<Token> out;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT token_id, name, team, role, created_at FROM "
                                        "api_tokens ORDER BY created_at, token_id",
                                        {}));
    for (const auto& r : rows) out.push_back({r.Str(0), r.Str(1), r.Str(2), r.Str(3), r.Int(4)});
    return absl::OkStatus();
  }));
  return out;
}

absl::Status TokenStore::RevokeToken(const std::string& id) {
  RETURN_IF_ERROR(db_.Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto counts,
                     s.Query("SELECT (SELECT role FROM api_tokens WHERE token_id = ?), "
                             "(SELECT COUNT(*) FROM api_tokens WHERE role = 'admin'), "
                             "(SELECT COUNT(*) FROM api_tokens)",
                             {id}));
    const db::Row& row = counts.at(0);
    if (row.IsNull(0)) return NotFound(absl::StrCat("no API token with id '", id, "'"));
    if (row.Str(0) == "admin" && row.Int(1) == 1 && row.Int(2) > 1) {
      return absl::FailedPreconditionError(
          "this is the last admin token: revoking it would leave the other tokens without an "
          "admin; create another admin token first");
    }
    RETURN_IF_ERROR(db::Notify(s, kChannel, "revoked " + id));
    return s.Execute("DELETE FROM api_tokens WHERE token_id = ?", {id}).status();
  }));
  Forget({id});
  return absl::OkStatus();
}

absl::Status TokenStore::RevokeTokensNamed(const std::string& name) {
  std::vector<std::string> ids;
  RETURN_IF_ERROR(db_.Write([&](db::Session& s) -> absl::Status {
    ids.clear();
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT token_id FROM api_tokens WHERE name = ?", {name}));
    if (rows.empty()) return absl::OkStatus();
    for (const db::Row& row : rows) ids.push_back(row.Str(0));
    RETURN_IF_ERROR(db::Notify(s, kChannel, "revoked " + absl::StrJoin(ids, " ")));
    return s.Execute("DELETE FROM api_tokens WHERE name = ?", {name}).status();
  }));
  if (!ids.empty()) Forget(ids);
  return absl::OkStatus();
}

void TokenStore::OnNotice(const std::string& payload) {
  if (payload == "created") {
    std::lock_guard lock(mu_);
    has_tokens_ = true;
    return;
  }
  std::vector<std::string> words = absl::StrSplit(payload, ' ', absl::SkipEmpty());
  if (!words.empty() && words[0] == "revoked") {
    Forget(std::vector<std::string>(words.begin() + 1, words.end()));
  } else {
    Reload();  // a notice this version does not know: be safe
  }
}

void TokenStore::Forget(const std::vector<std::string>& token_ids) {
  {
    std::lock_guard lock(mu_);
    for (auto it = cache_.begin(); it != cache_.end();) {
      bool revoked =
          std::find(token_ids.begin(), token_ids.end(), it->second.token_id) != token_ids.end();
      it = revoked ? cache_.erase(it) : std::next(it);
    }
    ++generation_;
  }
  RefreshHasTokensOrAssume();
}

void TokenStore::Reload() {
  {
    std::lock_guard lock(mu_);
    cache_.clear();
    ++generation_;
  }
  RefreshHasTokensOrAssume();
}

void TokenStore::RefreshHasTokensOrAssume() {
  absl::Status status = RefreshHasTokens();
  if (!status.ok()) {
    // Keep requiring tokens if in doubt: the cache is empty, so each is
    // checked against the database again.
    std::lock_guard lock(mu_);
    has_tokens_ = true;
  }
}

absl::StatusOr<http::Principal> TokenStore::Verify(const std::string& secret) {
  std::string hash = Sha256Hex(secret);
  uint64_t generation;
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(hash); it != cache_.end()) return it->second;
    generation = generation_;
  }
  http::Principal principal;
  bool found = false;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT token_id, team, role FROM api_tokens WHERE "
                                        "secret_sha256 = ?",
                                        {hash}));
    if (rows.empty()) return absl::OkStatus();
    found = true;
    principal = {true, rows[0].Str(0), rows[0].Str(1), rows[0].Str(2)};
    return absl::OkStatus();
  }));
  if (!found) return absl::UnauthenticatedError("invalid or revoked API token");
  std::lock_guard lock(mu_);
  if (generation == generation_) cache_[hash] = principal;
  return principal;
}

}  // namespace plinth::auth
