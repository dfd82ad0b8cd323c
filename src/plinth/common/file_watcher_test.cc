#include "plinth/common/file_watcher.h"

#include <condition_variable>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace plinth {
namespace {

// Counts calls and lets the test wait for the next one (no sleeps).
struct Calls {
  std::mutex mu;
  std::condition_variable cv;
  int n = 0;
  void Add() {
    std::lock_guard<std::mutex> lock(mu);
    ++n;
    cv.notify_all();
  }
  bool WaitFor(int at_least) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return n >= at_least; });
  }
};

std::string TempDir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("plinth-watch-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(FileWatcherTest, CallsBackWhenAFileInTheFolderIsWritten) {
  auto watcher = FileWatcher::Create();
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  std::string dir = TempDir("write");
  Calls calls;
  auto id = (*watcher)->WatchDir(dir, [&] { calls.Add(); });
  ASSERT_TRUE(id.ok()) << id.status();
  std::ofstream(dir + "/output.log") << "hello\n";
  EXPECT_TRUE(calls.WaitFor(1));
  int before = calls.n;
  (*watcher)->Unwatch(*id);
  // A posted marker runs after any change already read: nothing after it.
  Calls marker;
  std::ofstream(dir + "/output.log", std::ios::app) << "more\n";
  (*watcher)->Post([&] { marker.Add(); });
  EXPECT_TRUE(marker.WaitFor(1));
  EXPECT_EQ(calls.n, before);
  std::filesystem::remove_all(dir);
}

TEST(FileWatcherTest, TwoWatchesOfOneFolderBothFireAndOneCanLeave) {
  auto watcher = FileWatcher::Create();
  ASSERT_TRUE(watcher.ok());
  std::string dir = TempDir("two");
  Calls a, b;
  auto ida = (*watcher)->WatchDir(dir, [&] { a.Add(); });
  auto idb = (*watcher)->WatchDir(dir, [&] { b.Add(); });
  ASSERT_TRUE(ida.ok() && idb.ok());
  std::ofstream(dir + "/f") << "x";
  EXPECT_TRUE(a.WaitFor(1));
  EXPECT_TRUE(b.WaitFor(1));
  (*watcher)->Unwatch(*ida);
  int b_before = b.n;
  std::ofstream(dir + "/g") << "y";
  EXPECT_TRUE(b.WaitFor(b_before + 1));  // the folder is still watched for b
  std::filesystem::remove_all(dir);
}

TEST(FileWatcherTest, AMissingFolderIsNotFound) {
  auto watcher = FileWatcher::Create();
  ASSERT_TRUE(watcher.ok());
  auto id = (*watcher)->WatchDir("/nonexistent/plinth-watch", [] {});
  EXPECT_EQ(id.status().code(), absl::StatusCode::kNotFound);
}

TEST(FileWatcherTest, PostedWorkRunsOnTheWatcherThread) {
  auto watcher = FileWatcher::Create();
  ASSERT_TRUE(watcher.ok());
  Calls calls;
  std::thread::id ran_on;
  (*watcher)->Post([&] {
    ran_on = std::this_thread::get_id();
    calls.Add();
  });
  ASSERT_TRUE(calls.WaitFor(1));
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

}  // namespace
}  // namespace plinth
