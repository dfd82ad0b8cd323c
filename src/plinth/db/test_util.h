// Helpers for tests that need a real database: a unique temporary folder and
// a SQLite database opened in it. Header-only; for *_test.cc files.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plinth/db/database.h"

namespace plinth::db {

// A new, not yet existing path under the test temp folder, unique per process
// and call ("<TempDir>/<prefix>_<pid>_<n>").
inline std::filesystem::path UniqueTestDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return std::filesystem::path(::testing::TempDir()) /
         absl::StrCat(prefix, "_", getpid(), "_", counter++);
}

// Opens (creating) the SQLite database `dir`/plinth.db; null on failure,
// after recording a test failure.
inline std::unique_ptr<Database> OpenTestSqlite(const std::filesystem::path& dir) {
  Options options;
  options.url = "sqlite";
  options.sqlite_path = (dir / "plinth.db").string();
  auto db = Database::Open(options);
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? std::move(*db) : nullptr;
}

// The test PostgreSQL server's URL (PLINTH_TEST_POSTGRES_URL), "" when none.
inline std::string PostgresTestUrl() {
  const char* url = std::getenv("PLINTH_TEST_POSTGRES_URL");
  return url == nullptr ? "" : url;
}

inline bool ServicesRequired() {
  const char* require = std::getenv("PLINTH_REQUIRE_SERVICES");
  return require != nullptr && std::string(require) == "1";
}

}  // namespace plinth::db

// In a test or SetUp: declares `var` as the test PostgreSQL URL, or skips
// the test when there is none (fails it when PLINTH_REQUIRE_SERVICES=1).
#define PLINTH_POSTGRES_URL_OR_SKIP(var)                                             \
  std::string var = ::plinth::db::PostgresTestUrl();                                 \
  if (var.empty()) {                                                                 \
    const char* how =                                                                \
        "PostgreSQL tests need a server: run `scripts/services/postgres start` and " \
        "`export PLINTH_TEST_POSTGRES_URL=$(scripts/services/postgres url)`";        \
    if (::plinth::db::ServicesRequired()) {                                          \
      FAIL() << how << " (PLINTH_REQUIRE_SERVICES=1 forbids skipping)";              \
    }                                                                                \
    GTEST_SKIP() << how;                                                             \
  }
