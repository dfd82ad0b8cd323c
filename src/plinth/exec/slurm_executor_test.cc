#include "plinth/exec/slurm_executor.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/exec/slurm_batch.h"

namespace plinth::exec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---- State mapping, without a cluster ----

TEST(ClassifySlurmStateTest, Kinds) {
  for (const char* s : {"PENDING", "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "REQUEUED",
                        "SOMETHING_NEW"}) {
    EXPECT_EQ(ClassifySlurmState(s), SlurmStateKind::kActive) << s;
  }
  EXPECT_EQ(ClassifySlurmState("COMPLETED"), SlurmStateKind::kEnded);
  EXPECT_EQ(ClassifySlurmState("FAILED"), SlurmStateKind::kEnded);
  for (const char* s : {"CANCELLED", "CANCELLED by 0", "TIMEOUT", "NODE_FAIL", "BOOT_FAIL",
                        "OUT_OF_MEMORY", "PREEMPTED", "DEADLINE"}) {
    EXPECT_EQ(ClassifySlurmState(s), SlurmStateKind::kEndedBySlurm) << s;
  }
}

TEST(ReplicaStatusFromSlurmTest, ActiveStatesAreRunning) {
  ReplicaStatus s = ReplicaStatusFromSlurm("PENDING", std::nullopt);
  EXPECT_EQ(s.state, ReplicaState::kRunning);
  EXPECT_EQ(s.message, "Slurm state PENDING");
}

TEST(ReplicaStatusFromSlurmTest, ExitRecordDecidesForEndedJobs) {
  SlurmExitRecord ok{0, 0, "", ""};
  EXPECT_EQ(ReplicaStatusFromSlurm("COMPLETED", ok).state, ReplicaState::kSucceeded);
  SlurmExitRecord three{3, 0, "", ""};
  ReplicaStatus s = ReplicaStatusFromSlurm("FAILED", three);
  EXPECT_EQ(s.state, ReplicaState::kFailed);
  EXPECT_EQ(s.exit_code, 3);
  EXPECT_EQ(s.message, "exited with code 3");
  SlurmExitRecord killed{137, 9, "", ""};
  s = ReplicaStatusFromSlurm("FAILED", killed);
  EXPECT_EQ(s.term_signal, 9);
  EXPECT_EQ(s.message, "killed by SIGKILL");
  SlurmExitRecord missing{127, 0, "command_not_found", "command not found: foo"};
  s = ReplicaStatusFromSlurm("FAILED", missing);
  EXPECT_EQ(s.message, "command not found: foo (exit code 127)");
}

TEST(ReplicaStatusFromSlurmTest, SlurmEndedStatesFailWithTheirName) {
  for (const char* state : {"NODE_FAIL", "BOOT_FAIL", "OUT_OF_MEMORY", "TIMEOUT", "CANCELLED"}) {
    ReplicaStatus s = ReplicaStatusFromSlurm(state, std::nullopt);
    EXPECT_EQ(s.state, ReplicaState::kFailed) << state;
    EXPECT_EQ(s.message, absl::StrCat("Slurm state ", state));
  }
  // Even when the command's own record says it exited 0 (e.g. it handled
  // SIGTERM at the time limit), Slurm's verdict stands.
  SlurmExitRecord ok{0, 0, "", ""};
  ReplicaStatus s = ReplicaStatusFromSlurm("TIMEOUT", ok);
  EXPECT_EQ(s.state, ReplicaState::kFailed);
  EXPECT_EQ(s.message, "Slurm state TIMEOUT (exited with code 0)");
}

TEST(ReplicaStatusFromSlurmTest, ForgottenJobUsesExitRecordElseLost) {
  SlurmExitRecord ok{0, 0, "", ""};
  EXPECT_EQ(ReplicaStatusFromSlurm("", ok).state, ReplicaState::kSucceeded);
  EXPECT_EQ(ReplicaStatusFromSlurm("", std::nullopt).state, ReplicaState::kLost);
}

TEST(ParseSlurmExitTest, RecordAndExitCode) {
  auto r = ParseSlurmExitRecord(
      R"({"exit_code": 143, "signal": 15, "reason": "", "detail": "", "finished_at_ms": 1})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 143);
  EXPECT_EQ(r->signal, 15);
  EXPECT_FALSE(ParseSlurmExitRecord("{\"exit_code\": ").ok());
  EXPECT_FALSE(ParseSlurmExitRecord("{}").ok());
  auto code = ParseSlurmExitCode("3:0");
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(code->exit_code, 3);
  code = ParseSlurmExitCode("0:9");
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(code->signal, 9);
  EXPECT_EQ(code->exit_code, 137);
  EXPECT_FALSE(ParseSlurmExitCode("x").has_value());
}

TEST(SlurmHandleTest, RoundTripsAndRejectsOthers) {
  std::string h = SlurmExecutor::FormatHandle({"42", "/tmp/a:b/c"});
  EXPECT_EQ(h, "slurm:42:/tmp/a:b/c");
  auto parsed = SlurmExecutor::ParseHandle(h);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->job_id, "42");
  EXPECT_EQ(parsed->log_dir, "/tmp/a:b/c");
  for (const char* bad : {"local:1:2:/x", "slurm:x:/tmp", "slurm:42", "slurm:42:relative", ""}) {
    EXPECT_EQ(SlurmExecutor::ParseHandle(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(SlurmExecutorCreateTest, MissingCommandsAreAConfigurationError) {
  auto e = SlurmExecutor::Create({.bin_dir = "/nonexistent/slurm/bin"});
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), HasSubstr("/nonexistent/slurm/bin/sbatch"));
}

// ---- Against the real one-node cluster of scripts/services/slurm ----

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SlurmClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* conf = std::getenv("PLINTH_TEST_SLURM_CONF");
    std::string why;
    if (conf == nullptr || *conf == '\0') {
      why = "PLINTH_TEST_SLURM_CONF is not set";
    } else {
      conf_ = conf;
      auto sinfo =
          RunCommand({"sinfo", "-h", "-o", "%t"}, {{"SLURM_CONF", conf_}}, absl::Seconds(20));
      if (!sinfo.ok() || sinfo->exit_code != 0) {
        why = absl::StrCat("sinfo fails with SLURM_CONF=", conf_, ": ",
                           sinfo.ok() ? ErrorLine(sinfo->err) : sinfo.status().ToString());
      }
    }
    if (!why.empty()) {
      std::string how = absl::StrCat(
          "Slurm tests need the test cluster (", why,
          "): run `scripts/services/slurm start` and `export $(scripts/services/slurm env)`");
      const char* require = std::getenv("PLINTH_REQUIRE_SERVICES");
      if (require != nullptr && std::string(require) == "1") {
        FAIL() << how << " (PLINTH_REQUIRE_SERVICES=1 forbids skipping)";
      }
      GTEST_SKIP() << how;
    }
    auto executor = SlurmExecutor::Create({.extra_env = {{"SLURM_CONF", conf_}}});
    ASSERT_TRUE(executor.ok()) << executor.status();
    executor_ = std::move(*executor);
    char tmpl[] = "/tmp/plinth-slurm-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& h : launched_) (void)executor_->Kill(h);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  LaunchSpec Spec(std::vector<std::string> argv, const std::string& sub = "r0") {
    LaunchSpec spec;
    spec.job_id = "slurm-test";
    spec.name = std::string("plinth-test-") +
                ::testing::UnitTest::GetInstance()->current_test_info()->name();
    spec.argv = std::move(argv);
    spec.log_dir = dir_ + "/" + sub;
    return spec;
  }

  std::string Launch(const LaunchSpec& spec) {
    auto handle = executor_->Launch(spec);
    EXPECT_TRUE(handle.ok()) << handle.status();
    if (!handle.ok()) return "";
    launched_.push_back(*handle);
    return *handle;
  }

  // Polls until the replica is no longer running (a real cluster: bounded wait).
  ReplicaStatus AwaitEnd(const std::string& handle, absl::Duration limit = absl::Seconds(60)) {
    const absl::Time deadline = absl::Now() + limit;
    ReplicaStatus last;
    while (absl::Now() < deadline) {
      auto s = executor_->Poll(handle);
      EXPECT_TRUE(s.ok()) << s.status();
      if (!s.ok()) return last;
      last = *s;
      if (last.state != ReplicaState::kRunning) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "still running after " << limit << ": " << last.message;
    return last;
  }

  // Polls until `path` contains `text`.
  bool AwaitFileText(const std::string& path, const std::string& text) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline) {
      if (ReadAll(path).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  std::string conf_;
  std::string dir_;
  std::unique_ptr<SlurmExecutor> executor_;
  std::vector<std::string> launched_;
};

TEST_F(SlurmClusterTest, JobSeesItsEnvironmentAndSucceeds) {
  LaunchSpec spec = Spec({"/bin/sh", "-c", "echo \"greeting=$GREETING\"; pwd; env"});
  spec.env = {{"GREETING", "hello 'slurm' $x"}};
  spec.working_dir = dir_;
  // The server's own environment never reaches the job (issue 9).
  setenv("PLINTH_TEST_SERVER_SECRET", "do-not-leak", 1);
  std::string handle = Launch(spec);
  unsetenv("PLINTH_TEST_SERVER_SECRET");
  ASSERT_FALSE(handle.empty());
  EXPECT_THAT(handle, ::testing::StartsWith("slurm:"));
  ReplicaStatus s = AwaitEnd(handle);
  EXPECT_EQ(s.state, ReplicaState::kSucceeded) << s.message;
  EXPECT_EQ(s.exit_code, 0);
  std::string out = ReadAll(spec.log_dir + "/output.log");
  EXPECT_THAT(out, HasSubstr("greeting=hello 'slurm' $x\n"));
  EXPECT_THAT(out, HasSubstr(dir_ + "\n"));
  EXPECT_THAT(out, HasSubstr("SLURM_JOB_ID="));
  EXPECT_THAT(out, Not(HasSubstr("do-not-leak")));
}

TEST_F(SlurmClusterTest, NonZeroExitFailsWithItsCode) {
  std::string handle = Launch(Spec({"/bin/sh", "-c", "echo bye; exit 3"}));
  ASSERT_FALSE(handle.empty());
  ReplicaStatus s = AwaitEnd(handle);
  EXPECT_EQ(s.state, ReplicaState::kFailed);
  EXPECT_EQ(s.exit_code, 3);
  EXPECT_EQ(s.message, "exited with code 3");
}

TEST_F(SlurmClusterTest, UnknownCommandFailsWithClearMessage) {
  LaunchSpec spec = Spec({"plinth-no-such-command", "--flag"});
  std::string handle = Launch(spec);  // sbatch accepts the script; the node finds no command
  ASSERT_FALSE(handle.empty());
  ReplicaStatus s = AwaitEnd(handle);
  EXPECT_EQ(s.state, ReplicaState::kFailed);
  EXPECT_EQ(s.exit_code, 127);
  EXPECT_THAT(s.message, HasSubstr("command not found: plinth-no-such-command"));
  EXPECT_THAT(ReadAll(spec.log_dir + "/output.log"),
              HasSubstr("plinth: command not found: plinth-no-such-command"));
}

TEST_F(SlurmClusterTest, KillCancelsARunningJobIdempotently) {
  LaunchSpec spec = Spec({"/bin/sh", "-c", "echo started; exec sleep 300"});
  std::string handle = Launch(spec);
  ASSERT_FALSE(handle.empty());
  ASSERT_TRUE(AwaitFileText(spec.log_dir + "/output.log", "started"));
  ASSERT_TRUE(executor_->Kill(handle).ok());
  ReplicaStatus s = AwaitEnd(handle);
  EXPECT_EQ(s.state, ReplicaState::kFailed);
  // Slurm shows COMPLETING until the job's processes are gone, so by now the
  // script's trap has recorded how the command ended.
  EXPECT_EQ(s.message, "Slurm state CANCELLED (killed by SIGTERM)");
  EXPECT_EQ(s.term_signal, SIGTERM);
  EXPECT_TRUE(executor_->Kill(handle).ok());
  EXPECT_TRUE(executor_->Signal(handle, SIGTERM).ok());  // ended: a no-op
}

TEST_F(SlurmClusterTest, AbandonCancelsTheJobRunningInAFolder) {
  LaunchSpec spec = Spec({"/bin/sh", "-c", "echo started; exec sleep 300"});
  std::string handle = Launch(spec);
  ASSERT_FALSE(handle.empty());
  ASSERT_TRUE(AwaitFileText(spec.log_dir + "/output.log", "started"));
  ASSERT_TRUE(executor_->Abandon(spec.log_dir).ok());  // found by --chdir, not by handle
  ReplicaStatus s = AwaitEnd(handle);
  EXPECT_EQ(s.state, ReplicaState::kFailed);
  EXPECT_EQ(s.term_signal, SIGTERM);
  EXPECT_TRUE(executor_->Abandon(spec.log_dir).ok());
}

TEST_F(SlurmClusterTest, SignalReachesTheCommand) {
  LaunchSpec spec = Spec({"/bin/bash", "-c",
                          "trap 'echo got-usr1; exit 0' USR1; echo ready; "
                          "while :; do sleep 0.1; done"});
  std::string handle = Launch(spec);
  ASSERT_FALSE(handle.empty());
  ASSERT_TRUE(AwaitFileText(spec.log_dir + "/output.log", "ready"));
  ASSERT_TRUE(executor_->Signal(handle, SIGUSR1).ok());
  ReplicaStatus s = AwaitEnd(handle);
  EXPECT_EQ(s.state, ReplicaState::kSucceeded) << s.message;
  EXPECT_THAT(ReadAll(spec.log_dir + "/output.log"), HasSubstr("got-usr1"));
}

TEST_F(SlurmClusterTest, GpuJobGetsSlurmsDevices) {
  LaunchSpec spec = Spec({"/bin/sh", "-c", "echo \"cvd=$CUDA_VISIBLE_DEVICES\""});
  spec.gpus = 2;
  spec.cpus = 1;
  spec.memory_mib = 100;
  spec.max_runtime_s = 60;
  spec.env = {{"CUDA_VISIBLE_DEVICES", "7"}};  // Plinth's guess; Slurm's choice wins
  std::string handle = Launch(spec);
  ASSERT_FALSE(handle.empty());
  ReplicaStatus s = AwaitEnd(handle);
  EXPECT_EQ(s.state, ReplicaState::kSucceeded) << s.message;
  std::string out = ReadAll(spec.log_dir + "/output.log");
  EXPECT_TRUE(std::regex_search(out, std::regex("cvd=[0-3],[0-3]\n"))) << out;
}

TEST_F(SlurmClusterTest, RequestLargerThanTheClusterIsRejected) {
  LaunchSpec spec = Spec({"true"});
  spec.memory_mib = int64_t{1} << 40;
  auto handle = executor_->Launch(spec);
  EXPECT_EQ(handle.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(handle.status().message()), HasSubstr("Slurm rejected the job"));
  spec = Spec({"true"}, "r1");
  spec.gpus = 64;
  EXPECT_EQ(executor_->Launch(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SlurmClusterTest, PercentInLogDirIsLiteral) {
  LaunchSpec spec = Spec({"echo", "percent"}, "100%j");
  std::string handle = Launch(spec);
  ASSERT_FALSE(handle.empty());
  EXPECT_EQ(AwaitEnd(handle).state, ReplicaState::kSucceeded);
  EXPECT_EQ(ReadAll(spec.log_dir + "/output.log"), "percent\n");
}

TEST_F(SlurmClusterTest, ForgottenJobFallsBackToExitFile) {
  // A job id Slurm never had stands for one purged after MinJobAge.
  std::string log_dir = dir_ + "/purged";
  std::filesystem::create_directories(log_dir);
  std::string handle = SlurmExecutor::FormatHandle({"999999990", log_dir});
  auto s = executor_->Poll(handle);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->state, ReplicaState::kLost);
  EXPECT_THAT(s->message, HasSubstr("no longer knows job 999999990"));
  std::ofstream(log_dir + "/exit.json") << R"({"exit_code": 5, "signal": 0, "reason": ""})";
  s = executor_->Poll(handle);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->state, ReplicaState::kFailed);
  EXPECT_EQ(s->exit_code, 5);
  EXPECT_TRUE(executor_->Kill(handle).ok());
}

TEST_F(SlurmClusterTest, PollAllAnswersForEveryJobWithOneSqueue) {
  // The Slurm commands, with squeue counting its calls.
  std::string bin = dir_ + "/bin";
  std::filesystem::create_directories(bin);
  for (const char* tool : {"sbatch", "scancel", "scontrol", "sacct"}) {
    std::filesystem::create_symlink(std::string("/usr/bin/") + tool, bin + "/" + tool);
  }
  std::string calls = dir_ + "/squeue-calls";
  std::ofstream(bin + "/squeue") << "#!/bin/sh\necho x >> " << calls
                                 << "\nexec /usr/bin/squeue \"$@\"\n";
  std::filesystem::permissions(bin + "/squeue", std::filesystem::perms::owner_all);
  auto counting = SlurmExecutor::Create({.bin_dir = bin, .extra_env = {{"SLURM_CONF", conf_}}});
  ASSERT_TRUE(counting.ok()) << counting.status();
  std::string sleeper = Launch(Spec({"sleep", "60"}, "sleeper"));
  std::string done = Launch(Spec({"sh", "-c", "exit 3"}, "done"));
  ASSERT_EQ(AwaitEnd(done).exit_code, 3);
  std::string forgotten = SlurmExecutor::FormatHandle({"999999991", dir_ + "/forgotten"});
  std::filesystem::remove(calls);
  auto all = (*counting)->PollAll({sleeper, done, forgotten, "not-a-handle"});
  EXPECT_EQ(ReadAll(calls), "x\n");  // one squeue for all of them
  ASSERT_EQ(all.size(), 4u);
  ASSERT_TRUE(all.at(sleeper).ok());
  EXPECT_EQ(all.at(sleeper)->state, ReplicaState::kRunning);
  ASSERT_TRUE(all.at(done).ok());
  EXPECT_EQ(all.at(done)->state, ReplicaState::kFailed);
  EXPECT_EQ(all.at(done)->exit_code, 3);
  ASSERT_TRUE(all.at(forgotten).ok());
  EXPECT_EQ(all.at(forgotten)->state, ReplicaState::kLost);
  EXPECT_FALSE(all.at("not-a-handle").ok());
}

// A port on which nothing listens (bound, then released).
int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(SlurmClusterTest, ControllerDownIsUnavailable) {
  // The cluster's configuration, with the controller moved to a dead port.
  std::string conf = ReadAll(conf_);
  conf = std::regex_replace(conf, std::regex("SlurmctldPort=[0-9]+"),
                            absl::StrCat("SlurmctldPort=", UnusedPort()));
  conf += "\nMessageTimeout=1\n";
  std::string down_conf = dir_ + "/down.conf";
  std::ofstream(down_conf) << conf;
  auto down = SlurmExecutor::Create({.extra_env = {{"SLURM_CONF", down_conf}}});
  ASSERT_TRUE(down.ok()) << down.status();
  auto handle = (*down)->Launch(Spec({"true"}));
  EXPECT_EQ(handle.status().code(), absl::StatusCode::kUnavailable) << handle.status();
  EXPECT_THAT(std::string(handle.status().message()),
              HasSubstr("Unable to contact slurm controller"));
  auto polled = (*down)->Poll(SlurmExecutor::FormatHandle({"1", dir_}));
  EXPECT_EQ(polled.status().code(), absl::StatusCode::kUnavailable) << polled.status();
}

}  // namespace
}  // namespace plinth::exec
