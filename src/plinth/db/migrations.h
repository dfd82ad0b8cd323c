// Numbered schema migrations, per module. Each module owns its tables and
// lists its migrations in order; Migrate() applies the ones a database has
// not seen yet, each in its own transaction, and records them in
// schema_migrations(module, version). A database written by an older
// version therefore opens in a newer one.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plinth/db/database.h"

namespace plinth::db {

struct Migration {
  int version;  // 1, 2, 3, ... without gaps
  std::string description;
  // Statements separated by ';'. `postgres` defaults to `sqlite` when empty.
  std::string sqlite;
  std::string postgres;
};

absl::Status Migrate(Database& db, const std::string& module,
                     const std::vector<Migration>& migrations);

// The highest applied version for `module` (0 when none).
absl::StatusOr<int> SchemaVersion(Database& db, const std::string& module);

}  // namespace plinth::db
