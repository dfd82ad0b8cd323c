#include "plinth/jobs/job_spec.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/jobs/quantity.h"

namespace plinth::jobs {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<JobSpec> Parse(const std::string& json) { return ParseJobSpec(Json::parse(json)); }

std::string ErrorOf(const std::string& json) {
  absl::StatusOr<JobSpec> spec = Parse(json);
  EXPECT_FALSE(spec.ok()) << json;
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(JobSpecTest, ParsesEveryField) {
  auto spec = Parse(R"({
    "name": "train", "team": "vision", "queue": "vision", "priority_class": "high",
    "command": ["python", "train.py"], "args": ["--epochs", 3], "env": {"A": "1", "B": 2},
    "working_dir": "/tmp", "replicas": 2,
    "resources": {"gpus": 0.5, "gpu_model": "H100-80GB", "cpus": "500m", "memory": "2Gi"},
    "max_runtime": "1h30m", "retries": {"limit": 3, "backoff": "20s"}, "preemptible": true,
    "checkpoint": {"signal": "USR1", "grace_period": 45}, "executor": "local",
    "labels": {"project": "x"}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "train");
  EXPECT_EQ(spec->args, (std::vector<std::string>{"--epochs", "3"}));
  EXPECT_EQ(spec->env.at("B"), "2");
  EXPECT_EQ(spec->replicas, 2);
  EXPECT_DOUBLE_EQ(spec->resources.gpus, 0.5);
  EXPECT_DOUBLE_EQ(spec->resources.cpus, 0.5);
  EXPECT_EQ(spec->resources.memory_mib, 2048);
  EXPECT_EQ(spec->max_runtime_s, 5400);
  EXPECT_EQ(spec->retries, 3);
  EXPECT_EQ(spec->retry_backoff_s, 20);
  EXPECT_TRUE(spec->preemptible);
  EXPECT_EQ(spec->checkpoint_signal, "SIGUSR1");
  EXPECT_EQ(spec->grace_period_s, 45);
}

TEST(JobSpecTest, RoundTripsThroughItsJson) {
  auto spec = Parse(R"({"name": "t", "command": ["true"], "replicas": 3,
    "resources": {"mig_profile": "3g.40gb", "memory": 100}, "retries": 2,
    "distributed": "pytorch", "master_port": 29500})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  auto again = ParseNativeSpec(JobSpecToJson(*spec));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(JobSpecToJson(*again), JobSpecToJson(*spec));
  EXPECT_TRUE(again->pytorch);
  EXPECT_EQ(again->resources.mig_profile, "3g.40gb");
}

TEST(JobSpecTest, RejectsBadInputWithItsPath) {
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "resources": {"gpus": 1.5}})"),
              HasSubstr("resources.gpus: 1.5 is not a valid GPU count"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "resources": {"mig_profile": "5g.50gb"}})"),
              HasSubstr("resources.mig_profile: unknown MIG profile '5g.50gb'"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "replicas": 0})"),
              HasSubstr("replicas: 0 is not valid"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "resources": {"memory": -5}})"),
              HasSubstr("resources.memory: -5 is not a memory size"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "resources": {"gpu": 1}})"),
              HasSubstr("resources.gpu: unknown field"));
  EXPECT_THAT(ErrorOf(R"({"name": "x"})"), HasSubstr("command: give the program to run"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "env": {"MLFLOW_RUN_ID": "a"}})"),
              HasSubstr("env.MLFLOW_RUN_ID: set by Plinth"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "checkpoint": {"signal": "SIGSTOP"}})"),
              HasSubstr("not a checkpoint signal"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "name": "../etc"})"), HasSubstr("name: '../etc'"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "name": "-lead"})"), HasSubstr("not a valid name"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "env": {"1BAD": "x"}})"),
              HasSubstr("env.1BAD: not a valid variable name"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "resources": {"gpus": 1, "mig_profile": "1g.10gb"}})"),
              HasSubstr("either gpus or one MIG slice"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "max_runtime": "soon"})"),
              HasSubstr("max_runtime: \"soon\" is not a duration"));
  EXPECT_THAT(ErrorOf(R"({"kind": "TFJob"})"), HasSubstr("kind: \"TFJob\" is not supported"));
  EXPECT_THAT(ErrorOf(R"([1, 2])"), HasSubstr("expected an object"));
}

TEST(JobSpecTest, NulBytesAreRefusedAtSubmit) {
  EXPECT_THAT(ErrorOf(R"({"command": ["x\u0000y"]})"), HasSubstr("command[0]: contains a NUL"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "args": ["ok", "a\u0000"]})"),
              HasSubstr("args[1]: contains a NUL"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "env": {"A": "1\u00002"}})"),
              HasSubstr("env.A: the value contains a NUL byte"));
  EXPECT_THAT(ErrorOf(R"({"command": ["x"], "working_dir": "/tmp\u0000/x"})"),
              HasSubstr("working_dir: contains a NUL"));
}

TEST(JobSpecTest, EchoedValuesAreCut) {
  std::string huge(30000, 'z');
  std::string error = ErrorOf(absl::StrCat(R"({"command": ["x"], "replicas": ")", huge, R"("})"));
  EXPECT_LT(error.size(), 400u);
  EXPECT_THAT(error, HasSubstr("(30002 characters)"));
}

TEST(QuantityTest, DurationsAndSizes) {
  EXPECT_EQ(*ParseDurationSeconds(Json(90)), 90);
  EXPECT_EQ(*ParseDurationSeconds(Json("2h")), 7200);
  EXPECT_EQ(*ParseDurationSeconds(Json("1m30s")), 90);
  EXPECT_FALSE(ParseDurationSeconds(Json("10")).ok());  // a string needs a unit
  EXPECT_FALSE(ParseDurationSeconds(Json(-1)).ok());
  EXPECT_EQ(*ParseMemoryMib(Json("16Gi")), 16384);
  EXPECT_EQ(*ParseMemoryMib(Json("1T")), 1048576);
  EXPECT_EQ(*ParseMemoryMib(Json(512)), 512);
  EXPECT_FALSE(ParseMemoryMib(Json("lots")).ok());
  EXPECT_DOUBLE_EQ(*ParseCpus(Json("250m")), 0.25);
  EXPECT_FALSE(ParseCpus(Json("-1")).ok());
}

}  // namespace
}  // namespace plinth::jobs
