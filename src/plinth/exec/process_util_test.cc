#include "plinth/exec/process_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/files.h"

namespace plinth::exec {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;

class ProcessUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    base_ = fs::path(::testing::TempDir()) / absl::StrCat("plinth_proc_", getpid(), "_", counter++);
    fs::create_directories(base_ / "bin");
    fs::create_directories(base_ / "other");
    MakeFile(base_ / "bin" / "tool", true);
    MakeFile(base_ / "other" / "tool", true);
    MakeFile(base_ / "bin" / "data", false);
  }
  void TearDown() override { fs::remove_all(base_); }

  void MakeFile(const fs::path& path, bool executable) {
    ASSERT_TRUE(WriteFileAtomic(path, "#!/bin/sh\n").ok());
    fs::permissions(path, executable ? fs::perms::owner_all : fs::perms::owner_read);
  }

  fs::path base_;
};

TEST_F(ProcessUtilTest, ResolvesNamesAlongPathInOrder) {
  std::string path = absl::StrCat((base_ / "missing").string(), ":", (base_ / "bin").string(), ":",
                                  (base_ / "other").string());
  EXPECT_EQ(*ResolveExecutable("tool", path, "/"), (base_ / "bin" / "tool").string());
}

TEST_F(ProcessUtilTest, SkipsFilesThatAreNotExecutable) {
  auto found = ResolveExecutable("data", (base_ / "bin").string(), "/");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().message(), "command 'data' not found in PATH");
  EXPECT_FALSE(ResolveExecutable("bin", base_.string(), "/").ok());  // a folder
}

TEST_F(ProcessUtilTest, PathsWithSlashesAreRelativeToTheBaseFolder) {
  EXPECT_EQ(*ResolveExecutable("./bin/tool", "", base_.string()),
            (base_ / "bin" / "tool").string());
  EXPECT_EQ(*ResolveExecutable((base_ / "other" / "tool").string(), "", "/"),
            (base_ / "other" / "tool").string());
  auto missing = ResolveExecutable("./nope", "/usr/bin", base_.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("is not an executable file"));
}

TEST_F(ProcessUtilTest, ReadsOwnStat) {
  auto st = ReadProcStat(::getpid());
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->ppid, ::getppid());
  EXPECT_EQ(st->pgid, ::getpgrp());
  EXPECT_GT(st->start_time, 0);
  EXPECT_TRUE(IsAlive(::getpid(), st->start_time));
  EXPECT_FALSE(IsAlive(::getpid(), st->start_time + 1));
  EXPECT_FALSE(ReadProcStat(0).has_value());
  EXPECT_FALSE(ReadProcStat(-1).has_value());
}

TEST_F(ProcessUtilTest, ZombiesAreNotAliveAndOnlyMatchingOnesAreReaped) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  // Until reaped, the child is a zombie whose stat still reads.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, child, &info, WEXITED | WNOWAIT), 0);
  auto st = ReadProcStat(child);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->state, 'Z');
  EXPECT_FALSE(IsAlive(child, st->start_time));
  EXPECT_THAT(ChildrenOf(::getpid()), ::testing::Not(Contains(child)));
  ReapIfOurZombie(child, st->start_time + 1);  // another process's start time: left alone
  EXPECT_TRUE(ReadProcStat(child).has_value());
  ReapIfOurZombie(child, st->start_time);
  EXPECT_FALSE(ReadProcStat(child).has_value());
}

TEST_F(ProcessUtilTest, WaitForExitReturnsWhenTheProcessEndsOrTheTimeIsUp) {
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // exits once the test closes the pipe
    ::close(go[1]);
    char c;
    (void)!::read(go[0], &c, 1);
    ::_exit(0);
  }
  ::close(go[0]);
  auto st = ReadProcStat(child);
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE(WaitForExit(child, st->start_time, 50));  // still running
  ::close(go[1]);
  EXPECT_TRUE(WaitForExit(child, st->start_time, 10'000));
  ReapIfOurZombie(child, st->start_time);
  EXPECT_TRUE(WaitForExit(child, st->start_time, 0));  // gone: at once
}

TEST_F(ProcessUtilTest, ListsLiveChildren) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  EXPECT_THAT(ChildrenOf(::getpid()), Contains(child));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST(SignalNameTest, NamesSignals) {
  EXPECT_EQ(SignalName(SIGKILL), "SIGKILL");
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(SignalName(SIGUSR1), "SIGUSR1");
  EXPECT_EQ(SignalName(200), "signal 200");
}

}  // namespace
}  // namespace plinth::exec
