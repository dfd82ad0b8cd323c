#include "plinth/exec/local_executor.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/exec/exec_test_util.h"

namespace plinth::exec::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class LocalExecutorTest : public ExecTest {
 protected:
  // Launches `sleep 1000` and waits until the command itself runs (a
  // supervisor killed before that takes the command along).
  ReplicaRecord StartSleep(const LaunchSpec& spec, std::string& handle) {
    handle = Launch(spec);
    ReplicaRecord rec = Record(spec);
    EXPECT_TRUE(
        WaitFor([&] { return Slurp(absl::StrCat("/proc/", rec.pid, "/comm")) == "sleep\n"; }));
    return rec;
  }
};

// Issue 9: a replica's end is told to the listener (no poll needed to
// notice it), for replicas it launched and for ones it first sees in Poll
// (started by an earlier server run).
TEST_F(LocalExecutorTest, TellsTheExitListenerWhenAReplicaEnds) {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  executor_->SetExitListener([&] {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    cv.notify_all();
  });
  auto wait_calls = [&](int n) {
    std::unique_lock<std::mutex> lock(mu);
    // A generous bound only so that a broken watcher fails instead of hanging.
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return calls >= n; });
  };
  LaunchSpec spec = Spec({"sh", "-c", "sleep 0.2"}, "a");
  std::string handle = Launch(spec);
  ASSERT_TRUE(wait_calls(1));
  auto status = executor_->Poll(handle);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, ReplicaState::kSucceeded);  // the exit is recorded first

  // A second executor (a restarted server) learns of the shim from Poll.
  std::unique_ptr<LocalExecutor> other = NewExecutor();
  int other_calls = 0;
  other->SetExitListener([&] {
    std::lock_guard<std::mutex> lock(mu);
    ++other_calls;
    cv.notify_all();
  });
  std::string sleeper;
  ReplicaRecord rec = StartSleep(Spec({"sleep", "1000"}, "b"), sleeper);
  auto running = other->Poll(sleeper);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state, ReplicaState::kRunning);
  ASSERT_TRUE(executor_->Kill(sleeper).ok());
  {
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return other_calls >= 1; }));
  }
  other->SetExitListener(nullptr);
  executor_->SetExitListener(nullptr);
}

TEST_F(LocalExecutorTest, RecordsExitCodeAndOutput) {
  LaunchSpec spec = Spec({"sh", "-c", "echo hi; echo oops >&2; exit 3"});
  std::string handle = Launch(spec);
  ReplicaStatus status = WaitDone(handle);
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_EQ(status.term_signal, 0);
  EXPECT_EQ(status.message, "exited with code 3");
  std::string output = Slurp(fs::path(spec.log_dir) / "output.log");
  EXPECT_THAT(output, HasSubstr("hi\n"));
  EXPECT_THAT(output, HasSubstr("oops\n"));
}

TEST_F(LocalExecutorTest, ZeroExitSucceeds) {
  ReplicaStatus status = WaitDone(Launch(Spec({"true"})));
  EXPECT_EQ(status.state, ReplicaState::kSucceeded);
  EXPECT_EQ(status.exit_code, 0);
}

// The job's variables and devices reach the command; the server's own
// environment (its secrets) never does (issue 9).
TEST_F(LocalExecutorTest, EnvironmentAndDevicesReachTheCommandButNotTheServers) {
  ::setenv("PLINTH_EXEC_TEST_SECRET", "from-server", 1);
  LaunchSpec spec = Spec({"sh", "-c",
                          "echo \"[$FOO] [$CUDA_VISIBLE_DEVICES] [$NVIDIA_VISIBLE_DEVICES] "
                          "[$PLINTH_EXEC_TEST_SECRET] [$HOME] [$LANG]\"; env"});
  spec.env = {
      {"FOO", "bar baz"}, {"CUDA_VISIBLE_DEVICES", "1,2"}, {"NVIDIA_VISIBLE_DEVICES", "GPU-0f3c"}};
  EXPECT_EQ(WaitDone(Launch(spec)).state, ReplicaState::kSucceeded);
  ::unsetenv("PLINTH_EXEC_TEST_SECRET");
  std::string out = Slurp(fs::path(spec.log_dir) / "output.log");
  std::string lang = std::getenv("LANG") ? std::getenv("LANG") : "C.UTF-8";
  EXPECT_THAT(out, HasSubstr(absl::StrCat("[bar baz] [1,2] [GPU-0f3c] [] [", spec.log_dir,
                                          "/home] [", lang, "]")));
  EXPECT_THAT(out, Not(HasSubstr("from-server")));
  EXPECT_TRUE(fs::is_directory(fs::path(spec.log_dir) / "home"));
}

TEST_F(LocalExecutorTest, SpecEnvironmentOverridesTheDefaults) {
  LaunchSpec spec = Spec({"sh", "-c", "echo \"[$HOME] [$LANG]\""});
  spec.env = {{"HOME", "/tmp"}, {"LANG", "de_DE.UTF-8"}};
  WaitDone(Launch(spec));
  EXPECT_THAT(Slurp(fs::path(spec.log_dir) / "output.log"), HasSubstr("[/tmp] [de_DE.UTF-8]"));
}

TEST_F(LocalExecutorTest, RunsInTheWorkingFolderOrElseTheLogFolder) {
  fs::path work = base_ / "work";
  fs::create_directories(work);
  LaunchSpec in_work = Spec({"pwd"}, "in_work");
  in_work.working_dir = work.string();
  LaunchSpec in_log = Spec({"pwd"}, "in_log");
  WaitDone(Launch(in_work));
  WaitDone(Launch(in_log));
  EXPECT_EQ(Slurp(fs::path(in_work.log_dir) / "output.log"), fs::canonical(work).string() + "\n");
  EXPECT_EQ(Slurp(fs::path(in_log.log_dir) / "output.log"),
            fs::canonical(in_log.log_dir).string() + "\n");
}

TEST_F(LocalExecutorTest, RelativeCommandPathIsTakenFromTheWorkingFolder) {
  fs::path work = base_ / "work";
  fs::create_directories(work);
  ASSERT_TRUE(WriteFileAtomic(work / "train.sh", "#!/bin/sh\necho trained\n").ok());
  fs::permissions(work / "train.sh", fs::perms::owner_all);
  LaunchSpec spec = Spec({"./train.sh"});
  spec.working_dir = work.string();
  EXPECT_EQ(WaitDone(Launch(spec)).state, ReplicaState::kSucceeded);
  EXPECT_EQ(Slurp(fs::path(spec.log_dir) / "output.log"), "trained\n");
}

TEST_F(LocalExecutorTest, UnknownCommandIsRejectedAtLaunch) {
  auto handle = executor_->Launch(Spec({"plinth-no-such-command", "x"}));
  ASSERT_FALSE(handle.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(handle.status()));
  EXPECT_EQ(handle.status().message(), "command 'plinth-no-such-command' not found in PATH");
}

TEST_F(LocalExecutorTest, BadSpecsAreRejectedWithReasons) {
  struct Case {
    std::function<void(LaunchSpec&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](LaunchSpec& s) { s.argv.clear(); }, "command is empty"},
      {[](LaunchSpec& s) { s.log_dir.clear(); }, "log_dir is required"},
      {[this](LaunchSpec& s) { s.working_dir = (base_ / "missing").string(); }, "does not exist"},
      {[](LaunchSpec& s) { s.env["A=B"] = "x"; }, "environment variable name 'A=B'"},
      {[](LaunchSpec& s) { s.memory_mib = -1; }, "must be >= 0"},
      {[this](LaunchSpec& s) { s.argv = {(base_ / "notes.txt").string()}; },
       "not an executable file"},
      {[](LaunchSpec& s) { s.log_dir = "/proc/plinth-cannot-create"; }, "cannot create"},
  };
  ASSERT_TRUE(WriteFileAtomic(base_ / "notes.txt", "not a program\n").ok());
  for (const Case& c : cases) {
    LaunchSpec spec = Spec({"true"});
    c.change(spec);
    auto handle = executor_->Launch(spec);
    ASSERT_FALSE(handle.ok()) << c.message;
    EXPECT_TRUE(absl::IsInvalidArgument(handle.status())) << handle.status();
    EXPECT_THAT(handle.status().message(), HasSubstr(c.message));
  }
}

TEST_F(LocalExecutorTest, SigtermEndsASleep) {
  std::string handle = Launch(Spec({"sleep", "1000"}));
  ASSERT_EQ(executor_->Poll(handle)->state, ReplicaState::kRunning);
  ASSERT_TRUE(executor_->Signal(handle, SIGTERM).ok());
  ReplicaStatus status = WaitDone(handle);
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_EQ(status.term_signal, SIGTERM);
  EXPECT_EQ(status.message, "killed by SIGTERM");
}

TEST_F(LocalExecutorTest, JobThatIgnoresSigtermSurvivesItUntilKilled) {
  LaunchSpec spec = Spec({"sh", "-c",
                          "trap 'echo ignored TERM' TERM; echo ready; "
                          "while :; do sleep 0.05; done"});
  std::string handle = Launch(spec);
  fs::path output = fs::path(spec.log_dir) / "output.log";
  ASSERT_TRUE(WaitForText(output, "ready"));
  ASSERT_TRUE(executor_->Signal(handle, SIGTERM).ok());
  ASSERT_TRUE(WaitForText(output, "ignored TERM"));
  EXPECT_EQ(executor_->Poll(handle)->state, ReplicaState::kRunning);
  ASSERT_TRUE(executor_->Kill(handle).ok());
  ReplicaStatus status = *executor_->Poll(handle);
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_EQ(status.term_signal, SIGKILL);
  EXPECT_EQ(status.message, "killed by SIGKILL");
  EXPECT_TRUE(executor_->Kill(handle).ok());  // idempotent
}

TEST_F(LocalExecutorTest, KillEndsTheWholeProcessTree) {
  // A child in the group, one that left it with setsid, and a grandchild.
  LaunchSpec spec = Spec({"sh", "-c",
                          "sleep 1000 & echo $! >> pids; "
                          "setsid sleep 1000 & echo $! >> pids; "
                          "sh -c 'sleep 1000 & echo $! >> pids; wait' & "
                          "echo $! >> pids; wait"});
  std::string handle = Launch(spec);
  fs::path pids_file = fs::path(spec.log_dir) / "pids";
  ASSERT_TRUE(WaitFor([&] { return PidsIn(pids_file).size() == 4; }));
  auto pids = PidsIn(pids_file);
  for (auto [pid, start] : pids) ASSERT_TRUE(IsAlive(pid, start)) << pid;
  ASSERT_TRUE(executor_->Kill(handle).ok());
  EXPECT_EQ(executor_->Poll(handle)->term_signal, SIGKILL);
  // The shim records the exit only after the tree is gone.
  for (auto [pid, start] : pids) EXPECT_FALSE(IsAlive(pid, start)) << pid;
}

// The server died before recording the handle: the folder leads to it.
TEST_F(LocalExecutorTest, AbandonStopsAnUnrecordedLaunchByItsFolder) {
  LaunchSpec spec = Spec({"sh", "-c", "echo $$ > pid; exec sleep 1000"});
  std::string handle = Launch(spec);
  ASSERT_TRUE(WaitFor([&] { return PidsIn(fs::path(spec.log_dir) / "pid").size() == 1; }));
  auto pids = PidsIn(fs::path(spec.log_dir) / "pid");
  ASSERT_TRUE(executor_->Abandon(spec.log_dir).ok());
  auto status = executor_->Poll(handle);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->term_signal, SIGKILL);
  for (auto [pid, start] : pids) EXPECT_FALSE(IsAlive(pid, start)) << pid;
  EXPECT_TRUE(executor_->Abandon(spec.log_dir).ok());  // nothing left: still fine
  EXPECT_TRUE(executor_->Abandon((fs::path(spec.log_dir) / "never-used").string()).ok());
}

TEST_F(LocalExecutorTest, LeftoverProcessesDieWhenTheCommandEnds) {
  LaunchSpec spec =
      Spec({"sh", "-c", "sleep 1000 & echo $! >> pids; setsid sleep 1000 & echo $! >> pids"});
  fs::path pids_file = fs::path(spec.log_dir) / "pids";
  std::string handle = Launch(spec);
  ReplicaStatus status = WaitDone(handle);
  EXPECT_EQ(status.state, ReplicaState::kSucceeded);
  auto pids = PidsIn(pids_file);
  ASSERT_EQ(pids.size(), 2);
  for (auto [pid, start] : pids) EXPECT_FALSE(IsAlive(pid, start)) << pid;
}

TEST_F(LocalExecutorTest, MaxRuntimeEndsTheJobGracefully) {
  LaunchSpec spec = Spec({"sleep", "1000"});
  spec.max_runtime_s = 1;
  ReplicaStatus status = WaitDone(Launch(spec));
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_EQ(status.term_signal, SIGTERM);
  EXPECT_EQ(status.message, "exceeded max runtime (1 s)");
  auto exit = ReadExitRecord(spec.log_dir);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->reason, "max_runtime");
}

TEST_F(LocalExecutorTest, MaxRuntimeEscalatesToSigkill) {
  LaunchSpec spec = Spec({"sh", "-c", "trap '' TERM; echo ready; sleep 1000"});
  spec.max_runtime_s = 1;  // the fixture's grace is 1 s
  ReplicaStatus status = WaitDone(Launch(spec));
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_EQ(status.term_signal, SIGKILL);
  EXPECT_EQ(status.message, "exceeded max runtime (1 s)");
  EXPECT_THAT(Slurp(fs::path(spec.log_dir) / "output.log"),
              HasSubstr("still running 1 s after SIGTERM: sending SIGKILL"));
}

TEST_F(LocalExecutorTest, ReplicaOfAnotherServerProcessCanBePolledAndSignalled) {
  // A launcher process plays the server that started the replica and then
  // died, so the shim is not a child of this process.
  LaunchSpec spec = Spec({"sleep", "1000"});
  fs::path handle_file = base_ / "handle";
  pid_t launcher = ::fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    auto handle = NewExecutor()->Launch(spec);
    ::_exit(handle.ok() && WriteFileAtomic(handle_file, *handle).ok() ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(launcher, &wstatus, 0), launcher);
  ASSERT_EQ(wstatus, 0);
  std::string handle = Slurp(handle_file);
  handles_.push_back(handle);
  auto parsed = LocalExecutor::ParseHandle(handle);
  ASSERT_TRUE(parsed.ok());
  ASSERT_NE(ReadProcStat(parsed->shim_pid)->ppid, ::getpid());

  auto restarted = NewExecutor();
  EXPECT_EQ(restarted->Poll(handle)->state, ReplicaState::kRunning);
  ASSERT_TRUE(restarted->Signal(handle, SIGTERM).ok());
  ReplicaStatus status = WaitDone(handle, restarted.get());
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_EQ(status.term_signal, SIGTERM);
}

TEST_F(LocalExecutorTest, ReplicaIsLostWhenItsSupervisorVanishes) {
  AdoptOrphans adopt;
  LaunchSpec spec = Spec({"sleep", "1000"});
  std::string handle;
  ReplicaRecord rec = StartSleep(spec, handle);
  ::kill(rec.shim_pid, SIGKILL);
  ::kill(-rec.pgid, SIGKILL);
  // The command is dead too (a zombie until reaped) before the executor
  // looks: on a busy machine it could otherwise still be dying, which the
  // executor reports differently ("its command ... is still running").
  ASSERT_TRUE(WaitFor([&] {
    std::string stat = Slurp(absl::StrCat("/proc/", rec.pid, "/stat"));
    size_t paren = stat.rfind(") ");
    return paren == std::string::npos || stat[paren + 2] == 'Z';
  }));
  ReplicaStatus status = WaitDone(handle);
  EXPECT_EQ(status.state, ReplicaState::kLost);
  EXPECT_EQ(status.message, "supervisor process vanished without an exit status");
  adopt.Reap(rec.pid);
}

TEST_F(LocalExecutorTest, KillStopsACommandWhoseSupervisorVanished) {
  AdoptOrphans adopt;
  LaunchSpec spec = Spec({"sleep", "1000"});
  std::string handle;
  ReplicaRecord rec = StartSleep(spec, handle);
  ::kill(rec.shim_pid, SIGKILL);
  ReplicaStatus lost = WaitDone(handle);
  EXPECT_EQ(lost.state, ReplicaState::kLost);
  EXPECT_THAT(lost.message, HasSubstr("is still running; Kill stops it"));
  ASSERT_TRUE(executor_->Kill(handle).ok());
  EXPECT_TRUE(WaitFor([&] { return !IsAlive(rec.pid, rec.start_time); }));
  ReplicaStatus killed = *executor_->Poll(handle);
  EXPECT_EQ(killed.state, ReplicaState::kFailed);
  EXPECT_EQ(killed.message, "killed by SIGKILL");
  EXPECT_EQ(ReadExitRecord(spec.log_dir)->reason, "killed");
  adopt.Reap(rec.pid);
}

TEST_F(LocalExecutorTest, HandleWithAnotherStartTimeIsNotTheSameProcess) {
  std::string handle = Launch(Spec({"sleep", "1000"}));
  auto parsed = LocalExecutor::ParseHandle(handle);
  ASSERT_TRUE(parsed.ok());
  LocalExecutor::Handle recycled = *parsed;
  recycled.shim_start_time += 1;
  recycled.log_dir = (base_ / "elsewhere").string();
  auto status = executor_->Poll(LocalExecutor::FormatHandle(recycled));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, ReplicaState::kLost);
  EXPECT_TRUE(executor_->Kill(LocalExecutor::FormatHandle(recycled)).ok());
  EXPECT_EQ(executor_->Poll(handle)->state, ReplicaState::kRunning);  // untouched
}

TEST_F(LocalExecutorTest, StaleHandleDoesNotTouchALaterLaunchInTheSameFolder) {
  LaunchSpec spec = Spec({"true"});
  std::string first = Launch(spec);
  WaitDone(first);
  spec.argv = {"sleep", "1000"};
  std::string second = Launch(spec);
  EXPECT_EQ(executor_->Poll(second)->state, ReplicaState::kRunning);
  EXPECT_EQ(executor_->Poll(first)->state, ReplicaState::kLost);  // its records were replaced
  EXPECT_TRUE(executor_->Kill(first).ok());
  EXPECT_TRUE(executor_->Signal(first, SIGTERM).ok());
  EXPECT_EQ(executor_->Poll(second)->state, ReplicaState::kRunning);
}

TEST_F(LocalExecutorTest, FolderOfARunningReplicaCannotBeReused) {
  LaunchSpec spec = Spec({"sleep", "1000"});
  Launch(spec);
  auto again = executor_->Launch(spec);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(again.status()));
  EXPECT_THAT(again.status().message(), HasSubstr("still running"));
}

TEST_F(LocalExecutorTest, HandlesRoundTripAndRejectGarbage) {
  LocalExecutor::Handle h{1234, 987654, "/data/with:colon/r0"};
  std::string text = LocalExecutor::FormatHandle(h);
  EXPECT_EQ(text, "local:1234:987654:/data/with:colon/r0");
  auto parsed = LocalExecutor::ParseHandle(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->shim_pid, 1234);
  EXPECT_EQ(parsed->shim_start_time, 987654);
  EXPECT_EQ(parsed->log_dir, "/data/with:colon/r0");
  for (const char* bad : {"", "local", "slurm:12:3:/x", "local:x:3:/x", "local:12:3:relative",
                          "local:-1:3:/x", "local:0:3:/x"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(executor_->Poll(bad).status())) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(executor_->Kill(bad))) << bad;
  }
  EXPECT_TRUE(absl::IsInvalidArgument(executor_->Signal(text, 0)));
  EXPECT_TRUE(absl::IsInvalidArgument(executor_->Signal(text, 4096)));
}

TEST_F(LocalExecutorTest, CreateNeedsAnExecutableShim) {
  LocalExecutorOptions options;
  options.shim_path = (base_ / "no-shim").string();
  auto executor = LocalExecutor::Create(options);
  ASSERT_FALSE(executor.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(executor.status()));
  EXPECT_THAT(executor.status().message(), HasSubstr("shim_path"));
}

TEST_F(LocalExecutorTest, LimitsAreReportedAsNotEnforcedWithoutCgroupV2) {
  LocalExecutorOptions options;
  options.cgroup_root = (base_ / "no-cgroups").string();
  auto executor = NewExecutor(options);
  EXPECT_THAT(executor->LimitsNote(), StartsWith(kNoCgroupV2Note));
  LaunchSpec spec = Spec({"true"});
  spec.memory_mib = 512;
  spec.cpus = 1.5;
  auto handle = executor->Launch(spec);
  ASSERT_TRUE(handle.ok()) << handle.status();
  EXPECT_THAT(Record(spec).limits, StartsWith(kNoCgroupV2Note));
  WaitDone(*handle, executor.get());

  LaunchSpec unlimited = Spec({"true"}, "unlimited");
  handle = executor->Launch(unlimited);
  ASSERT_TRUE(handle.ok());
  EXPECT_EQ(Record(unlimited).limits, "none requested");
  WaitDone(*handle, executor.get());
}

// Runs only where the machine has a writable cgroup v2 hierarchy with the
// memory and cpu controllers (as root); elsewhere it says why it skipped.
TEST_F(LocalExecutorTest, CgroupLimitsAreEnforcedWhereAvailable) {
  if (executor_->LimitsNote().rfind("enforced", 0) != 0) {
    GTEST_SKIP() << "memory/CPU limits " << executor_->LimitsNote();
  }
  LaunchSpec sleeper = Spec({"sleep", "1000"}, "sleeper");
  sleeper.memory_mib = 64;
  sleeper.cpus = 0.5;
  std::string handle = Launch(sleeper);
  ReplicaRecord rec = Record(sleeper);
  ASSERT_FALSE(rec.cgroup.empty()) << rec.limits;
  EXPECT_EQ(Slurp(fs::path(rec.cgroup) / "memory.max"), "67108864\n");
  EXPECT_EQ(Slurp(fs::path(rec.cgroup) / "cpu.max"), "50000 100000\n");
  EXPECT_THAT(Slurp(fs::path(rec.cgroup) / "cgroup.procs"), HasSubstr(absl::StrCat(rec.pid)));
  ASSERT_TRUE(executor_->Kill(handle).ok());
  EXPECT_FALSE(fs::exists(rec.cgroup));  // removed once empty

  // Holding 200 MB in a shell variable exceeds the 64 MiB limit.
  LaunchSpec hog = Spec(
      {"sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived ${#x}"}, "hog");
  hog.memory_mib = 64;
  ReplicaStatus status = WaitDone(Launch(hog));
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_THAT(Slurp(fs::path(hog.log_dir) / "output.log"), ::testing::Not(HasSubstr("survived")));
}

}  // namespace
}  // namespace plinth::exec::testing
