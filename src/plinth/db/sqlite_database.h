// SQLite backend: one file in WAL mode, one writer connection (writes are
// serialized by a mutex, as SQLite serializes them anyway) and a small pool
// of reader connections that read concurrently with the writer.
//
// Durability: synchronous=NORMAL in WAL mode means a committed transaction
// survives a crash of the process (kill -9); it is in the OS page cache and
// the WAL. It may be lost only on power failure or kernel crash.
//
// Group commit (WriteGrouped): while one group of writes runs, the writes
// that arrive queue up; the next caller to find no group running takes the
// whole queue and commits it as one transaction, a savepoint per write.
// Concurrent log-batch requests then share the cost of a commit (writing the
// touched pages to the WAL once) instead of paying it each.
#pragma once

#include <condition_variable>
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
  // Opens (creating if needed) the database file at `path`, readable by
  // its owner only. `exclusive`: refuse if another process holds it
  // exclusively (Options::exclusive), and hold it so until destroyed.
  static absl::StatusOr<std::unique_ptr<Database>> Create(const std::string& path,
                                                          int read_connections,
                                                          bool exclusive = false);
  ~SqliteDatabase() override;

  absl::Status Write(const std::function<absl::Status(Session&)>& fn) override;
  absl::Status WriteGrouped(const std::function<absl::Status(Session&)>& fn) override;
  absl::Status Read(const std::function<absl::Status(Session&)>& fn) override;
  Dialect dialect() const override { return Dialect::kSqlite; }
  std::string Describe() const override { return "sqlite:///" + path_; }

  // Grouped writes queued or in the group being committed (for tests).
  size_t PendingGroupedWrites();

 private:
  struct QueuedWrite {
    const std::function<absl::Status(Session&)>* fn;
    absl::Status status;
    bool done = false;
    bool lead = false;           // the previous group handed over: commit the next one
    std::condition_variable cv;  // signalled under queue_mu_
  };

  SqliteDatabase() = default;
  // One transaction around `fn`, as Write runs it.
  absl::Status RunTransaction(const std::function<absl::Status(Session&)>& fn)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Runs `group` as one transaction and sets each write's status.
  void CommitGroup(const std::vector<QueuedWrite*>& group);

  std::string path_;
  int lock_fd_ = -1;  // flock(LOCK_EX) on the file when exclusive
  std::mutex write_mu_;
  std::unique_ptr<SqliteConnection> writer_ ABSL_GUARDED_BY(write_mu_);
  std::mutex queue_mu_;
  std::vector<QueuedWrite*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool group_running_ ABSL_GUARDED_BY(queue_mu_) = false;
  size_t running_size_ ABSL_GUARDED_BY(queue_mu_) = 0;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_ ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace plinth::db
