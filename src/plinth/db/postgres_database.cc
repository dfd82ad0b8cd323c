#include "plinth/db/postgres_database.h"

namespace plinth::db {

absl::StatusOr<std::unique_ptr<Database>> PostgresDatabase::Create(const std::string& url,
                                                                   int read_connections) {
  return absl::UnimplementedError("the PostgreSQL backend is not implemented yet");
}

}  // namespace plinth::db
