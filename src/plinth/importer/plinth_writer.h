// Writes imported rows into a Plinth database exactly as the tracking and
// registry stores lay them out (tracking_schema.cc, registry_schema.cc), with
// multi-row INSERTs inside large transactions: the import's write path.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plinth/db/database.h"
#include "plinth/db/migrations.h"

namespace plinth::importer {

// The importer's own bookkeeping, migrated like any module's tables:
// which source experiment went to which Plinth id, and which imported runs
// are complete (an interrupted import resumes the 'pending' ones).
const std::vector<db::Migration>& ImporterMigrations();

// Buffers rows for one table and inserts them many per statement with
// ON CONFLICT DO NOTHING, so that re-importing a row adds nothing.
// Not thread-safe; Flush runs inside the caller's transaction.
class BulkInsert {
 public:
  BulkInsert(std::string table, std::vector<std::string> columns);
  // Appends one row (as many values as columns).
  template <typename... V>
  void Add(V&&... values) {
    static_assert(sizeof...(V) > 0);
    (values_.emplace_back(std::forward<V>(values)), ...);
    ++rows_;
  }
  // Room for `rows` rows without reallocating (the buffer is reused).
  void Reserve(size_t rows) { values_.reserve(rows * columns_.size()); }
  size_t pending() const { return rows_; }
  // Inserts the buffered rows; returns how many were new.
  absl::StatusOr<int64_t> Flush(db::Session& s);

 private:
  std::string Statement(size_t rows) const;

  std::string table_;
  std::vector<std::string> columns_;
  std::vector<db::Value> values_;
  size_t rows_ = 0;
  std::string full_sql_;  // the statement for a full chunk, built once
};

// Moves an auto-increment sequence past explicitly inserted ids (PostgreSQL;
// SQLite's AUTOINCREMENT follows explicit ids by itself).
absl::Status BumpSequence(db::Session& s, const std::string& table, const std::string& column);

}  // namespace plinth::importer
