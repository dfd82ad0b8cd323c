// PostgreSQL backend over libpq.
//
// One connection is reserved for writes: Write() calls are serialized by a
// mutex within this process and run in BEGIN/COMMIT. Reads take a pooled
// connection and run in a REPEATABLE READ READ ONLY transaction, so each
// Read sees one snapshot. `?` placeholders are rewritten to $n; statements
// are prepared once per connection and reused.
//
// Unlike SQLite, any failed statement aborts the whole PostgreSQL
// transaction: a Write callback that gets an error from a statement must
// return an error (use ON CONFLICT to tolerate duplicates). A Write that
// ignores the error and returns OK gets an error instead of a commit.
//
// ForEach streams rows (libpq single-row mode): its callback must not run
// other statements on the same session while rows are arriving.
//
// Values: int2/int4/int8/bool columns read as int64_t, float4/float8/numeric
// as double (NaN and +/-Infinity included), NULL as monostate, all else as
// text. Errors: SQLSTATE class 23 (constraints) is AlreadyExists; a lost or
// refused connection is Unavailable; others are Internal with the server's
// message and the SQL. Passwords never appear in errors or Describe().
#pragma once

#include <memory>
#include <string>

#include "plinth/db/database.h"

namespace plinth::db {

class PostgresDatabase {
 public:
  // Connects to `url` (postgresql://user:pass@host:port/db?param=value, any
  // libpq URI); a clear error when the URL is malformed, the server is
  // unreachable or the credentials are refused. `read_connections` are
  // opened up front; more are opened when more reads run at once.
  static absl::StatusOr<std::unique_ptr<Database>> Create(const std::string& url,
                                                          int read_connections);
};

}  // namespace plinth::db
