#include "plinth/jobs/launch_plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::jobs {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

Job TwoNodeGang() {
  Job job;
  job.id = "j1";
  job.spec.name = "train";
  job.spec.command = {"python3", "train.py"};
  job.spec.args = {"--lr", "0.1"};
  job.spec.env = {{"MLFLOW_TRACKING_TOKEN", "mine"}, {"SEED", "7"}};
  job.spec.replicas = 3;
  job.spec.pytorch = true;
  job.spec.resources.gpus = 2;
  job.spec.team = "vision";
  job.spec.queue = "vision";
  job.attempts = 2;
  job.run_id = "r9";
  job.master_port = 29500;
  job.run_uid = 61200;
  job.run_gid = 61200;
  for (int i = 0; i < 3; ++i) {
    ReplicaRecord r;
    r.index = i;
    r.node = i < 2 ? "node-a" : "node-b";
    r.devices = {std::to_string(2 * i), std::to_string(2 * i + 1)};
    r.log_dir = "/jobs/j1/2/replica-" + std::to_string(i);
    job.replicas.push_back(r);
  }
  return job;
}

TEST(BuildLaunchSpecsTest, EachReplicaGetsTheContractOverItsSpec) {
  Job job = TwoNodeGang();
  std::vector<exec::LaunchSpec> specs =
      BuildLaunchSpecs(job, {"http://plinth:8470", "plt_token", "node-a"});
  ASSERT_EQ(specs.size(), 3u);
  const exec::LaunchSpec& first = specs[0];
  EXPECT_THAT(first.argv, ElementsAre("python3", "train.py", "--lr", "0.1"));
  EXPECT_EQ(first.name, "train-0");
  EXPECT_EQ(first.log_dir, "/jobs/j1/2/replica-0");
  EXPECT_EQ(first.env.at("PLINTH_URL"), "http://plinth:8470");
  EXPECT_EQ(first.env.at("MLFLOW_TRACKING_URI"), "http://plinth:8470");
  EXPECT_EQ(first.env.at("PLINTH_JOB_ID"), "j1");
  EXPECT_EQ(first.env.at("PLINTH_ATTEMPT"), "2");
  EXPECT_EQ(first.env.at("MLFLOW_RUN_ID"), "r9");
  EXPECT_EQ(first.env.at("SEED"), "7");
  // A token the spec sets itself wins; the other variable gets the job's.
  EXPECT_EQ(first.env.at("MLFLOW_TRACKING_TOKEN"), "mine");
  EXPECT_EQ(first.env.at("PLINTH_TOKEN"), "plt_token");
  EXPECT_EQ(first.env.at("CUDA_VISIBLE_DEVICES"), "0,1");
  EXPECT_EQ(first.gpus, 2);
  EXPECT_EQ(first.uid, 61200);
  EXPECT_EQ(first.attempt, 2);
  EXPECT_EQ(first.team, "vision");
  // The PyTorchJob variables: ranks across the gang, LOCAL_RANK per node.
  EXPECT_EQ(first.env.at("MASTER_ADDR"), "node-a");
  EXPECT_EQ(first.env.at("MASTER_PORT"), "29500");
  EXPECT_EQ(first.env.at("WORLD_SIZE"), "3");
  std::vector<std::string> ranks, local_ranks;
  for (const exec::LaunchSpec& s : specs) {
    ranks.push_back(s.env.at("RANK"));
    local_ranks.push_back(s.env.at("LOCAL_RANK"));
  }
  EXPECT_THAT(ranks, ElementsAre("0", "1", "2"));
  EXPECT_THAT(local_ranks, ElementsAre("0", "1", "0"));
}

TEST(BuildLaunchSpecsTest, ACpuJobSeesNoGpuAndNoTokenWithoutOne) {
  Job job = TwoNodeGang();
  job.spec.pytorch = false;
  job.spec.resources.gpus = 0;
  job.spec.env.clear();
  job.replicas.resize(1);
  job.replicas[0].devices.clear();
  std::vector<exec::LaunchSpec> specs = BuildLaunchSpecs(job, {"http://x", "", "127.0.0.1"});
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].env.at("CUDA_VISIBLE_DEVICES"), "");
  EXPECT_EQ(specs[0].env.at("NVIDIA_VISIBLE_DEVICES"), "void");
  EXPECT_EQ(specs[0].env.count("PLINTH_TOKEN"), 0u);
  EXPECT_EQ(specs[0].env.count("RANK"), 0u);
  EXPECT_EQ(specs[0].gpus, 0);
}

TEST(BuildLaunchSpecsTest, AFractionIsPassedOn) {
  Job job = TwoNodeGang();
  job.spec.pytorch = false;
  job.spec.resources.gpus = 0.25;
  job.replicas.resize(1);
  job.replicas[0].devices = {"0"};
  exec::LaunchSpec spec = BuildLaunchSpecs(job, {"http://x", "", ""})[0];
  EXPECT_EQ(spec.env.at("PLINTH_GPU_FRACTION"), "0.25");
  EXPECT_EQ(spec.gpus, 0);  // Slurm gets no --gres for a share of one GPU
}

// An executor whose launches fail from a given replica on.
class GangExecutor final : public exec::Executor {
 public:
  std::string Name() const override { return "test"; }
  absl::StatusOr<std::string> Launch(const exec::LaunchSpec& spec) override {
    if (spec.replica >= fail_from) return absl::UnavailableError("backend down");
    return "h" + std::to_string(spec.replica);
  }
  absl::StatusOr<exec::ReplicaStatus> Poll(const std::string&) override {
    return exec::ReplicaStatus{};
  }
  absl::Status Signal(const std::string&, int) override { return absl::OkStatus(); }
  absl::Status Kill(const std::string& handle) override {
    killed.push_back(handle);
    return kill_ok ? absl::OkStatus() : absl::UnavailableError("cannot kill");
  }
  absl::Status Abandon(const std::string& log_dir) override {
    abandoned.push_back(log_dir);
    return absl::OkStatus();
  }
  int fail_from = 99;
  bool kill_ok = true;
  std::vector<std::string> killed, abandoned;
};

TEST(LaunchGangTest, StartsEveryReplica) {
  GangExecutor executor;
  GangLaunch launch = LaunchGang(executor, BuildLaunchSpecs(TwoNodeGang(), {}));
  EXPECT_TRUE(launch.error.ok());
  EXPECT_THAT(launch.handles, ElementsAre("h0", "h1", "h2"));
  EXPECT_THAT(executor.killed, IsEmpty());
}

TEST(LaunchGangTest, AFailureStopsWhatStartedAndAbandonsTheFailedFolder) {
  GangExecutor executor;
  executor.fail_from = 2;
  GangLaunch launch = LaunchGang(executor, BuildLaunchSpecs(TwoNodeGang(), {}));
  EXPECT_TRUE(absl::IsUnavailable(launch.error));
  EXPECT_EQ(launch.failed_replica, 2);
  EXPECT_THAT(launch.handles, IsEmpty());
  EXPECT_THAT(executor.killed, ElementsAre("h0", "h1"));
  EXPECT_THAT(executor.abandoned, ElementsAre("/jobs/j1/2/replica-2"));
  EXPECT_THAT(launch.unstopped, IsEmpty());
}

TEST(LaunchGangTest, ReplicasThatCannotBeStoppedAreReported) {
  GangExecutor executor;
  executor.fail_from = 1;
  executor.kill_ok = false;
  GangLaunch launch = LaunchGang(executor, BuildLaunchSpecs(TwoNodeGang(), {}));
  EXPECT_EQ(launch.failed_replica, 1);
  EXPECT_THAT(launch.unstopped, ElementsAre(0));  // replica 1's folder was abandoned
}

}  // namespace
}  // namespace plinth::jobs
