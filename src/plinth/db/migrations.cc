#include "plinth/db/migrations.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "plinth/common/clock.h"
#include "plinth/common/status_macros.h"

namespace plinth::db {
namespace {

absl::Status EnsureTable(Database& db) {
  return db.Write([](Session& s) {
    return s
        .Execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version "
            "INTEGER NOT NULL, description TEXT NOT NULL, applied_at BIGINT NOT NULL, "
            "PRIMARY KEY (module, version))")
        .status();
  });
}

}  // namespace

absl::StatusOr<int> SchemaVersion(Database& db, const std::string& module) {
  RETURN_IF_ERROR(EnsureTable(db));
  int version = 0;
  RETURN_IF_ERROR(db.Read([&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        auto rows,
        s.Query("SELECT MAX(version) FROM schema_migrations WHERE module = ?", {module}));
    if (!rows.empty() && !rows[0].IsNull(0)) version = static_cast<int>(rows[0].Int(0));
    return absl::OkStatus();
  }));
  return version;
}

absl::Status Migrate(Database& db, const std::string& module,
                     const std::vector<Migration>& migrations) {
  ASSIGN_OR_RETURN(int current, SchemaVersion(db, module));
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    const std::string& sql =
        (db.dialect() == Dialect::kPostgres && !m.postgres.empty()) ? m.postgres : m.sqlite;
    absl::Status status = db.Write([&](Session& s) -> absl::Status {
      for (absl::string_view stmt : absl::StrSplit(sql, ';')) {
        stmt = absl::StripAsciiWhitespace(stmt);
        if (stmt.empty()) continue;
        RETURN_IF_ERROR(s.Execute(stmt).status());
      }
      return s
          .Execute(
              "INSERT INTO schema_migrations (module, version, description, applied_at) "
              "VALUES (?, ?, ?, ?)",
              {module, int64_t{m.version}, m.description, SystemClock::Get().NowMillis()})
          .status();
    });
    if (!status.ok()) {
      return absl::InternalError(absl::StrCat("migration ", module, " #", m.version, " (",
                                              m.description, ") failed: ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace plinth::db
