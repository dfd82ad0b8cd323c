// Teams and API tokens. A token belongs to one team and has one role
// (viewer < member < admin). Only a SHA-256 hash of each secret is stored;
// the secret is shown once, at creation.
//
// Thread-safe. Verified tokens are cached in memory (revocation clears the
// cache), so authenticating a request costs a hash and a map lookup.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "plinth/common/clock.h"
#include "plinth/db/database.h"
#include "plinth/http/message.h"

namespace plinth::auth {

struct Team {
  std::string name;
  int64_t created_at = 0;
};

struct Token {
  std::string id;  // public identifier, safe to show and log
  std::string name;
  std::string team;
  std::string role;
  int64_t created_at = 0;
};

struct CreatedToken {
  Token token;
  std::string secret;  // "plt_<hex>"; never stored
};

// The team new resources go to when no token is used (auth off).
inline constexpr char kDefaultTeam[] = "default";

class TokenStore {
 public:
  static absl::StatusOr<std::unique_ptr<TokenStore>> Create(db::Database& db, Clock& clock);

  absl::Status CreateTeam(const std::string& name);
  // CreateTeam, where a team that already exists is fine (offline tools).
  absl::Status EnsureTeam(const std::string& name);
  absl::StatusOr<std::vector<Team>> ListTeams();

  absl::StatusOr<CreatedToken> CreateToken(const std::string& name, const std::string& team,
                                           const std::string& role);
  // A token a person asked for (API, CLI): as CreateToken, but while no
  // admin token exists only an admin token may be created. Otherwise the
  // first token decides the server's fate: with no admin, nobody could ever
  // create teams or tokens again.
  absl::StatusOr<CreatedToken> CreateUserToken(const std::string& name, const std::string& team,
                                               const std::string& role);
  absl::StatusOr<std::vector<Token>> ListTokens();
  // Refuses to revoke the last admin token while other tokens remain (they
  // would have no admin); the last token of all may go (loopback servers
  // then return to anonymous mode).
  absl::Status RevokeToken(const std::string& id);
  // Revokes every token called `name` (none is fine): one statement, for
  // callers that name their tokens, such as the jobs' "job-<id>".
  absl::Status RevokeTokensNamed(const std::string& name);

  // The principal for a presented secret; Unauthenticated when unknown.
  absl::StatusOr<http::Principal> Verify(const std::string& secret);
  // Whether any token exists (then every API call must present one).
  bool HasTokens();

  // Servers sharing one PostgreSQL database hear of every token change on
  // this channel (db/pg_cluster.h): "created", or "revoked <id> ..." (sent
  // in the transaction that deletes them), so a revocation made through one
  // server holds on all of them at once.
  static constexpr char kChannel[] = "plinth_tokens";
  void OnNotice(const std::string& payload);
  // Forgets every cached token and reads whether any exists again (after
  // notices may have been missed).
  void Reload();

 private:
  TokenStore(db::Database& db, Clock& clock) : db_(db), clock_(clock) {}
  absl::Status RefreshHasTokens();
  // RefreshHasTokens; if the database does not answer, tokens are assumed
  // to exist (each is then checked against the database).
  void RefreshHasTokensOrAssume();
  void Forget(const std::vector<std::string>& token_ids);
  absl::StatusOr<CreatedToken> Insert(const std::string& name, const std::string& team,
                                      const std::string& role, bool require_admin_first);

  db::Database& db_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, http::Principal> cache_ ABSL_GUARDED_BY(mu_);  // by secret hash
  // Bumped whenever the cache is cleared: a Verify that read the token
  // before a revocation does not put it back after.
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool has_tokens_ ABSL_GUARDED_BY(mu_) = false;
};

// Team names: 1-64 characters of [A-Za-z0-9_.-].
absl::Status ValidateTeamName(const std::string& name);
absl::Status ValidateRole(const std::string& role);

}  // namespace plinth::auth
