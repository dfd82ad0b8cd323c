// SQL access shared by every store: the same SQL runs on SQLite (the
// embedded default) and PostgreSQL.
//
// SQL is written once with `?` placeholders in the common subset of both
// dialects (ON CONFLICT upserts, BIGINT/DOUBLE PRECISION/TEXT columns);
// where they differ a store asks dialect(). Writes run in a serialized
// transaction (Database::Write) so a multi-row change is all-or-nothing and
// committed before the caller acknowledges it; reads run concurrently on
// their own connections (Database::Read).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace plinth::db {

// A bound parameter or a column value. NULL is std::monostate.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values_[i]); }
  // Conversions are lenient between numeric types; NULL reads as 0 or "".
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  std::string Str(size_t i) const;
  const Value& at(size_t i) const { return values_[i]; }

 private:
  std::vector<Value> values_;
};

enum class Dialect { kSqlite, kPostgres };

// A connection in use by one Read or Write call. Not thread-safe; valid only
// inside the callback it was passed to.
class Session {
 public:
  virtual ~Session() = default;
  virtual absl::StatusOr<std::vector<Row>> Query(absl::string_view sql,
                                                 const std::vector<Value>& params = {}) = 0;
  // Runs a statement; returns the number of rows changed.
  virtual absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                          const std::vector<Value>& params = {}) = 0;
  // Calls `on_row` for each result row without materializing the result.
  // Stops early (returning OK) when on_row returns false.
  virtual absl::Status ForEach(absl::string_view sql, const std::vector<Value>& params,
                               const std::function<bool(const Row&)>& on_row) = 0;
  virtual Dialect dialect() const = 0;
};

struct Options {
  // "sqlite" (file under home) or a postgresql:// URL.
  std::string url;
  // SQLite file path (used when url is "sqlite" or "sqlite:///path").
  std::string sqlite_path;
  int read_connections = 4;
  // SQLite: hold an exclusive lock on the file for the process's lifetime,
  // so a second server on the same database is refused at start (the
  // server sets it; offline tools do not). Several servers share a
  // PostgreSQL database instead.
  bool exclusive = false;
};

class Database {
 public:
  virtual ~Database() = default;

  // Opens the database described by `options` (clear error on a bad URL or
  // an unreachable server). Does not run migrations.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const Options& options);

  // Runs `fn` in a transaction; commits if it returns OK, else rolls back
  // and returns its error. Writers are serialized.
  virtual absl::Status Write(const std::function<absl::Status(Session&)>& fn) = 0;
  // Write with group commit where the backend has it (SQLite): writes that
  // queue up behind the single writer are committed in one transaction,
  // each `fn` in its own savepoint, so each is still all-or-nothing and
  // returns only after the commit. `fn` may run on another caller's thread:
  // it must only use the session and its captures (no locks, no
  // thread-locals). A failure of the shared COMMIT fails every write in the
  // group, and none of them is applied. The default is Write.
  virtual absl::Status WriteGrouped(const std::function<absl::Status(Session&)>& fn) {
    return Write(fn);
  }
  // Runs `fn` on a read connection (a consistent snapshot for its duration).
  virtual absl::Status Read(const std::function<absl::Status(Session&)>& fn) = 0;

  virtual Dialect dialect() const = 0;
  // "sqlite" or "postgresql", for logs and server info.
  virtual std::string Describe() const = 0;

  // Storage operation latency goes to plinth_db_operation_duration_seconds.
  // `op` names the store operation ("log_batch", "search_runs", ...).
  absl::Status TimedWrite(absl::string_view op, const std::function<absl::Status(Session&)>& fn);
  absl::Status TimedWriteGrouped(absl::string_view op,
                                 const std::function<absl::Status(Session&)>& fn);
  absl::Status TimedRead(absl::string_view op, const std::function<absl::Status(Session&)>& fn);
};

// Rewrites `?` placeholders as $1, $2, ... (outside quoted strings).
std::string NumberPlaceholders(absl::string_view sql);

}  // namespace plinth::db
