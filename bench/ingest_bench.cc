// Ingest benchmark: runs/log-batch requests of 1000 metrics each from
// concurrent keep-alive clients over loopback HTTP to `plinth server` on
// SQLite in a fresh home, against the raw SQLite rate of inserting the same
// rows (same schema, transactions of one batch, prepared statements, the
// server's WAL settings) in the same run.
//
// Every configuration starts a fresh server on an empty home, as the raw
// baseline starts from an empty file, so both insert into tables of the
// same size. Request bodies are built before the clock starts.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <latch>
#include <thread>

#include "bench/bench_common.h"
#include "bench/mlflow_setup.h"
#include "plinth/common/json.h"
#include "plinth/http/message.h"
#include "plinth/tracking/log_batch_decoder.h"
#include "plinth/tracking/mlflow_json.h"
#include "plinth/tracking/tracking_schema.h"
#include "plinth/tracking/validation.h"

namespace plinth::bench {
namespace {

struct Options {
  std::string plinth;
  std::vector<int64_t> clients;
  std::vector<std::string> modes;  // "own" (a run per client) and/or "shared" (one run)
  int64_t batches = 0;             // per configuration, over all clients
  int64_t batch_size = 0;
  int64_t keys = 0;  // distinct metric keys per batch; steps per batch = batch_size / keys
  int64_t sequential = 0;
  int64_t warmup = 0;  // batches per client before the clock starts
  int64_t reps = 0;
  bool keep = false;
};

constexpr int64_t kBaseTimestamp = 1764201600000;  // 2025-11-27 00:00 UTC, in ms

// Deterministic pseudo-random metric values (splitmix64).
double Value(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return static_cast<double>((x ^ (x >> 31)) >> 11) / 9007199254740992.0;
}

// The metrics of one batch: `keys` keys at consecutive steps from `first_step`.
std::string BatchJson(const std::string& run_id, int64_t first_step, const Options& o) {
  std::string body = "{\"run_id\":\"" + run_id + "\",\"metrics\":[";
  char item[160];
  for (int64_t i = 0; i < o.batch_size; ++i) {
    int64_t step = first_step + i / o.keys;
    std::snprintf(item, sizeof item,
                  "%s{\"key\":\"metric_%" PRId64 "\",\"value\":%.9f,\"timestamp\":%" PRId64
                  ",\"step\":%" PRId64 "}",
                  i ? "," : "", i % o.keys, Value(step * 131 + i), kBaseTimestamp + step, step);
    body += item;
  }
  body += "]}";
  return body;
}

struct Measurement {
  double metrics_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  ServerSideTimes server;
};

// One configuration against a fresh server: `clients` threads, each on its
// own connection, sending batches to their own run or to one shared run.
Measurement RunHttp(const Options& o, const std::string& dir, int64_t clients, bool shared,
                    int64_t batches_per_client) {
  std::string home = dir + "/home";
  RemoveTree(home);
  Measurement m;
  {
    ServerProcess server(o.plinth, home, dir + "/server.log");
    auto setup = HttpConnection::Connect(server.port());
    Check(setup != nullptr, "connect to server");
    std::string experiment = CreateExperimentHttp(*setup, "ingest");
    std::vector<std::string> runs;
    for (int64_t c = 0; c < (shared ? 1 : clients); ++c) {
      runs.push_back(CreateRunHttp(*setup, experiment, "client-" + std::to_string(c)));
    }
    // requests[c][b]: the first `warmup` are sent before the clock starts.
    int64_t steps_per_batch = (o.batch_size + o.keys - 1) / o.keys;
    int64_t total_batches = o.warmup + batches_per_client;
    std::vector<std::vector<std::string>> requests(clients);
    for (int64_t c = 0; c < clients; ++c) {
      for (int64_t b = 0; b < total_batches; ++b) {
        int64_t slot = shared ? b * clients + c : b;  // shared: clients interleave steps
        requests[c].push_back(
            BuildRequest("POST", "/api/2.0/mlflow/runs/log-batch",
                         BatchJson(runs[shared ? 0 : c], slot * steps_per_batch, o)));
      }
    }
    std::vector<std::vector<double>> latencies(clients);
    std::latch warmed(clients + 1), go(1);
    std::vector<std::thread> threads;
    for (int64_t c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        auto conn = HttpConnection::Connect(server.port());
        Check(conn != nullptr, "connect to server");
        HttpResponse response;
        for (int64_t b = 0; b < o.warmup; ++b) conn->RoundTripOk(requests[c][b], &response);
        warmed.count_down();
        go.wait();
        latencies[c].reserve(batches_per_client);
        for (int64_t b = o.warmup; b < total_batches; ++b) {
          double start = Now();
          conn->RoundTripOk(requests[c][b], &response);
          latencies[c].push_back((Now() - start) * 1e3);
        }
      });
    }
    warmed.arrive_and_wait();
    std::string before = ScrapeMetrics(*setup);
    double start = Now();
    go.count_down();
    for (auto& t : threads) t.join();
    double elapsed = Now() - start;
    std::string after = ScrapeMetrics(*setup);
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    m.metrics_per_s = static_cast<double>(clients * batches_per_client * o.batch_size) / elapsed;
    m.p50_ms = Percentile(all, 50);
    m.p99_ms = Percentile(all, 99);
    m.server = ServerSideDelta(before, after, "/api/2.0/mlflow/runs/log-batch", "log_batch");
    Check(m.server.requests == static_cast<double>(clients * batches_per_client),
          "server counted " + std::to_string(m.server.requests) + " log-batch requests");
  }
  RemoveTree(home);
  return m;
}

// The same rows through SQLite's C API: one transaction per batch, a
// prepared single-row INSERT, and (with `latest`) the server's
// latest_metrics upsert once per key per batch. Returns rows per second.
double RunRawSqlite(const Options& o, const std::string& dir, bool latest) {
  std::string path = dir + "/raw.db";
  for (const char* suffix : {"", "-wal", "-shm"}) RemoveTree(path + suffix);
  double rate = 0;
  {
    RawSqlite db(path);
    db.Exec(tracking::TrackingMigrations().at(0).sqlite);
    sqlite3_stmt* insert = db.Prepare(
        "INSERT INTO metrics (run_key, key, step, timestamp, value, is_nan) VALUES (?,?,?,?,?,?)");
    sqlite3_stmt* upsert = db.Prepare(
        "INSERT INTO latest_metrics (run_key, key, step, timestamp, value, is_nan) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_key, key) DO UPDATE SET step = "
        "excluded.step, timestamp = excluded.timestamp, value = excluded.value, is_nan "
        "= excluded.is_nan WHERE excluded.timestamp > latest_metrics.timestamp OR "
        "(excluded.timestamp = latest_metrics.timestamp AND excluded.is_nan = 0 AND "
        "(latest_metrics.is_nan = 1 OR excluded.value > latest_metrics.value))");
    std::vector<std::string> keys;
    for (int64_t k = 0; k < o.keys; ++k) keys.push_back("metric_" + std::to_string(k));
    int64_t steps_per_batch = (o.batch_size + o.keys - 1) / o.keys;
    double start = Now();
    for (int64_t b = 0; b < o.batches; ++b) {
      db.Exec("BEGIN IMMEDIATE");
      for (int64_t i = 0; i < o.batch_size; ++i) {
        int64_t step = b * steps_per_batch + i / o.keys;
        const std::string& key = keys[i % o.keys];
        sqlite3_bind_int64(insert, 1, 1);
        sqlite3_bind_text(insert, 2, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
        sqlite3_bind_int64(insert, 3, step);
        sqlite3_bind_int64(insert, 4, kBaseTimestamp + step);
        sqlite3_bind_double(insert, 5, Value(step * 131 + i));
        sqlite3_bind_int64(insert, 6, 0);
        db.StepDone(insert);
      }
      if (latest) {
        int64_t step = (b + 1) * steps_per_batch - 1;
        for (int64_t k = 0; k < o.keys; ++k) {
          sqlite3_bind_int64(upsert, 1, 1);
          sqlite3_bind_text(upsert, 2, keys[k].data(), static_cast<int>(keys[k].size()),
                            SQLITE_STATIC);
          sqlite3_bind_int64(upsert, 3, step);
          sqlite3_bind_int64(upsert, 4, kBaseTimestamp + step);
          sqlite3_bind_double(upsert, 5, Value(step * 131 + k));
          sqlite3_bind_int64(upsert, 6, 0);
          db.StepDone(upsert);
        }
      }
      db.Exec("COMMIT");
    }
    rate = static_cast<double>(o.batches * o.batch_size) / (Now() - start);
    sqlite3_finalize(insert);
    sqlite3_finalize(upsert);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) RemoveTree(path + suffix);
  return rate;
}

// TrackingStore::LogBatch in-process (no HTTP, no JSON): where the server's
// time goes between the raw rate and the HTTP rate. `threads` callers, each
// logging to its own run (more than one: batches share commits through the
// store's group commit). Returns metrics/s.
double RunStore(const Options& o, const std::string& dir, int64_t threads) {
  std::string home = dir + "/store-home";
  RemoveTree(home);
  double rate = 0;
  {
    auto local = LocalStore::Open(home);
    std::vector<std::string> runs;
    for (int64_t t = 0; t < threads; ++t) {
      tracking::TrackingStore::NewRun new_run;
      new_run.user_id = "bench";
      auto run = local->store->CreateRun(new_run);
      Check(run.ok(), "create run");
      runs.push_back(run->info.run_id);
    }
    int64_t steps_per_batch = (o.batch_size + o.keys - 1) / o.keys;
    int64_t per_thread = o.batches / threads;
    std::vector<std::vector<tracking::Metric>> batches(per_thread);
    for (int64_t b = 0; b < per_thread; ++b) {
      for (int64_t i = 0; i < o.batch_size; ++i) {
        int64_t step = b * steps_per_batch + i / o.keys;
        batches[b].push_back({"metric_" + std::to_string(i % o.keys), Value(step * 131 + i),
                              kBaseTimestamp + step, step});
      }
    }
    double start = Now();
    std::vector<std::thread> workers;
    for (int64_t t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (const auto& batch : batches) {
          absl::Status s = local->store->LogBatch(runs[t], batch, {}, {});
          Check(s.ok(), "LogBatch: " + std::string(s.message()));
        }
      });
    }
    for (auto& w : workers) w.join();
    rate = static_cast<double>(threads * per_thread * o.batch_size) / (Now() - start);
  }
  RemoveTree(home);
  return rate;
}

// The server's decoding of one request body in-process, what log-batch does
// before storage: DecodeLogBatch (the simdjson fast path) and ValidateBatch.
// With `general`, the general parser instead (lenient nlohmann parse and
// ParseMetrics), which the fast path replaced for well-formed bodies.
// Returns the median milliseconds per batch.
double DecodeMs(const Options& o, bool general) {
  std::vector<double> ms;
  http::Request request;
  request.method = "POST";
  for (int64_t b = 0; b < 50; ++b) {
    request.body = BatchJson("0123456789abcdef0123456789abcdef", b * 100, o);
    double start = Now();
    std::vector<tracking::Metric> metrics;
    if (general) {
      auto json = ParseJsonLenient(request.body);
      Check(json.ok(), "parse");
      auto parsed = tracking::ParseMetrics(&(*json)["metrics"], "metrics");
      Check(parsed.ok(), "decode");
      metrics = *std::move(parsed);
    } else {
      Check(tracking::DecodeLogBatchFast(request.body).has_value(), "fast path took the body");
      auto decoded = tracking::DecodeLogBatch(request);
      Check(decoded.ok(), "decode");
      metrics = std::move(decoded->metrics);
    }
    Check(static_cast<int64_t>(metrics.size()) == o.batch_size &&
              tracking::ValidateBatch(metrics, {}, {}).ok(),
          "validate");
    ms.push_back((Now() - start) * 1e3);
  }
  return Median(ms);
}

std::string Reps(const std::vector<double>& values, const char* format) {
  std::string out = "reps:";
  char buf[64];
  for (double v : values) {
    std::snprintf(buf, sizeof buf, format, v);
    out += " ";
    out += buf;
  }
  return out;
}

struct Series {
  std::vector<double> rate, p50, p99, handler, db;
  void Add(const Measurement& m) {
    rate.push_back(m.metrics_per_s);
    p50.push_back(m.p50_ms);
    p99.push_back(m.p99_ms);
    handler.push_back(m.server.handler_ms);
    db.push_back(m.server.db_ms);
  }
};

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  Options o;
  o.plinth = PlinthBinary(flags);
  o.clients = flags.IntList("clients", "4,8");
  std::string modes = flags.Str("modes", "own,shared");
  if (modes.find("own") != std::string::npos) o.modes.push_back("own");
  if (modes.find("shared") != std::string::npos) o.modes.push_back("shared");
  o.batches = flags.Int("batches", 400);
  o.batch_size = flags.Int("batch-size", 1000);
  o.keys = flags.Int("keys", 10);
  o.sequential = flags.Int("sequential", 200);
  o.warmup = flags.Int("warmup", 3);
  o.reps = flags.Int("reps", 5);
  o.keep = flags.Bool("keep", false);
  flags.CheckAllUsed();
  Check(o.batch_size >= 1 && o.batch_size <= 1000, "--batch-size must be 1..1000 (MLflow's limit)");
  Check(o.keys >= 1 && o.batches >= 1 && o.reps >= 1 && o.sequential >= 1, "sizes must be >= 1");
  for (int64_t clients : o.clients) {
    Check(clients >= 1 && clients <= o.batches, "--clients must be between 1 and --batches");
  }

  TempDir dir("plinth-bench-ingest", o.keep);
  PrintTitle("ingest: runs/log-batch over HTTP vs raw SQLite inserts");
  std::printf("  %" PRId64 " batches x %" PRId64 " metrics (%" PRId64
              " keys) per configuration, %" PRId64 " repetitions, medians shown\n",
              o.batches, o.batch_size, o.keys, o.reps);

  std::vector<double> raw, raw_insert_only, store, store_concurrent, decode, decode_general;
  Series sequential;
  std::map<std::pair<std::string, int64_t>, Series> configs;
  // Repetitions interleave every configuration so that load from other
  // processes on the machine spreads over all of them alike.
  for (int64_t rep = 0; rep < o.reps; ++rep) {
    raw.push_back(RunRawSqlite(o, dir.path(), true));
    raw_insert_only.push_back(RunRawSqlite(o, dir.path(), false));
    store.push_back(RunStore(o, dir.path(), 1));
    store_concurrent.push_back(RunStore(o, dir.path(), std::min<int64_t>(4, o.batches)));
    decode.push_back(DecodeMs(o, false));
    decode_general.push_back(DecodeMs(o, true));
    sequential.Add(RunHttp(o, dir.path(), 1, false, o.sequential));
    for (const std::string& mode : o.modes) {
      for (int64_t clients : o.clients) {
        configs[{mode, clients}].Add(
            RunHttp(o, dir.path(), clients, mode == "shared", o.batches / clients));
      }
    }
  }

  double raw_rate = Median(raw);
  PrintFigure("raw SQLite C API, metrics + latest_metrics upsert", raw_rate, "rows/s");
  PrintNote(Reps(raw, "%.0f"));
  PrintFigure("raw SQLite C API, metrics insert only", Median(raw_insert_only), "rows/s");
  PrintFigure("TrackingStore::LogBatch in-process (no HTTP)", Median(store), "metrics/s");
  PrintFigure("  ratio store / raw", Median(store) / raw_rate, "");
  PrintFigure("TrackingStore::LogBatch in-process, 4 threads (group commit)",
              Median(store_concurrent), "metrics/s");
  PrintFigure("  ratio store / raw", Median(store_concurrent) / raw_rate, "");
  PrintFigure("decode one body in-process (DecodeLogBatch, validate)", Median(decode), "ms");
  PrintFigure("  with the general parser (nlohmann, ParseMetrics, validate)",
              Median(decode_general), "ms");

  PrintTitle("ingest: single client, sequential requests");
  PrintFigure("throughput", Median(sequential.rate), "metrics/s");
  PrintFigure("latency p50 (client)", Median(sequential.p50), "ms");
  PrintNote(Reps(sequential.p50, "%.2f"));
  PrintFigure("latency p99 (client)", Median(sequential.p99), "ms");
  PrintFigure("server handler mean (plinth_http_request_duration)", Median(sequential.handler),
              "ms");
  PrintFigure("  of which storage mean (plinth_db_operation log_batch)", Median(sequential.db),
              "ms");
  PrintFigure("ratio throughput / raw", Median(sequential.rate) / raw_rate, "");

  std::vector<std::string> goals;
  for (const auto& [config, s] : configs) {
    std::string name = std::to_string(config.second) + " clients, " +
                       (config.first == "own" ? "a run each" : "one shared run");
    PrintTitle("ingest: " + name);
    double rate = Median(s.rate);
    PrintFigure("throughput", rate, "metrics/s");
    PrintNote(Reps(s.rate, "%.0f"));
    PrintFigure("latency p50 (client)", Median(s.p50), "ms");
    PrintFigure("latency p99 (client)", Median(s.p99), "ms");
    PrintFigure("server handler mean", Median(s.handler), "ms");
    PrintFigure("  of which storage mean", Median(s.db), "ms");
    PrintFigure("ratio Plinth / raw SQLite", rate / raw_rate, "");
  }

  std::printf("\n");
  char measured[128];
  for (const auto& [config, s] : configs) {
    std::string name = " [" + std::to_string(config.second) + " clients, " +
                       (config.first == "own" ? "own runs" : "shared run") + "]";
    double rate = Median(s.rate);
    std::snprintf(measured, sizeof measured, "%.1f%% of %s rows/s", 100 * rate / raw_rate,
                  Thousands(raw_rate).c_str());
    PrintGoal("ingest >= 50% of the raw SQLite rate" + name, rate >= 0.5 * raw_rate, measured);
    PrintGoal("ingest >= 200,000 metrics/s" + name, rate >= 200000, Thousands(rate) + " metrics/s");
  }
  std::snprintf(measured, sizeof measured, "%.2f ms", Median(sequential.p50));
  PrintGoal("p50 of one 1000-metric batch <= 5 ms [single client]", Median(sequential.p50) <= 5,
            measured);
  return 0;
}

}  // namespace
}  // namespace plinth::bench

int main(int argc, char** argv) { return plinth::bench::Main(argc, argv); }
