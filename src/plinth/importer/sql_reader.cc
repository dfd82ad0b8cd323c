#include "plinth/importer/sql_reader.h"

#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/database.h"

namespace plinth::importer {
namespace {

class SqliteCells final : public Cells {
 public:
  explicit SqliteCells(sqlite3_stmt* stmt) : stmt_(stmt) {}
  bool IsNull(int i) const override { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int64_t Int(int i) const override { return sqlite3_column_int64(stmt_, i); }
  double Double(int i) const override { return sqlite3_column_double(stmt_, i); }
  absl::string_view Text(int i) const override {
    const unsigned char* text = sqlite3_column_text(stmt_, i);
    if (text == nullptr) return {};
    return {reinterpret_cast<const char*>(text),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, i))};
  }

 private:
  sqlite3_stmt* stmt_;
};

class SqliteReader final : public SqlReader {
 public:
  SqliteReader(sqlite3* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  ~SqliteReader() override { sqlite3_close(handle_); }

  absl::Status ForEach(const std::string& sql,
                       const std::function<void(const Cells&)>& fn) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(handle_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return Error(sql);
    }
    SqliteCells cells(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) fn(cells);
    absl::Status status = rc == SQLITE_DONE ? absl::OkStatus() : Error(sql);
    sqlite3_finalize(stmt);
    return status;
  }

  absl::StatusOr<std::set<std::string>> Columns(const std::string& table) override {
    std::set<std::string> columns;
    RETURN_IF_ERROR(ForEach(absl::StrCat("PRAGMA table_info(\"", table, "\")"),
                            [&](const Cells& c) { columns.emplace(c.Text(1)); }));
    return columns;
  }

  std::string Describe() const override { return absl::StrCat("SQLite database ", path_); }
  bool IsSqlite() const override { return true; }

 private:
  absl::Status Error(const std::string& sql) {
    return absl::UnavailableError(absl::StrCat("cannot read the MLflow database ", path_, ": ",
                                               sqlite3_errmsg(handle_), " (in: ", sql, ")"));
  }

  sqlite3* handle_;
  std::string path_;
};

class RowCells final : public Cells {
 public:
  explicit RowCells(const db::Row& row) : row_(row) {}
  bool IsNull(int i) const override { return row_.IsNull(i); }
  int64_t Int(int i) const override {
    // PostgreSQL booleans (is_nan) arrive as "t"/"f".
    if (auto* s = std::get_if<std::string>(&row_.at(i))) {
      if (*s == "t" || *s == "true") return 1;
      if (*s == "f" || *s == "false") return 0;
    }
    return row_.Int(i);
  }
  double Double(int i) const override { return row_.Double(i); }
  absl::string_view Text(int i) const override {
    if (auto* s = std::get_if<std::string>(&row_.at(i))) return *s;
    scratch_ = row_.Str(i);
    return scratch_;
  }

 private:
  const db::Row& row_;
  mutable std::string scratch_;
};

class PostgresReader final : public SqlReader {
 public:
  PostgresReader(std::unique_ptr<db::Database> db, std::string url)
      : db_(std::move(db)), url_(std::move(url)) {}

  absl::Status ForEach(const std::string& sql,
                       const std::function<void(const Cells&)>& fn) override {
    return db_->Read([&](db::Session& s) {
      return s.ForEach(sql, {}, [&](const db::Row& row) {
        fn(RowCells(row));
        return true;
      });
    });
  }

  absl::StatusOr<std::set<std::string>> Columns(const std::string& table) override {
    std::set<std::string> columns;
    RETURN_IF_ERROR(ForEach(absl::StrCat("SELECT column_name FROM information_schema.columns "
                                         "WHERE table_schema = current_schema() AND table_name = '",
                                         table, "'"),
                            [&](const Cells& c) { columns.emplace(c.Text(0)); }));
    return columns;
  }

  std::string Describe() const override {
    // The URL without its password.
    std::string shown = url_;
    if (auto at = shown.find('@'); at != std::string::npos) {
      auto colon = shown.find(':', shown.find("//") + 2);
      if (colon != std::string::npos && colon < at) shown.erase(colon, at - colon);
    }
    return absl::StrCat("PostgreSQL database ", shown);
  }
  bool IsSqlite() const override { return false; }

 private:
  std::unique_ptr<db::Database> db_;
  std::string url_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlReader>> OpenSqliteReader(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(absl::StrCat("no MLflow database at ", path));
  }
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string msg = handle ? sqlite3_errmsg(handle) : "out of memory";
    sqlite3_close(handle);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", msg));
  }
  sqlite3_busy_timeout(handle, 10000);
  return std::make_unique<SqliteReader>(handle, path);
}

absl::StatusOr<std::unique_ptr<SqlReader>> OpenPostgresReader(const std::string& url) {
  db::Options options;
  options.url = url;
  options.read_connections = 1;
  ASSIGN_OR_RETURN(std::unique_ptr<db::Database> db, db::Database::Open(options));
  return std::make_unique<PostgresReader>(std::move(db), url);
}

}  // namespace plinth::importer
