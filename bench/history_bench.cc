// History benchmark: one metric with 1,000,000 points in one run, read over
// loopback HTTP from `plinth server`: the sampled view
// (metrics/get-history-bulk-interval, max_results=320) and the full history
// paged through metrics/get-history. Baselines in the same run: the raw
// SQLite read of the same rows through the C API, 320 raw index seeks for
// the sampled view, and GET /healthz as the HTTP round-trip floor.
//
// The points are loaded in-process through TrackingStore::LogBatch (1000
// points per batch) on the server's home folder before the server starts.
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "bench/bench_common.h"
#include "bench/mlflow_setup.h"

namespace plinth::bench {
namespace {

constexpr int64_t kBaseTimestamp = 1764201600000;  // 2025-11-27 00:00 UTC, in ms
constexpr char kKey[] = "loss";

struct Options {
  std::string plinth;
  int64_t points = 0;
  int64_t interval_calls = 0;
  int64_t interval_max = 0;
  std::vector<int64_t> page_sizes;  // 0: one call without max_results
  int64_t reps = 0;
  bool keep = false;
};

double Loss(int64_t step) { return 2.0 / (1.0 + 0.001 * static_cast<double>(step)); }

// Loads `points` points of kKey into a new run; returns its run_id.
std::string Load(const Options& o, const std::string& home) {
  auto local = LocalStore::Open(home);
  tracking::TrackingStore::NewRun new_run;
  new_run.user_id = "bench";
  new_run.run_name = "history";
  auto run = local->store->CreateRun(new_run);
  Check(run.ok(), "create run");
  double start = Now();
  std::vector<tracking::Metric> batch;
  for (int64_t step = 0; step < o.points; ++step) {
    batch.push_back({kKey, Loss(step), kBaseTimestamp + step, step});
    if (static_cast<int64_t>(batch.size()) == 1000 || step + 1 == o.points) {
      absl::Status s = local->store->LogBatch(run->info.run_id, batch, {}, {});
      Check(s.ok(), "LogBatch: " + std::string(s.message()));
      batch.clear();
    }
  }
  PrintFigure("load: TrackingStore::LogBatch in-process, 1000 per batch",
              static_cast<double>(o.points) / (Now() - start), "points/s");
  return run->info.run_id;
}

size_t CountOccurrences(const std::string& text, const char* needle) {
  size_t n = 0, len = std::strlen(needle);
  for (const char* p = text.data();
       (p = static_cast<const char*>(memmem(p, text.data() + text.size() - p, needle, len)));
       p += len) {
    ++n;
  }
  return n;
}

// The next_page_token at the end of a get-history body, or "".
std::string NextPageToken(const std::string& body) {
  static const std::string field = "\"next_page_token\":\"";
  size_t from = body.size() > 4096 ? body.size() - 4096 : 0;
  size_t at = body.find(field, from);
  if (at == std::string::npos) return "";
  size_t start = at + field.size();
  return body.substr(start, body.find('"', start) - start);
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct StreamResult {
  double seconds = 0;  // sum of round trips
  int64_t pages = 0;
};

// Reads the whole history page by page; checks the point count.
StreamResult Stream(HttpConnection& conn, const std::string& run_id, int64_t page_size,
                    int64_t expected) {
  std::string base = "/api/2.0/mlflow/metrics/get-history?run_id=" + run_id + "&metric_key=" + kKey;
  if (page_size > 0) base += "&max_results=" + std::to_string(page_size);
  StreamResult result;
  HttpResponse response;
  std::string token;
  int64_t points = 0;
  do {
    std::string request =
        BuildRequest("GET", token.empty() ? base : base + "&page_token=" + UrlEncode(token));
    double start = Now();
    conn.RoundTripOk(request, &response);
    token = NextPageToken(response.body);
    result.seconds += Now() - start;
    ++result.pages;
    points += static_cast<int64_t>(CountOccurrences(response.body, "\"step\":"));
    Check(result.pages <= expected + 1, "get-history keeps returning pages");
  } while (!token.empty());
  Check(points == expected, "get-history returned " + std::to_string(points) + " points, not " +
                                std::to_string(expected));
  return result;
}

// Raw read of the whole history through the C API into memory.
double RawRead(RawSqlite& db, int64_t run_key, int64_t expected) {
  struct Point {
    int64_t step, timestamp;
    double value;
  };
  std::vector<Point> points;
  points.reserve(expected);
  sqlite3_stmt* stmt = db.Prepare(
      "SELECT step, timestamp, value FROM metrics WHERE run_key = ? AND key = ? ORDER BY step, "
      "timestamp");
  double start = Now();
  sqlite3_bind_int64(stmt, 1, run_key);
  sqlite3_bind_text(stmt, 2, kKey, -1, SQLITE_STATIC);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    points.push_back({sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1),
                      sqlite3_column_double(stmt, 2)});
  }
  double seconds = Now() - start;
  sqlite3_finalize(stmt);
  Check(static_cast<int64_t>(points.size()) == expected, "raw read count");
  return seconds;
}

// The least raw work behind a sampled view: one index seek per sample.
double RawSample(RawSqlite& db, int64_t run_key, int64_t points, int64_t samples) {
  sqlite3_stmt* stmt = db.Prepare(
      "SELECT step, timestamp, value, is_nan FROM metrics WHERE run_key = ? AND key = ? AND "
      "step >= ? ORDER BY step, timestamp LIMIT 1");
  double start = Now();
  int64_t found = 0;
  for (int64_t i = 0; i < samples; ++i) {
    int64_t target = samples == 1 ? 0 : (points - 1) * i / (samples - 1);
    sqlite3_bind_int64(stmt, 1, run_key);
    sqlite3_bind_text(stmt, 2, kKey, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 3, target);
    if (sqlite3_step(stmt) == SQLITE_ROW) ++found;
    sqlite3_reset(stmt);
  }
  double seconds = Now() - start;
  sqlite3_finalize(stmt);
  Check(found == samples, "raw sample count");
  return seconds;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  Options o;
  o.plinth = PlinthBinary(flags);
  o.points = flags.Int("points", 1000000);
  o.interval_calls = flags.Int("interval-calls", 50);
  o.interval_max = flags.Int("interval-max-results", 320);
  o.page_sizes = flags.IntList("page-sizes", "25000,100000,0");
  o.reps = flags.Int("reps", 3);
  o.keep = flags.Bool("keep", false);
  flags.CheckAllUsed();
  Check(o.points >= 2 && o.interval_calls >= 1 && o.reps >= 1 && o.interval_max >= 2,
        "sizes too small");

  TempDir dir("plinth-bench-history", o.keep);
  std::string home = dir.path() + "/home";
  PrintTitle("history: one metric with " + Thousands(o.points) + " points");
  std::string run_id = Load(o, home);

  ServerProcess server(o.plinth, home, dir.path() + "/server.log");
  auto conn = HttpConnection::Connect(server.port());
  Check(conn != nullptr, "connect to server");
  RawSqlite raw(home + "/plinth.db");
  int64_t run_key = 0;
  {
    sqlite3_stmt* stmt = raw.Prepare("SELECT run_key FROM runs WHERE run_uuid = ?");
    sqlite3_bind_text(stmt, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
    Check(sqlite3_step(stmt) == SQLITE_ROW, "run not in database");
    run_key = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
  }

  // Sampled view, the HTTP floor and the raw seeks, interleaved call by call.
  std::string interval = BuildRequest(
      "GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=" + run_id +
                 "&metric_key=" + kKey + "&max_results=" + std::to_string(o.interval_max));
  std::string health = BuildRequest("GET", "/healthz");
  HttpResponse response;
  for (int i = 0; i < 5; ++i) conn->RoundTripOk(interval, &response);  // warm caches
  int64_t sampled = static_cast<int64_t>(CountOccurrences(response.body, "\"step\":"));
  Check(sampled >= std::min(o.points, o.interval_max) && sampled <= o.interval_max + 1,
        "bulk-interval returned " + std::to_string(sampled) + " points");
  std::vector<double> interval_ms, health_ms, raw_sample_ms;
  std::string before = ScrapeMetrics(*conn);
  for (int64_t i = 0; i < o.interval_calls; ++i) {
    double start = Now();
    conn->RoundTripOk(interval, &response);
    interval_ms.push_back((Now() - start) * 1e3);
  }
  std::string after = ScrapeMetrics(*conn);
  for (int64_t i = 0; i < o.interval_calls; ++i) {
    double start = Now();
    conn->RoundTripOk(health, &response);
    health_ms.push_back((Now() - start) * 1e3);
    raw_sample_ms.push_back(RawSample(raw, run_key, o.points, sampled) * 1e3);
  }
  ServerSideTimes interval_server =
      ServerSideDelta(before, after, "/api/2.0/mlflow/metrics/get-history-bulk-interval",
                      "get_metric_history_bulk_interval");

  PrintTitle("history: sampled view, get-history-bulk-interval max_results=" +
             std::to_string(o.interval_max) + " (" + std::to_string(sampled) + " points)");
  double interval_p50 = Median(interval_ms);
  PrintFigure("latency p50 over HTTP", interval_p50, "ms");
  PrintFigure("latency p90 over HTTP", Percentile(interval_ms, 90), "ms");
  PrintFigure("server handler mean", interval_server.handler_ms, "ms");
  PrintFigure("  of which storage mean", interval_server.db_ms, "ms");
  PrintFigure("baseline: GET /healthz p50 (HTTP round-trip floor)", Median(health_ms), "ms");
  PrintFigure("baseline: raw SQLite, one index seek per sample, p50", Median(raw_sample_ms), "ms");
  PrintFigure("ratio Plinth / raw seeks", interval_p50 / Median(raw_sample_ms), "");

  // Full history: each page size, then the raw read, per repetition.
  std::map<int64_t, std::vector<double>> rates;
  std::map<int64_t, int64_t> pages;
  std::map<int64_t, ServerSideTimes> server_times;
  std::vector<double> raw_rates;
  for (int64_t rep = 0; rep < o.reps; ++rep) {
    raw_rates.push_back(static_cast<double>(o.points) / RawRead(raw, run_key, o.points));
    for (int64_t size : o.page_sizes) {
      std::string b = ScrapeMetrics(*conn);
      StreamResult r = Stream(*conn, run_id, size, o.points);
      std::string a = ScrapeMetrics(*conn);
      rates[size].push_back(static_cast<double>(o.points) / r.seconds);
      pages[size] = r.pages;
      server_times[size] =
          ServerSideDelta(b, a, "/api/2.0/mlflow/metrics/get-history", "get_metric_history");
    }
  }
  double raw_rate = Median(raw_rates);
  PrintTitle("history: full history through metrics/get-history");
  PrintFigure("baseline: raw SQLite C API read of the same rows", raw_rate, "points/s");
  for (int64_t size : o.page_sizes) {
    std::string name = size > 0 ? "max_results=" + std::to_string(size) : "no max_results";
    PrintFigure(name + ": " + std::to_string(pages[size]) + " pages", Median(rates[size]),
                "points/s");
    PrintFigure("  server handler mean per page (last repetition)", server_times[size].handler_ms,
                "ms");
    PrintFigure("  of which storage mean per page", server_times[size].db_ms, "ms");
    PrintFigure("  ratio Plinth / raw SQLite", Median(rates[size]) / raw_rate, "");
  }

  std::printf("\n");
  char measured[64];
  std::snprintf(measured, sizeof measured, "%.2f ms", interval_p50);
  PrintGoal("get-history-bulk-interval max_results=" + std::to_string(o.interval_max) + " <= 10 ms",
            interval_p50 <= 10, measured);
  for (int64_t size : o.page_sizes) {
    std::string name = size > 0 ? "max_results=" + std::to_string(size) : "no max_results";
    double rate = Median(rates[size]);
    PrintGoal("full history >= 1,000,000 points/s [" + name + "]", rate >= 1e6,
              Thousands(rate) + " points/s");
  }
  return 0;
}

}  // namespace
}  // namespace plinth::bench

int main(int argc, char** argv) { return plinth::bench::Main(argc, argv); }
