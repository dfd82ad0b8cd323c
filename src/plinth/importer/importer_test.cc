#include "plinth/importer/importer.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "plinth/db/database.h"

namespace plinth::importer {
namespace {

namespace fs = std::filesystem;

// A subset of MLflow 2.x's SQLite DDL (tests/resources/db/latest_schema.sql
// in MLflow), enough for the importer; the integration test uses all of it.
constexpr char kMlflowDdl[] = R"sql(
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
CREATE TABLE experiments (experiment_id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(256) NOT NULL
  UNIQUE, artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT,
  last_update_time BIGINT);
CREATE TABLE experiment_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), experiment_id
  INTEGER NOT NULL, PRIMARY KEY (key, experiment_id));
CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL PRIMARY KEY, name VARCHAR(250), source_type
  VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256),
  status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50),
  lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER);
CREATE TABLE metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL,
  run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0'
  NOT NULL, PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan));
CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL, run_uuid
  VARCHAR(32) NOT NULL, PRIMARY KEY (key, run_uuid));
CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), run_uuid VARCHAR(32) NOT NULL,
  PRIMARY KEY (key, run_uuid));
INSERT INTO alembic_version VALUES ('97727af70f4d');
INSERT INTO experiments VALUES (0, 'Default', '/tmp/a/0', 'active', 1, 2);
INSERT INTO experiments VALUES (5, 'exp', '/tmp/a/5', 'active', 3, 4);
INSERT INTO experiment_tags VALUES ('team', 'vision', 5);
INSERT INTO runs VALUES ('r1', 'first', 'LOCAL', '', '', 'ann', 'FINISHED', 10, 20, '',
  'active', 'file:///nonexistent/5/r1/artifacts', 5);
INSERT INTO runs VALUES ('r2', 'second', 'LOCAL', '', '', 'bob', 'FAILED', 30, NULL, '',
  'active', 's3://bucket/r2', 5);
INSERT INTO params VALUES ('lr', '0.1', 'r1');
INSERT INTO tags VALUES ('mlflow.runName', 'first', 'r1');
INSERT INTO metrics VALUES ('loss', 1.0, 100, 'r1', 0, 0);
INSERT INTO metrics VALUES ('loss', 0.5, 200, 'r1', 1, 0);
INSERT INTO metrics VALUES ('loss', 0, 150, 'r1', 2, 1);
INSERT INTO metrics VALUES ('acc', 0.9, 100, 'r2', 0, 0);
)sql";

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("plinth_importer_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "mlflow.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, kMlflowDdl, nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
    db::Options options;
    options.sqlite_path = (dir_ / "plinth.db").string();
    target_ = *db::Database::Open(options);
    import_.source_uri = "sqlite:///" + (dir_ / "mlflow.db").string();
    import_.target_artifacts_root = (dir_ / "artifacts").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  absl::StatusOr<ImportReport> RunImport() {
    auto source = OpenMlflowSource(import_.source_uri);
    if (!source.ok()) return source.status();
    return Import(**source, *target_, import_, [](const std::string&, int64_t, int64_t) {});
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    EXPECT_TRUE(target_
                    ->Read([&](db::Session& s) -> absl::Status {
                      auto rows = s.Query(sql);
                      if (!rows.ok()) return rows.status();
                      n = rows->at(0).Int(0);
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  }

  fs::path dir_;
  std::unique_ptr<db::Database> target_;
  ImportOptions import_;
};

TEST_F(ImporterTest, CopiesEverythingKeepingIds) {
  absl::StatusOr<ImportReport> report = RunImport();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->counts["experiments"].source, 2);
  EXPECT_EQ(report->counts["experiments"].added, 2);
  EXPECT_EQ(report->counts["runs"].added, 2);
  EXPECT_EQ(report->counts["metric points"].added, 4);
  EXPECT_EQ(Count("SELECT experiment_id FROM runs WHERE run_uuid = 'r1'"), 5);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM experiment_tags WHERE experiment_id = 5"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE artifact_uri = "
                  "'mlflow-artifacts:/5/r1/artifacts'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE artifact_uri = 's3://bucket/r2'"), 1);
  // Latest by timestamp (Plinth's rule): the step-1 point at t=200.
  EXPECT_EQ(Count("SELECT step FROM latest_metrics l JOIN runs r ON r.run_key = l.run_key "
                  "WHERE r.run_uuid = 'r1' AND l.key = 'loss'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM metrics WHERE is_nan = 1"), 1);
}

TEST_F(ImporterTest, SecondImportAddsNothing) {
  ASSERT_TRUE(RunImport().ok());
  absl::StatusOr<ImportReport> again = RunImport();
  ASSERT_TRUE(again.ok()) << again.status();
  for (const auto& [kind, count] : again->counts) EXPECT_EQ(count.added, 0) << kind;
  EXPECT_EQ(again->counts["metric points"].source, 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM metrics"), 4);
}

TEST_F(ImporterTest, NameCollisionIsReportedAndSkipped) {
  // The table exists only after a first migration: import Default first.
  import_.experiments = {"Default"};
  ASSERT_TRUE(RunImport().ok());
  ASSERT_TRUE(target_
                  ->Write([](db::Session& s) {
                    return s
                        .Execute(
                            "INSERT INTO experiments (experiment_id, name, "
                            "artifact_location, lifecycle_stage, creation_time, "
                            "last_update_time, team) VALUES (9, 'exp', '', 'active', 0, 0, "
                            "'default')")
                        .status();
                  })
                  .ok());
  import_.experiments.clear();
  absl::StatusOr<ImportReport> report = RunImport();
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_NE(report->warnings[0].find("'exp'"), std::string::npos);
  EXPECT_EQ(report->counts["runs"].added, 0);
}

TEST_F(ImporterTest, UnknownExperimentNameIsAnError) {
  import_.experiments = {"nope"};
  absl::StatusOr<ImportReport> report = RunImport();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("no experiment named 'nope'"), std::string::npos);
}

TEST_F(ImporterTest, NotAnMlflowDatabaseIsAClearError) {
  std::ofstream(dir_ / "other.db") << "";
  auto source = OpenMlflowSource("sqlite:///" + (dir_ / "other.db").string());
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.status().message().find("not an MLflow tracking database"), std::string::npos);
  EXPECT_FALSE(OpenMlflowSource((dir_ / "missing").string()).ok());
}

TEST_F(ImporterTest, ReadsAnMlrunsFolder) {
  fs::path root = dir_ / "mlruns";
  fs::create_directories(root / "1" / "abc" / "metrics");
  fs::create_directories(root / "1" / "abc" / "params");
  fs::create_directories(root / "1" / "abc" / "artifacts");
  std::ofstream(root / "1" / "meta.yaml")
      << "artifact_location: file://" << (root / "1").string()
      << "\ncreation_time: 5\nexperiment_id: '1'\nlast_update_time: 6\nlifecycle_stage: "
         "active\nname: files\n";
  std::ofstream(root / "1" / "abc" / "meta.yaml")
      << "artifact_uri: file://" << (root / "1" / "abc" / "artifacts").string()
      << "\nend_time: 9\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: abc\nrun_name: "
         "r\nrun_uuid: abc\nstart_time: 7\nstatus: 3\ntags: []\nuser_id: u\n";
  std::ofstream(root / "1" / "abc" / "metrics" / "loss") << "100 0.5 0\n200 0.25 1\n";
  std::ofstream(root / "1" / "abc" / "params" / "lr") << "0.1";
  std::ofstream(root / "1" / "abc" / "artifacts" / "model.txt") << "weights";
  import_.source_uri = root.string();
  absl::StatusOr<ImportReport> report = RunImport();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->counts["metric points"].added, 2);
  EXPECT_EQ(report->counts["artifacts"].added, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM runs WHERE status = 'FINISHED' AND run_uuid = 'abc'"), 1);
  EXPECT_TRUE(fs::exists(dir_ / "artifacts" / "1" / "abc" / "artifacts" / "model.txt"));
}

}  // namespace
}  // namespace plinth::importer
