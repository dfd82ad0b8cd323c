// Read-only SQL access to an MLflow database: SQLite through sqlite3
// directly (opened read-only, rows handed out without copies: the metric scan
// is the import's hot loop) or PostgreSQL through Plinth's db::Database.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace plinth::importer {

// One result row; valid only inside the ForEach callback.
class Cells {
 public:
  virtual ~Cells() = default;
  virtual bool IsNull(int i) const = 0;
  virtual int64_t Int(int i) const = 0;
  virtual double Double(int i) const = 0;
  virtual absl::string_view Text(int i) const = 0;
};

class SqlReader {
 public:
  virtual ~SqlReader() = default;
  // Streams the rows of a parameterless SELECT.
  virtual absl::Status ForEach(const std::string& sql,
                               const std::function<void(const Cells&)>& fn) = 0;
  // Column names of `table`; empty when the table does not exist.
  virtual absl::StatusOr<std::set<std::string>> Columns(const std::string& table) = 0;
  virtual std::string Describe() const = 0;
  virtual bool IsSqlite() const = 0;
};

// `path` must exist; it is opened read-only and never modified.
absl::StatusOr<std::unique_ptr<SqlReader>> OpenSqliteReader(const std::string& path);
absl::StatusOr<std::unique_ptr<SqlReader>> OpenPostgresReader(const std::string& url);

}  // namespace plinth::importer
