// Helpers for tests that need a real database: a unique temporary folder and
// a SQLite database opened in it. Header-only; for *_test.cc files.
#pragma once

#include <unistd.h>

#include <atomic>
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

}  // namespace plinth::db
