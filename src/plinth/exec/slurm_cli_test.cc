#include "plinth/exec/slurm_cli.h"

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::exec {
namespace {

using ::testing::HasSubstr;

TEST(RunCommandTest, CapturesOutputsAndExitCode) {
  auto r = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 4"}, {}, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(r->term_signal, 0);
  EXPECT_FALSE(r->timed_out);
}

TEST(RunCommandTest, AddsEnvironmentAndLooksUpPath) {
  auto r = RunCommand({"sh", "-c", "printf '%s' \"$PLINTH_CLI_TEST\""},
                      {{"PLINTH_CLI_TEST", "a b'c"}}, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "a b'c");
}

TEST(RunCommandTest, ArgumentsAreNotInterpretedByAShell) {
  auto r = RunCommand({"/bin/echo", "$(id)", ";", "`x`"}, {}, absl::Seconds(10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out, "$(id) ; `x`\n");
}

TEST(RunCommandTest, TimeoutKillsTheCommandAndItsChildren) {
  const absl::Time start = absl::Now();
  // The child sleep keeps the pipes open: the process group must be killed.
  auto r = RunCommand({"/bin/sh", "-c", "sleep 30 & sleep 30"}, {}, absl::Milliseconds(300));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST(RunCommandTest, MissingProgramIsNotFound) {
  EXPECT_EQ(RunCommand({"/nonexistent/plinth-tool"}, {}, absl::Seconds(5)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RunCommand({"plinth-no-such-tool"}, {}, absl::Seconds(5)).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(RunCommand({}, {}, absl::Seconds(5)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RunCommandTest, LargeOutputIsCappedNotHung) {
  auto r = RunCommand({"/bin/sh", "-c", "head -c 6000000 /dev/zero"}, {}, absl::Seconds(20));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.size(), kMaxCommandOutput);
  EXPECT_EQ(r->exit_code, 0);
}

TEST(ErrorLineTest, PicksTheErrorLine) {
  EXPECT_EQ(ErrorLine("sbatch: warning: x\nsbatch: error: Batch job submission failed: "
                      "Requested node configuration is not available\n"),
            "sbatch: error: Batch job submission failed: Requested node configuration is not "
            "available");
  EXPECT_EQ(ErrorLine("first\nlast\n\n"), "last");
  EXPECT_EQ(ErrorLine(""), "");
}

TEST(UnreachableControllerLineTest, KnownMessages) {
  EXPECT_EQ(UnreachableControllerLine("sbatch: error: Batch job submission failed: Unable to "
                                      "contact slurm controller (connect failure)\n"),
            "sbatch: error: Batch job submission failed: Unable to contact slurm controller "
            "(connect failure)");
  EXPECT_EQ(UnreachableControllerLine("slurm_load_jobs error: Socket timed out on send/recv "
                                      "operation"),
            "slurm_load_jobs error: Socket timed out on send/recv operation");
  // munged down: the munge line says why, not the last one.
  EXPECT_EQ(UnreachableControllerLine(
                "sbatch: error: Munge encode failed: Failed to access \"/x/munged.socket\"\n"
                "sbatch: error: Batch job submission failed: Protocol authentication error\n"),
            "sbatch: error: Munge encode failed: Failed to access \"/x/munged.socket\"");
  EXPECT_EQ(UnreachableControllerLine("slurm_load_jobs error: Invalid job id specified"), "");
}

// A folder of fake Slurm commands, each a shell script.
class FakeSlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plinth-fake-slurm-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (const char* tool : {"sbatch", "squeue", "scontrol", "scancel"}) {
      Write(tool, "echo ok\n");
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& tool, const std::string& body) {
    std::string path = dir_ + "/" + tool;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0755);
  }
  std::string dir_;
};

TEST_F(FakeSlurmTest, CreateChecksTheToolsExist) {
  EXPECT_TRUE(SlurmCli::Create(dir_, {}, absl::Seconds(5)).ok());
  std::filesystem::remove(dir_ + "/scancel");
  auto cli = SlurmCli::Create(dir_, {}, absl::Seconds(5));
  EXPECT_EQ(cli.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cli.status().message()), HasSubstr("scancel"));
  EXPECT_THAT(std::string(cli.status().message()), HasSubstr("executors.slurm.bin_dir"));
  EXPECT_EQ(SlurmCli::Create(dir_, {}, absl::ZeroDuration()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SlurmCli::Create(dir_, {{"A=B", "x"}}, absl::Seconds(5)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FakeSlurmTest, RunPassesEnvironmentAndArguments) {
  Write("squeue", "printf '%s|%s' \"$SLURM_CONF\" \"$*\"\n");
  auto cli = SlurmCli::Create(dir_, {{"SLURM_CONF", "/etc/x.conf"}}, absl::Seconds(5));
  ASSERT_TRUE(cli.ok()) << cli.status();
  auto r = (*cli)->Run("squeue", {"-h", "-j", "7"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "/etc/x.conf|-h -j 7");
}

TEST_F(FakeSlurmTest, UnreachableControllerIsUnavailable) {
  Write("sbatch",
        "echo 'sbatch: error: Batch job submission failed: Unable to contact slurm controller "
        "(connect failure)' >&2\nexit 1\n");
  auto cli = SlurmCli::Create(dir_, {}, absl::Seconds(5));
  ASSERT_TRUE(cli.ok());
  auto r = (*cli)->Run("sbatch", {"x.sh"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("Unable to contact slurm controller"));
}

TEST_F(FakeSlurmTest, OtherFailuresAreResultsForTheCaller) {
  Write("sbatch", "echo 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n");
  auto cli = SlurmCli::Create(dir_, {}, absl::Seconds(5));
  ASSERT_TRUE(cli.ok());
  auto r = (*cli)->Run("sbatch", {"x.sh"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_THAT(ErrorLine(r->err), HasSubstr("invalid partition"));
}

TEST_F(FakeSlurmTest, HungCommandIsUnavailableAfterTheTimeout) {
  Write("squeue", "exec sleep 30\n");
  auto cli = SlurmCli::Create(dir_, {}, absl::Milliseconds(200));
  ASSERT_TRUE(cli.ok());
  auto r = (*cli)->Run("squeue", {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("did not answer"));
}

TEST_F(FakeSlurmTest, ThroughputCountsAcceptedSubmissions) {
  Write("sbatch", "echo \"$$\"\n");
  auto cli = SlurmCli::Create(dir_, {}, absl::Seconds(5));
  ASSERT_TRUE(cli.ok());
  auto t = MeasureSbatchThroughput(**cli, 5, "");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->jobs, 5);
  EXPECT_GT(t->jobs_per_second, 0);
  EXPECT_FALSE(t->last_job_id.empty());
  Write("sbatch", "echo 'sbatch: error: nope' >&2; exit 1\n");
  EXPECT_FALSE(MeasureSbatchThroughput(**cli, 2, "").ok());
}

}  // namespace
}  // namespace plinth::exec
