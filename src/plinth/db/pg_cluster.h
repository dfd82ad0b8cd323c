// Coordination between servers that share one PostgreSQL database
// (docs/operations.md, "Several servers"): notifications, so that a change
// made through one server reaches the others at once, and the leader lock
// that lets exactly one of them run the job loop.
//
// Both keep a connection of their own and a thread that sleeps in poll()
// on its socket until something arrives: nothing is polled on a timer. A
// transaction sends a notification with Notify (delivered at its commit,
// to every listening server, the sender included). SQLite has one server
// per database (the file is locked), so none of this exists there.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plinth/db/database.h"

namespace plinth::db {

// Sends `payload` on `channel` when the session's transaction commits
// (PostgreSQL's pg_notify); nothing on SQLite. Payloads are at most 8000
// bytes: send ids, and let listeners read the rows.
absl::Status Notify(Session& session, const std::string& channel, const std::string& payload);

class PgListener {
 public:
  using Handler = std::function<void(const std::string& channel, const std::string& payload)>;

  // LISTENs on `channels` (plain identifiers) and calls `handler` on its
  // thread for each notification, in the order they were committed. A lost
  // connection is opened again (1 s, then up to 30 s apart); notifications
  // sent meanwhile are lost, so `on_resync` runs after every (re)connection,
  // the first included, for subscribers to reload what they keep in memory.
  // Fails when the first connection cannot be made.
  static absl::StatusOr<std::unique_ptr<PgListener>> Start(const std::string& url,
                                                           std::vector<std::string> channels,
                                                           Handler handler,
                                                           std::function<void()> on_resync);
  ~PgListener();  // stops and joins the thread

 private:
  PgListener() = default;
  void Run();

  std::string url_, where_;
  std::vector<std::string> channels_;
  Handler handler_;
  std::function<void()> on_resync_;
  int stop_fd_ = -1;      // eventfd
  void* conn_ = nullptr;  // PGconn, owned by the thread once it runs
  std::thread thread_;
};

// A session-level advisory lock on a connection of its own: held until the
// connection ends, so a server that dies (kill -9 included) frees it as soon
// as PostgreSQL sees its connection close.
class PgLeaderLock {
 public:
  // Tries the lock once before returning (held() says whether this server
  // leads from the start). If another server holds it, a thread waits in
  // pg_advisory_lock and calls `on_elected` when this server gets it. While
  // held, the thread watches the connection: if it ends (PostgreSQL
  // restarted, the network failed) the lock may already be another
  // server's, and `on_lost` is called with the reason; it must stop this
  // server's leading at once.
  static absl::StatusOr<std::unique_ptr<PgLeaderLock>> Start(
      const std::string& url, int64_t key, std::function<void()> on_elected,
      std::function<void(const std::string& reason)> on_lost);
  ~PgLeaderLock();  // stops the thread; the lock goes with the connection

  bool held() const { return held_.load(); }

 private:
  PgLeaderLock() = default;
  void Run();

  std::string url_, where_;
  int64_t key_ = 0;
  std::function<void()> on_elected_;
  std::function<void(const std::string&)> on_lost_;
  std::atomic<bool> held_{false};
  int stop_fd_ = -1;
  void* conn_ = nullptr;
  std::thread thread_;
};

}  // namespace plinth::db
