// SQLite-specific behaviour; the shared contract is in database_test.cc.
#include "plinth/db/sqlite_database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

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

TEST_F(SqliteDatabaseTest, UnopenablePathIsUnavailable) {
  // A directory where the file should be.
  std::filesystem::create_directories(path_);
  auto db = SqliteDatabase::Create(path_, 1);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
}

}  // namespace
}  // namespace plinth::db
