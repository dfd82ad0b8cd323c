#include "plinth/db/pg_cluster.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/pg_connect.h"
#include "spdlog/spdlog.h"

namespace plinth::db {
namespace {

constexpr int kFirstRetryMs = 1000;
constexpr int kLastRetryMs = 30000;

enum class Woke { kSocket, kStop, kTimeout };

// Sleeps until `sock` is readable, `stop_fd` is signalled or `timeout_ms`
// passes (-1: no timeout).
Woke Wait(int sock, int stop_fd, int timeout_ms) {
  struct pollfd fds[2] = {{stop_fd, POLLIN, 0}, {sock, POLLIN, 0}};
  int n = sock < 0 ? 1 : 2;
  while (true) {
    int r = ::poll(fds, n, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Woke::kTimeout;
    if (fds[0].revents) return Woke::kStop;
    return Woke::kSocket;
  }
}

PGconn* Conn(void* p) { return static_cast<PGconn*>(p); }

// Wakes the thread through `stop_fd`, joins it, then closes what is left.
void StopThread(std::thread& thread, int stop_fd, void* conn) {
  if (thread.joinable()) {
    uint64_t one = 1;
    (void)::write(stop_fd, &one, sizeof one);
    thread.join();
  }
  if (conn) PQfinish(Conn(conn));
  if (stop_fd >= 0) ::close(stop_fd);
}

absl::Status Exec(PGconn* conn, const std::string& sql) {
  PGresult* res = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
  std::string message = ok ? "" : PgOneLine(PQresultErrorMessage(res));
  PQclear(res);
  if (!ok) return absl::UnavailableError(absl::StrCat(sql, ": ", message));
  return absl::OkStatus();
}

absl::StatusOr<PGconn*> ConnectAndListen(const std::string& url, const std::string& where,
                                         const std::vector<std::string>& channels) {
  ASSIGN_OR_RETURN(PGconn * conn, PgConnect(url, where, /*keepalive=*/true));
  for (const std::string& channel : channels) {
    absl::Status status = Exec(conn, absl::StrCat("LISTEN ", channel));
    if (!status.ok()) {
      PQfinish(conn);
      return status;
    }
  }
  return conn;
}

}  // namespace

absl::Status Notify(Session& session, const std::string& channel, const std::string& payload) {
  if (session.dialect() != Dialect::kPostgres) return absl::OkStatus();
  return session.Query("SELECT pg_notify(?, ?)", {channel, payload}).status();
}

absl::StatusOr<std::unique_ptr<PgListener>> PgListener::Start(const std::string& url,
                                                              std::vector<std::string> channels,
                                                              Handler handler,
                                                              std::function<void()> on_resync) {
  std::unique_ptr<PgListener> listener(new PgListener());
  ASSIGN_OR_RETURN(listener->where_, PgWhere(url));
  listener->url_ = url;
  listener->channels_ = std::move(channels);
  listener->handler_ = std::move(handler);
  listener->on_resync_ = std::move(on_resync);
  ASSIGN_OR_RETURN(PGconn * conn, ConnectAndListen(url, listener->where_, listener->channels_));
  listener->conn_ = conn;
  listener->stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (listener->stop_fd_ < 0) {
    PQfinish(conn);
    listener->conn_ = nullptr;
    return absl::InternalError("eventfd failed");
  }
  listener->thread_ = std::thread([l = listener.get()] { l->Run(); });
  return listener;
}

PgListener::~PgListener() { StopThread(thread_, stop_fd_, conn_); }

void PgListener::Run() {
  int retry_ms = kFirstRetryMs;
  bool connected = true;  // Start made the first connection
  while (true) {
    if (!conn_) {
      if (Wait(-1, stop_fd_, retry_ms) == Woke::kStop) return;
      absl::StatusOr<PGconn*> conn = ConnectAndListen(url_, where_, channels_);
      if (!conn.ok()) {
        retry_ms = std::min(retry_ms * 2, kLastRetryMs);
        continue;
      }
      conn_ = *conn;
      connected = true;
      retry_ms = kFirstRetryMs;
      spdlog::info("cluster: listening for other servers' changes again");
    }
    if (connected) {
      connected = false;
      if (on_resync_) on_resync_();
    }
    if (Wait(PQsocket(Conn(conn_)), stop_fd_, -1) == Woke::kStop) return;
    if (!PQconsumeInput(Conn(conn_)) || PQstatus(Conn(conn_)) == CONNECTION_BAD) {
      spdlog::warn(
          "cluster: lost the notification connection to PostgreSQL at {} ({}); "
          "reconnecting",
          where_, PgOneLine(PQerrorMessage(Conn(conn_))));
      PQfinish(Conn(conn_));
      conn_ = nullptr;
      continue;
    }
    while (PGnotify* n = PQnotifies(Conn(conn_))) {
      std::string channel = n->relname, payload = n->extra ? n->extra : "";
      PQfreemem(n);
      handler_(channel, payload);
    }
  }
}

absl::StatusOr<std::unique_ptr<PgLeaderLock>> PgLeaderLock::Start(
    const std::string& url, int64_t key, std::function<void()> on_elected,
    std::function<void(const std::string&)> on_lost) {
  std::unique_ptr<PgLeaderLock> lock(new PgLeaderLock());
  ASSIGN_OR_RETURN(lock->where_, PgWhere(url));
  lock->url_ = url;
  lock->key_ = key;
  lock->on_elected_ = std::move(on_elected);
  lock->on_lost_ = std::move(on_lost);
  ASSIGN_OR_RETURN(PGconn * conn, PgConnect(url, lock->where_, /*keepalive=*/true));
  lock->conn_ = conn;
  std::string key_text = absl::StrCat(key);
  const char* params[] = {key_text.c_str()};
  PGresult* res = PQexecParams(conn, "SELECT pg_try_advisory_lock($1::bigint)", 1, nullptr, params,
                               nullptr, nullptr, 0);
  bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
  bool held = ok && std::string(PQgetvalue(res, 0, 0)) == "t";
  std::string message = ok ? "" : PgOneLine(PQresultErrorMessage(res));
  PQclear(res);
  if (!ok) return absl::UnavailableError(absl::StrCat("cannot take the leader lock: ", message));
  lock->held_ = held;
  if (!held && !PQsendQueryParams(conn, "SELECT pg_advisory_lock($1::bigint)", 1, nullptr, params,
                                  nullptr, nullptr, 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot wait for the leader lock: ", PgOneLine(PQerrorMessage(conn))));
  }
  lock->stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (lock->stop_fd_ < 0) return absl::InternalError("eventfd failed");
  lock->thread_ = std::thread([l = lock.get()] { l->Run(); });
  return lock;
}

PgLeaderLock::~PgLeaderLock() { StopThread(thread_, stop_fd_, conn_); }

void PgLeaderLock::Run() {
  while (true) {
    if (Wait(PQsocket(Conn(conn_)), stop_fd_, -1) == Woke::kStop) return;
    bool alive = PQconsumeInput(Conn(conn_)) && PQstatus(Conn(conn_)) != CONNECTION_BAD;
    if (alive && !held_ && !PQisBusy(Conn(conn_))) {
      // pg_advisory_lock answered: this server leads now.
      bool ok = true;
      while (PGresult* res = PQgetResult(Conn(conn_))) {
        ok = ok && PQresultStatus(res) == PGRES_TUPLES_OK;
        PQclear(res);
      }
      if (!ok) {
        alive = false;
      } else {
        held_ = true;
        spdlog::info("cluster: this server took the leader lock: it runs the job loop now");
        on_elected_();
        continue;
      }
    }
    if (alive) continue;
    std::string reason =
        absl::StrCat("lost the connection that holds the leader lock (PostgreSQL at ", where_, ": ",
                     PgOneLine(PQerrorMessage(Conn(conn_))), ")");
    PQfinish(Conn(conn_));
    conn_ = nullptr;
    if (held_) {
      held_ = false;
      on_lost_(reason);
      return;
    }
    // Still waiting for the lock: wait again on a new connection.
    spdlog::warn("cluster: {}; waiting for the lock again", reason);
    int retry_ms = kFirstRetryMs;
    while (!conn_) {
      if (Wait(-1, stop_fd_, retry_ms) == Woke::kStop) return;
      absl::StatusOr<PGconn*> conn = PgConnect(url_, where_, /*keepalive=*/true);
      if (!conn.ok()) {
        retry_ms = std::min(retry_ms * 2, kLastRetryMs);
        continue;
      }
      std::string key_text = absl::StrCat(key_);
      const char* params[] = {key_text.c_str()};
      if (!PQsendQueryParams(*conn, "SELECT pg_advisory_lock($1::bigint)", 1, nullptr, params,
                             nullptr, nullptr, 0)) {
        PQfinish(*conn);
        continue;
      }
      conn_ = *conn;
    }
  }
}

}  // namespace plinth::db
