// Search benchmark: 100,000 runs x 20 metrics x 20 params in one
// experiment; POST runs/search with
//   filter "metrics.acc > 0.9 and params.lr = '0.01'", order_by
//   ["metrics.acc DESC"], max_results 100
// over loopback HTTP to `plinth server`. Baseline in the same run: the same
// SQL (tracking::BuildRunSearchSql) executed through SQLite's C API plus
// loading the 100 runs (info, latest metrics, params, tags, inputs) with the
// queries TrackingStore uses; TrackingStore::SearchRuns in-process shows the
// store's share.
//
// Data: the experiment is created through TrackingStore; runs, tags,
// params, latest_metrics and one history point per metric are inserted with
// direct SQL into the store's schema (the CreateRun/LogBatch path would take
// many minutes at this size). acc is uniform in [0, 1) (10% above 0.9) and
// lr one of 0.1/0.01/0.001/0.0001 (25% '0.01'): about 2.5% of runs match.
#include <cinttypes>
#include <cstdio>
#include <random>

#include "bench/bench_common.h"
#include "bench/mlflow_setup.h"
#include "nlohmann/json.hpp"
#include "plinth/tracking/search_filter.h"
#include "plinth/tracking/search_sql.h"

namespace plinth::bench {
namespace {

constexpr int64_t kBaseTimestamp = 1764201600000;  // 2025-11-27 00:00 UTC, in ms
constexpr char kFilter[] = "metrics.acc > 0.9 and params.lr = '0.01'";
constexpr char kOrderBy[] = "metrics.acc DESC";
constexpr int64_t kMaxResults = 100;

struct Options {
  std::string plinth;
  int64_t runs = 0, metrics = 0, params = 0, calls = 0;
  bool keep = false;
};

struct Population {
  int64_t experiment_id = 0;
  int64_t matches = 0;  // runs satisfying the filter
};

Population Populate(const Options& o, const std::string& home) {
  Population p;
  {
    auto local = LocalStore::Open(home);
    auto id = local->store->CreateExperiment("search", "", {}, "default");
    Check(id.ok(), "create experiment");
    p.experiment_id = *id;
  }
  double start = Now();
  RawSqlite db(home + "/plinth.db");
  db.Exec("PRAGMA cache_size=-524288");  // the load only: keep indexes in memory
  sqlite3_stmt* run = db.Prepare(
      "INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, end_time, "
      "lifecycle_stage, artifact_uri) VALUES (?, ?, ?, 'bench', 'FINISHED', ?, ?, 'active', ?)");
  sqlite3_stmt* tag = db.Prepare("INSERT INTO tags (run_key, key, value) VALUES (?, ?, ?)");
  sqlite3_stmt* param = db.Prepare("INSERT INTO params (run_key, key, value) VALUES (?, ?, ?)");
  sqlite3_stmt* latest = db.Prepare(
      "INSERT INTO latest_metrics (run_key, key, step, timestamp, value, is_nan) "
      "VALUES (?, ?, 99, ?, ?, 0)");
  sqlite3_stmt* history = db.Prepare(
      "INSERT INTO metrics (run_key, key, step, timestamp, value, is_nan) VALUES (?, ?, 99, ?, ?, "
      "0)");
  std::vector<std::string> metric_keys = {"acc"}, param_keys = {"lr"};
  for (int64_t i = 1; i < o.metrics; ++i) metric_keys.push_back("metric_" + std::to_string(i));
  for (int64_t i = 1; i < o.params; ++i) param_keys.push_back("param_" + std::to_string(i));
  const char* kRates[] = {"0.1", "0.01", "0.001", "0.0001"};
  std::mt19937_64 rng(20261127);
  std::uniform_real_distribution<double> unit(0, 1);
  auto text = [](sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  };
  db.Exec("BEGIN");
  for (int64_t r = 0; r < o.runs; ++r) {
    char uuid[33];
    std::snprintf(uuid, sizeof uuid, "%016" PRIx64 "%016" PRIx64, rng(), rng());
    int64_t started = kBaseTimestamp + r * 1000;
    std::string name = "run-" + std::to_string(r);
    text(run, 1, uuid);
    sqlite3_bind_int64(run, 2, p.experiment_id);
    text(run, 3, name);
    sqlite3_bind_int64(run, 4, started);
    sqlite3_bind_int64(run, 5, started + 60000);
    text(run, 6,
         "mlflow-artifacts:/" + std::to_string(p.experiment_id) + "/" + uuid + "/artifacts");
    db.StepDone(run);
    int64_t key = sqlite3_last_insert_rowid(db.handle());
    for (auto [k, v] :
         {std::pair<const char*, std::string>{"mlflow.runName", name}, {"mlflow.user", "bench"}}) {
      sqlite3_bind_int64(tag, 1, key);
      text(tag, 2, k);
      text(tag, 3, v);
      db.StepDone(tag);
    }
    std::string lr = kRates[rng() % 4];
    for (size_t i = 0; i < param_keys.size(); ++i) {
      sqlite3_bind_int64(param, 1, key);
      text(param, 2, param_keys[i]);
      text(param, 3, i == 0 ? lr : "value-" + std::to_string(rng() % 100));
      db.StepDone(param);
    }
    double acc = unit(rng);
    if (acc > 0.9 && lr == "0.01") ++p.matches;
    for (size_t i = 0; i < metric_keys.size(); ++i) {
      double value = i == 0 ? acc : unit(rng);
      for (sqlite3_stmt* s : {latest, history}) {
        sqlite3_bind_int64(s, 1, key);
        text(s, 2, metric_keys[i]);
        sqlite3_bind_int64(s, 3, started + 59000);
        sqlite3_bind_double(s, 4, value);
        db.StepDone(s);
      }
    }
    if (r % 10000 == 9999) db.Exec("COMMIT; BEGIN");
  }
  db.Exec("COMMIT");
  for (sqlite3_stmt* s : {run, tag, param, latest, history}) sqlite3_finalize(s);
  PrintFigure("load: direct SQL inserts", static_cast<double>(o.runs) / (Now() - start), "runs/s");
  return p;
}

tracking::RunSearch MakeSearch(int64_t experiment_id) {
  tracking::RunSearch search;
  search.experiment_ids = {experiment_id};
  auto filter = tracking::ParseSearchFilter(kFilter);
  Check(filter.ok(), "parse filter");
  search.filter = *filter;
  auto order = tracking::ParseOrderBy(kOrderBy);
  Check(order.ok(), "parse order_by");
  search.order_by = {*order};
  search.limit = kMaxResults;
  return search;
}

void Bind(sqlite3_stmt* stmt, const std::vector<db::Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i) + 1;
    const db::Value& v = params[i];
    if (auto p = std::get_if<int64_t>(&v))
      sqlite3_bind_int64(stmt, idx, *p);
    else if (auto p = std::get_if<double>(&v))
      sqlite3_bind_double(stmt, idx, *p);
    else if (auto p = std::get_if<std::string>(&v))
      sqlite3_bind_text(stmt, idx, p->data(), static_cast<int>(p->size()), SQLITE_TRANSIENT);
    else
      sqlite3_bind_null(stmt, idx);
  }
}

// The raw baseline: the search SQL, then the loads TrackingStore::LoadRuns
// runs for the page, each row copied out of SQLite. Statements are prepared
// once, as the server's statement cache does.
class RawSearch {
 public:
  RawSearch(RawSqlite& db, const tracking::SqlQuery& query) : db_(db), query_(query) {
    search_ = db.Prepare(query.sql);
    std::string in = "?";
    for (int64_t i = 1; i < kMaxResults; ++i) in += ",?";
    for (const std::string& sql :
         {"SELECT run_key, run_uuid, name, experiment_id, user_id, status, start_time, end_time, "
          "artifact_uri, lifecycle_stage FROM runs WHERE run_key IN (" +
              in + ")",
          "SELECT run_key, key, value, is_nan, timestamp, step FROM latest_metrics WHERE run_key "
          "IN (" +
              in + ") ORDER BY key",
          "SELECT run_key, key, value FROM params WHERE run_key IN (" + in + ") ORDER BY key",
          "SELECT run_key, key, value FROM tags WHERE run_key IN (" + in + ") ORDER BY key",
          "SELECT i.run_key, d.name, d.digest, d.source_type, d.source, d.schema, d.profile, "
          "i.tags_json FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE "
          "i.run_key IN (" +
              in + ") ORDER BY d.dataset_id"}) {
      loads_.push_back(db.Prepare(sql));
    }
  }
  ~RawSearch() {
    sqlite3_finalize(search_);
    for (sqlite3_stmt* s : loads_) sqlite3_finalize(s);
  }

  // Runs the search; returns the run_uuids in order. `search_ms` and
  // `load_ms` get the two parts' times.
  std::vector<std::string> Run(double* search_ms, double* load_ms) {
    double start = Now();
    std::vector<int64_t> keys;
    Bind(search_, query_.params);
    while (sqlite3_step(search_) == SQLITE_ROW) keys.push_back(sqlite3_column_int64(search_, 0));
    sqlite3_reset(search_);
    if (static_cast<int64_t>(keys.size()) > kMaxResults) keys.resize(kMaxResults);
    double searched = Now();
    std::vector<std::string> uuids(keys.size());
    // Every value is copied out by its type, as the store's rows do.
    std::vector<std::string> texts;
    double numbers = 0;
    if (static_cast<int64_t>(keys.size()) == kMaxResults) {
      for (sqlite3_stmt* s : loads_) {
        for (size_t i = 0; i < keys.size(); ++i)
          sqlite3_bind_int64(s, static_cast<int>(i) + 1, keys[i]);
        while (sqlite3_step(s) == SQLITE_ROW) {
          for (int c = 0; c < sqlite3_column_count(s); ++c) {
            switch (sqlite3_column_type(s, c)) {
              case SQLITE_INTEGER:
                numbers += static_cast<double>(sqlite3_column_int64(s, c));
                break;
              case SQLITE_FLOAT:
                numbers += sqlite3_column_double(s, c);
                break;
              case SQLITE_NULL:
                break;
              default:
                texts.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, c)),
                                   sqlite3_column_bytes(s, c));
            }
          }
          if (s == loads_[0]) {
            int64_t key = sqlite3_column_int64(s, 0);
            for (size_t i = 0; i < keys.size(); ++i) {
              if (keys[i] == key)
                uuids[i] = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
            }
          }
        }
        sqlite3_reset(s);
      }
    }
    sink_ += numbers + static_cast<double>(texts.size());
    double loaded = Now();
    *search_ms = (searched - start) * 1e3;
    *load_ms = (loaded - searched) * 1e3;
    return uuids;
  }

 private:
  RawSqlite& db_;
  tracking::SqlQuery query_;
  sqlite3_stmt* search_ = nullptr;
  std::vector<sqlite3_stmt*> loads_;
  double sink_ = 0;  // keeps the copies from being optimized away
};

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  Options o;
  o.plinth = PlinthBinary(flags);
  o.runs = flags.Int("runs", 100000);
  o.metrics = flags.Int("metrics", 20);
  o.params = flags.Int("params", 20);
  o.calls = flags.Int("calls", 20);
  o.keep = flags.Bool("keep", false);
  flags.CheckAllUsed();
  Check(o.runs >= 1 && o.metrics >= 1 && o.params >= 1 && o.calls >= 1, "sizes must be >= 1");

  TempDir dir("plinth-bench-search", o.keep);
  std::string home = dir.path() + "/home";
  PrintTitle("search: " + Thousands(o.runs) + " runs x " + std::to_string(o.metrics) +
             " metrics x " + std::to_string(o.params) + " params");
  Population population = Populate(o, home);
  int64_t expected = std::min(kMaxResults, population.matches);
  PrintFigure("runs matching the filter", static_cast<double>(population.matches), "runs");

  ServerProcess server(o.plinth, home, dir.path() + "/server.log");
  auto conn = HttpConnection::Connect(server.port());
  Check(conn != nullptr, "connect to server");
  nlohmann::json body = {{"experiment_ids", {std::to_string(population.experiment_id)}},
                         {"filter", kFilter},
                         {"order_by", {kOrderBy}},
                         {"max_results", kMaxResults}};
  std::string request = BuildRequest("POST", "/api/2.0/mlflow/runs/search", body.dump());

  tracking::RunSearch search = MakeSearch(population.experiment_id);
  auto query = tracking::BuildRunSearchSql(search, db::Dialect::kSqlite);
  Check(query.ok(), "BuildRunSearchSql: " + std::string(query.status().message()));
  RawSqlite raw(home + "/plinth.db");
  RawSearch raw_search(raw, *query);
  auto local = LocalStore::Open(home);  // a second reader of the server's file

  // Correctness first: HTTP, the store and the raw SQL agree.
  HttpResponse response;
  conn->RoundTripOk(request, &response);
  nlohmann::json answer = nlohmann::json::parse(response.body, nullptr, false);
  Check(answer.is_object(), "runs/search answered " + response.body.substr(0, 300));
  std::vector<std::string> http_ids;
  for (const auto& r : answer.value("runs", nlohmann::json::array())) {
    http_ids.push_back(r["info"]["run_id"].get<std::string>());
    Check(r["data"]["params"].size() == static_cast<size_t>(o.params), "params per run");
    Check(r["data"]["metrics"].size() == static_cast<size_t>(o.metrics), "metrics per run");
  }
  Check(static_cast<int64_t>(http_ids.size()) == expected,
        "runs/search returned " + std::to_string(http_ids.size()) + " runs, expected " +
            std::to_string(expected));
  double search_ms = 0, load_ms = 0;
  std::vector<std::string> raw_ids = raw_search.Run(&search_ms, &load_ms);
  if (expected == kMaxResults) Check(raw_ids == http_ids, "raw SQL and HTTP disagree on the runs");
  auto page = local->store->SearchRuns(search, "");
  Check(page.ok() && static_cast<int64_t>(page->items.size()) == expected, "store search");

  std::vector<double> http_ms, raw_ms, raw_search_ms, raw_load_ms, store_ms;
  for (int i = 0; i < 2; ++i) conn->RoundTripOk(request, &response);  // warm caches
  // Interleaved call by call, so load from other processes hits all alike.
  // The in-process store records into this process's metrics, not the
  // server's, so the scrapes count only the HTTP calls.
  std::string before = ScrapeMetrics(*conn);
  for (int64_t i = 0; i < o.calls; ++i) {
    double start = Now();
    conn->RoundTripOk(request, &response);
    http_ms.push_back((Now() - start) * 1e3);
    raw_search.Run(&search_ms, &load_ms);
    raw_search_ms.push_back(search_ms);
    raw_load_ms.push_back(load_ms);
    raw_ms.push_back(search_ms + load_ms);
    start = Now();
    auto p = local->store->SearchRuns(search, "");
    store_ms.push_back((Now() - start) * 1e3);
    Check(p.ok(), "store search");
  }
  std::string after = ScrapeMetrics(*conn);
  ServerSideTimes server_side =
      ServerSideDelta(before, after, "/api/2.0/mlflow/runs/search", "search_runs");

  PrintTitle("search: filter \"" + std::string(kFilter) + "\", order_by " + kOrderBy +
             ", max_results " + std::to_string(kMaxResults));
  double p50 = Median(http_ms);
  PrintFigure("latency p50 over HTTP", p50, "ms");
  PrintFigure("latency p90 over HTTP", Percentile(http_ms, 90), "ms");
  PrintFigure("server handler mean", server_side.handler_ms, "ms");
  PrintFigure("  of which storage mean (search_runs)", server_side.db_ms, "ms");
  PrintFigure("TrackingStore::SearchRuns in-process p50", Median(store_ms), "ms");
  PrintFigure("baseline: raw SQLite, search SQL + loading the runs p50", Median(raw_ms), "ms");
  PrintFigure("  search SQL alone p50", Median(raw_search_ms), "ms");
  PrintFigure("  loading the runs p50", Median(raw_load_ms), "ms");
  PrintFigure("ratio Plinth / raw SQLite", p50 / Median(raw_ms), "");
  std::printf("\n");
  char measured[64];
  std::snprintf(measured, sizeof measured, "%.1f ms", p50);
  PrintGoal("runs/search over " + Thousands(o.runs) + " runs <= 100 ms on SQLite", p50 <= 100,
            measured);
  return 0;
}

}  // namespace
}  // namespace plinth::bench

int main(int argc, char** argv) { return plinth::bench::Main(argc, argv); }
