// Shared fixture for the tests that launch real replicas through the test shim.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "plinth/common/files.h"
#include "plinth/exec/local_executor.h"
#include "plinth/exec/process_util.h"
#include "plinth/exec/replica_record.h"

namespace plinth::exec::testing {

namespace fs = std::filesystem;

// Polls `done` until it holds or `timeout` passes (real processes take real time).
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

inline std::string Slurp(const fs::path& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

// Makes this process the reaper of orphans while it lives: tests that kill
// a shim orphan its command, and a container's pid 1 may never reap it.
class AdoptOrphans {
 public:
  AdoptOrphans() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~AdoptOrphans() { ::prctl(PR_SET_CHILD_SUBREAPER, 0); }
  // Waits for an adopted orphan that has been killed.
  void Reap(pid_t pid) { ::waitpid(pid, nullptr, 0); }
};

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    base_ = fs::path(::testing::TempDir()) / absl::StrCat("plinth_exec_", getpid(), "_", counter++);
    fs::create_directories(base_);
    executor_ = NewExecutor();
  }
  void TearDown() override {
    for (const std::string& h : handles_) (void)executor_->Kill(h);
    fs::remove_all(base_);
  }

  std::unique_ptr<LocalExecutor> NewExecutor(LocalExecutorOptions options = {}) {
    options.shim_path = PLINTH_TEST_SHIM_PATH;
    options.kill_grace_s = 1;
    auto executor = LocalExecutor::Create(options);
    EXPECT_TRUE(executor.ok()) << executor.status();
    return std::move(executor).value();
  }

  LaunchSpec Spec(std::vector<std::string> argv, const std::string& name = "r") {
    LaunchSpec spec;
    spec.job_id = absl::StrCat("job", getpid(), "_", name);
    spec.name = name;
    spec.argv = std::move(argv);
    spec.log_dir = (base_ / name).string();
    return spec;
  }

  // Launches and remembers the handle so TearDown kills what a failed test left.
  std::string Launch(const LaunchSpec& spec) {
    auto handle = executor_->Launch(spec);
    EXPECT_TRUE(handle.ok()) << handle.status();
    if (!handle.ok()) return "";
    handles_.push_back(*handle);
    return *handle;
  }

  // Polls until the replica is no longer running.
  ReplicaStatus WaitDone(const std::string& handle, LocalExecutor* executor = nullptr) {
    if (executor == nullptr) executor = executor_.get();
    ReplicaStatus status;
    bool done = WaitFor([&] {
      auto s = executor->Poll(handle);
      EXPECT_TRUE(s.ok()) << s.status();
      if (s.ok()) status = *s;
      return !s.ok() || s->state != ReplicaState::kRunning;
    });
    EXPECT_TRUE(done) << "replica still running: " << handle;
    return status;
  }

  // Waits until `file` (under the replica's folder) contains `text`.
  bool WaitForText(const fs::path& file, const std::string& text) {
    return WaitFor([&] { return Slurp(file).find(text) != std::string::npos; });
  }

  ReplicaRecord Record(const LaunchSpec& spec) {
    auto rec = ReadReplicaRecord(spec.log_dir);
    EXPECT_TRUE(rec.ok()) << rec.status();
    return rec.ok() ? *rec : ReplicaRecord{};
  }

  // Pids (one a line) that a test command wrote to `file`, with their start times.
  std::vector<std::pair<pid_t, uint64_t>> PidsIn(const fs::path& file) {
    std::vector<std::pair<pid_t, uint64_t>> out;
    for (absl::string_view line : absl::StrSplit(Slurp(file), '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (!absl::SimpleAtoi(line, &pid)) continue;
      auto st = ReadProcStat(pid);
      out.emplace_back(pid, st ? st->start_time : 0);
    }
    return out;
  }

  fs::path base_;
  std::unique_ptr<LocalExecutor> executor_;
  std::vector<std::string> handles_;
};

}  // namespace plinth::exec::testing
