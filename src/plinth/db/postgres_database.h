// PostgreSQL backend over libpq: a pool of connections; writes serialized
// within this process and run in a transaction; `?` placeholders are
// rewritten to $n.
#pragma once

#include <memory>
#include <string>

#include "plinth/db/database.h"

namespace plinth::db {

class PostgresDatabase {
 public:
  // Connects to `url` (postgresql://user:pass@host:port/db); a clear error
  // when the server is unreachable or the credentials are refused.
  static absl::StatusOr<std::unique_ptr<Database>> Create(const std::string& url,
                                                          int read_connections);
};

}  // namespace plinth::db
