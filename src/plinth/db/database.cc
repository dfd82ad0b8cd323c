#include "plinth/db/database.h"

#include <chrono>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "plinth/db/postgres_database.h"
#include "plinth/db/sqlite_database.h"
#include "plinth/metrics/registry.h"

namespace plinth::db {

int64_t Row::Int(size_t i) const {
  const Value& v = values_[i];
  if (auto p = std::get_if<int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    (void)absl::SimpleAtoi(*p, &out);
    return out;
  }
  return 0;
}

double Row::Double(size_t i) const {
  const Value& v = values_[i];
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) {
    double out = 0;
    if (*p == "NaN") return std::nan("");
    if (*p == "Infinity") return INFINITY;
    if (*p == "-Infinity") return -INFINITY;
    (void)absl::SimpleAtod(*p, &out);
    return out;
  }
  return 0;
}

std::string Row::Str(size_t i) const {
  const Value& v = values_[i];
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return absl::StrCat(*p);
  return "";
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const Options& options) {
  if (absl::StartsWith(options.url, "postgresql://") ||
      absl::StartsWith(options.url, "postgres://")) {
    return PostgresDatabase::Create(options.url, options.read_connections);
  }
  std::string path = options.sqlite_path;
  // SQLAlchemy's form, as MLflow users write it: sqlite:///relative.db,
  // sqlite:////absolute/path.db.
  if (absl::StartsWith(options.url, "sqlite:///"))
    path = options.url.substr(10);
  else if (!options.url.empty() && options.url != "sqlite") {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown database '", options.url,
        "': use 'sqlite', 'sqlite:///path/to/file.db' or 'postgresql://user@host/db'"));
  }
  return SqliteDatabase::Create(path, options.read_connections, options.exclusive);
}

namespace {
metrics::Family<metrics::Histogram>& DbLatency() {
  static auto& family = metrics::Registry::Global().AddHistogram(
      "plinth_db_operation_duration_seconds",
      "Storage operation latency, by operation and kind (read or write).", {"operation", "kind"});
  return family;
}

absl::Status Timed(absl::string_view op, const char* kind,
                   const std::function<absl::Status()>& fn) {
  auto start = std::chrono::steady_clock::now();
  absl::Status s = fn();
  DbLatency()
      .WithLabels({std::string(op), kind})
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return s;
}
}  // namespace

absl::Status Database::TimedWrite(absl::string_view op,
                                  const std::function<absl::Status(Session&)>& fn) {
  return Timed(op, "write", [&] { return Write(fn); });
}

absl::Status Database::TimedWriteGrouped(absl::string_view op,
                                         const std::function<absl::Status(Session&)>& fn) {
  return Timed(op, "write", [&] { return WriteGrouped(fn); });
}

absl::Status Database::TimedRead(absl::string_view op,
                                 const std::function<absl::Status(Session&)>& fn) {
  return Timed(op, "read", [&] { return Read(fn); });
}

std::string NumberPlaceholders(absl::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      absl::StrAppend(&out, "$", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace plinth::db
