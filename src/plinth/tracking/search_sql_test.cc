#include "plinth/tracking/search_sql.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/migrations.h"
#include "plinth/tracking/tracking_schema.h"

namespace plinth::tracking {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::filesystem::path TempDatabaseDir(const std::string& name) {
  return std::filesystem::path(::testing::TempDir()) /
         absl::StrCat("search_sql_", name, "_", getpid());
}

std::unique_ptr<db::Database> OpenTempDatabase(const std::string& name) {
  std::filesystem::path dir = TempDatabaseDir(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  db::Options options;
  options.url = "sqlite";
  options.sqlite_path = (dir / "plinth.db").string();
  auto database = db::Database::Open(options);
  EXPECT_TRUE(database.ok()) << database.status();
  if (!database.ok()) return nullptr;
  absl::Status migrated = db::Migrate(**database, "tracking", TrackingMigrations());
  EXPECT_TRUE(migrated.ok()) << migrated;
  return std::move(*database);
}

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// A migrated tracking database on `backend`: a temporary SQLite file, or a
// schema of its own in PLINTH_TEST_POSTGRES_URL, dropped on destruction.
class TestDatabase {
 public:
  // nullptr when PostgreSQL is not configured; `skip` then says how to.
  static std::unique_ptr<TestDatabase> Open(Backend backend, const std::string& name,
                                            std::string* skip) {
    auto out = std::make_unique<TestDatabase>();
    if (backend == Backend::kSqlite) {
      out->db_ = OpenTempDatabase(name);
      out->dir_ = TempDatabaseDir(name);
      return out->db_ ? std::move(out) : nullptr;
    }
    const char* url = std::getenv("PLINTH_TEST_POSTGRES_URL");
    if (url == nullptr || *url == '\0') {
      *skip =
          "PostgreSQL tests need a server: run `scripts/services/postgres start` and "
          "`export PLINTH_TEST_POSTGRES_URL=$(scripts/services/postgres url)`";
      return nullptr;
    }
    db::Options options;
    options.url = url;
    options.read_connections = 1;
    auto admin = db::Database::Open(options);
    EXPECT_TRUE(admin.ok()) << admin.status();
    if (!admin.ok()) return nullptr;
    out->admin_ = std::move(*admin);
    out->schema_ = absl::StrCat("plinth_search_", name, "_", getpid(), "_", std::random_device()());
    absl::Status created = out->admin_->Write(
        [&](db::Session& s) { return s.Execute("CREATE SCHEMA " + out->schema_).status(); });
    EXPECT_TRUE(created.ok()) << created;
    options.url =
        absl::StrCat(url, absl::string_view(url).find('?') == absl::string_view::npos ? "?" : "&",
                     "options=-c%20search_path%3D", out->schema_);
    options.read_connections = 2;
    auto database = db::Database::Open(options);
    EXPECT_TRUE(database.ok()) << database.status();
    if (!database.ok()) return nullptr;
    out->db_ = std::move(*database);
    absl::Status migrated = db::Migrate(*out->db_, "tracking", TrackingMigrations());
    EXPECT_TRUE(migrated.ok()) << migrated;
    return out;
  }

  ~TestDatabase() {
    db_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (admin_) {
      absl::Status dropped = admin_->Write([&](db::Session& s) {
        return s.Execute("DROP SCHEMA " + schema_ + " CASCADE").status();
      });
      EXPECT_TRUE(dropped.ok()) << dropped;
    }
  }

  db::Database& db() { return *db_; }

 private:
  std::unique_ptr<db::Database> db_;
  std::filesystem::path dir_;  // SQLite
  std::unique_ptr<db::Database> admin_;
  std::string schema_;
};

// Opens the backend's database for a parameterized fixture, or skips (fails
// with PLINTH_REQUIRE_SERVICES=1) when PostgreSQL is not configured.
#define OPEN_TEST_DATABASE(holder, name)                                     \
  do {                                                                       \
    std::string skip;                                                        \
    holder = TestDatabase::Open(GetParam(), name, &skip);                    \
    if (holder == nullptr && !skip.empty()) {                                \
      const char* require = std::getenv("PLINTH_REQUIRE_SERVICES");          \
      if (require != nullptr && std::string(require) == "1") FAIL() << skip; \
      GTEST_SKIP() << skip;                                                  \
    }                                                                        \
    ASSERT_NE(holder, nullptr);                                              \
  } while (0)

// Runs `query` and returns the first column of every row.
std::vector<int64_t> RunQuery(db::Database& database, const SqlQuery& query) {
  std::vector<int64_t> keys;
  absl::Status status = database.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(query.sql, query.params));
    for (const db::Row& row : rows) keys.push_back(row.Int(0));
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status << "\n" << query.sql;
  return keys;
}

struct RunSpec {
  std::string uuid;
  int64_t experiment_id;
  std::string name;
  std::string user;
  std::string status;
  int64_t start_time;
  std::optional<int64_t> end_time;
  bool deleted = false;
};

// A small tracking database with hand-picked runs; searches return run uuids.
class RunSearchTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    OPEN_TEST_DATABASE(holder_, "runs");
    db_ = &holder_->db();
    Exec(
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time, team) VALUES (1, 'a', '', 'active', 0, 0, 't'), "
        "(2, 'b', '', 'active', 0, 0, 't')");
    AddRun({"r1", 1, "alpha", "alice", "FINISHED", 1000, 2000});
    AddRun({"r2", 1, "Beta", "bob", "RUNNING", 3000, std::nullopt});
    AddRun({"r3", 1, "gamma", "alice", "FAILED", 2000, 2500});
    AddRun({"r4", 1, "delta", "bob", "FINISHED", 4000, 4100, /*deleted=*/true});
    AddRun({"r5", 2, "alpha2", "carol", "FINISHED", 5000, 5100});
    AddRun({"r6", 1, "eps", "carol", "FINISHED", 3000, std::nullopt});
    AddRun({"r7", 1, "zeta", "dave", "KILLED", 500, std::nullopt});
    Metric("r1", "acc", 0.9);
    Metric("r1", "loss", 0.5);
    Metric("r2", "acc", 0.7);
    Metric("r2", "loss", 0, /*nan=*/true);
    Metric("r3", "acc", 0, /*nan=*/true);
    Metric("r4", "acc", 0.95);
    Metric("r5", "acc", 0.8);
    Metric("r6", "acc", 0.7);
    Param("r1", "lr", "0.01");
    Param("r1", "opt", "Adam");
    Param("r2", "lr", "0.1");
    Param("r3", "lr", "0.01");
    Param("r3", "opt", "sgd");
    Param("r4", "lr", "0.01");
    Param("r5", "lr", "0.001");
    Param("r6", "lr", "0.5");
    Tag("r1", "team", "Vision");
    Tag("r2", "team", "vision");
    Exec(
        "INSERT INTO datasets (dataset_id, experiment_id, name, digest, source_type, source, "
        "schema, profile) VALUES (1, 1, 'train', 'd1', 'local', '', '', ''), "
        "(2, 1, 'train', 'd2', 'local', '', '', ''), (3, 1, 'test', 'd3', 'local', '', '', '')");
    Input("r1", 1, "training");
    Input("r2", 2, "eval");
    Input("r2", 3, "training");
  }

  void Exec(const std::string& sql, std::vector<db::Value> params = {}) {
    absl::Status status =
        db_->Write([&](db::Session& s) { return s.Execute(sql, params).status(); });
    ASSERT_TRUE(status.ok()) << status << "\n" << sql;
  }

  void AddRun(const RunSpec& run) {
    int64_t key = static_cast<int64_t>(uuids_.size()) + 100;
    uuids_[key] = run.uuid;
    keys_[run.uuid] = key;
    db::Value end = run.end_time ? db::Value(*run.end_time) : db::Value();
    Exec(
        "INSERT INTO runs (run_key, run_uuid, experiment_id, name, user_id, status, start_time, "
        "end_time, lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {key, run.uuid, run.experiment_id, run.name, run.user, run.status, run.start_time, end,
         std::string(run.deleted ? "deleted" : "active"), absl::StrCat("file:///a/", run.uuid)});
  }
  void Metric(const std::string& run, const std::string& key, double value, bool nan = false) {
    Exec(
        "INSERT INTO latest_metrics (run_key, key, step, timestamp, value, is_nan) VALUES "
        "(?, ?, 0, 0, ?, ?)",
        {keys_[run], key, value, int64_t{nan ? 1 : 0}});
  }
  void Param(const std::string& run, const std::string& key, const std::string& value) {
    Exec("INSERT INTO params (run_key, key, value) VALUES (?, ?, ?)", {keys_[run], key, value});
  }
  void Tag(const std::string& run, const std::string& key, const std::string& value) {
    Exec("INSERT INTO tags (run_key, key, value) VALUES (?, ?, ?)", {keys_[run], key, value});
  }
  void Input(const std::string& run, int64_t dataset, const std::string& context) {
    Exec("INSERT INTO run_inputs (run_key, dataset_id, tags_json) VALUES (?, ?, ?)",
         {keys_[run], dataset,
          absl::StrCat(R"([{"key": "mlflow.data.context", "value": ")", context, R"("}])")});
  }

  absl::StatusOr<std::vector<std::string>> TrySearch(const std::string& filter,
                                                     const std::vector<std::string>& order_by,
                                                     RunSearch search) {
    ASSIGN_OR_RETURN(search.filter, ParseSearchFilter(filter));
    ASSIGN_OR_RETURN(search.order_by, ParseOrderByList(order_by, RunSearchSchema()));
    ASSIGN_OR_RETURN(SqlQuery query, BuildRunSearchSql(search, db_->dialect()));
    std::vector<std::string> out;
    for (int64_t key : RunQuery(*db_, query)) out.push_back(uuids_[key]);
    return out;
  }

  std::vector<std::string> Search(const std::string& filter,
                                  const std::vector<std::string>& order_by = {},
                                  std::vector<int64_t> experiments = {1},
                                  ViewType view = ViewType::kActiveOnly, int64_t limit = 100,
                                  int64_t offset = 0) {
    RunSearch search;
    search.experiment_ids = std::move(experiments);
    search.view = view;
    search.limit = limit;
    search.offset = offset;
    auto result = TrySearch(filter, order_by, search);
    EXPECT_TRUE(result.ok()) << filter << ": " << result.status();
    return result.ok() ? *result : std::vector<std::string>{};
  }

  std::unique_ptr<TestDatabase> holder_;
  db::Database* db_ = nullptr;
  std::map<int64_t, std::string> uuids_;
  std::map<std::string, int64_t> keys_;
};

TEST_P(RunSearchTest, DefaultOrderIsStartTimeDescThenRunId) {
  EXPECT_THAT(Search(""), ElementsAre("r2", "r6", "r3", "r1", "r7"));
}

TEST_P(RunSearchTest, ExperimentsAndViewTypes) {
  EXPECT_THAT(Search("", {}, {1, 2}), ElementsAre("r5", "r2", "r6", "r3", "r1", "r7"));
  EXPECT_THAT(Search("", {}, {2}), ElementsAre("r5"));
  EXPECT_THAT(Search("", {}, {1}, ViewType::kDeletedOnly), ElementsAre("r4"));
  EXPECT_THAT(Search("", {}, {1}, ViewType::kAll), ElementsAre("r4", "r2", "r6", "r3", "r1", "r7"));
  EXPECT_THAT(Search("", {}, {}), IsEmpty());
  EXPECT_THAT(Search("", {}, {99}), IsEmpty());
}

TEST_P(RunSearchTest, MetricFilters) {
  EXPECT_THAT(Search("metrics.acc > 0.75"), ElementsAre("r1"));
  EXPECT_THAT(Search("metrics.acc > 0.75", {}, {1, 2}), ElementsAre("r5", "r1"));
  EXPECT_THAT(Search("metrics.acc > 0.75", {}, {1}, ViewType::kAll), ElementsAre("r4", "r1"));
  EXPECT_THAT(Search("metrics.acc = 0.7"), ElementsAre("r2", "r6"));
  // NaN matches no comparison; runs without the metric never match, not even !=.
  EXPECT_THAT(Search("metrics.acc != 0.7"), ElementsAre("r1"));
  EXPECT_THAT(Search("metrics.loss < 1"), ElementsAre("r1"));
  EXPECT_THAT(Search("metrics.acc <= 0"), IsEmpty());
  EXPECT_THAT(Search("metrics.acc > 0.6 AND metrics.acc < 0.8"), ElementsAre("r2", "r6"));
  EXPECT_THAT(Search("metrics.acc >= 0.7 and metrics.loss >= 0"), ElementsAre("r1"));
}

TEST_P(RunSearchTest, ParamAndTagFilters) {
  EXPECT_THAT(Search("params.lr = '0.01'"), ElementsAre("r3", "r1"));
  // != matches runs that have the param with another value.
  EXPECT_THAT(Search("params.opt != 'Adam'"), ElementsAre("r3"));
  // LIKE is case-sensitive, ILIKE is not.
  EXPECT_THAT(Search("params.opt LIKE 'a%'"), IsEmpty());
  EXPECT_THAT(Search("params.opt LIKE 'A%'"), ElementsAre("r1"));
  EXPECT_THAT(Search("params.opt ILIKE 'a%'"), ElementsAre("r1"));
  EXPECT_THAT(Search("params.opt ILIKE '%G%'"), ElementsAre("r3"));
  EXPECT_THAT(Search("tags.team = 'vision'"), ElementsAre("r2"));
  EXPECT_THAT(Search("tags.team ILIKE 'VISION'"), ElementsAre("r2", "r1"));
  EXPECT_THAT(Search("params.lr = '0.01' AND tags.team LIKE 'V%'"), ElementsAre("r1"));
  EXPECT_THAT(Search("params.lr = '0.01' AND params.opt = 'sgd'"), ElementsAre("r3"));
}

// A backslash escapes % and _ in LIKE patterns, as PostgreSQL (and the
// registry's searches) read them, on both databases (issue 9).
TEST_P(RunSearchTest, BackslashEscapesLikeWildcards) {
  Tag("r1", "code", "a_b");
  Tag("r2", "code", "axb");
  Tag("r3", "code", "50%");
  EXPECT_THAT(Search("tags.code LIKE 'a_b'"), ElementsAre("r2", "r1"));
  EXPECT_THAT(Search("tags.code LIKE 'a\\_b'"), ElementsAre("r1"));
  EXPECT_THAT(Search("tags.code ILIKE 'A\\_B'"), ElementsAre("r1"));
  EXPECT_THAT(Search("tags.code LIKE '50\\%'"), ElementsAre("r3"));
}

TEST_P(RunSearchTest, AttributeFilters) {
  EXPECT_THAT(Search("run_name LIKE 'a%'"), ElementsAre("r1"));
  EXPECT_THAT(Search("run_name LIKE 'b%'"), IsEmpty());
  EXPECT_THAT(Search("attributes.run_name ILIKE 'b%'"), ElementsAre("r2"));
  EXPECT_THAT(Search("run_name = 'Beta'"), ElementsAre("r2"));
  EXPECT_THAT(Search("status = 'FINISHED'"), ElementsAre("r6", "r1"));
  EXPECT_THAT(Search("status != 'FINISHED'"), ElementsAre("r2", "r3", "r7"));
  EXPECT_THAT(Search("user_id = 'alice' AND start_time > 1500"), ElementsAre("r3"));
  EXPECT_THAT(Search("created >= 3000"), ElementsAre("r2", "r6"));
  EXPECT_THAT(Search("end_time < 2400"), ElementsAre("r1"));
  EXPECT_THAT(Search("artifact_uri LIKE '%/r3'"), ElementsAre("r3"));
  EXPECT_THAT(Search("lifecycle_stage = 'deleted'", {}, {1}, ViewType::kAll), ElementsAre("r4"));
  EXPECT_THAT(Search("run_id = 'r6'"), ElementsAre("r6"));
  EXPECT_THAT(Search("run_id IN ('r1', 'r3', 'r5')"), ElementsAre("r3", "r1"));
  EXPECT_THAT(Search("run_id NOT IN ('r2', 'r7')"), ElementsAre("r6", "r3", "r1"));
}

TEST_P(RunSearchTest, DatasetFilters) {
  EXPECT_THAT(Search("datasets.name = 'train'"), ElementsAre("r2", "r1"));
  EXPECT_THAT(Search("datasets.digest IN ('d2', 'd3')"), ElementsAre("r2"));
  EXPECT_THAT(Search("datasets.context = 'training'"), ElementsAre("r2", "r1"));
  // All dataset clauses must hold for the same input: r2's "train" is for eval.
  EXPECT_THAT(Search("datasets.name = 'train' AND datasets.context = 'training'"),
              ElementsAre("r1"));
  EXPECT_THAT(Search("datasets.name = 'test' AND datasets.context = 'training'"),
              ElementsAre("r2"));
  EXPECT_THAT(Search("datasets.name LIKE 'te%' AND params.lr = '0.01'"), IsEmpty());
}

TEST_P(RunSearchTest, OrderByMetricPutsNaNThenMissingLast) {
  EXPECT_THAT(Search("", {"metrics.acc DESC"}), ElementsAre("r1", "r2", "r6", "r3", "r7"));
  EXPECT_THAT(Search("", {"metrics.acc"}), ElementsAre("r2", "r6", "r1", "r3", "r7"));
  EXPECT_THAT(Search("", {"metrics.loss DESC"}), ElementsAre("r1", "r2", "r6", "r3", "r7"));
}

TEST_P(RunSearchTest, OrderByFilteredMetric) {
  EXPECT_THAT(Search("metrics.acc >= 0.7", {"metrics.acc DESC"}), ElementsAre("r1", "r2", "r6"));
  EXPECT_THAT(Search("metrics.acc >= 0.7", {"metrics.acc ASC"}), ElementsAre("r2", "r6", "r1"));
}

TEST_P(RunSearchTest, OrderByParamsTagsAndAttributes) {
  EXPECT_THAT(Search("", {"params.lr ASC"}), ElementsAre("r3", "r1", "r2", "r6", "r7"));
  EXPECT_THAT(Search("", {"params.lr DESC"}), ElementsAre("r6", "r2", "r3", "r1", "r7"));
  EXPECT_THAT(Search("", {"tags.team DESC"}), ElementsAre("r2", "r1", "r6", "r3", "r7"));
  EXPECT_THAT(Search("", {"start_time ASC"}), ElementsAre("r7", "r1", "r3", "r2", "r6"));
  EXPECT_THAT(Search("", {"end_time DESC"}), ElementsAre("r3", "r1", "r2", "r6", "r7"));
  EXPECT_THAT(Search("", {"end_time ASC"}), ElementsAre("r1", "r3", "r2", "r6", "r7"));
  EXPECT_THAT(Search("", {"run_name"}), ElementsAre("r2", "r1", "r6", "r3", "r7"));
  EXPECT_THAT(Search("", {"run_id DESC"}), ElementsAre("r7", "r6", "r3", "r2", "r1"));
  EXPECT_THAT(Search("", {"params.opt DESC", "metrics.acc DESC"}),
              ElementsAre("r3", "r1", "r2", "r6", "r7"));
}

TEST_P(RunSearchTest, Pagination) {
  EXPECT_THAT(Search("", {}, {1}, ViewType::kActiveOnly, 2, 0), ElementsAre("r2", "r6"));
  EXPECT_THAT(Search("", {}, {1}, ViewType::kActiveOnly, 2, 2), ElementsAre("r3", "r1"));
  EXPECT_THAT(Search("", {}, {1}, ViewType::kActiveOnly, 2, 4), ElementsAre("r7"));
  EXPECT_THAT(Search("", {}, {1}, ViewType::kActiveOnly, 2, 5), IsEmpty());
  EXPECT_THAT(Search("", {"metrics.acc DESC"}, {1}, ViewType::kActiveOnly, 2, 3),
              ElementsAre("r3", "r7"));
}

TEST_P(RunSearchTest, UserStringsAreBoundNotSpliced) {
  std::string hostile = "x' OR '1'='1";
  EXPECT_THAT(Search(absl::StrCat("params.opt = \"", hostile, "\"")), IsEmpty());
  EXPECT_THAT(Search("tags.\"team'; DROP TABLE runs; --\" = 'x'"), IsEmpty());
  EXPECT_THAT(Search("run_name = 'zeta'"), ElementsAre("r7"));
  RunSearch search;
  search.experiment_ids = {1};
  auto parsed = ParseSearchFilter(absl::StrCat("params.opt = \"", hostile, "\""));
  ASSERT_TRUE(parsed.ok());
  search.filter = *parsed;
  auto query = BuildRunSearchSql(search, db::Dialect::kSqlite);
  ASSERT_TRUE(query.ok());
  EXPECT_THAT(query->sql, ::testing::Not(HasSubstr("OR '1'")));
}

TEST_P(RunSearchTest, BuilderRejectsBadInput) {
  RunSearch search;
  search.experiment_ids = {1};
  search.limit = -1;
  EXPECT_FALSE(BuildRunSearchSql(search, db::Dialect::kSqlite).ok());
  search.limit = 10;
  search.filter = {{EntityType::kAttribute, "bogus", "=", std::string("x"), 0}};
  EXPECT_THAT(std::string(BuildRunSearchSql(search, db::Dialect::kSqlite).status().message()),
              HasSubstr("cannot filter runs by attribute 'bogus'"));
  search.filter = {{EntityType::kAttribute, "run_id", "IN", std::string("x"), 0}};
  EXPECT_FALSE(BuildRunSearchSql(search, db::Dialect::kSqlite).ok());
}

class ExperimentSearchTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    OPEN_TEST_DATABASE(holder_, "experiments");
    db_ = &holder_->db();
    Exec(
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time, team) VALUES "
        "(1, 'exp-a', '', 'active', 100, 500, 'ml'), (2, 'exp-b', '', 'active', 300, 400, 'cv'), "
        "(3, 'Other', '', 'deleted', 200, 200, 'ml'), (4, 'exp-c', '', 'active', 300, 300, 'ml')");
    Exec(
        "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (1, 'owner', 'alice'), "
        "(2, 'owner', 'bob'), (4, 'stage', 'prod')");
  }

  void Exec(const std::string& sql) {
    absl::Status status = db_->Write([&](db::Session& s) { return s.Execute(sql).status(); });
    ASSERT_TRUE(status.ok()) << status;
  }

  std::vector<int64_t> Search(const std::string& filter,
                              const std::vector<std::string>& order_by = {},
                              ViewType view = ViewType::kActiveOnly,
                              std::vector<std::string> teams = {}, int64_t limit = 100,
                              int64_t offset = 0) {
    ExperimentSearch search;
    search.view = view;
    search.teams = std::move(teams);
    search.limit = limit;
    search.offset = offset;
    auto filter_parsed = ParseSearchFilter(filter, ExperimentSearchSchema());
    EXPECT_TRUE(filter_parsed.ok()) << filter_parsed.status();
    auto order_parsed = ParseOrderByList(order_by, ExperimentSearchSchema());
    EXPECT_TRUE(order_parsed.ok()) << order_parsed.status();
    if (!filter_parsed.ok() || !order_parsed.ok()) return {};
    search.filter = *filter_parsed;
    search.order_by = *order_parsed;
    auto query = BuildExperimentSearchSql(search, db_->dialect());
    EXPECT_TRUE(query.ok()) << query.status();
    return query.ok() ? RunQuery(*db_, *query) : std::vector<int64_t>{};
  }

  std::unique_ptr<TestDatabase> holder_;
  db::Database* db_ = nullptr;
};

TEST_P(ExperimentSearchTest, DefaultOrderIsCreationTimeDescThenId) {
  EXPECT_THAT(Search(""), ElementsAre(2, 4, 1));
  EXPECT_THAT(Search("", {}, ViewType::kAll), ElementsAre(2, 4, 3, 1));
  EXPECT_THAT(Search("", {}, ViewType::kDeletedOnly), ElementsAre(3));
}

TEST_P(ExperimentSearchTest, TeamsLimitVisibility) {
  EXPECT_THAT(Search("", {}, ViewType::kActiveOnly, {"ml"}), ElementsAre(4, 1));
  EXPECT_THAT(Search("", {}, ViewType::kAll, {"ml", "cv"}), ElementsAre(2, 4, 3, 1));
  EXPECT_THAT(Search("", {}, ViewType::kAll, {"nobody"}), IsEmpty());
}

TEST_P(ExperimentSearchTest, Filters) {
  EXPECT_THAT(Search("name LIKE 'exp-%'"), ElementsAre(2, 4, 1));
  EXPECT_THAT(Search("name = 'exp-b'"), ElementsAre(2));
  EXPECT_THAT(Search("name != 'exp-b'"), ElementsAre(4, 1));
  EXPECT_THAT(Search("name LIKE 'other'", {}, ViewType::kAll), IsEmpty());
  EXPECT_THAT(Search("name ILIKE 'other'", {}, ViewType::kAll), ElementsAre(3));
  EXPECT_THAT(Search("tags.owner = 'alice'"), ElementsAre(1));
  EXPECT_THAT(Search("tags.owner != 'alice'"), ElementsAre(2));
  EXPECT_THAT(Search("tags.owner LIKE '%o%' AND tags.owner ILIKE 'B%'"), ElementsAre(2));
  EXPECT_THAT(Search("creation_time > 150"), ElementsAre(2, 4));
  EXPECT_THAT(Search("attributes.last_update_time <= 400 AND creation_time >= 300"),
              ElementsAre(2, 4));
}

TEST_P(ExperimentSearchTest, OrderByAndPagination) {
  EXPECT_THAT(Search("", {"name DESC"}), ElementsAre(4, 2, 1));
  // MLflow breaks ties by experiment_id DESC when order_by is given.
  EXPECT_THAT(Search("", {"creation_time ASC"}), ElementsAre(1, 4, 2));
  EXPECT_THAT(Search("", {"creation_time ASC", "experiment_id ASC"}), ElementsAre(1, 2, 4));
  EXPECT_THAT(Search("", {"last_update_time DESC"}, ViewType::kActiveOnly, {}, 1, 1),
              ElementsAre(2));
  EXPECT_THAT(Search("", {"experiment_id"}), ElementsAre(1, 2, 4));
}

TEST(SearchSqlTest, PostgresDialectUsesIlikeAndJsonb) {
  RunSearch search;
  search.experiment_ids = {1, 2};
  search.filter = *ParseSearchFilter(
      "params.a ILIKE '%x%' AND run_name ILIKE 'y' AND datasets.context = 'c' AND "
      "start_time > 5");
  search.order_by = {*ParseOrderBy("metrics.m DESC")};
  auto query = BuildRunSearchSql(search, db::Dialect::kPostgres);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_THAT(query->sql, HasSubstr("f0.value ILIKE ?"));
  EXPECT_THAT(query->sql, HasSubstr("runs.name ILIKE ?"));
  EXPECT_THAT(query->sql, HasSubstr("jsonb_array_elements"));
  EXPECT_THAT(query->sql, ::testing::Not(HasSubstr("LOWER(")));
  // PostgreSQL gets the single-query form for a leading metric order.
  EXPECT_THAT(query->sql, ::testing::Not(HasSubstr("UNION ALL")));
  EXPECT_THAT(query->sql, HasSubstr("CASE WHEN o1.value IS NULL THEN 2 WHEN o1.is_nan = 1"));
  // Text orders byte-wise whatever the database's locale.
  EXPECT_THAT(query->sql, HasSubstr("runs.run_uuid COLLATE \"C\" ASC"));
  size_t placeholders = std::count(query->sql.begin(), query->sql.end(), '?');
  EXPECT_EQ(placeholders, query->params.size());
  // Integral numbers compare with BIGINT columns as integers.
  EXPECT_TRUE(std::find(query->params.begin(), query->params.end(), db::Value(int64_t{5})) !=
              query->params.end());
}

TEST(SearchSqlTest, ParseViewType) {
  EXPECT_EQ(*ParseViewType(""), ViewType::kActiveOnly);
  EXPECT_EQ(*ParseViewType("ACTIVE_ONLY"), ViewType::kActiveOnly);
  EXPECT_EQ(*ParseViewType("deleted_only"), ViewType::kDeletedOnly);
  EXPECT_EQ(*ParseViewType("ALL"), ViewType::kAll);
  EXPECT_EQ(*ParseViewType("1"), ViewType::kActiveOnly);
  EXPECT_EQ(*ParseViewType("2"), ViewType::kDeletedOnly);
  EXPECT_EQ(*ParseViewType("3"), ViewType::kAll);
  auto bad = ParseViewType("SOME");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("ACTIVE_ONLY, DELETED_ONLY or ALL"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunSearchTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, ExperimentSearchTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

// The benchmark's query (bench: 100k runs x 20 metrics x 20 params, <= 100 ms
// on SQLite) on a smaller database: checks the result against a brute-force
// computation and prints the time and the query plan. Set
// PLINTH_SEARCH_TEST_RUNS=100000 to run it at the benchmark's size.
TEST(SearchSqlScaleTest, MetricAndParamFilterOrderedByMetric) {
  int runs = 20000;
  if (const char* env = std::getenv("PLINTH_SEARCH_TEST_RUNS")) runs = std::atoi(env);
  constexpr int kMetrics = 20;
  constexpr int kParams = 20;
  std::string skip;
  std::unique_ptr<TestDatabase> holder = TestDatabase::Open(Backend::kSqlite, "scale", &skip);
  ASSERT_NE(holder, nullptr);
  db::Database* database = &holder->db();
  const std::vector<std::string> kRates = {"0.1", "0.01", "0.001", "0.0001"};

  struct Run {
    int64_t key;
    std::string uuid;
    int64_t start_time;
    bool active;
    std::optional<double> acc;  // nullopt: missing; NaN: logged NaN
    std::string lr;
  };
  std::vector<Run> data;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0, 1);
  auto start = std::chrono::steady_clock::now();
  absl::Status status = database->Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto ignored,
                     s.Execute("INSERT INTO experiments (experiment_id, name, artifact_location, "
                               "lifecycle_stage, creation_time, last_update_time, team) VALUES "
                               "(1, 'bench', '', 'active', 0, 0, 't')"));
    (void)ignored;
    // Multi-row INSERTs keep the per-statement overhead out of the setup time.
    constexpr int kBatch = 50;
    for (int first = 0; first < runs; first += kBatch) {
      int last = std::min(runs, first + kBatch);
      std::string run_sql =
          "INSERT INTO runs (run_key, run_uuid, experiment_id, name, user_id, status, "
          "start_time, lifecycle_stage, artifact_uri) VALUES ";
      std::string metric_sql =
          "INSERT INTO latest_metrics (run_key, key, step, timestamp, value, is_nan) VALUES ";
      std::string param_sql = "INSERT INTO params (run_key, key, value) VALUES ";
      std::vector<db::Value> run_params, metric_params, param_params;
      for (int i = first; i < last; ++i) {
        Run run;
        run.key = i + 1;
        run.uuid = absl::StrFormat("%016x%08x", rng(), i);
        run.start_time = 1700000000000 + static_cast<int64_t>(rng() % 100000000);
        run.active = unit(rng) >= 0.02;
        double roll = unit(rng);
        if (roll < 0.01) {
          run.acc = std::nan("");
        } else if (roll < 0.05) {
          run.acc = std::nullopt;
        } else {
          run.acc = unit(rng);
        }
        run.lr = kRates[rng() % kRates.size()];
        absl::StrAppend(&run_sql, i == first ? "" : ", ",
                        "(?, ?, 1, 'n', 'u', 'FINISHED', ?, ?, 'a')");
        run_params.insert(run_params.end(), {run.key, run.uuid, run.start_time,
                                             std::string(run.active ? "active" : "deleted")});
        for (int m = 0; m < kMetrics; ++m) {
          if (m == 0 && !run.acc) continue;
          bool nan = m == 0 && std::isnan(*run.acc);
          double value = m == 0 ? (nan ? 0 : *run.acc) : unit(rng);
          absl::StrAppend(&metric_sql, metric_params.empty() ? "" : ", ", "(?, ?, 0, 0, ?, ?)");
          metric_params.insert(metric_params.end(),
                               {run.key, m == 0 ? std::string("acc") : absl::StrCat("m", m), value,
                                int64_t{nan ? 1 : 0}});
        }
        for (int p = 0; p < kParams; ++p) {
          absl::StrAppend(&param_sql, param_params.empty() ? "" : ", ", "(?, ?, ?)");
          param_params.insert(param_params.end(),
                              {run.key, p == 0 ? std::string("lr") : absl::StrCat("p", p),
                               p == 0 ? run.lr : absl::StrCat(rng() % 1000)});
        }
        data.push_back(std::move(run));
      }
      RETURN_IF_ERROR(s.Execute(run_sql, run_params).status());
      RETURN_IF_ERROR(s.Execute(metric_sql, metric_params).status());
      RETURN_IF_ERROR(s.Execute(param_sql, param_params).status());
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  auto loaded = std::chrono::steady_clock::now();

  std::printf("loaded %d runs x %d metrics x %d params in %.0f ms\n", runs, kMetrics, kParams,
              std::chrono::duration<double, std::milli>(loaded - start).count());

  // The reference order for "metrics.acc DESC": values, then NaN, then
  // missing; then start_time DESC, run_uuid ASC.
  auto group = [](const Run& r) { return !r.acc ? 2 : std::isnan(*r.acc) ? 1 : 0; };
  auto before = [&](const Run* a, const Run* b) {
    if (group(*a) != group(*b)) return group(*a) < group(*b);
    if (group(*a) == 0 && *a->acc != *b->acc) return *a->acc > *b->acc;
    if (a->start_time != b->start_time) return a->start_time > b->start_time;
    return a->uuid < b->uuid;
  };
  auto check = [&](const std::string& filter, int64_t offset,
                   const std::function<bool(const Run&)>& keep) {
    std::vector<const Run*> matching;
    for (const Run& run : data) {
      if (run.active && keep(run)) matching.push_back(&run);
    }
    std::sort(matching.begin(), matching.end(), before);
    std::vector<int64_t> expected;
    for (size_t i = offset; i < matching.size() && i < static_cast<size_t>(offset) + 100; ++i) {
      expected.push_back(matching[i]->key);
    }

    RunSearch search;
    search.experiment_ids = {1};
    search.filter = *ParseSearchFilter(filter);
    search.order_by = {*ParseOrderBy("metrics.acc DESC")};
    search.limit = 100;
    search.offset = offset;
    auto query = BuildRunSearchSql(search, db::Dialect::kSqlite);
    ASSERT_TRUE(query.ok()) << query.status();
    std::vector<double> millis;
    for (int i = 0; i < 5; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<int64_t> keys = RunQuery(*database, *query);
      millis.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      ASSERT_EQ(keys, expected) << filter << " offset " << offset;
    }
    std::sort(millis.begin(), millis.end());
    std::string plan;
    absl::Status explained = database->Read([&](db::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(auto rows, s.Query("EXPLAIN QUERY PLAN " + query->sql, query->params));
      for (const db::Row& row : rows) absl::StrAppend(&plan, "  ", row.Str(row.size() - 1), "\n");
      return absl::OkStatus();
    });
    ASSERT_TRUE(explained.ok()) << explained;
    std::printf(
        "\nfilter \"%s\" order_by metrics.acc DESC offset %lld: %zu of %zu matches, median %.2f "
        "ms (min %.2f, max %.2f)\nSQL: %s\nplan:\n%s",
        filter.c_str(), static_cast<long long>(offset), expected.size(), matching.size(),
        millis[millis.size() / 2], millis.front(), millis.back(), query->sql.c_str(), plan.c_str());
  };

  auto has_acc = [](const Run& r) { return r.acc && !std::isnan(*r.acc); };
  // The benchmark's query.
  check("metrics.acc > 0.9 and params.lr = '0.01'", 0,
        [&](const Run& r) { return has_acc(r) && *r.acc > 0.9 && r.lr == "0.01"; });
  // Sorting by a metric nobody filtered on, first page and a page that
  // reaches into the NaN and missing runs.
  check("", 0, [](const Run&) { return true; });
  int64_t active = std::count_if(data.begin(), data.end(), [](const Run& r) { return r.active; });
  int64_t with_value =
      std::count_if(data.begin(), data.end(), [&](const Run& r) { return r.active && has_acc(r); });
  check("", with_value - 50, [](const Run&) { return true; });
  EXPECT_GT(active - with_value, 100);
  check("params.lr = '0.01'", 0, [](const Run& r) { return r.lr == "0.01"; });
}

}  // namespace
}  // namespace plinth::tracking
