// `plinth import mlflow` from an MLflow SQLite store: builds a store with
// MLflow's schema (runs x params x metrics x points per metric), then
// measures, in the same run,
//   - the baseline: a plain sqlite3 scan of the source's metrics table (the
//     rows the import must read: the limit of any importer), and
//   - the real `plinth import mlflow` command into a fresh home,
// and prints both rates in metric points per second and their ratio.
// Flags: --runs --params --metrics --points (defaults: the issue's full size,
// 100000 x 20 x 20 x 100 = 200M points; the smoke test uses a toy size),
// --keep to keep the folder.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "bench/bench_common.h"

namespace plinth::bench {
namespace {

// The metric, param and tag tables of MLflow 2.x on SQLite, as its
// migrations leave them (mlflow/mlflow tests/resources/db/latest_schema.sql).
constexpr char kSchema[] = R"sql(
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE experiments (experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT, CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name));
CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250), source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER, deleted_time BIGINT, CONSTRAINT run_pk PRIMARY KEY (run_uuid));
CREATE TABLE metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL, CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan), CHECK (is_nan IN (0, 1)));
CREATE TABLE latest_metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT, step BIGINT NOT NULL, is_nan BOOLEAN NOT NULL, run_uuid VARCHAR(32) NOT NULL, CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid));
CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL, run_uuid VARCHAR(32) NOT NULL, CONSTRAINT param_pk PRIMARY KEY (key, run_uuid));
CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), run_uuid VARCHAR(32) NOT NULL, CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid));
INSERT INTO alembic_version VALUES ('867495a8f9d4');
INSERT INTO experiments VALUES (0, 'Default', '/tmp/none', 'active', 0, 0);
)sql";

void Exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Die("sqlite: " + std::string(err ? err : "?") + " in " + sql.substr(0, 80));
  }
}

sqlite3_stmt* Prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  Check(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK, sqlite3_errmsg(db));
  return stmt;
}

void Step(sqlite3* db, sqlite3_stmt* stmt) {
  Check(sqlite3_step(stmt) == SQLITE_DONE, sqlite3_errmsg(db));
  sqlite3_reset(stmt);
}

// Rows in the order MLflow writes them: run by run, each log-batch of all
// metrics at one step.
void BuildStore(const std::string& path, int64_t runs, int64_t params, int64_t metrics,
                int64_t points) {
  sqlite3* db = nullptr;
  Check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "cannot create " + path);
  Exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000");
  Exec(db, kSchema);
  Exec(db, "BEGIN");
  sqlite3_stmt* run = Prepare(db,
                              "INSERT INTO runs (run_uuid, name, source_type, user_id, status, "
                              "start_time, end_time, lifecycle_stage, artifact_uri, experiment_id) "
                              "VALUES (?, ?, 'LOCAL', 'bench', 'FINISHED', ?, ?, 'active', "
                              "'/tmp/none', 0)");
  sqlite3_stmt* param = Prepare(db, "INSERT INTO params VALUES (?, ?, ?)");
  sqlite3_stmt* metric = Prepare(db, "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, 0)");
  sqlite3_stmt* latest = Prepare(db, "INSERT INTO latest_metrics VALUES (?, ?, ?, ?, 0, ?)");
  std::vector<std::string> param_keys, metric_keys;
  for (int64_t k = 0; k < params; ++k) param_keys.push_back("param_" + std::to_string(k));
  for (int64_t k = 0; k < metrics; ++k) metric_keys.push_back("metric_" + std::to_string(k));
  char id[40];
  for (int64_t r = 0; r < runs; ++r) {
    std::snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(r * 2654435761u + 1));
    sqlite3_bind_text(run, 1, id, 32, SQLITE_STATIC);
    sqlite3_bind_text(run, 2, ("run-" + std::to_string(r)).c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(run, 3, 1700000000000 + r);
    sqlite3_bind_int64(run, 4, 1700000000000 + r + points);
    Step(db, run);
    for (const std::string& k : param_keys) {
      sqlite3_bind_text(param, 1, k.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(param, 2, std::to_string(r % 97).c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(param, 3, id, 32, SQLITE_STATIC);
      Step(db, param);
    }
    for (int64_t s = 0; s < points; ++s) {
      for (const std::string& k : metric_keys) {
        sqlite3_bind_text(metric, 1, k.c_str(), -1, SQLITE_STATIC);
        sqlite3_bind_double(metric, 2, 1.0 / (1 + s + r % 7));
        sqlite3_bind_int64(metric, 3, 1700000000000 + r + s);
        sqlite3_bind_text(metric, 4, id, 32, SQLITE_STATIC);
        sqlite3_bind_int64(metric, 5, s);
        Step(db, metric);
      }
    }
    for (const std::string& k : metric_keys) {
      sqlite3_bind_text(latest, 1, k.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_double(latest, 2, 1.0 / (points + r % 7));
      sqlite3_bind_int64(latest, 3, 1700000000000 + r + points - 1);
      sqlite3_bind_int64(latest, 4, points - 1);
      sqlite3_bind_text(latest, 5, id, 32, SQLITE_STATIC);
      Step(db, latest);
    }
  }
  for (sqlite3_stmt* s : {run, param, metric, latest}) sqlite3_finalize(s);
  Exec(db, "COMMIT");
  sqlite3_close(db);
}

// The baseline: every metric row read once through sqlite3, as the import's
// scan reads it. Returns the number of rows.
int64_t ScanMetrics(const std::string& path) {
  sqlite3* db = nullptr;
  Check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK,
        "cannot open " + path);
  sqlite3_stmt* stmt =
      Prepare(db, "SELECT run_uuid, key, step, timestamp, value, is_nan FROM metrics");
  int64_t rows = 0;
  size_t bytes = 0;
  double sum = 0;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    bytes += sqlite3_column_bytes(stmt, 0) + sqlite3_column_bytes(stmt, 1);
    sum += sqlite3_column_double(stmt, 4) + sqlite3_column_int64(stmt, 2) +
           sqlite3_column_int64(stmt, 3) + sqlite3_column_int64(stmt, 5);
    ++rows;
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  Check(bytes > 0 && sum != 0, "empty scan");
  return rows;
}

int64_t CountRows(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  Check(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK,
        "cannot open " + path);
  sqlite3_stmt* stmt = Prepare(db, sql);
  Check(sqlite3_step(stmt) == SQLITE_ROW, sqlite3_errmsg(db));
  int64_t n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

void RunImport(const std::string& plinth, const std::string& source, const std::string& home,
               const std::string& log) {
  pid_t pid = fork();
  Check(pid >= 0, "fork failed");
  if (pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    (void)out;
    dup2(fileno(stdout), STDERR_FILENO);
    execl(plinth.c_str(), plinth.c_str(), "import", "mlflow", "--quiet", "--from",
          ("sqlite:///" + source).c_str(), "--home", home.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  Check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "plinth import failed; see " + log);
}

}  // namespace
}  // namespace plinth::bench

int main(int argc, char** argv) {
  using namespace plinth::bench;
  Flags flags(argc, argv);
  std::string plinth = PlinthBinary(flags);
  int64_t runs = flags.Int("runs", 100000);
  int64_t params = flags.Int("params", 20);
  int64_t metrics = flags.Int("metrics", 20);
  int64_t points = flags.Int("points", 100);
  bool keep = flags.Bool("keep", false);
  flags.CheckAllUsed();
  int64_t total = runs * metrics * points;

  TempDir dir("plinth-import-bench", keep);
  std::string source = dir.path() + "/mlflow.db";
  double t0 = Now();
  BuildStore(source, runs, params, metrics, points);
  std::printf(
      "import: MLflow SQLite store of %lld runs x %lld params x %lld metrics x %lld points "
      "= %lld metric points (built in %.1f s)\n",
      static_cast<long long>(runs), static_cast<long long>(params), static_cast<long long>(metrics),
      static_cast<long long>(points), static_cast<long long>(total), Now() - t0);

  t0 = Now();
  int64_t scanned = ScanMetrics(source);
  double scan_s = Now() - t0;
  Check(scanned == total, "the scan read " + std::to_string(scanned) + " rows");

  std::string home = dir.path() + "/home";
  t0 = Now();
  RunImport(plinth, source, home, dir.path() + "/import.log");
  double import_s = Now() - t0;
  std::string target = home + "/plinth.db";
  Check(CountRows(target, "SELECT COUNT(*) FROM metrics") == total, "metric points missing");
  Check(CountRows(target, "SELECT COUNT(*) FROM runs") == runs, "runs missing");
  Check(CountRows(target, "SELECT COUNT(*) FROM params") == runs * params, "params missing");
  Check(CountRows(target, "SELECT COUNT(*) FROM latest_metrics") == runs * metrics,
        "latest metrics missing");

  double scan_rate = total / scan_s, import_rate = total / import_s;
  std::printf("  raw sqlite3 scan of the source metrics: %10.0f points/s (%.2f s)\n", scan_rate,
              scan_s);
  std::printf("  plinth import mlflow (whole command):   %10.0f points/s (%.2f s)\n", import_rate,
              import_s);
  std::printf("  ratio import/scan: %.3f\n", import_rate / scan_rate);
  return 0;
}
