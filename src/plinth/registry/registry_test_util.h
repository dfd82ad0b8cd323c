// Test fixtures shared by the registry's tests: a store on a fresh SQLite
// file, a fake clock, a fake RunLookup and principals of each role.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plinth/common/clock.h"
#include "plinth/common/errors.h"
#include "plinth/common/ids.h"
#include "plinth/db/database.h"
#include "plinth/registry/registry_store.h"
#include "plinth/registry/run_lookup.h"

namespace plinth::registry::testing {

class FakeRunLookup : public RunLookup {
 public:
  void Add(const std::string& run_id, const std::string& artifact_uri, const std::string& team) {
    runs_[run_id] = {artifact_uri, team};
  }
  absl::StatusOr<RunInfo> GetRun(const std::string& run_id) override {
    auto it = runs_.find(run_id);
    if (it == runs_.end()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
    return it->second;
  }
  void AddExperiment(int64_t experiment_id, const std::string& team) {
    experiments_[experiment_id] = team;
  }
  absl::StatusOr<std::string> ExperimentTeam(int64_t experiment_id) override {
    auto it = experiments_.find(experiment_id);
    if (it == experiments_.end()) return NotFound(absl::StrCat("No experiment ", experiment_id));
    return it->second;
  }

 private:
  std::map<std::string, RunInfo> runs_;
  std::map<int64_t, std::string> experiments_;
};

inline http::Principal MakePrincipal(const std::string& team, const std::string& role) {
  http::Principal p;
  p.authenticated = true;
  p.token_id = absl::StrCat(team, "-", role);
  p.team = team;
  p.role = role;
  return p;
}

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("registry-" + NewHexId());
    std::filesystem::create_directories(dir_);
    db::Options options;
    options.url = "sqlite";
    options.sqlite_path = (dir_ / "plinth.db").string();
    auto db = db::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    auto store = RegistryStore::Create(*db_, runs_, clock_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Creates model `name` owned by alice's team, failing the test on error.
  RegisteredModel MustCreateModel(const std::string& name) {
    auto m = store_->CreateRegisteredModel(alice_, name, {}, "");
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *m : RegisteredModel{};
  }
  ModelVersion MustCreateVersion(const std::string& name, const std::string& source = "s3://b/m",
                                 const std::string& run_id = "") {
    NewModelVersion request;
    request.name = name;
    request.source = source;
    request.run_id = run_id;
    auto v = store_->CreateModelVersion(alice_, request);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : ModelVersion{};
  }

  // Rows in `table` (to check that deletes leave nothing behind).
  int64_t CountRows(const std::string& table) {
    int64_t n = -1;
    EXPECT_TRUE(db_->Read([&](db::Session& s) -> absl::Status {
                     auto rows = s.Query(absl::StrCat("SELECT COUNT(*) FROM ", table));
                     if (!rows.ok()) return rows.status();
                     n = (*rows)[0].Int(0);
                     return absl::OkStatus();
                   })
                    .ok());
    return n;
  }

  std::filesystem::path dir_;
  FakeClock clock_;
  FakeRunLookup runs_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<RegistryStore> store_;
  http::Principal alice_ = MakePrincipal("vision", "member");   // team vision
  http::Principal viewer_ = MakePrincipal("vision", "viewer");  // read-only, team vision
  http::Principal bob_ = MakePrincipal("speech", "member");     // another team
  http::Principal admin_ = MakePrincipal("platform", "admin");  // any team
};

// The MLflow error_code of `status` ("OK" when it is OK).
inline std::string CodeOf(const absl::Status& status) {
  return status.ok() ? "OK" : MlflowErrorCode(status);
}

}  // namespace plinth::registry::testing
