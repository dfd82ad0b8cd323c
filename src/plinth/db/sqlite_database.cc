#include "plinth/db/sqlite_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plinth/common/status_macros.h"
#include "plinth/common/storage.h"

namespace plinth::db {

// One sqlite3 handle plus its prepared-statement cache. Used by one thread
// at a time (the pool hands it out exclusively).
class SqliteConnection final : public Session {
 public:
  static absl::StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                                bool writer) {
    sqlite3* handle = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &handle, flags, nullptr) != SQLITE_OK) {
      std::string msg = handle ? sqlite3_errmsg(handle) : "out of memory";
      sqlite3_close(handle);
      return absl::UnavailableError(absl::StrCat("cannot open SQLite database ", path, ": ", msg));
    }
    auto conn = std::unique_ptr<SqliteConnection>(new SqliteConnection(handle, path));
    sqlite3_busy_timeout(handle, 10000);
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                               "PRAGMA foreign_keys=ON", "PRAGMA case_sensitive_like=ON",
                               "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-65536"}) {
      if (!writer && absl::string_view(pragma) == "PRAGMA journal_mode=WAL") continue;
      RETURN_IF_ERROR(conn->Execute(pragma, {}).status());
    }
    return conn;
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(handle_);
  }

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql,
                                         const std::vector<Value>& params) override {
    std::vector<Row> rows;
    RETURN_IF_ERROR(ForEach(sql, params, [&](const Row& row) {
      rows.push_back(row);
      return true;
    }));
    return rows;
  }

  absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                  const std::vector<Value>& params) override {
    RETURN_IF_ERROR(ForEach(sql, params, [](const Row&) { return true; }));
    return sqlite3_changes(handle_);
  }

  absl::Status ForEach(absl::string_view sql, const std::vector<Value>& params,
                       const std::function<bool(const Row&)>& on_row) override {
    ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    RETURN_IF_ERROR(Bind(stmt, params, sql));
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        absl::Status err = Error(rc, sql);
        sqlite3_reset(stmt);
        return err;
      }
      // Read per row: SQLite may re-prepare a cached statement after a schema
      // change, and the column count can change with it.
      int columns = sqlite3_column_count(stmt);
      std::vector<Value> values;
      values.reserve(columns);
      for (int i = 0; i < columns; ++i) values.push_back(Column(stmt, i));
      if (!on_row(Row(std::move(values)))) break;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return absl::OkStatus();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  // False once SQLite has rolled a transaction back on its own (after an
  // I/O error or a full disk, for instance).
  bool InTransaction() const { return sqlite3_get_autocommit(handle_) == 0; }

 private:
  SqliteConnection(sqlite3* handle, std::string path) : handle_(handle), path_(std::move(path)) {}

  absl::StatusOr<sqlite3_stmt*> Prepare(absl::string_view sql) {
    std::string key(sql);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(handle_, key.c_str(), static_cast<int>(key.size()), &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, sql);
    // Keep the cache bounded: generated SQL (search filters) varies.
    if (cache_.size() > 512) {
      for (auto& [s, st] : cache_) sqlite3_finalize(st);
      cache_.clear();
    }
    cache_[key] = stmt;
    return stmt;
  }

  absl::Status Bind(sqlite3_stmt* stmt, const std::vector<Value>& params, absl::string_view sql) {
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(stmt)) {
      return absl::InternalError(absl::StrCat("SQL expects ", sqlite3_bind_parameter_count(stmt),
                                              " parameters, got ", params.size(), ": ", sql));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      const Value& v = params[i];
      int rc;
      if (auto p = std::get_if<int64_t>(&v))
        rc = sqlite3_bind_int64(stmt, idx, *p);
      else if (auto p = std::get_if<double>(&v))
        rc = sqlite3_bind_double(stmt, idx, *p);
      else if (auto p = std::get_if<std::string>(&v))
        rc = sqlite3_bind_text(stmt, idx, p->data(), static_cast<int>(p->size()), SQLITE_TRANSIENT);
      else
        rc = sqlite3_bind_null(stmt, idx);
      if (rc != SQLITE_OK) return Error(rc, sql);
    }
    return absl::OkStatus();
  }

  static Value Column(sqlite3_stmt* stmt, int i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_INTEGER:
        return int64_t{sqlite3_column_int64(stmt, i)};
      case SQLITE_FLOAT:
        return sqlite3_column_double(stmt, i);
      case SQLITE_NULL:
        return std::monostate{};
      default: {
        const unsigned char* text = sqlite3_column_text(stmt, i);
        return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt, i));
      }
    }
  }

  absl::Status Error(int rc, absl::string_view sql) {
    int primary = rc & 0xff;
    if (primary == SQLITE_FULL) {
      return DiskFullError(std::filesystem::path(path_).parent_path(), "the server's database");
    }
    std::string msg = absl::StrCat("SQLite error: ", sqlite3_errmsg(handle_), " in: ", sql);
    if (primary == SQLITE_CONSTRAINT) return absl::AlreadyExistsError(msg);
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return absl::UnavailableError(msg);
    return absl::InternalError(msg);
  }

  sqlite3* handle_;
  std::string path_;  // the database file, for disk-full errors
  std::map<std::string, sqlite3_stmt*> cache_;
};

absl::StatusOr<std::unique_ptr<Database>> SqliteDatabase::Create(const std::string& path,
                                                                 int read_connections,
                                                                 bool exclusive) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  auto db = std::unique_ptr<SqliteDatabase>(new SqliteDatabase());
  db->path_ = path;
  ASSIGN_OR_RETURN(db->writer_, SqliteConnection::Open(path, /*writer=*/true));
  // Tokens, hashes and every team's data: the owner's only. SQLite gives
  // its -wal and -shm files the database file's permissions.
  ::chmod(path.c_str(), 0600);
  if (exclusive) {
    // flock is independent of the POSIX locks SQLite takes, so it blocks
    // only other holders of this lock: a second server, not offline tools.
    db->lock_fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (db->lock_fd_ < 0 || ::flock(db->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("another Plinth server is using the database ", path,
                       ": stop it first (several servers need a shared PostgreSQL database, --db "
                       "postgresql://...)"));
    }
  }
  for (int i = 0; i < read_connections; ++i) {
    ASSIGN_OR_RETURN(auto reader, SqliteConnection::Open(path, /*writer=*/false));
    db->idle_readers_.push_back(std::move(reader));
  }
  return std::unique_ptr<Database>(std::move(db));
}

SqliteDatabase::~SqliteDatabase() {
  {
    std::lock_guard lock(write_mu_);
    if (writer_) (void)writer_->Execute("PRAGMA wal_checkpoint(TRUNCATE)", {});
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

absl::Status SqliteDatabase::Write(const std::function<absl::Status(Session&)>& fn) {
  std::lock_guard lock(write_mu_);
  return RunTransaction(fn);
}

absl::Status SqliteDatabase::RunTransaction(const std::function<absl::Status(Session&)>& fn) {
  RETURN_IF_ERROR(writer_->Execute("BEGIN IMMEDIATE", {}).status());
  absl::Status status = fn(*writer_);
  if (!status.ok()) {
    (void)writer_->Execute("ROLLBACK", {});
    return status;
  }
  absl::Status commit = writer_->Execute("COMMIT", {}).status();
  if (!commit.ok()) (void)writer_->Execute("ROLLBACK", {});
  return commit;
}

absl::Status SqliteDatabase::WriteGrouped(const std::function<absl::Status(Session&)>& fn) {
  // Bounds one transaction (and the wait of its first caller).
  constexpr size_t kMaxGroup = 32;
  QueuedWrite me{&fn};
  std::unique_lock lock(queue_mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (group_running_ || (!me.lead && queue_.front() != &me)) {
      // Each waiter has its own condition: a commit wakes the writers it
      // finished and the next leader, not every thread that waits.
      me.cv.wait(lock);
      continue;
    }
    // Lead: take what has queued (oldest first) and commit it.
    group_running_ = true;
    size_t n = std::min(queue_.size(), kMaxGroup);
    std::vector<QueuedWrite*> group(queue_.begin(), queue_.begin() + n);
    queue_.erase(queue_.begin(), queue_.begin() + n);
    running_size_ = n;
    lock.unlock();
    CommitGroup(group);
    lock.lock();
    group_running_ = false;
    running_size_ = 0;
    // Notified under the lock: a finished writer returns (and its
    // QueuedWrite is gone) as soon as it can take the lock.
    for (QueuedWrite* w : group) {
      w->done = true;
      if (w != &me) w->cv.notify_one();
    }
    if (!queue_.empty()) {
      queue_.front()->lead = true;
      queue_.front()->cv.notify_one();
    }
  }
  return me.status;
}

size_t SqliteDatabase::PendingGroupedWrites() {
  std::lock_guard lock(queue_mu_);
  return queue_.size() + running_size_;
}

void SqliteDatabase::CommitGroup(const std::vector<QueuedWrite*>& group) {
  std::lock_guard lock(write_mu_);
  if (group.size() == 1) {
    group[0]->status = RunTransaction(*group[0]->fn);
    return;
  }
  absl::Status begin = writer_->Execute("BEGIN IMMEDIATE", {}).status();
  if (!begin.ok()) {
    for (QueuedWrite* w : group) w->status = begin;
    return;
  }
  std::vector<QueuedWrite*> applied;
  for (size_t i = 0; i < group.size(); ++i) {
    QueuedWrite* w = group[i];
    w->status = writer_->Execute("SAVEPOINT grouped_write", {}).status();
    if (w->status.ok()) w->status = (*w->fn)(*writer_);
    if (w->status.ok()) w->status = writer_->Execute("RELEASE grouped_write", {}).status();
    if (w->status.ok()) {
      applied.push_back(w);
      continue;
    }
    if (writer_->InTransaction()) {
      // Undo this write alone; the others stay.
      (void)writer_->Execute("ROLLBACK TO grouped_write", {});
      (void)writer_->Execute("RELEASE grouped_write", {});
      if (writer_->InTransaction()) continue;
    }
    // SQLite abandoned the whole transaction: nothing of the group is
    // written, so none of it may be acknowledged.
    absl::Status lost = absl::UnavailableError(
        absl::StrCat("write not applied: the transaction it shared with other writes was rolled "
                     "back after: ",
                     w->status.message()));
    for (QueuedWrite* a : applied) a->status = lost;
    for (size_t j = i + 1; j < group.size(); ++j) group[j]->status = lost;
    return;
  }
  absl::Status commit = writer_->Execute("COMMIT", {}).status();
  if (!commit.ok()) {
    (void)writer_->Execute("ROLLBACK", {});
    for (QueuedWrite* a : applied) a->status = commit;
  }
}

absl::Status SqliteDatabase::Read(const std::function<absl::Status(Session&)>& fn) {
  std::unique_ptr<SqliteConnection> conn;
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_readers_.empty()) {
      conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
  }
  if (!conn) {
    // More concurrent readers than pooled connections: open a temporary one.
    ASSIGN_OR_RETURN(conn, SqliteConnection::Open(path_, /*writer=*/false));
  }
  RETURN_IF_ERROR(conn->Execute("BEGIN", {}).status());
  absl::Status status = fn(*conn);
  (void)conn->Execute("COMMIT", {});
  std::lock_guard lock(pool_mu_);
  if (idle_readers_.size() < 16) idle_readers_.push_back(std::move(conn));
  return status;
}

}  // namespace plinth::db
