#include "plinth/exec/exit_watcher.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "gtest/gtest.h"
#include "plinth/exec/process_util.h"

extern char** environ;

namespace plinth::exec {
namespace {

pid_t Spawn(const char* seconds) {
  const char* argv[] = {"/bin/sleep", seconds, nullptr};
  pid_t pid = 0;
  EXPECT_EQ(posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  return pid;
}

class ExitWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    watcher_.SetListener([this] {
      std::lock_guard<std::mutex> lock(mu_);
      ++calls_;
      cv_.notify_all();
    });
  }
  void TearDown() override { watcher_.SetListener(nullptr); }
  // A bound only so that a broken watcher fails instead of hanging.
  bool WaitCalls(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return calls_ >= n; });
  }
  int Calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

  ExitWatcher watcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
};

TEST_F(ExitWatcherTest, TellsWhenAWatchedProcessExits) {
  pid_t pid = Spawn("1000");
  auto stat = ReadProcStat(pid);
  ASSERT_TRUE(stat.has_value());
  ASSERT_TRUE(watcher_.Watch(pid, stat->start_time));
  ASSERT_TRUE(watcher_.Watch(pid, stat->start_time));  // twice: still one watch
  EXPECT_EQ(Calls(), 0);
  ::kill(pid, SIGKILL);
  EXPECT_TRUE(WaitCalls(1));
  int status;
  ::waitpid(pid, &status, 0);
}

TEST_F(ExitWatcherTest, AProcessAlreadyGoneOrRecycledIsToldAtOnce) {
  pid_t pid = Spawn("0");
  int status;
  ::waitpid(pid, &status, 0);
  watcher_.Watch(pid, 12345);  // gone (or another process now): look now
  EXPECT_TRUE(WaitCalls(1));
}

}  // namespace
}  // namespace plinth::exec
