#include "plinth/importer/plinth_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/common/status_macros.h"

namespace plinth::importer {
namespace {

// Rows per statement: SQLite binds at most 32766 parameters; 400 rows of
// the widest table (6 columns) stay well below while amortizing the
// per-statement cost.
constexpr size_t kRowsPerStatement = 400;

}  // namespace

const std::vector<db::Migration>& ImporterMigrations() {
  static const std::vector<db::Migration> kMigrations = {
      {1, "MLflow import bookkeeping",
       R"sql(
CREATE TABLE import_mlflow_experiments (
  source TEXT NOT NULL, source_id BIGINT NOT NULL, experiment_id BIGINT NOT NULL,
  PRIMARY KEY (source, source_id));
CREATE TABLE import_mlflow_runs (
  run_uuid TEXT PRIMARY KEY, state TEXT NOT NULL)
)sql",
       ""},
      // Which registered models came from which source, so a second import
      // skips them quietly while a name Plinth already used is reported.
      {2, "MLflow import bookkeeping for models",
       R"sql(
CREATE TABLE import_mlflow_models (
  source TEXT NOT NULL, name TEXT NOT NULL, model_id BIGINT NOT NULL,
  PRIMARY KEY (source, name))
)sql",
       ""},
  };
  return kMigrations;
}

BulkInsert::BulkInsert(std::string table, std::vector<std::string> columns)
    : table_(std::move(table)), columns_(std::move(columns)) {
  full_sql_ = Statement(kRowsPerStatement);
  values_.reserve(kRowsPerStatement * columns_.size());
}

std::string BulkInsert::Statement(size_t rows) const {
  std::string one =
      absl::StrCat("(", absl::StrJoin(std::vector<std::string>(columns_.size(), "?"), ","), ")");
  std::string sql =
      absl::StrCat("INSERT INTO ", table_, " (", absl::StrJoin(columns_, ", "), ") VALUES ");
  for (size_t i = 0; i < rows; ++i) absl::StrAppend(&sql, i ? "," : "", one);
  return sql + " ON CONFLICT DO NOTHING";
}

absl::StatusOr<int64_t> BulkInsert::Flush(db::Session& s) {
  int64_t added = 0;
  size_t width = columns_.size();
  std::vector<db::Value> chunk;
  chunk.reserve(kRowsPerStatement * width);
  for (size_t begin = 0; begin < rows_; begin += kRowsPerStatement) {
    size_t n = std::min(kRowsPerStatement, rows_ - begin);
    chunk.assign(std::make_move_iterator(values_.begin() + begin * width),
                 std::make_move_iterator(values_.begin() + (begin + n) * width));
    ASSIGN_OR_RETURN(int64_t changed,
                     s.Execute(n == kRowsPerStatement ? full_sql_ : Statement(n), chunk));
    added += changed;
  }
  values_.clear();
  rows_ = 0;
  return added;
}

absl::Status BumpSequence(db::Session& s, const std::string& table, const std::string& column) {
  if (s.dialect() != db::Dialect::kPostgres) return absl::OkStatus();
  return s
      .Query(absl::StrCat("SELECT setval(pg_get_serial_sequence('", table, "', '", column,
                          "'), GREATEST((SELECT COALESCE(MAX(", column, "), 0) FROM ", table,
                          "), 1))"))
      .status();
}

}  // namespace plinth::importer
