#include "bench/bench_common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace plinth::bench {

void Die(const std::string& message) {
  std::fprintf(stderr, "bench: %s\n", message.c_str());
  std::fflush(stdout);
  std::exit(1);
}

// ---- flags

Flags::Flags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) Die("unexpected argument '" + arg + "' (flags are --name=value)");
    size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    given_[name] = eq == std::string::npos ? "true" : arg.substr(eq + 1);
  }
}

std::string Flags::Lookup(const std::string& name, const std::string& default_value) {
  used_[name] = true;
  if (auto it = given_.find(name); it != given_.end()) return it->second;
  std::string env = "PLINTH_BENCH_";
  for (char c : name) env += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  if (const char* v = std::getenv(env.c_str()); v != nullptr && *v != '\0') return v;
  return default_value;
}

std::string Flags::Str(const std::string& name, const std::string& default_value) {
  return Lookup(name, default_value);
}

int64_t Flags::Int(const std::string& name, int64_t default_value) {
  std::string v = Lookup(name, std::to_string(default_value));
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') Die("--" + name + " must be an integer, got '" + v + "'");
  return n;
}

std::vector<int64_t> Flags::IntList(const std::string& name, const std::string& default_value) {
  std::string v = Lookup(name, default_value);
  std::vector<int64_t> out;
  std::stringstream in(v);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    long long n = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0') Die("--" + name + " must be integers like 4,8: '" + v + "'");
    out.push_back(n);
  }
  return out;
}

bool Flags::Bool(const std::string& name, bool default_value) {
  std::string v = Lookup(name, default_value ? "true" : "false");
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  Die("--" + name + " must be true or false, got '" + v + "'");
}

void Flags::CheckAllUsed() const {
  for (const auto& [name, value] : given_) {
    if (!used_.count(name)) Die("unknown flag --" + name);
  }
}

// ---- time and statistics

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least p% of values at or below it.
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * values.size()));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

// ---- files

TempDir::TempDir(const std::string& prefix, bool keep) : keep_(keep) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) Die("mkdtemp " + pattern + ": " + std::strerror(errno));
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (keep_) {
    std::fprintf(stderr, "bench: kept %s\n", path_.c_str());
  } else {
    RemoveTree(path_);
  }
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

// ---- HTTP

namespace {

// Case-insensitive search for a header line's name at the start of a line.
bool HeaderValue(const std::string& headers, const char* name, std::string* value) {
  size_t name_len = std::strlen(name);
  size_t pos = 0;
  while ((pos = headers.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    if (pos + name_len + 1 > headers.size()) return false;
    if (strncasecmp(headers.c_str() + pos, name, name_len) == 0 && headers[pos + name_len] == ':') {
      size_t start = pos + name_len + 1;
      size_t end = headers.find("\r\n", start);
      std::string v = headers.substr(start, end - start);
      size_t first = v.find_first_not_of(" \t");
      size_t last = v.find_last_not_of(" \t");
      *value = first == std::string::npos ? "" : v.substr(first, last - first + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

namespace {

// Parses the status line and framing of a response head (up to and
// including the blank line's first CRLF). False when malformed or not framed
// by Content-Length.
bool ParseHead(const std::string& head, int* status, size_t* length) {
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12) return false;
  *status = std::atoi(head.c_str() + 9);
  if (*status < 100) return false;
  std::string value;
  if (HeaderValue(head, "Transfer-Encoding", &value)) return false;
  *length = 0;
  if (HeaderValue(head, "Content-Length", &value)) {
    char* end = nullptr;
    *length = std::strtoull(value.c_str(), &end, 10);
    return !value.empty() && *end == '\0';
  }
  return *status == 204 || *status == 304;
}

}  // namespace

ptrdiff_t ParseResponse(const std::string& data, HttpResponse* out) {
  size_t header_end = data.find("\r\n\r\n");
  if (header_end == std::string::npos) return 0;
  int status = 0;
  size_t length = 0;
  if (!ParseHead(data.substr(0, header_end + 2), &status, &length)) return -1;
  size_t body_start = header_end + 4;
  if (data.size() < body_start + length) return 0;
  out->status = status;
  out->body.assign(data, body_start, length);
  return static_cast<ptrdiff_t>(body_start + length);
}

std::string BuildRequest(const std::string& method, const std::string& target,
                         const std::string& body) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!body.empty() || method == "POST") {
    out +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "Connection: keep-alive\r\n\r\n";
  out += body;
  return out;
}

std::unique_ptr<HttpConnection> HttpConnection::Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) Die(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return nullptr;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::unique_ptr<HttpConnection>(new HttpConnection(fd));
}

HttpConnection::~HttpConnection() { close(fd_); }

void HttpConnection::RoundTrip(const std::string& request, HttpResponse* out) {
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("send: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }
  // Read the head, then the body straight into out->body (responses of
  // history pages reach tens of MB; no extra copy).
  char chunk[65536];
  while (true) {
    size_t header_end = pending_.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      int status = 0;
      size_t length = 0;
      if (!ParseHead(pending_.substr(0, header_end + 2), &status, &length)) {
        Die("malformed HTTP response: " + pending_.substr(0, 200));
      }
      size_t body_start = header_end + 4;
      size_t have = std::min(pending_.size() - body_start, length);
      out->status = status;
      out->body.assign(pending_, body_start, have);
      pending_.erase(0, body_start + have);
      out->body.resize(length);
      while (have < length) {
        ssize_t n = recv(fd_, out->body.data() + have, length - have, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
          Die(std::string("recv: ") + (n == 0 ? "connection closed" : std::strerror(errno)));
        have += static_cast<size_t>(n);
      }
      return;
    }
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die(std::string("recv: ") + (n == 0 ? "connection closed" : std::strerror(errno)));
    pending_.append(chunk, static_cast<size_t>(n));
  }
}

void HttpConnection::RoundTripOk(const std::string& request, HttpResponse* out) {
  RoundTrip(request, out);
  if (out->status != 200) {
    Die("HTTP " + std::to_string(out->status) + " for " + request.substr(0, request.find('\r')) +
        ": " + out->body.substr(0, 500));
  }
}

// ---- the server process

namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("bind to a free port");
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string Tail(const std::string& path, size_t bytes) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace

ServerProcess::ServerProcess(const std::string& binary, const std::string& home,
                             const std::string& log_path,
                             const std::vector<std::string>& extra_args)
    : log_path_(log_path) {
  if (access(binary.c_str(), X_OK) != 0) {
    Die("no plinth binary at " + binary + " (build it, or pass --plinth=PATH)");
  }
  port_ = FreePort();
  std::string port = std::to_string(port_);
  std::vector<const char*> argv = {binary.c_str(), "server", "--home",
                                   home.c_str(),   "--port", port.c_str()};
  for (const std::string& arg : extra_args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) Die(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed benchmark
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(binary.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  std::string health = BuildRequest("GET", "/healthz");
  for (double deadline = Now() + 60; Now() < deadline;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      Die("plinth server exited during start; log:\n" + Tail(log_path_, 2000));
    }
    if (auto conn = HttpConnection::Connect(port_)) {
      HttpResponse response;
      conn->RoundTrip(health, &response);
      if (response.status == 200) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  Die("plinth server did not answer /healthz within 60 s; log:\n" + Tail(log_path_, 2000));
}

ServerProcess::~ServerProcess() { Stop(); }

void ServerProcess::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (double deadline = Now() + 20; Now() < deadline;) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string PlinthBinary(Flags& flags) {
  const char* env = std::getenv("PLINTH_BIN");
  return flags.Str("plinth", env && *env ? env : "build/plinth");
}

// ---- /metrics

HistogramTotals ReadHistogram(const std::string& exposition, const std::string& name,
                              const std::vector<std::string>& label_parts) {
  HistogramTotals totals;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    bool is_sum = line.rfind(name + "_sum{", 0) == 0;
    bool is_count = line.rfind(name + "_count{", 0) == 0;
    if (!is_sum && !is_count) continue;
    size_t close = line.rfind('}');
    if (close == std::string::npos) continue;
    std::string labels = line.substr(0, close);
    bool match = std::all_of(label_parts.begin(), label_parts.end(), [&](const std::string& part) {
      return labels.find(part) != std::string::npos;
    });
    if (!match) continue;
    double value = std::strtod(line.c_str() + close + 1, nullptr);
    (is_sum ? totals.sum : totals.count) += value;
  }
  return totals;
}

std::string ScrapeMetrics(HttpConnection& conn) {
  static const std::string request = BuildRequest("GET", "/metrics");
  HttpResponse response;
  conn.RoundTripOk(request, &response);
  return response.body;
}

ServerSideTimes ServerSideDelta(const std::string& before, const std::string& after,
                                const std::string& route, const std::string& db_op) {
  ServerSideTimes out;
  auto delta = [&](const std::string& name, const std::vector<std::string>& labels) {
    HistogramTotals a = ReadHistogram(before, name, labels);
    HistogramTotals b = ReadHistogram(after, name, labels);
    return HistogramTotals{b.sum - a.sum, b.count - a.count};
  };
  HistogramTotals http = delta("plinth_http_request_duration_seconds", {"route=\"" + route + "\""});
  HistogramTotals db =
      delta("plinth_db_operation_duration_seconds", {"operation=\"" + db_op + "\""});
  out.requests = http.count;
  if (http.count > 0) out.handler_ms = http.sum / http.count * 1e3;
  if (db.count > 0) out.db_ms = db.sum / db.count * 1e3;
  return out;
}

// ---- raw SQLite

RawSqlite::RawSqlite(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Die("cannot open " + path);
  }
  sqlite3_busy_timeout(db_, 10000);
  Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
      "PRAGMA case_sensitive_like=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536");
}

RawSqlite::~RawSqlite() { sqlite3_close_v2(db_); }

void RawSqlite::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string msg = error ? error : "unknown error";
    sqlite3_free(error);
    Die("SQLite: " + msg + " in: " + sql.substr(0, 300));
  }
}

sqlite3_stmt* RawSqlite::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    Die(std::string("SQLite prepare: ") + sqlite3_errmsg(db_) + " in: " + sql.substr(0, 300));
  }
  return stmt;
}

void RawSqlite::StepDone(sqlite3_stmt* stmt) {
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  if (rc != SQLITE_DONE) Die(std::string("SQLite step: ") + sqlite3_errmsg(db_));
  sqlite3_reset(stmt);
}

// ---- output

void PrintTitle(const std::string& title) {
  std::printf("\n== %s\n", title.c_str());
  std::fflush(stdout);
}

void PrintFigure(const std::string& label, double value, const std::string& unit) {
  std::string shown = std::fabs(value) >= 10000 ? Thousands(value) : "";
  if (shown.empty()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, std::fabs(value) >= 100 ? "%.0f" : "%.3g", value);
    shown = buf;
  }
  std::printf("  %-58s %14s %s\n", label.c_str(), shown.c_str(), unit.c_str());
  std::fflush(stdout);
}

void PrintNote(const std::string& text) {
  std::printf("  %s\n", text.c_str());
  std::fflush(stdout);
}

void PrintGoal(const std::string& goal, bool met, const std::string& measured) {
  std::printf("GOAL %-8s %s (measured %s)\n", met ? "MET" : "NOT MET", goal.c_str(),
              measured.c_str());
  std::fflush(stdout);
}

std::string Thousands(double value) {
  long long n = std::llround(value);
  bool negative = n < 0;
  std::string digits = std::to_string(negative ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

}  // namespace plinth::bench
