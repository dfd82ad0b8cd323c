// SQLite-specific behaviour; the shared contract is in database_test.cc.
#include "plinth/db/sqlite_database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"

namespace plinth::db {
namespace {

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    root_ = std::filesystem::path(::testing::TempDir()) /
            absl::StrCat("plinth_sqlite_", getpid(), "_", counter++);
    path_ = (root_ / "a" / "b" / "plinth.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<Database> Open() {
    auto db = SqliteDatabase::Create(path_, /*read_connections=*/2);
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }

  // The first column of the first row of `sql`, read on a reader connection
  // (or on the writer when `on_writer`).
  std::string ValueOf(Database& db, const std::string& sql, bool on_writer = false) {
    std::string out = "<none>";
    auto fn = [&](Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto rows, s.Query(sql));
      if (!rows.empty()) out = rows[0].Str(0);
      return absl::OkStatus();
    };
    absl::Status status = on_writer ? db.Write(fn) : db.Read(fn);
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  std::filesystem::path root_;
  std::string path_;
};

TEST_F(SqliteDatabaseTest, CreatesTheFileInANewNestedFolder) {
  ASSERT_FALSE(std::filesystem::exists(root_));
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(std::filesystem::is_regular_file(path_));
  EXPECT_EQ(db->Describe(), "sqlite:///" + path_);
  EXPECT_EQ(db->dialect(), Dialect::kSqlite);
}

TEST_F(SqliteDatabaseTest, UsesWalWithNormalSyncAndForeignKeys) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  // journal_mode is a property of the file: readers see it too.
  EXPECT_EQ(ValueOf(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(ValueOf(*db, "PRAGMA synchronous", /*on_writer=*/true), "1");  // NORMAL
  EXPECT_EQ(ValueOf(*db, "PRAGMA foreign_keys", /*on_writer=*/true), "1");
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(SqliteDatabaseTest, CommittedWriteIsVisibleToReaders) {
  auto db = Open();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Write([](Session& s) -> absl::Status {
                  RETURN_IF_ERROR(s.Execute("CREATE TABLE t (v TEXT)").status());
                  return s.Execute("INSERT INTO t (v) VALUES (?)", {std::string("hello")}).status();
                }).ok());
  // Both pooled readers (and a third, opened on demand) see the commit.
  absl::Status status = db->Read([&](Session& s1) -> absl::Status {
    return db->Read([&](Session& s2) -> absl::Status {
      return db->Read([&](Session& s3) -> absl::Status {
        for (Session* s : {&s1, &s2, &s3}) {
          ASSIGN_OR_RETURN(auto rows, s->Query("SELECT v FROM t"));
          if (rows.size() != 1 || rows[0].Str(0) != "hello") {
            return absl::InternalError("reader does not see the committed row");
          }
        }
        return absl::OkStatus();
      });
    });
  });
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(SqliteDatabaseTest, DataSurvivesCloseAndReopen) {
  {
    auto db = Open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->Write([](Session& s) -> absl::Status {
                    RETURN_IF_ERROR(s.Execute("CREATE TABLE t (v BIGINT)").status());
                    return s.Execute("INSERT INTO t (v) VALUES (?)", {int64_t{42}}).status();
                  }).ok());
  }
  // Closing checkpoints the WAL into the main file.
  std::string wal = path_ + "-wal";
  EXPECT_TRUE(!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0);
  auto db = Open();
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(ValueOf(*db, "SELECT v FROM t"), "42");
}

// Group commit: grouped writes that queue behind a running write are
// committed together, on one caller's thread, each still all-or-nothing.
class GroupCommitTest : public SqliteDatabaseTest {
 protected:
  struct Writer {
    std::thread thread;
    std::thread::id ran_on;
    absl::Status status;
  };

  void SetUp() override {
    SqliteDatabaseTest::SetUp();
    db_ = Open();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(db_->Write([](Session& s) {
                     return s.Execute("CREATE TABLE t (v BIGINT PRIMARY KEY)").status();
                   })
                    .ok());
  }

  // Holds the writer with a plain Write, queues `fns` as grouped writes
  // behind it (the first leads a group of its own, which waits for the
  // writer; the others queue for the next group), then lets them all run.
  std::vector<std::unique_ptr<Writer>> RunQueued(
      const std::vector<std::function<absl::Status(Session&)>>& fns) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> holding;
    std::thread blocker([&] {
      absl::Status s = db_->Write([&](Session&) {
        holding.set_value();
        released.wait();
        return absl::OkStatus();
      });
      EXPECT_TRUE(s.ok()) << s;
    });
    holding.get_future().wait();
    auto& sqlite = static_cast<SqliteDatabase&>(*db_);
    std::vector<std::unique_ptr<Writer>> writers;
    for (size_t i = 0; i < fns.size(); ++i) {
      auto w = std::make_unique<Writer>();
      Writer* raw = w.get();
      auto fn = fns[i];
      w->thread = std::thread([this, raw, fn] {
        raw->status = db_->WriteGrouped([raw, fn](Session& s) {
          raw->ran_on = std::this_thread::get_id();
          return fn(s);
        });
      });
      writers.push_back(std::move(w));
      // Wait until this one is pending, so the order is known: the first
      // leads a group of its own, the others queue for the next group.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (sqlite.PendingGroupedWrites() < i + 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
      EXPECT_EQ(sqlite.PendingGroupedWrites(), i + 1);
    }
    release.set_value();
    blocker.join();
    for (auto& w : writers) w->thread.join();
    return writers;
  }

  static std::function<absl::Status(Session&)> Insert(int64_t v) {
    return [v](Session& s) { return s.Execute("INSERT INTO t (v) VALUES (?)", {v}).status(); };
  }

  std::unique_ptr<Database> db_;
};

TEST_F(GroupCommitTest, QueuedWritesShareOneTransaction) {
  auto writers = RunQueued({Insert(1), Insert(2), Insert(3), Insert(4)});
  for (auto& w : writers) EXPECT_TRUE(w->status.ok()) << w->status;
  // 2, 3 and 4 queued together: one of their callers ran all three.
  EXPECT_EQ(writers[1]->ran_on, writers[2]->ran_on);
  EXPECT_EQ(writers[2]->ran_on, writers[3]->ran_on);
  EXPECT_EQ(ValueOf(*db_, "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)"), "1,2,3,4");
}

TEST_F(GroupCommitTest, AFailedWriteIsUndoneAloneInItsGroup) {
  auto fail_after_insert = [](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO t (v) VALUES (20)").status());
    return absl::InvalidArgumentError("rejected");
  };
  // 3 collides with the row the write before it inserted (a constraint error).
  auto writers = RunQueued({Insert(1), Insert(2), fail_after_insert, Insert(3), Insert(3)});
  EXPECT_TRUE(writers[0]->status.ok());
  EXPECT_TRUE(writers[1]->status.ok());
  EXPECT_EQ(writers[2]->status, absl::InvalidArgumentError("rejected"));
  EXPECT_TRUE(writers[3]->status.ok());
  EXPECT_EQ(writers[4]->status.code(), absl::StatusCode::kAlreadyExists) << writers[4]->status;
  EXPECT_EQ(writers[1]->ran_on, writers[4]->ran_on);
  EXPECT_EQ(ValueOf(*db_, "SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)"), "1,2,3");
}

TEST_F(GroupCommitTest, ATransactionAbandonedMidGroupFailsTheWholeGroup) {
  // Stands in for SQLite rolling the transaction back on an I/O error.
  auto abandon = [](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("ROLLBACK").status());
    return absl::InternalError("disk I/O error");
  };
  auto writers = RunQueued({Insert(1), Insert(2), abandon, Insert(3)});
  EXPECT_TRUE(writers[0]->status.ok());
  EXPECT_EQ(writers[1]->status.code(), absl::StatusCode::kUnavailable) << writers[1]->status;
  EXPECT_EQ(writers[2]->status, absl::InternalError("disk I/O error"));
  EXPECT_EQ(writers[3]->status.code(), absl::StatusCode::kUnavailable) << writers[3]->status;
  // Only the write of the first group was acknowledged, and only it is there.
  EXPECT_EQ(ValueOf(*db_, "SELECT group_concat(v) FROM t"), "1");
  // The writer is usable afterwards.
  EXPECT_TRUE(db_->WriteGrouped(Insert(5)).ok());
  EXPECT_EQ(ValueOf(*db_, "SELECT count(*) FROM t"), "2");
}

TEST_F(SqliteDatabaseTest, UnopenablePathIsUnavailable) {
  // A directory where the file should be.
  std::filesystem::create_directories(path_);
  auto db = SqliteDatabase::Create(path_, 1);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
}

}  // namespace
}  // namespace plinth::db
