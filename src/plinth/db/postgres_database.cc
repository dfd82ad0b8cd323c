#include "plinth/db/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/pg_connect.h"

namespace plinth::db {
namespace {

// Built-in type OIDs (stable across versions; see pg_type.dat). Spelled out
// so that the build does not need the server's development headers.
constexpr Oid kUnknownOid = 0;
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Prepared statements kept per connection; beyond this (generated SQL such as
// search filters varies without bound) the cache starts over.
constexpr size_t kMaxPreparedStatements = 512;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Doubles travel as text: 17 significant digits round-trip every value, and
// the spellings PostgreSQL's float8 input accepts for the special values.
std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return absl::StrFormat("%.17g", d);
}

double ParseDouble(absl::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity") return INFINITY;
  if (text == "-Infinity") return -INFINITY;
  double out = 0;
  (void)absl::SimpleAtod(text, &out);
  return out;
}

Value ColumnValue(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col)) return std::monostate{};
  absl::string_view text(PQgetvalue(res, row, col), PQgetlength(res, row, col));
  switch (PQftype(res, col)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      int64_t out = 0;
      (void)absl::SimpleAtoi(text, &out);
      return out;
    }
    case kBoolOid:
      // SQLite has no boolean: comparisons yield 0/1 there, so here too.
      return int64_t{text == "t" ? 1 : 0};
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
      return ParseDouble(text);
    default:
      return std::string(text);
  }
}

Row RowAt(const PGresult* res, int row) {
  int columns = PQnfields(res);
  std::vector<Value> values;
  values.reserve(columns);
  for (int c = 0; c < columns; ++c) values.push_back(ColumnValue(res, row, c));
  return Row(std::move(values));
}

// Parameters in libpq's text form. Numbers are typed (int4/int8, float8) so that
// `? + 1`, `? IS NULL` and `SELECT ?` resolve as in SQLite; strings and NULLs
// are left untyped so the server infers the column's type from context.
struct Params {
  std::vector<Oid> types;
  std::vector<std::string> numbers;  // owns the text of numeric values
  std::vector<const char*> values;
  std::string signature;  // one char per parameter type, part of the cache key
};

absl::StatusOr<Params> TextParams(const std::vector<Value>& params, absl::string_view sql) {
  Params p;
  p.types.reserve(params.size());
  p.numbers.reserve(params.size());
  p.values.reserve(params.size());
  for (const Value& v : params) {
    if (auto i = std::get_if<int64_t>(&v)) {
      // int4 when it fits: int4 widens implicitly to int8, float8 and
      // numeric, but int8 does not narrow to the int4 that functions such
      // as substr() take.
      bool small = *i >= INT32_MIN && *i <= INT32_MAX;
      p.types.push_back(small ? kInt4Oid : kInt8Oid);
      p.numbers.push_back(absl::StrCat(*i));
      p.values.push_back(p.numbers.back().c_str());
      p.signature += small ? 'i' : 'I';
    } else if (auto d = std::get_if<double>(&v)) {
      p.types.push_back(kFloat8Oid);
      p.numbers.push_back(FormatDouble(*d));
      p.values.push_back(p.numbers.back().c_str());
      p.signature += 'd';
    } else if (auto s = std::get_if<std::string>(&v)) {
      // Text parameters are NUL-terminated C strings (and PostgreSQL text
      // cannot hold NUL): refuse rather than silently truncate.
      if (s->find('\0') != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "a text value contains a NUL byte, which PostgreSQL cannot store, in: ", sql));
      }
      p.types.push_back(kUnknownOid);
      p.values.push_back(s->c_str());
      p.signature += 't';
    } else {
      p.types.push_back(kUnknownOid);
      p.values.push_back(nullptr);
      p.signature += 'n';
    }
  }
  return p;
}

absl::string_view FirstWord(absl::string_view sql) {
  sql = absl::StripLeadingAsciiWhitespace(sql);
  size_t end = 0;
  while (end < sql.size() && absl::ascii_isalpha(static_cast<unsigned char>(sql[end]))) ++end;
  return sql.substr(0, end);
}

// Plain DML is worth preparing once; one-off statements (DDL, SET) are not.
bool Cacheable(absl::string_view first_word) {
  for (const char* kw : {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}) {
    if (absl::EqualsIgnoreCase(first_word, kw)) return true;
  }
  return false;
}

// DDL can change the result columns of a statement prepared earlier
// ("cached plan must not change result type"), so it retires every
// connection's prepared statements.
bool ChangesSchema(absl::string_view first_word) {
  for (const char* kw : {"CREATE", "ALTER", "DROP"}) {
    if (absl::EqualsIgnoreCase(first_word, kw)) return true;
  }
  return false;
}

// One libpq connection plus its prepared statements. Used by one thread at a
// time (the pool or the write mutex hands it out exclusively).
class PgConnection final : public Session {
 public:
  // `schema_generation` is shared by all connections of one database and
  // outlives them.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(
      const std::string& url, const std::string& where, std::atomic<uint64_t>* schema_generation) {
    ASSIGN_OR_RETURN(PGconn * conn, PgConnect(url, where));
    return std::unique_ptr<PgConnection>(new PgConnection(conn, where, schema_generation));
  }

  ~PgConnection() override { PQfinish(conn_); }

  absl::StatusOr<std::vector<Row>> Query(absl::string_view sql,
                                         const std::vector<Value>& params) override {
    ASSIGN_OR_RETURN(Result res, Run(sql, params));
    std::vector<Row> rows;
    int n = PQntuples(res.get());
    rows.reserve(n);
    for (int r = 0; r < n; ++r) rows.push_back(RowAt(res.get(), r));
    return rows;
  }

  absl::StatusOr<int64_t> Execute(absl::string_view sql,
                                  const std::vector<Value>& params) override {
    ASSIGN_OR_RETURN(Result res, Run(sql, params));
    int64_t changed = 0;
    (void)absl::SimpleAtoi(PQcmdTuples(res.get()), &changed);  // "" for DDL
    return changed;
  }

  // Single-row mode: rows arrive one at a time, never the whole result.
  absl::Status ForEach(absl::string_view sql, const std::vector<Value>& params,
                       const std::function<bool(const Row&)>& on_row) override {
    ASSIGN_OR_RETURN(Params p, TextParams(params, sql));
    RETURN_IF_ERROR(Send(sql, p));
    if (!PQsetSingleRowMode(conn_)) return absl::InternalError("libpq: single-row mode refused");
    absl::Status status;
    bool stopped = false;
    // Every result must be consumed before the connection can run anything
    // else, so an early stop keeps reading and discards the rest.
    while (PGresult* raw = PQgetResult(conn_)) {
      Result res(raw);
      switch (PQresultStatus(raw)) {
        case PGRES_SINGLE_TUPLE:
          if (!stopped && status.ok() && !on_row(RowAt(raw, 0))) stopped = true;
          break;
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
          break;
        default:
          if (status.ok()) status = Error(raw, sql);
      }
    }
    return status;
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  // Runs a statement without parameters (BEGIN, COMMIT, ...) and returns its
  // command tag.
  absl::StatusOr<std::string> Control(const char* sql) {
    Result res(PQexec(conn_, sql));
    ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(res.get(), sql);
    return std::string(PQcmdStatus(res.get()));
  }

  bool broken() const { return PQstatus(conn_) == CONNECTION_BAD; }
  PGTransactionStatusType transaction_status() const { return PQtransactionStatus(conn_); }

  // Reconnects with the same parameters. Server-side prepared statements
  // die with the old session.
  absl::Status Reset() {
    PQreset(conn_);
    prepared_.clear();
    if (PQstatus(conn_) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat("cannot reconnect to PostgreSQL at ", where_, ": ",
                                                 PgOneLine(PQerrorMessage(conn_))));
    }
    return absl::OkStatus();
  }

 private:
  PgConnection(PGconn* conn, std::string where, std::atomic<uint64_t>* schema_generation)
      : conn_(conn),
        where_(std::move(where)),
        schema_generation_(schema_generation),
        seen_generation_(schema_generation->load()) {}

  absl::StatusOr<Result> Run(absl::string_view sql, const std::vector<Value>& params) {
    ASSIGN_OR_RETURN(Params p, TextParams(params, sql));
    RETURN_IF_ERROR(Send(sql, p));
    // Send() used the asynchronous API; collect its single result.
    Result res;
    absl::Status status;
    while (PGresult* raw = PQgetResult(conn_)) {
      ExecStatusType st = PQresultStatus(raw);
      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && status.ok()) status = Error(raw, sql);
      if (!res)
        res.reset(raw);
      else
        PQclear(raw);
    }
    if (!status.ok()) return status;
    if (!res) return Error(nullptr, sql);
    return res;
  }

  // Sends `sql` (preparing it first when worth caching); the caller reads
  // the results with PQgetResult.
  absl::Status Send(absl::string_view sql, const Params& p) {
    absl::string_view first = FirstWord(sql);
    int n = static_cast<int>(p.values.size());
    if (schema_generation_->load() != seen_generation_) ForgetPrepared();
    if (!Cacheable(first)) {
      if (ChangesSchema(first)) schema_generation_->fetch_add(1);
      std::string numbered = NumberPlaceholders(sql);
      if (!PQsendQueryParams(conn_, numbered.c_str(), n, p.types.data(), p.values.data(), nullptr,
                             nullptr, 0)) {
        return Error(nullptr, sql);
      }
      return absl::OkStatus();
    }
    std::string key = absl::StrCat(p.signature, ":", sql);
    auto it = prepared_.find(key);
    if (it == prepared_.end()) {
      if (prepared_.size() >= kMaxPreparedStatements) ForgetPrepared();
      std::string name = absl::StrCat("plinth_", next_statement_++);
      std::string numbered = NumberPlaceholders(sql);
      Result res(PQprepare(conn_, name.c_str(), numbered.c_str(), n, p.types.data()));
      if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) return Error(res.get(), sql);
      it = prepared_.emplace(std::move(key), std::move(name)).first;
    }
    if (!PQsendQueryPrepared(conn_, it->second.c_str(), n, p.values.data(), nullptr, nullptr, 0)) {
      return Error(nullptr, sql);
    }
    return absl::OkStatus();
  }

  // Drops this connection's prepared statements. Names are never reused, so
  // if DEALLOCATE fails (in an aborted transaction) the leftovers are only
  // unused memory on the server until the session ends.
  void ForgetPrepared() {
    seen_generation_ = schema_generation_->load();
    if (prepared_.empty()) return;
    prepared_.clear();
    Result res(PQexec(conn_, "DEALLOCATE ALL"));
  }

  // `res` may be null (the failure is then on the connection).
  absl::Status Error(const PGresult* res, absl::string_view sql) {
    if (broken()) {
      return absl::UnavailableError(absl::StrCat("lost the connection to PostgreSQL at ", where_,
                                                 ": ", PgOneLine(PQerrorMessage(conn_)),
                                                 " in: ", sql));
    }
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string msg =
        primary ? primary : PgOneLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    absl::string_view code = state ? state : "";
    std::string text = absl::StrCat("PostgreSQL error: ", msg, " in: ", sql);
    if (absl::StartsWith(code, "23")) return absl::AlreadyExistsError(text);  // constraints
    if (code == "53100") {  // disk_full, on the PostgreSQL server
      return WithHttpStatus(
          WithErrorName(absl::ResourceExhaustedError(
                            "the disk of the PostgreSQL server is full: nothing was written; "
                            "free some space there and try again"),
                        "RESOURCE_EXHAUSTED"),
          507);
    }
    // Connection exceptions, shutdown, too many connections, serialization
    // failures and deadlocks: the operation may succeed if tried again.
    if (absl::StartsWith(code, "08") || absl::StartsWith(code, "57P") ||
        absl::StartsWith(code, "53") || absl::StartsWith(code, "40")) {
      return absl::UnavailableError(text);
    }
    if (code == "25P02") {
      return absl::InternalError(
          absl::StrCat(text,
                       " (an earlier statement in this transaction failed; PostgreSQL then refuses "
                       "every statement until the transaction ends)"));
    }
    return absl::InternalError(text);
  }

  PGconn* conn_;
  std::string where_;
  std::atomic<uint64_t>* schema_generation_;
  uint64_t seen_generation_;
  std::unordered_map<std::string, std::string> prepared_;  // signature:sql -> name
  uint64_t next_statement_ = 0;
};

class PgDatabase final : public Database {
 public:
  PgDatabase(std::string url, std::string where, size_t max_idle)
      : url_(std::move(url)), where_(std::move(where)), max_idle_(max_idle) {}

  absl::Status Init(int read_connections) {
    std::lock_guard lock(write_mu_);
    ASSIGN_OR_RETURN(writer_, Connect());
    for (int i = 0; i < read_connections; ++i) {
      ASSIGN_OR_RETURN(auto reader, Connect());
      std::lock_guard pool_lock(pool_mu_);
      idle_readers_.push_back(std::move(reader));
    }
    return absl::OkStatus();
  }

  absl::Status Write(const std::function<absl::Status(Session&)>& fn) override {
    std::lock_guard lock(write_mu_);
    RETURN_IF_ERROR(Begin(*writer_, "BEGIN"));
    absl::Status status = fn(*writer_);
    if (!status.ok()) {
      (void)writer_->Control("ROLLBACK");
      return status;
    }
    // COMMIT of an aborted transaction "succeeds" as a ROLLBACK; a callback
    // that swallowed a statement's error must not be told it committed.
    if (writer_->transaction_status() == PQTRANS_INERROR) {
      (void)writer_->Control("ROLLBACK");
      return absl::InternalError(
          "a statement in this write failed and PostgreSQL aborted the transaction, so nothing "
          "was written (the callback ignored the error; it must return it)");
    }
    absl::StatusOr<std::string> tag = writer_->Control("COMMIT");
    if (!tag.ok()) {
      if (writer_->broken()) {
        return absl::UnavailableError(
            absl::StrCat("lost the connection to PostgreSQL at ", where_,
                         " during COMMIT: the write may or may not have been applied"));
      }
      (void)writer_->Control("ROLLBACK");
      return tag.status();
    }
    if (*tag != "COMMIT") {
      return absl::InternalError(
          absl::StrCat("PostgreSQL answered COMMIT with ", *tag, ": nothing was written"));
    }
    return absl::OkStatus();
  }

  absl::Status Read(const std::function<absl::Status(Session&)>& fn) override {
    ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, Acquire());
    absl::Status status = Begin(*conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    if (status.ok()) {
      status = fn(*conn);
      // Read-only: COMMIT and ROLLBACK differ only in what the log says.
      (void)conn->Control(status.ok() ? "COMMIT" : "ROLLBACK");
    }
    Release(std::move(conn));
    return status;
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  std::string Describe() const override { return absl::StrCat("postgresql://", where_); }

 private:
  absl::StatusOr<std::unique_ptr<PgConnection>> Connect() {
    return PgConnection::Connect(url_, where_, &schema_generation_);
  }

  // Starts a transaction. A connection the server dropped while it sat idle
  // (server restart, idle timeout) shows up here, before anything of the
  // caller's has run, so reconnecting and retrying once is safe.
  static absl::Status Begin(PgConnection& conn, const char* begin) {
    if (conn.broken()) RETURN_IF_ERROR(conn.Reset());
    if (conn.transaction_status() != PQTRANS_IDLE) (void)conn.Control("ROLLBACK");
    absl::Status status = conn.Control(begin).status();
    if (status.ok() || !conn.broken()) return status;
    RETURN_IF_ERROR(conn.Reset());
    return conn.Control(begin).status();
  }

  absl::StatusOr<std::unique_ptr<PgConnection>> Acquire() {
    {
      std::lock_guard lock(pool_mu_);
      if (!idle_readers_.empty()) {
        auto conn = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return conn;
      }
    }
    // More concurrent readers than idle connections: open another.
    return Connect();
  }

  void Release(std::unique_ptr<PgConnection> conn) {
    if (conn->broken() || conn->transaction_status() != PQTRANS_IDLE) return;
    std::lock_guard lock(pool_mu_);
    if (idle_readers_.size() < max_idle_) idle_readers_.push_back(std::move(conn));
  }

  const std::string url_;    // may hold a password: never in messages
  const std::string where_;  // host:port/db
  const size_t max_idle_;
  std::atomic<uint64_t> schema_generation_{0};
  std::mutex write_mu_;
  std::unique_ptr<PgConnection> writer_ ABSL_GUARDED_BY(write_mu_);
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<PgConnection>> idle_readers_ ABSL_GUARDED_BY(pool_mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<Database>> PostgresDatabase::Create(const std::string& url,
                                                                   int read_connections) {
  ASSIGN_OR_RETURN(std::string where, PgWhere(url));
  read_connections = std::max(read_connections, 0);
  // Idle connections kept for reuse; bursts above this reconnect.
  size_t max_idle = std::max<size_t>(read_connections, 8);
  auto db = std::make_unique<PgDatabase>(url, std::move(where), max_idle);
  RETURN_IF_ERROR(db->Init(read_connections));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace plinth::db
