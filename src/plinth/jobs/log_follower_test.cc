#include "plinth/jobs/log_follower.h"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "gtest/gtest.h"

namespace plinth::jobs {
namespace {

// Collects what the follower sends; the test waits on it (no sleeps).
class RecordingStream : public http::ResponseStream {
 public:
  bool Send(std::string data) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_) return false;
    text_ += data;
    cv_.notify_all();
    return true;
  }
  void End() override {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  void OnClose(std::function<void()> fn) override {}
  size_t Queued() override { return 0; }
  void OnWritable(std::function<void()> fn) override { fn(); }

  bool WaitFor(const std::function<bool(const std::string&, bool)>& done) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return done(text_, ended_); });
  }
  std::string text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool ended_ = false;
};

Json JobEvent(const std::string& state, const std::string& log_dir) {
  return {{"state", state}, {"replicas", Json::array({{{"index", 0}, {"log_dir", log_dir}}})}};
}

class LogFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("plinth-follow-" + std::to_string(getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "attempt-1");
    std::filesystem::create_directories(root_ / "attempt-2");
    watcher_ = *FileWatcher::Create();
  }
  void TearDown() override {
    watcher_.reset();
    std::filesystem::remove_all(root_);
  }
  void Append(const std::string& attempt, const std::string& text) {
    std::ofstream(root_ / attempt / "output.log", std::ios::app) << text << std::flush;
  }
  std::string Dir(const std::string& attempt) { return (root_ / attempt).string(); }

  std::filesystem::path root_;
  EventBus bus_;
  std::unique_ptr<FileWatcher> watcher_;
};

TEST_F(LogFollowerTest, SendsEachWriteAndEndsWhenTheJobEnds) {
  Append("attempt-1", "one\n");
  auto out = std::make_shared<RecordingStream>();
  FollowLog(out, bus_, *watcher_, "j1", 0, 0, [&]() -> absl::StatusOr<FollowedJob> {
    return FollowedJob{false, Dir("attempt-1")};
  });
  ASSERT_TRUE(out->WaitFor([](const std::string& t, bool) { return t == "one\n"; }));
  Append("attempt-1", "two\n");  // no event: the file watcher wakes it
  ASSERT_TRUE(out->WaitFor([](const std::string& t, bool) { return t == "one\ntwo\n"; }));
  bus_.Publish({"jobs/j1", "job", JobEvent("SUCCEEDED", Dir("attempt-1"))});
  EXPECT_TRUE(out->WaitFor([](const std::string&, bool ended) { return ended; }));
  EXPECT_EQ(out->text(), "one\ntwo\n");
}

TEST_F(LogFollowerTest, APendingJobsLogIsFollowedOnceItStartsAndARetryFromItsStart) {
  auto out = std::make_shared<RecordingStream>();
  FollowLog(out, bus_, *watcher_, "j2", 0, 0, []() -> absl::StatusOr<FollowedJob> {
    return FollowedJob{false, ""};
  });
  Append("attempt-1", "first try\n");
  bus_.Publish({"jobs/j2", "job", JobEvent("RUNNING", Dir("attempt-1"))});
  ASSERT_TRUE(out->WaitFor([](const std::string& t, bool) { return t == "first try\n"; }));
  Append("attempt-2", "second try\n");
  bus_.Publish({"jobs/j2", "job", JobEvent("RUNNING", Dir("attempt-2"))});
  bus_.Publish({"jobs/j2", "job", JobEvent("FAILED", Dir("attempt-2"))});
  ASSERT_TRUE(out->WaitFor([](const std::string&, bool ended) { return ended; }));
  EXPECT_EQ(out->text(), "first try\nsecond try\n");
}

TEST_F(LogFollowerTest, StartsAtTheOffsetAndEndsAtOnceForAnEndedJob) {
  Append("attempt-1", "0123456789");
  auto out = std::make_shared<RecordingStream>();
  FollowLog(out, bus_, *watcher_, "j3", 0, 6, [&]() -> absl::StatusOr<FollowedJob> {
    return FollowedJob{true, Dir("attempt-1")};
  });
  ASSERT_TRUE(out->WaitFor([](const std::string&, bool ended) { return ended; }));
  EXPECT_EQ(out->text(), "6789");
  EXPECT_EQ(bus_.Subscribers("jobs/j3"), 0);  // it let go of the bus
}

TEST(FollowedJobTest, ReadsStateAndTheReplicasFolderFromAJobEvent) {
  FollowedJob job = FollowedJobFrom(JobEvent("CANCELLED", "/x"), 0);
  EXPECT_TRUE(job.ended);
  EXPECT_EQ(job.log_dir, "/x");
  job = FollowedJobFrom(JobEvent("RUNNING", "/x"), 3);  // no such replica
  EXPECT_FALSE(job.ended);
  EXPECT_EQ(job.log_dir, "");
  EXPECT_FALSE(FollowedJobFrom(Json{{"state", "bogus"}}, 0).ended);
}

}  // namespace
}  // namespace plinth::jobs
