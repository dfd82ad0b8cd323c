// Shared pieces of the Plinth benchmarks: flags, statistics, a temporary
// folder, the real `plinth server` as a child process, a minimal keep-alive
// HTTP/1.1 client over raw sockets, /metrics scraping and raw SQLite access
// for the baselines.
//
// The HTTP client sends prebuilt request buffers so that building JSON on the
// client side never shows up in the figures. Every failure (I/O error,
// unexpected status, wrong result) ends the program with a message and a
// non-zero exit code: a benchmark that measured the wrong thing must not
// print figures.
#pragma once

#include <sqlite3.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace plinth::bench {

// Prints "bench: <message>" to stderr and exits with status 1.
[[noreturn]] void Die(const std::string& message);
inline void Check(bool condition, const std::string& message) {
  if (!condition) Die(message);
}

// Command-line flags "--name=value"; a flag not given falls back to the
// environment variable PLINTH_BENCH_<NAME> (upper case, '-' as '_'), then to
// the default. Unknown flags are an error (CheckAllUsed).
class Flags {
 public:
  Flags(int argc, char** argv);
  std::string Str(const std::string& name, const std::string& default_value);
  int64_t Int(const std::string& name, int64_t default_value);
  // A comma-separated list of integers ("4,8").
  std::vector<int64_t> IntList(const std::string& name, const std::string& default_value);
  bool Bool(const std::string& name, bool default_value);
  // Dies naming any flag that no Str/Int/... call asked for (a typo).
  void CheckAllUsed() const;

 private:
  std::string Lookup(const std::string& name, const std::string& default_value);
  std::map<std::string, std::string> given_;
  std::map<std::string, bool> used_;
};

// Monotonic time in seconds.
double Now();

// Nearest-rank percentile of `values` (p in [0, 100]); 0 when empty.
double Percentile(std::vector<double> values, double p);
inline double Median(std::vector<double> values) { return Percentile(std::move(values), 50); }

// A fresh folder under $TMPDIR (default /tmp), removed with its contents on
// destruction unless `keep` is set.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix, bool keep = false);
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool keep_;
};

// Removes a folder and everything under it.
void RemoveTree(const std::string& path);

// A parsed HTTP response.
struct HttpResponse {
  int status = 0;
  std::string body;
};

// Parses one complete response at the start of `data`. Returns the number of
// bytes it takes, 0 when `data` holds only part of it, -1 when malformed or
// not framed by Content-Length (the only framing the client supports).
ptrdiff_t ParseResponse(const std::string& data, HttpResponse* out);

// A complete HTTP/1.1 request with Host, Content-Length and keep-alive, built
// once and sent many times.
std::string BuildRequest(const std::string& method, const std::string& target,
                         const std::string& body = "");

// One keep-alive connection to 127.0.0.1:port. Not thread-safe; one per
// client thread.
class HttpConnection {
 public:
  static std::unique_ptr<HttpConnection> Connect(int port);
  ~HttpConnection();
  // Sends `request` (from BuildRequest) and reads the whole response into
  // `out`, reusing its buffer. Dies on an I/O error.
  void RoundTrip(const std::string& request, HttpResponse* out);
  // RoundTrip that also dies unless the status is 200.
  void RoundTripOk(const std::string& request, HttpResponse* out);

 private:
  explicit HttpConnection(int fd) : fd_(fd) {}
  int fd_;
  std::string pending_;  // bytes read past the previous response
};

// `plinth server --home HOME --port P` as a child process, its output in
// `log_path`. The constructor returns once GET /healthz answers 200.
class ServerProcess {
 public:
  ServerProcess(const std::string& binary, const std::string& home, const std::string& log_path,
                const std::vector<std::string>& extra_args = {});
  ~ServerProcess();  // Stop()
  int port() const { return port_; }
  // SIGTERM, then SIGKILL after 20 s; waits for the process.
  void Stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// The plinth binary to benchmark: --plinth, $PLINTH_BIN, else build/plinth.
std::string PlinthBinary(Flags& flags);

// Totals of one series of a Prometheus histogram in /metrics text:
// `name`_sum and `name`_count on lines whose labels contain every string in
// `label_parts` (e.g. route="/api/2.0/mlflow/runs/log-batch").
struct HistogramTotals {
  double sum = 0;
  double count = 0;
};
HistogramTotals ReadHistogram(const std::string& exposition, const std::string& name,
                              const std::vector<std::string>& label_parts);

// Mean server-side time per request (ms) between two scrapes of /metrics,
// for the HTTP handler (plinth_http_request_duration_seconds of `route`) and
// the storage operation (plinth_db_operation_duration_seconds of `db_op`).
struct ServerSideTimes {
  double handler_ms = 0;
  double db_ms = 0;
  double requests = 0;
};
std::string ScrapeMetrics(HttpConnection& conn);
ServerSideTimes ServerSideDelta(const std::string& before, const std::string& after,
                                const std::string& route, const std::string& db_op);

// Raw SQLite access for baselines, with the server's connection settings
// (src/plinth/db/sqlite_database.cc: WAL, synchronous=NORMAL, 64 MiB cache).
class RawSqlite {
 public:
  explicit RawSqlite(const std::string& path);
  ~RawSqlite();
  sqlite3* handle() { return db_; }
  // Runs one or more statements; dies on error.
  void Exec(const std::string& sql);
  // Prepares a statement (caller finalizes); dies on error.
  sqlite3_stmt* Prepare(const std::string& sql);
  // Steps a statement with no result rows to the end, then resets it.
  void StepDone(sqlite3_stmt* stmt);

 private:
  sqlite3* db_ = nullptr;
};

// Output: aligned "label  value unit" lines, ratios and goal verdicts. Goal
// lines start with "GOAL" so scripts can collect them.
void PrintTitle(const std::string& title);
void PrintFigure(const std::string& label, double value, const std::string& unit);
void PrintNote(const std::string& text);
void PrintGoal(const std::string& goal, bool met, const std::string& measured);

// "1,234,567"-style formatting for large counts.
std::string Thousands(double value);

}  // namespace plinth::bench
