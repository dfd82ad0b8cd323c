// The Database contract, checked the same way against SQLite (a temporary
// file) and PostgreSQL (PLINTH_TEST_POSTGRES_URL; each test gets its own
// schema, dropped afterwards, so reruns and parallel runs do not collide).
#include "plinth/db/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/migrations.h"
#include "plinth/db/test_util.h"

namespace plinth::db {
namespace {

enum class Backend { kSqlite, kPostgres };

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return absl::StrCat(getpid(), "_", counter++, "_", rd() % 1000000);
}

Options UrlOptions(const std::string& url, int read_connections = 4) {
  Options options;
  options.url = url;
  options.read_connections = read_connections;
  return options;
}

std::vector<Migration> ItemMigrations() {
  return {
      {1, "items",
       "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, "
       "qty BIGINT)",
       "CREATE TABLE items (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, qty BIGINT)"},
      // Uses the table v1 creates: fails unless v1 ran first.
      {2, "seed row", "INSERT INTO items (name, qty) VALUES ('seed', 1)", ""},
  };
}

class DatabaseTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = std::filesystem::path(::testing::TempDir()) / ("plinth_db_" + UniqueSuffix());
      url_ = "sqlite://" + (dir_ / "test.db").string();  // sqlite:///tmp/...
    } else {
      PLINTH_POSTGRES_URL_OR_SKIP(url);
      auto admin = Database::Open(UrlOptions(url, 1));
      ASSERT_TRUE(admin.ok()) << admin.status();
      admin_ = std::move(*admin);
      schema_ = "plinth_test_" + UniqueSuffix();
      ASSERT_TRUE(
          admin_->Write([&](Session& s) { return s.Execute("CREATE SCHEMA " + schema_).status(); })
              .ok());
      // Every pooled connection starts with the schema first on its path.
      url_ = absl::StrCat(url, absl::StrContains(url, "?") ? "&" : "?",
                          "options=-c%20search_path%3D", schema_);
    }
    db_ = Open();
    ASSERT_NE(db_, nullptr);
  }

  void TearDown() override {
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (admin_) {
      absl::Status dropped = admin_->Write(
          [&](Session& s) { return s.Execute("DROP SCHEMA " + schema_ + " CASCADE").status(); });
      EXPECT_TRUE(dropped.ok()) << dropped;
    }
  }

  std::unique_ptr<Database> Open(int read_connections = 4) {
    auto db = Database::Open(UrlOptions(url_, read_connections));
    EXPECT_TRUE(db.ok()) << db.status();
    return db.ok() ? std::move(*db) : nullptr;
  }

  absl::Status Exec(const std::string& sql, const std::vector<Value>& params = {}) {
    return db_->Write([&](Session& s) { return s.Execute(sql, params).status(); });
  }

  std::vector<Row> Select(const std::string& sql, const std::vector<Value>& params = {}) {
    std::vector<Row> rows;
    absl::Status status = db_->Read([&](Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(rows, s.Query(sql, params));
      return absl::OkStatus();
    });
    EXPECT_TRUE(status.ok()) << status;
    return rows;
  }

  int64_t Count(const std::string& table) {
    auto rows = Select("SELECT COUNT(*) FROM " + table);
    return rows.empty() ? -1 : rows[0].Int(0);
  }

  void MigrateItems() {
    absl::Status status = Migrate(*db_, "items", ItemMigrations());
    ASSERT_TRUE(status.ok()) << status;
  }

  bool postgres() const { return GetParam() == Backend::kPostgres; }

  std::filesystem::path dir_;
  std::string url_;
  std::string schema_;
  std::unique_ptr<Database> admin_;
  std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, ReportsDialectAndDescribesWithoutCredentials) {
  EXPECT_EQ(db_->dialect(), postgres() ? Dialect::kPostgres : Dialect::kSqlite);
  std::string described = db_->Describe();
  if (postgres()) {
    EXPECT_TRUE(absl::StartsWith(described, "postgresql://")) << described;
    EXPECT_FALSE(absl::StrContains(described, "@")) << described;
    EXPECT_FALSE(absl::StrContains(described, "search_path")) << described;
  } else {
    EXPECT_TRUE(absl::StartsWith(described, "sqlite:")) << described;
    EXPECT_TRUE(absl::EndsWith(described, (dir_ / "test.db").string())) << described;
  }
}

TEST_P(DatabaseTest, MigrationsApplyOnceAndInOrder) {
  auto before = SchemaVersion(*db_, "items");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, 0);

  MigrateItems();
  EXPECT_EQ(*SchemaVersion(*db_, "items"), 2);
  EXPECT_EQ(Count("items"), 1);

  // Re-running is a no-op: the seed row is not inserted again.
  MigrateItems();
  EXPECT_EQ(Count("items"), 1);

  // A later release adds v3; only v3 runs.
  std::vector<Migration> more = ItemMigrations();
  more.push_back({3, "price", "ALTER TABLE items ADD COLUMN price DOUBLE PRECISION", ""});
  ASSERT_TRUE(Migrate(*db_, "items", more).ok());
  EXPECT_EQ(*SchemaVersion(*db_, "items"), 3);
  EXPECT_EQ(Count("items"), 1);
  ASSERT_TRUE(Exec("UPDATE items SET price = ? WHERE name = 'seed'", {2.5}).ok());

  auto applied = Select("SELECT version FROM schema_migrations WHERE module = ? ORDER BY version",
                        {std::string("items")});
  ASSERT_EQ(applied.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(applied[i].Int(0), i + 1);
  EXPECT_EQ(*SchemaVersion(*db_, "other_module"), 0);
}

TEST_P(DatabaseTest, FailedMigrationLeavesNoTrace) {
  std::vector<Migration> bad = {
      {1, "half broken", "CREATE TABLE half (x BIGINT); CREATE TABLE broken (", ""}};
  absl::Status status = Migrate(*db_, "bad", bad);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "half broken")) << status;
  EXPECT_EQ(*SchemaVersion(*db_, "bad"), 0);
  // The first statement was rolled back with the second: the table is free.
  EXPECT_TRUE(Exec("CREATE TABLE half (x BIGINT)").ok());
}

TEST_P(DatabaseTest, ValuesRoundTrip) {
  ASSERT_TRUE(
      Exec("CREATE TABLE vals (k BIGINT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, t TEXT)").ok());
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const double kInf = std::numeric_limits<double>::infinity();
  const std::string kText = "it's \"quoted\", has a ? and ünïcødé";
  const std::vector<std::vector<Value>> rows = {
      {int64_t{1}, kMax, 0.1, kText},
      {int64_t{2}, kMin, 1e-300, std::string("")},
      {int64_t{3}, int64_t{0}, kInf, std::monostate{}},
      {int64_t{4}, std::monostate{}, -kInf, std::string("x")},
      {int64_t{5}, int64_t{-7}, 123456789.123456789, std::string("y")},
  };
  ASSERT_TRUE(
      db_->Write([&](Session& s) -> absl::Status {
           for (const auto& r : rows) {
             RETURN_IF_ERROR(
                 s.Execute("INSERT INTO vals (k, i, d, t) VALUES (?, ?, ?, ?)", r).status());
           }
           return absl::OkStatus();
         })
          .ok());

  auto got = Select("SELECT k, i, d, t FROM vals ORDER BY k");
  ASSERT_EQ(got.size(), rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < 4; ++c) {
      EXPECT_EQ(got[r].at(c), rows[r][c]) << "row " << r << " column " << c;
    }
  }
  EXPECT_TRUE(std::holds_alternative<int64_t>(got[0].at(1)));
  EXPECT_TRUE(std::holds_alternative<double>(got[0].at(2)));
  EXPECT_TRUE(std::holds_alternative<std::string>(got[0].at(3)));
  EXPECT_TRUE(got[2].IsNull(3));
  EXPECT_TRUE(got[3].IsNull(1));

  // `?` inside a quoted literal is text, not a placeholder.
  auto literal = Select("SELECT 'a?b', ?", {int64_t{5}});
  ASSERT_EQ(literal.size(), 1u);
  EXPECT_EQ(literal[0].Str(0), "a?b");
  EXPECT_EQ(literal[0].Int(1), 5);
}

TEST_P(DatabaseTest, NanDoubles) {
  ASSERT_TRUE(Exec("CREATE TABLE nums (k BIGINT, d DOUBLE PRECISION)").ok());
  ASSERT_TRUE(Exec("INSERT INTO nums (k, d) VALUES (?, ?)", {int64_t{1}, std::nan("")}).ok());
  auto got = Select("SELECT d FROM nums");
  ASSERT_EQ(got.size(), 1u);
  if (postgres()) {
    ASSERT_TRUE(std::holds_alternative<double>(got[0].at(0)));
    EXPECT_TRUE(std::isnan(got[0].Double(0)));
  } else {
    // SQLite stores a bound NaN as NULL; stores that keep NaN metrics record
    // it in a separate column (tracking's is_nan).
    EXPECT_TRUE(got[0].IsNull(0));
  }
}

TEST_P(DatabaseTest, NumericResultTypes) {
  MigrateItems();
  ASSERT_TRUE(Exec("INSERT INTO items (name, qty) VALUES ('a', 3)").ok());
  auto got = Select(
      "SELECT COUNT(*), MAX(qty), AVG(qty), SUM(qty) * 1.5, 1 = 1, ? + 1, substr('abcdef', ?, ?), "
      "? + 1 FROM items",
      {int64_t{41}, int64_t{2}, int64_t{3}, int64_t{1} << 40});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at(0), Value(int64_t{2}));
  EXPECT_EQ(got[0].at(1), Value(int64_t{3}));
  EXPECT_EQ(got[0].at(2), Value(2.0));
  EXPECT_EQ(got[0].at(3), Value(6.0));
  EXPECT_EQ(got[0].at(4), Value(int64_t{1}));
  EXPECT_EQ(got[0].at(5), Value(int64_t{42}));
  // Integer parameters fit functions taking int4 and arithmetic on int8.
  EXPECT_EQ(got[0].at(6), Value(std::string("bcd")));
  EXPECT_EQ(got[0].at(7), Value((int64_t{1} << 40) + 1));
}

TEST_P(DatabaseTest, ExecuteReturnsAffectedRows) {
  MigrateItems();
  ASSERT_TRUE(Exec("INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 1), ('c', 2)").ok());
  int64_t changed = -1;
  ASSERT_TRUE(db_->Write([&](Session& s) -> absl::Status {
                   ASSIGN_OR_RETURN(
                       changed,
                       s.Execute("UPDATE items SET qty = qty + 1 WHERE qty = ?", {int64_t{1}}));
                   return absl::OkStatus();
                 })
                  .ok());
  EXPECT_EQ(changed, 3);  // seed, a, b
}

TEST_P(DatabaseTest, ErrorRollsBackTheWholeWrite) {
  MigrateItems();
  absl::Status status = db_->Write([](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO items (name) VALUES ('first')").status());
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);

  status = db_->Write([](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO items (name) VALUES ('second')").status());
    return s.Execute("INSERT INTO items (name) VALUES ('seed')").status();  // duplicate
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_EQ(Count("items"), 1);  // only the seed row

  // The write connection is usable afterwards.
  EXPECT_TRUE(Exec("INSERT INTO items (name) VALUES ('third')").ok());
  EXPECT_EQ(Count("items"), 2);
}

TEST_P(DatabaseTest, UniqueViolationIsAlreadyExists) {
  MigrateItems();
  absl::Status status = Exec("INSERT INTO items (name, qty) VALUES ('seed', 2)");
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;

  // The common-subset upserts work on both.
  int64_t changed = -1;
  ASSERT_TRUE(db_->Write([&](Session& s) -> absl::Status {
                   ASSIGN_OR_RETURN(changed, s.Execute("INSERT INTO items (name, qty) VALUES "
                                                       "(?, ?) ON CONFLICT (name) DO NOTHING",
                                                       {std::string("seed"), int64_t{5}}));
                   return s
                       .Execute(
                           "INSERT INTO items (name, qty) VALUES (?, ?) ON CONFLICT (name) DO "
                           "UPDATE SET qty = excluded.qty",
                           {std::string("seed"), int64_t{9}})
                       .status();
                 })
                  .ok());
  EXPECT_EQ(changed, 0);
  auto got = Select("SELECT qty FROM items WHERE name = ?", {std::string("seed")});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Int(0), 9);
}

TEST_P(DatabaseTest, SwallowedStatementErrorInWrite) {
  MigrateItems();
  absl::Status status = db_->Write([](Session& s) -> absl::Status {
    (void)s.Execute("INSERT INTO items (name) VALUES ('seed')");  // duplicate, ignored
    return s.Execute("INSERT INTO items (name) VALUES ('after')").status();
  });
  if (postgres()) {
    // PostgreSQL aborted the transaction at the first error: nothing is
    // written, and the caller hears so instead of a silent non-commit.
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(Count("items"), 1);
  } else {
    // SQLite keeps the transaction going after a failed statement.
    EXPECT_TRUE(status.ok()) << status;
    EXPECT_EQ(Count("items"), 2);
  }
}

TEST_P(DatabaseTest, ReturningGivesGeneratedIds) {
  MigrateItems();
  std::vector<int64_t> ids;
  ASSERT_TRUE(db_->Write([&](Session& s) -> absl::Status {
                   for (const char* name : {"x", "y"}) {
                     ASSIGN_OR_RETURN(auto rows,
                                      s.Query("INSERT INTO items (name) VALUES (?) RETURNING id",
                                              {std::string(name)}));
                     if (rows.size() != 1) return absl::InternalError("no id returned");
                     ids.push_back(rows[0].Int(0));
                   }
                   return absl::OkStatus();
                 })
                  .ok());
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_GT(ids[0], 1);  // after the seed row
  EXPECT_GT(ids[1], ids[0]);
  auto got = Select("SELECT name FROM items WHERE id = ?", {ids[1]});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Str(0), "y");
}

TEST_P(DatabaseTest, ForEachStopsEarlyAndLeavesSessionUsable) {
  ASSERT_TRUE(Exec("CREATE TABLE seq (n BIGINT)").ok());
  ASSERT_TRUE(db_->Write([](Session& s) -> absl::Status {
                   for (int64_t i = 0; i < 500; ++i) {
                     RETURN_IF_ERROR(s.Execute("INSERT INTO seq (n) VALUES (?)", {i}).status());
                   }
                   return absl::OkStatus();
                 })
                  .ok());
  std::vector<int64_t> seen;
  int64_t total = -1;
  absl::Status status = db_->Read([&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(
        s.ForEach("SELECT n FROM seq WHERE n >= ? ORDER BY n", {int64_t{10}}, [&](const Row& row) {
          seen.push_back(row.Int(0));
          return seen.size() < 3;
        }));
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT COUNT(*) FROM seq"));
    total = rows[0].Int(0);
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(seen, (std::vector<int64_t>{10, 11, 12}));
  EXPECT_EQ(total, 500);

  int64_t sum = 0;
  ASSERT_TRUE(db_->Read([&](Session& s) {
                   return s.ForEach("SELECT n FROM seq", {}, [&](const Row& row) {
                     sum += row.Int(0);
                     return true;
                   });
                 })
                  .ok());
  EXPECT_EQ(sum, 499 * 500 / 2);

  status = db_->Read([](Session& s) {
    return s.ForEach("SELECT no_such_column FROM seq", {}, [](const Row&) { return true; });
  });
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "no_such_column")) << status;
}

TEST_P(DatabaseTest, ReadSeesOneSnapshot) {
  MigrateItems();
  int64_t first = -1, second = -1;
  absl::Status status = db_->Read([&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT COUNT(*) FROM items"));
    first = rows[0].Int(0);
    // A write commits while this read is open; the read must not see it.
    RETURN_IF_ERROR(Exec("INSERT INTO items (name) VALUES ('during')"));
    ASSIGN_OR_RETURN(rows, s.Query("SELECT COUNT(*) FROM items"));
    second = rows[0].Int(0);
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(Count("items"), 2);  // a new read sees the committed write
}

TEST_P(DatabaseTest, ReadsRefuseWrites) {
  if (!postgres()) GTEST_SKIP() << "SQLite read connections do not enforce read-only";
  MigrateItems();
  absl::Status status = db_->Read(
      [](Session& s) { return s.Execute("INSERT INTO items (name) VALUES ('r')").status(); });
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(Count("items"), 1);
}

TEST_P(DatabaseTest, ReconnectsAfterTheServerDropsConnections) {
  if (!postgres()) GTEST_SKIP() << "PostgreSQL only: SQLite has no server";
  db_ = Open(/*read_connections=*/1);
  ASSERT_NE(db_, nullptr);
  MigrateItems();
  auto pid_of = [](Session& s, int64_t& pid) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT pg_backend_pid()"));
    pid = rows[0].Int(0);
    return absl::OkStatus();
  };
  int64_t writer = 0, reader = 0;
  ASSERT_TRUE(db_->Write([&](Session& s) { return pid_of(s, writer); }).ok());
  ASSERT_TRUE(db_->Read([&](Session& s) { return pid_of(s, reader); }).ok());
  // As a server restart or an idle timeout would: end both sessions.
  for (int64_t pid : {writer, reader}) {
    ASSERT_TRUE(admin_
                    ->Write([&](Session& s) {
                      return s.Query("SELECT pg_terminate_backend(?, 10000)", {pid}).status();
                    })
                    .ok());
  }
  int64_t new_writer = 0, new_reader = 0;
  absl::Status status = db_->Write([&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(pid_of(s, new_writer));
    return s.Execute("INSERT INTO items (name) VALUES ('after reconnect')").status();
  });
  ASSERT_TRUE(status.ok()) << status;
  status = db_->Read([&](Session& s) { return pid_of(s, new_reader); });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_NE(new_writer, writer);
  EXPECT_NE(new_reader, reader);
  EXPECT_EQ(Count("items"), 2);
}

TEST_P(DatabaseTest, TextWithNulByte) {
  ASSERT_TRUE(Exec("CREATE TABLE texts (t TEXT)").ok());
  absl::Status status = Exec("INSERT INTO texts (t) VALUES (?)", {std::string("a\0b", 3)});
  if (postgres()) {
    // PostgreSQL text cannot hold NUL: refused, not silently cut at "a".
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(Count("texts"), 0);
  } else {
    ASSERT_TRUE(status.ok()) << status;
    auto got = Select("SELECT t FROM texts");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].Str(0), std::string("a\0b", 3));
  }
}

TEST_P(DatabaseTest, ConcurrentReadsWhileWriting) {
  MigrateItems();
  constexpr int kWrites = 100;
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::thread writer([&] {
    for (int i = 0; i < kWrites; ++i) {
      if (!Exec("INSERT INTO items (name, qty) VALUES (?, ?)", {absl::StrCat("w", i), int64_t{i}})
               .ok()) {
        ++failures;
      }
    }
    done = true;
  });
  std::vector<std::thread> readers;
  std::atomic<int> reads{0};
  for (int t = 0; t < 6; ++t) {  // more readers than pooled connections
    readers.emplace_back([&] {
      int64_t last = 0;
      while (!done || reads < 20) {
        int64_t count = -1;
        absl::Status status = db_->Read([&](Session& s) -> absl::Status {
          ASSIGN_OR_RETURN(auto rows, s.Query("SELECT COUNT(*) FROM items"));
          count = rows[0].Int(0);
          return absl::OkStatus();
        });
        // Commits are visible in order: a reader never goes backwards.
        if (!status.ok() || count < last) ++failures;
        last = count;
        ++reads;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Count("items"), kWrites + 1);
}

TEST_P(DatabaseTest, SchemaChangesDoNotBreakCachedStatements) {
  ASSERT_TRUE(Exec("CREATE TABLE shape (a BIGINT)").ok());
  ASSERT_TRUE(Exec("INSERT INTO shape (a) VALUES (1)").ok());
  auto select_all = [&]() -> absl::StatusOr<size_t> {
    size_t read_columns = 0, write_columns = 0;
    RETURN_IF_ERROR(db_->Read([&](Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto rows, s.Query("SELECT * FROM shape"));
      read_columns = rows.at(0).size();
      return absl::OkStatus();
    }));
    RETURN_IF_ERROR(db_->Write([&](Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto rows, s.Query("SELECT * FROM shape"));
      write_columns = rows.at(0).size();
      return absl::OkStatus();
    }));
    if (read_columns != write_columns) return absl::InternalError("column counts differ");
    return read_columns;
  };
  auto before = select_all();
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(*before, 1u);
  ASSERT_TRUE(Exec("ALTER TABLE shape ADD COLUMN b TEXT").ok());
  auto after = select_all();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after, 2u);
}

TEST_P(DatabaseTest, DataSurvivesReopen) {
  MigrateItems();
  ASSERT_TRUE(Exec("INSERT INTO items (name, qty) VALUES ('kept', 7)").ok());
  db_.reset();
  db_ = Open();
  ASSERT_NE(db_, nullptr);
  MigrateItems();  // already applied: no second seed row
  EXPECT_EQ(Count("items"), 2);
  auto got = Select("SELECT qty FROM items WHERE name = 'kept'");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].Int(0), 7);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

TEST(NumberPlaceholdersTest, NumbersOutsideQuotes) {
  EXPECT_EQ(NumberPlaceholders("SELECT ?, '?', \"a?\" FROM t WHERE x = ? AND y = ?"),
            "SELECT $1, '?', \"a?\" FROM t WHERE x = $2 AND y = $3");
}

TEST(PostgresOpenTest, UnreachableServerIsUnavailableAndHidesThePassword) {
  // Nothing listens on port 1: the connection is refused at once.
  auto db = Database::Open(UrlOptions("postgresql://alice:s3cret@127.0.0.1:1/metadata"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
  std::string msg(db.status().message());
  EXPECT_TRUE(absl::StrContains(msg, "127.0.0.1:1/metadata")) << msg;
  EXPECT_FALSE(absl::StrContains(msg, "s3cret")) << msg;
}

TEST(PostgresOpenTest, MalformedUrlIsInvalidArgument) {
  auto db = Database::Open(UrlOptions("postgresql://localhost/db?no_such_option=1"));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument) << db.status();
}

TEST(OpenTest, UnknownUrlIsInvalidArgument) {
  auto db = Database::Open(UrlOptions("mysql://localhost/x"));
  EXPECT_EQ(db.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plinth::db
