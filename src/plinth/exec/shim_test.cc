#include "plinth/exec/shim.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/exec/exec_test_util.h"

namespace plinth::exec::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<char*> CArgs(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (std::string& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

TEST(ShimArgsTest, RoundTrip) {
  ShimOptions o;
  o.log_dir = "/logs/r0";
  o.working_dir = "/work";
  o.executable = "/usr/bin/python3";
  o.argv = {"python3", "--", "train.py", "--lr=0.1"};
  o.max_runtime_s = 3600;
  o.kill_grace_s = 30;
  o.cgroup = "/sys/fs/cgroup/plinth/j-0";
  o.limits = "memory 512 MiB";
  o.uid = 61190;
  o.gid = 61190;
  std::vector<std::string> args = ShimArgs(o);
  EXPECT_EQ(args[0], "_shim");
  std::vector<char*> argv = CArgs(args);
  auto parsed = ParseShimArgs(static_cast<int>(args.size()), argv.data());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->log_dir, o.log_dir);
  EXPECT_EQ(parsed->working_dir, o.working_dir);
  EXPECT_EQ(parsed->executable, o.executable);
  EXPECT_THAT(parsed->argv, ElementsAre("python3", "--", "train.py", "--lr=0.1"));
  EXPECT_EQ(parsed->max_runtime_s, 3600);
  EXPECT_EQ(parsed->kill_grace_s, 30);
  EXPECT_EQ(parsed->cgroup, o.cgroup);
  EXPECT_EQ(parsed->limits, o.limits);
  EXPECT_EQ(parsed->uid, 61190);
  EXPECT_EQ(parsed->gid, 61190);
}

TEST(ShimArgsTest, BadArgumentsSayWhatIsWrong) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"_shim", "--", "true"}, "--log-dir is required"},
      {{"_shim", "--log-dir", "/l"}, "no command after --"},
      {{"_shim", "--log-dir", "/l", "--kill-grace-s", "soon", "--", "true"}, "whole number"},
      {{"_shim", "--log-dir", "/l", "--max-runtime-s", "-5", "--", "true"}, "whole number"},
      {{"_shim", "--log-dir", "/l", "--colour", "red", "--", "true"}, "unknown flag --colour"},
      {{"_shim", "--log-dir"}, "--log-dir needs a value"},
      {{"_shim", "--log-dir", "/l", "--uid", "7", "--", "true"}, "--uid and --gid go together"},
      {{"_shim", "--log-dir", "/l", "--uid", "-1", "--gid", "1", "--", "true"}, "number >= 0"},
  };
  for (Case& c : cases) {
    std::vector<char*> argv = CArgs(c.args);
    auto parsed = ParseShimArgs(static_cast<int>(c.args.size()), argv.data());
    ASSERT_FALSE(parsed.ok()) << c.message;
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status()));
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.message));
  }
  std::vector<std::string> bad = {"_shim", "--bogus"};
  std::vector<char*> argv = CArgs(bad);
  EXPECT_EQ(RunShim(2, argv.data()), 2);
}

TEST(ShimArgsTest, DefaultsFillIn) {
  std::vector<std::string> args = {"_shim", "--log-dir", "/l", "--", "/bin/true"};
  std::vector<char*> argv = CArgs(args);
  auto parsed = ParseShimArgs(static_cast<int>(args.size()), argv.data());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->executable, "/bin/true");
  EXPECT_EQ(parsed->working_dir, "/l");
  EXPECT_EQ(parsed->kill_grace_s, 10);
  EXPECT_EQ(parsed->max_runtime_s, 0);
}

using ShimTest = ExecTest;

TEST_F(ShimTest, ForwardsSigusr1ToTheCommand) {
  LaunchSpec spec = Spec({"sh", "-c",
                          "trap 'echo checkpoint >> ckpt' USR1; echo ready; "
                          "while :; do sleep 0.05; done"});
  std::string handle = Launch(spec);
  fs::path output = fs::path(spec.log_dir) / "output.log";
  ASSERT_TRUE(WaitForText(output, "ready"));
  ::kill(Record(spec).shim_pid, SIGUSR1);  // to the shim, not the command
  EXPECT_TRUE(WaitForText(fs::path(spec.log_dir) / "ckpt", "checkpoint"));
  EXPECT_EQ(executor_->Poll(handle)->state, ReplicaState::kRunning);
}

TEST_F(ShimTest, ExecutorSignalReachesTheCommandsTrap) {
  LaunchSpec spec = Spec({"sh", "-c",
                          "trap 'echo checkpoint >> ckpt' USR1; echo ready; "
                          "while :; do sleep 0.05; done"});
  std::string handle = Launch(spec);
  ASSERT_TRUE(WaitForText(fs::path(spec.log_dir) / "output.log", "ready"));
  ASSERT_TRUE(executor_->Signal(handle, SIGUSR1).ok());
  EXPECT_TRUE(WaitForText(fs::path(spec.log_dir) / "ckpt", "checkpoint"));
}

TEST_F(ShimTest, SigtermToTheShimIsForwardedNotFatal) {
  LaunchSpec spec = Spec({"sleep", "1000"});
  std::string handle = Launch(spec);
  ::kill(Record(spec).shim_pid, SIGTERM);
  ReplicaStatus status = WaitDone(handle);
  // A shim killed by the signal would leave no exit status (kLost).
  EXPECT_EQ(status.state, ReplicaState::kFailed);
  EXPECT_EQ(status.term_signal, SIGTERM);
}

TEST_F(ShimTest, ReplicaRecordExistsBeforeTheCommandStarts) {
  LaunchSpec spec = Spec({"cat", "replica.json"});
  EXPECT_EQ(WaitDone(Launch(spec)).state, ReplicaState::kSucceeded);
  std::string output = Slurp(fs::path(spec.log_dir) / "output.log");
  EXPECT_THAT(output, HasSubstr("\"pgid\""));
  ReplicaRecord rec = Record(spec);
  EXPECT_EQ(rec.pgid, rec.pid);
  EXPECT_GT(rec.start_time, 0);
  EXPECT_NE(rec.pgid, ::getpgrp());  // a group of its own
}

TEST_F(ShimTest, CommandThatCannotBeExecutedExitsWith127) {
  fs::path log_dir = base_ / "direct";
  fs::create_directories(log_dir);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::open((log_dir / "output.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDERR_FILENO);
    std::vector<std::string> args = {
        "_shim", "--log-dir", log_dir.string(), "--exe", "/nonexistent/train", "--", "train"};
    std::vector<char*> argv = CArgs(args);
    ::_exit(RunShim(static_cast<int>(args.size()), argv.data()));
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  EXPECT_EQ(WEXITSTATUS(wstatus), 127);
  auto exit = ReadExitRecord(log_dir.string());
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 127);
  EXPECT_THAT(Slurp(log_dir / "output.log"),
              HasSubstr("cannot run /nonexistent/train: No such file or directory"));
}

}  // namespace
}  // namespace plinth::exec::testing
