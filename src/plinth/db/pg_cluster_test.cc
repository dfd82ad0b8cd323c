// Notifications and the leader lock against the test PostgreSQL server.
// Advisory locks and channels are per database and the tests of several
// processes share one: each test uses its own random key and channel.
#include "plinth/db/pg_cluster.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/test_util.h"

namespace plinth::db {
namespace {

constexpr auto kPatience = std::chrono::seconds(10);

int64_t RandomKey() {
  std::random_device rd;
  return 1 + static_cast<int64_t>(rd() % 2000000000);
}

// Things that happened on another thread, and a way to wait for them.
class Happenings {
 public:
  void Add(std::string what) {
    std::lock_guard lock(mu_);
    seen_.push_back(std::move(what));
    cv_.notify_all();
  }
  bool WaitFor(size_t count) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return seen_.size() >= count; });
  }
  std::vector<std::string> Seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> seen_;
};

class PgClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PLINTH_POSTGRES_URL_OR_SKIP(url);
    url_ = url;
    Options options;
    options.url = url_;
    options.read_connections = 1;
    auto db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
  }

  absl::Status Send(const std::string& channel, const std::string& payload, bool commit = true) {
    absl::Status status = db_->Write([&](Session& s) -> absl::Status {
      RETURN_IF_ERROR(Notify(s, channel, payload));
      return commit ? absl::OkStatus() : absl::AbortedError("rolled back on purpose");
    });
    return commit ? status : absl::OkStatus();
  }

  // The backend holding advisory lock `key` (classid 0, objid = key).
  int64_t HolderPid(int64_t key) {
    int64_t pid = 0;
    EXPECT_TRUE(db_->Read([&](Session& s) -> absl::Status {
                     ASSIGN_OR_RETURN(auto rows,
                                      s.Query("SELECT pid FROM pg_locks WHERE locktype = "
                                              "'advisory' AND granted AND objid = ?",
                                              {key}));
                     if (!rows.empty()) pid = rows[0].Int(0);
                     return absl::OkStatus();
                   })
                    .ok());
    return pid;
  }

  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_F(PgClusterTest, CommittedNotificationsReachTheListenerInOrder) {
  std::string channel = absl::StrCat("plinth_test_", RandomKey());
  Happenings got, resyncs;
  auto listener = PgListener::Start(
      url_, {channel},
      [&](const std::string& ch, const std::string& payload) { got.Add(ch + ":" + payload); },
      [&] { resyncs.Add("resync"); });
  ASSERT_TRUE(listener.ok()) << listener.status();
  ASSERT_TRUE(resyncs.WaitFor(1));  // once at the start
  ASSERT_TRUE(Send(channel, "one").ok());
  ASSERT_TRUE(Send(channel, "rolled back", /*commit=*/false).ok());
  ASSERT_TRUE(Send(channel, "two").ok());
  ASSERT_TRUE(got.WaitFor(2));
  EXPECT_EQ(got.Seen(), (std::vector<std::string>{channel + ":one", channel + ":two"}));
}

TEST_F(PgClusterTest, AListenerReconnectsAndResyncsAfterItsSessionEnds) {
  std::string channel = absl::StrCat("plinth_test_", RandomKey());
  Happenings got, resyncs;
  auto listener = PgListener::Start(
      url_, {channel}, [&](const std::string&, const std::string& p) { got.Add(p); },
      [&] { resyncs.Add("resync"); });
  ASSERT_TRUE(listener.ok()) << listener.status();
  ASSERT_TRUE(resyncs.WaitFor(1));
  ASSERT_TRUE(db_->Write([&](Session& s) {
                   return s
                       .Query(
                           "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                           "WHERE query = ?",
                           {absl::StrCat("LISTEN ", channel)})
                       .status();
                 })
                  .ok());
  ASSERT_TRUE(resyncs.WaitFor(2)) << "no reconnection";
  ASSERT_TRUE(Send(channel, "after").ok());
  ASSERT_TRUE(got.WaitFor(1));
  EXPECT_EQ(got.Seen().back(), "after");
}

TEST_F(PgClusterTest, OneServerHoldsTheLockAndTheNextTakesOverWhenItGoes) {
  int64_t key = RandomKey();
  Happenings elected, lost;
  auto first = PgLeaderLock::Start(
      url_, key, [&] { elected.Add("first"); }, [&](const std::string& r) { lost.Add(r); });
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE((*first)->held());
  auto second = PgLeaderLock::Start(
      url_, key, [&] { elected.Add("second"); }, [&](const std::string& r) { lost.Add(r); });
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE((*second)->held());
  first->reset();  // its connection closes: the lock is free
  ASSERT_TRUE(elected.WaitFor(1)) << "the waiting server never took the lock";
  EXPECT_EQ(elected.Seen(), std::vector<std::string>{"second"});
  EXPECT_TRUE((*second)->held());
  EXPECT_TRUE(lost.Seen().empty());
}

TEST_F(PgClusterTest, TheHolderIsToldWhenItsSessionEnds) {
  int64_t key = RandomKey();
  Happenings lost;
  auto lock = PgLeaderLock::Start(
      url_, key, [] {}, [&](const std::string& r) { lost.Add(r); });
  ASSERT_TRUE(lock.ok()) << lock.status();
  ASSERT_TRUE((*lock)->held());
  int64_t pid = HolderPid(key);
  ASSERT_NE(pid, 0);
  ASSERT_TRUE(db_->Write([&](Session& s) {
                   return s.Query("SELECT pg_terminate_backend(?, 10000)", {pid}).status();
                 })
                  .ok());
  ASSERT_TRUE(lost.WaitFor(1)) << "the holder was not told it lost the lock";
  EXPECT_NE(lost.Seen()[0].find("leader lock"), std::string::npos) << lost.Seen()[0];
  EXPECT_FALSE((*lock)->held());
}

}  // namespace
}  // namespace plinth::db
