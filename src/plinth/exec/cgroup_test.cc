#include "plinth/exec/cgroup.h"

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
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Builds fake cgroup trees in a temporary folder: the functions only read
// and write files, so a plain folder stands in for cgroupfs.
class CgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    root_ = fs::path(::testing::TempDir()) / absl::StrCat("plinth_cg_", getpid(), "_", counter++);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const fs::path& path, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(path, text).ok());
  }
  std::string Read(const fs::path& path) {
    auto text = ReadFile(path);
    return text.ok() ? *text : "<absent>";
  }

  fs::path root_;
};

TEST_F(CgroupTest, UnifiedHierarchyWithControllersIsFound) {
  Write(root_ / "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  auto v2 = FindCgroupV2(root_.string());
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(*v2, root_.string());
}

TEST_F(CgroupTest, HybridUnifiedMountIsFound) {
  Write(root_ / "unified" / "cgroup.controllers", "cpu memory\n");
  fs::create_directories(root_ / "memory");  // the v1 controllers beside it
  auto v2 = FindCgroupV2(root_.string());
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(*v2, (root_ / "unified").string());
}

TEST_F(CgroupTest, HybridWithoutControllersFallsBack) {
  // What this development machine has: v1 controllers and an empty-ish v2 mount.
  Write(root_ / "unified" / "cgroup.controllers", "hugetlb\n");
  fs::create_directories(root_ / "memory");
  fs::create_directories(root_ / "cpu");
  auto v2 = FindCgroupV2(root_.string());
  ASSERT_FALSE(v2.ok());
  EXPECT_THAT(std::string(v2.status().message()), StartsWith(kNoCgroupV2Note));
  EXPECT_THAT(v2.status().message(), HasSubstr("offers: hugetlb"));
  CgroupSupport support = PrepareCgroups(root_.string());
  EXPECT_FALSE(support.enabled);
  EXPECT_THAT(support.note, StartsWith(kNoCgroupV2Note));
}

TEST_F(CgroupTest, MissingCpuControllerFallsBack) {
  Write(root_ / "cgroup.controllers", "memory pids\n");
  EXPECT_FALSE(FindCgroupV2(root_.string()).ok());
}

TEST_F(CgroupTest, NoHierarchyFallsBack) {
  auto v2 = FindCgroupV2(root_.string());
  ASSERT_FALSE(v2.ok());
  EXPECT_THAT(v2.status().message(), HasSubstr("no cgroup v2 hierarchy"));
}

TEST_F(CgroupTest, PrepareEnablesControllersForThePlinthSubtree) {
  Write(root_ / "cgroup.controllers", "cpu memory pids\n");
  Write(root_ / "cgroup.subtree_control", "pids\n");
  CgroupSupport support = PrepareCgroups(root_.string());
  ASSERT_TRUE(support.enabled) << support.note;
  EXPECT_EQ(support.parent, (root_ / "plinth").string());
  EXPECT_EQ(Read(root_ / "cgroup.subtree_control"), "+memory +cpu");
  EXPECT_EQ(Read(root_ / "plinth" / "cgroup.subtree_control"), "+memory +cpu");
}

TEST_F(CgroupTest, ControllersAlreadyOnAreLeftAlone) {
  Write(root_ / "cgroup.controllers", "cpu memory\n");
  Write(root_ / "cgroup.subtree_control", "cpu memory\n");
  ASSERT_TRUE(PrepareCgroups(root_.string()).enabled);
  EXPECT_EQ(Read(root_ / "cgroup.subtree_control"), "cpu memory\n");
}

TEST_F(CgroupTest, UnwritableSubtreeControlFallsBackWithTheReason) {
  Write(root_ / "cgroup.controllers", "cpu memory\n");
  // A folder where the control file should be makes the write fail, as
  // EBUSY or EACCES would on a real hierarchy (tests run as root).
  fs::create_directories(root_ / "cgroup.subtree_control");
  CgroupSupport support = PrepareCgroups(root_.string());
  EXPECT_FALSE(support.enabled);
  EXPECT_THAT(support.note, StartsWith("not enforced: cannot open"));
  EXPECT_THAT(support.note, HasSubstr("cgroup.subtree_control"));
}

TEST_F(CgroupTest, ReplicaCgroupGetsItsLimits) {
  auto dir = CreateReplicaCgroup(root_.string(), "job-0", 2.5, 4096);
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(*dir, (root_ / "job-0").string());
  EXPECT_EQ(Read(root_ / "job-0" / "memory.max"), "4294967296");
  EXPECT_EQ(Read(root_ / "job-0" / "cpu.max"), "250000 100000");
}

TEST_F(CgroupTest, ReusedCgroupDropsEarlierLimits) {
  ASSERT_TRUE(CreateReplicaCgroup(root_.string(), "job-0", 2, 4096).ok());
  ASSERT_TRUE(CreateReplicaCgroup(root_.string(), "job-0", 0, 0).ok());
  EXPECT_EQ(Read(root_ / "job-0" / "memory.max"), "max");
  EXPECT_EQ(Read(root_ / "job-0" / "cpu.max"), "max 100000");
}

TEST_F(CgroupTest, TinyCpuLimitIsRaisedToTheKernelMinimum) {
  ASSERT_TRUE(CreateReplicaCgroup(root_.string(), "job-0", 0.001, 0).ok());
  EXPECT_EQ(Read(root_ / "job-0" / "cpu.max"), "1000 100000");
}

TEST_F(CgroupTest, CgroupStillHoldingProcessesIsNotReused) {
  Write(root_ / "job-0" / "cgroup.procs", "4242\n");
  auto dir = CreateReplicaCgroup(root_.string(), "job-0", 1, 0);
  ASSERT_FALSE(dir.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(dir.status()));
  EXPECT_THAT(dir.status().message(), HasSubstr("still holds processes"));
}

TEST_F(CgroupTest, JoinAndListPids) {
  fs::create_directories(root_ / "job-0");
  ASSERT_TRUE(JoinCgroup((root_ / "job-0").string(), 1234).ok());
  EXPECT_EQ(CgroupPids((root_ / "job-0").string()), std::vector<pid_t>{1234});
  EXPECT_TRUE(CgroupPids((root_ / "gone").string()).empty());
  EXPECT_FALSE(JoinCgroup((root_ / "gone").string(), 1234).ok());
}

TEST_F(CgroupTest, KillUsesCgroupKillWhereTheKernelHasIt) {
  fs::create_directories(root_ / "job-0");
  Write(root_ / "job-0" / "cgroup.kill", "");
  SignalCgroup((root_ / "job-0").string(), SIGKILL);
  EXPECT_EQ(Read(root_ / "job-0" / "cgroup.kill"), "1");
}

TEST_F(CgroupTest, KillSignalsEveryListedProcessOtherwise) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  Write(root_ / "job-0" / "cgroup.procs", absl::StrCat(child, "\n"));
  SignalCgroup((root_ / "job-0").string(), SIGKILL);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFSIGNALED(wstatus));
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
}

TEST(CgroupNameTest, UnsafeCharactersAreReplaced) {
  EXPECT_EQ(ReplicaCgroupName("a1b2", 3), "a1b2-3");
  EXPECT_EQ(ReplicaCgroupName("../etc/x y", 0), "_._etc_x_y-0");
}

TEST(CgroupNameTest, LimitsAreDescribed) {
  EXPECT_EQ(DescribeLimits(0, 0), "");
  EXPECT_EQ(DescribeLimits(2, 4096), "memory 4096 MiB, cpus 2");
  EXPECT_EQ(DescribeLimits(0.5, 0), "cpus 0.5");
}

}  // namespace
}  // namespace plinth::exec
