// SQLite backend: one file in WAL mode, one writer connection (writes are
// serialized by a mutex, as SQLite serializes them anyway) and a small pool
// of reader connections that read concurrently with the writer.
//
// Durability: synchronous=NORMAL in WAL mode means a committed transaction
// survives a crash of the process (kill -9); it is in the OS page cache and
// the WAL. It may be lost only on power failure or kernel crash.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "plinth/db/database.h"

struct sqlite3;

namespace plinth::db {

class SqliteConnection;

class SqliteDatabase final : public Database {
 public:
  // Opens (creating if needed) the database file at `path`.
  static absl::StatusOr<std::unique_ptr<Database>> Create(const std::string& path,
                                                          int read_connections);
  ~SqliteDatabase() override;

  absl::Status Write(const std::function<absl::Status(Session&)>& fn) override;
  absl::Status Read(const std::function<absl::Status(Session&)>& fn) override;
  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string Describe() const override { return "sqlite:///" + path_; }

 private:
  SqliteDatabase() = default;

  std::string path_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_GUARDED_BY(write_mu_);
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_ ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace plinth::db
