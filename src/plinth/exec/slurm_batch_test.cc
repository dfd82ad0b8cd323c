#include "plinth/exec/slurm_batch.h"

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/exec/slurm_cli.h"

namespace plinth::exec {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

LaunchSpec BasicSpec() {
  LaunchSpec spec;
  spec.job_id = "job-1";
  spec.replica = 0;
  spec.name = "train-0";
  spec.argv = {"python3", "train.py", "--lr", "0.1"};
  spec.log_dir = "/tmp/plinth/jobs/job-1/0";
  return spec;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ShellQuoteTest, QuotesEverythingIncludingSingleQuotes) {
  EXPECT_EQ(ShellQuote("plain"), "'plain'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("$(rm -rf /) `x` \"y\""), "'$(rm -rf /) `x` \"y\"'");
}

TEST(SbatchArgsTest, MinimalSpecAsksForOneTaskAndNoResources) {
  auto args = SbatchArgs(BasicSpec(), "", "/tmp/plinth/jobs/job-1/0/plinth-batch.sh");
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(*args, ElementsAre("--parsable", "--job-name=train-0",
                                 "--output=/tmp/plinth/jobs/job-1/0/output.log",
                                 "--chdir=/tmp/plinth/jobs/job-1/0", "--nodes=1", "--ntasks=1",
                                 "--no-requeue", "--export=NONE",
                                 "/tmp/plinth/jobs/job-1/0/plinth-batch.sh"));
}

TEST(SbatchArgsTest, ResourcesBecomeSlurmFlags) {
  LaunchSpec spec = BasicSpec();
  spec.gpus = 2;
  spec.cpus = 2.5;  // rounded up: Slurm allocates whole CPUs
  spec.memory_mib = 4096;
  spec.max_runtime_s = 61;  // rounded up to whole minutes
  auto args = SbatchArgs(spec, "gpu", "/s.sh");
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(*args, Contains("--gres=gpu:2"));
  EXPECT_THAT(*args, Contains("--cpus-per-task=3"));
  EXPECT_THAT(*args, Contains("--mem=4096M"));
  EXPECT_THAT(*args, Contains("--time=2"));
  EXPECT_THAT(*args, Contains("--partition=gpu"));
  EXPECT_EQ(args->back(), "/s.sh");
}

TEST(SbatchArgsTest, ExactMinutesAreNotRoundedUp) {
  LaunchSpec spec = BasicSpec();
  spec.max_runtime_s = 120;
  auto args = SbatchArgs(spec, "", "/s.sh");
  ASSERT_TRUE(args.ok());
  EXPECT_THAT(*args, Contains("--time=2"));
}

TEST(SbatchArgsTest, PercentInLogDirIsEscapedForSlurmPatterns) {
  LaunchSpec spec = BasicSpec();
  spec.log_dir = "/tmp/100%j";
  auto args = SbatchArgs(spec, "", "/s.sh");
  ASSERT_TRUE(args.ok());
  EXPECT_THAT(*args, Contains("--output=/tmp/100%%j/output.log"));
}

TEST(SbatchArgsTest, DefaultNameFromJobAndReplica) {
  LaunchSpec spec = BasicSpec();
  spec.name = "";
  spec.replica = 3;
  auto args = SbatchArgs(spec, "", "/s.sh");
  ASSERT_TRUE(args.ok());
  EXPECT_THAT(*args, Contains("--job-name=plinth-job-1-3"));
}

TEST(ValidateForSlurmTest, RejectsWhatCannotBeSubmitted) {
  auto expect_invalid = [](LaunchSpec spec, const std::string& fragment) {
    absl::Status s = ValidateForSlurm(spec);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << fragment;
    EXPECT_THAT(std::string(s.message()), HasSubstr(fragment));
  };
  LaunchSpec spec = BasicSpec();
  spec.argv.clear();
  expect_invalid(spec, "command is empty");
  spec = BasicSpec();
  spec.log_dir = "relative/dir";
  expect_invalid(spec, "absolute path");
  spec = BasicSpec();
  spec.log_dir = "/tmp/a\\b";
  expect_invalid(spec, "backslash");
  spec = BasicSpec();
  spec.env["1BAD"] = "x";
  expect_invalid(spec, "'1BAD'");
  spec = BasicSpec();
  spec.env["A-B"] = "x";
  expect_invalid(spec, "'A-B'");
  spec = BasicSpec();
  spec.memory_mib = -1;
  expect_invalid(spec, "zero or positive");
  spec = BasicSpec();
  spec.gpus = -2;
  expect_invalid(spec, "zero or positive");
  spec = BasicSpec();
  spec.argv.push_back(std::string("a\0b", 3));
  expect_invalid(spec, "NUL");
  EXPECT_TRUE(ValidateForSlurm(BasicSpec()).ok());
}

TEST(RenderBatchScriptTest, QuotesArgvAndEnvironment) {
  LaunchSpec spec = BasicSpec();
  spec.argv = {"echo", "it's", "$HOME", "a b"};
  spec.env = {{"MSG", "don't $expand"}, {"RANK", "0"}};
  spec.working_dir = "/work dir";
  auto script = RenderBatchScript(spec);
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_THAT(*script, HasSubstr("export MSG='don'\\''t $expand'\n"));
  EXPECT_THAT(*script, HasSubstr("export RANK='0'\n"));
  EXPECT_THAT(*script, HasSubstr("cd -- '/work dir' ||"));
  EXPECT_THAT(*script, HasSubstr("\n'echo' 'it'\\''s' '$HOME' 'a b'\n"));
  EXPECT_THAT(*script, HasSubstr("plinth_exit_file='/tmp/plinth/jobs/job-1/0/exit.json'"));
}

TEST(RenderBatchScriptTest, GpuJobsKeepSlurmsDeviceChoice) {
  LaunchSpec spec = BasicSpec();
  spec.env = {{"CUDA_VISIBLE_DEVICES", "5"}, {"NVIDIA_VISIBLE_DEVICES", "5"}, {"OTHER", "1"}};
  spec.gpus = 1;
  auto script = RenderBatchScript(spec);
  ASSERT_TRUE(script.ok());
  EXPECT_THAT(*script, Not(HasSubstr("export CUDA_VISIBLE_DEVICES")));
  EXPECT_THAT(*script, Not(HasSubstr("export NVIDIA_VISIBLE_DEVICES")));
  EXPECT_THAT(*script, HasSubstr("export OTHER='1'"));
  // Without GPUs the spec's (empty) device list hides any GPU.
  spec.gpus = 0;
  spec.env = {{"CUDA_VISIBLE_DEVICES", ""}};
  script = RenderBatchScript(spec);
  ASSERT_TRUE(script.ok());
  EXPECT_THAT(*script, HasSubstr("export CUDA_VISIBLE_DEVICES=''"));
}

// The rendered script runs under bash as Slurm would run it: these check
// what it records, without a cluster.
class BatchScriptRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plinth-slurm-script-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Renders and runs the script; returns its exit status.
  int RunScript(LaunchSpec spec) {
    spec.log_dir = dir_;
    auto script = RenderBatchScript(spec);
    EXPECT_TRUE(script.ok()) << script.status();
    std::string path = dir_ + "/plinth-batch.sh";
    std::ofstream(path) << *script;
    auto result = RunCommand({"/bin/bash", path}, {}, absl::Seconds(30));
    EXPECT_TRUE(result.ok()) << result.status();
    output_ = result->out + result->err;
    return result->exit_code;
  }
  std::string ExitJson() { return ReadAll(dir_ + "/exit.json"); }

  std::string dir_;
  std::string output_;
};

TEST_F(BatchScriptRunTest, RecordsExitCodeAndPassesArgumentsVerbatim) {
  LaunchSpec spec = BasicSpec();
  spec.argv = {"/bin/sh", "-c", "printf '%s|' \"$0\" \"$GREETING\"; exit 3", "it's $x"};
  spec.env = {{"GREETING", "hello 'world'"}};
  EXPECT_EQ(RunScript(spec), 3);
  EXPECT_EQ(output_, "it's $x|hello 'world'|");
  EXPECT_THAT(ExitJson(), HasSubstr("\"exit_code\": 3, \"signal\": 0, \"reason\": \"\""));
}

TEST_F(BatchScriptRunTest, UnknownCommandRecordsReason) {
  LaunchSpec spec = BasicSpec();
  spec.argv = {"no-such-command-plinth"};
  EXPECT_EQ(RunScript(spec), 127);
  EXPECT_THAT(output_, HasSubstr("plinth: command not found: no-such-command-plinth"));
  EXPECT_THAT(ExitJson(), HasSubstr("\"reason\": \"command_not_found\""));
  EXPECT_THAT(ExitJson(), HasSubstr("\"detail\": \"command not found: no-such-command-plinth\""));
}

TEST_F(BatchScriptRunTest, MissingWorkingDirRecordsReason) {
  LaunchSpec spec = BasicSpec();
  spec.argv = {"true"};
  spec.working_dir = "/nonexistent/plinth \"dir\"";
  EXPECT_EQ(RunScript(spec), 1);
  EXPECT_THAT(ExitJson(), HasSubstr("\"reason\": \"bad_working_dir\""));
  EXPECT_THAT(ExitJson(), HasSubstr("cannot enter working folder /nonexistent/plinth \\\"dir\\\""));
}

TEST_F(BatchScriptRunTest, CommandKilledBySignalIsRecordedAsSignal) {
  LaunchSpec spec = BasicSpec();
  spec.argv = {"/bin/sh", "-c", "kill -TERM $$"};
  EXPECT_EQ(RunScript(spec), 128 + SIGTERM);
  EXPECT_THAT(ExitJson(), HasSubstr("\"exit_code\": 143, \"signal\": 15"));
}

TEST(ParseSbatchJobIdTest, ParsableOutputForms) {
  EXPECT_EQ(*ParseSbatchJobId("42\n"), "42");
  EXPECT_EQ(*ParseSbatchJobId("42;plinth\n"), "42");
  EXPECT_EQ(*ParseSbatchJobId("sbatch: warning: x\n77\n"), "77");
  EXPECT_FALSE(ParseSbatchJobId("").ok());
  EXPECT_FALSE(ParseSbatchJobId("Submitted batch job 5").ok());
}

}  // namespace
}  // namespace plinth::exec
