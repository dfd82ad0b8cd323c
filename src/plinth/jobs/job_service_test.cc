// The job service's state machine on a fake clock, with an executor the
// test controls (real processes are exercised by the exec tests and the
// integration tests).
#include "plinth/jobs/job_service.h"

#include <csignal>
#include <functional>
#include <optional>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/db/test_util.h"
#include "plinth/gpu/simulated_gpu_source.h"

namespace plinth::jobs {
namespace {

using ::testing::HasSubstr;

class ScriptedExecutor final : public exec::Executor {
 public:
  std::string Name() const override { return "local"; }
  absl::StatusOr<std::string> Launch(const exec::LaunchSpec& spec) override {
    if (!launch_error.ok()) return launch_error;
    if (on_launch) {
      absl::Status status = on_launch(spec);
      if (!status.ok()) return status;
    }
    std::string handle =
        spec.job_id + "/" + std::to_string(spec.replica) + "/" + std::to_string(++launches);
    specs[handle] = spec;
    status[handle] = {exec::ReplicaState::kRunning, 0, 0, "running"};
    return handle;
  }
  absl::StatusOr<exec::ReplicaStatus> Poll(const std::string& handle) override {
    return status.at(handle);
  }
  std::map<std::string, absl::StatusOr<exec::ReplicaStatus>> PollAll(
      const std::vector<std::string>& handles) override {
    poll_all_sizes.push_back(handles.size());
    return Executor::PollAll(handles);
  }
  absl::Status Signal(const std::string& handle, int signal) override {
    signals.push_back({handle, signal});
    if (exit_on_signal) Exit(handle, 128 + signal);
    return absl::OkStatus();
  }
  absl::Status Kill(const std::string& handle) override {
    if (!kill_error.ok()) return kill_error;
    kills.push_back(handle);
    if (status[handle].state == exec::ReplicaState::kRunning) {
      status[handle] = {exec::ReplicaState::kFailed, 0, SIGKILL, "killed by SIGKILL"};
    }
    return absl::OkStatus();
  }

  absl::Status Abandon(const std::string& log_dir) override {
    if (!abandon_error.ok()) return abandon_error;
    abandoned.push_back(log_dir);
    for (const auto& [handle, spec] : specs) {
      if (spec.log_dir == log_dir) (void)Kill(handle);
    }
    return absl::OkStatus();
  }

  void Exit(const std::string& handle, int code) {
    status[handle] = {code == 0 ? exec::ReplicaState::kSucceeded : exec::ReplicaState::kFailed,
                      code, 0, "exited with code " + std::to_string(code)};
  }
  // Handles of the replicas of `job_id`'s latest attempt, by replica index.
  std::vector<std::string> Running(const std::string& job_id) {
    std::vector<std::string> out;
    for (const auto& [h, s] : status) {
      if (specs[h].job_id == job_id && s.state == exec::ReplicaState::kRunning) out.push_back(h);
    }
    return out;
  }

  std::map<std::string, exec::LaunchSpec> specs;
  std::map<std::string, exec::ReplicaStatus> status;
  std::vector<std::pair<std::string, int>> signals;
  std::vector<std::string> kills;
  std::vector<std::string> abandoned;
  std::function<absl::Status(const exec::LaunchSpec&)> on_launch;
  absl::Status kill_error, abandon_error;
  absl::Status launch_error;
  bool exit_on_signal = false;
  int launches = 0;
  std::vector<size_t> poll_all_sizes;  // handles per PollAll call
};

class FakeRuns final : public RunTracker {
 public:
  absl::StatusOr<StartedRun> StartRun(const std::string& team, const std::string& job_id,
                                      const std::string&) override {
    return StartedRun{"run-" + job_id, ""};
  }
  absl::Status EndRun(const std::string& run_id, const std::string& status) override {
    ended[run_id] = status;
    return absl::OkStatus();
  }
  std::map<std::string, std::string> ended;
};

class FakeCredentials final : public JobCredentials {
 public:
  absl::StatusOr<std::string> Issue(const std::string& team, const std::string& job_id) override {
    issued.push_back(team + "/" + job_id);
    return "plt_" + job_id;
  }
  absl::Status Revoke(const std::string& job_id) override {
    revoked.push_back(job_id);
    return absl::OkStatus();
  }
  std::vector<std::string> issued, revoked;
};

http::Principal Admin() { return {false, "", "default", "admin"}; }
http::Principal Member(const std::string& team) { return {true, "t", team, "member"}; }

class JobServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = db::UniqueTestDir("jobs");
    db_ = db::OpenTestSqlite(dir_);
    store_ = *JobStore::Create(*db_);
    gpu::SimulatedNodeGroup group;
    group.name_prefix = "node";
    group.nodes = 2;
    group.gpus_per_node = 4;
    group.model = "H100-80GB";
    group.mig_gpus_per_node = 1;
    gpus_ = *gpu::SimulatedGpuSource::Create({group});
    config_.jobs_dir = (dir_ / "jobs").string();
    config_.server_url = "http://127.0.0.1:8470";
    sched::QueueConfig vision;
    vision.name = "vision";
    vision.team = "vision";
    vision.cohort = "research";
    vision.nominal["H100-80GB"] = 2;
    sched::QueueConfig nlp = vision;
    nlp.name = "nlp";
    nlp.team = "nlp";
    nlp.nominal["H100-80GB"] = 4;
    config_.queues = {vision, nlp};
    Restart();
  }

  void Restart() {
    service_.reset();
    registry_ = std::make_unique<metrics::Registry>();
    auto service = JobService::Create(*store_, *gpus_, {{"local", &executor_}}, &runs_, clock_,
                                      config_, registry_.get(), &credentials_);
    ASSERT_TRUE(service.ok()) << service.status();
    service_ = std::move(*service);
  }

  JobSpec Spec(double gpus, int replicas = 1) {
    JobSpec spec;
    spec.name = "train";
    spec.command = {"python3", "train.py"};
    spec.resources.gpus = gpus;
    spec.replicas = replicas;
    return spec;
  }

  Job Submit(JobSpec spec, const http::Principal& who = Admin()) {
    clock_.AdvanceMillis(1);  // distinct submission times keep FIFO order deterministic
    absl::StatusOr<Job> job = service_->Submit(who, std::move(spec));
    EXPECT_TRUE(job.ok()) << job.status();
    return job.ok() ? *job : Job{};
  }

  Job Get(const std::string& id) { return *service_->Get(Admin(), id); }

  std::vector<std::string> EventTypes(const std::string& id) {
    std::vector<std::string> types;
    std::vector<JobEvent> events = *service_->Events(Admin(), id);
    for (const JobEvent& e : events) types.push_back(e.type);
    return types;
  }

  std::filesystem::path dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<gpu::SimulatedGpuSource> gpus_;
  ScriptedExecutor executor_;
  FakeRuns runs_;
  FakeCredentials credentials_;
  FakeClock clock_;
  JobsConfig config_;
  std::unique_ptr<metrics::Registry> registry_;
  std::unique_ptr<JobService> service_;
};

TEST_F(JobServiceTest, RunsAJobToSuccessWithItsEnvironment) {
  Job job = Submit(Spec(2));
  EXPECT_EQ(job.state, JobState::kPending);
  EXPECT_EQ(job.spec.queue, "default");
  service_->Tick();
  Job running = Get(job.id);
  ASSERT_EQ(running.state, JobState::kRunning);
  ASSERT_EQ(running.replicas.size(), 1u);
  const exec::LaunchSpec& spec = executor_.specs.at(running.replicas[0].handle);
  EXPECT_EQ(spec.argv, (std::vector<std::string>{"python3", "train.py"}));
  EXPECT_EQ(spec.env.at("PLINTH_JOB_ID"), job.id);
  EXPECT_EQ(spec.env.at("MLFLOW_TRACKING_URI"), "http://127.0.0.1:8470");
  EXPECT_EQ(spec.env.at("MLFLOW_RUN_ID"), "run-" + job.id);
  // Best fit: GPU 0 of each node is in MIG mode, so a 2-GPU job gets 1,2.
  EXPECT_EQ(spec.env.at("CUDA_VISIBLE_DEVICES"), "1,2");
  EXPECT_EQ(spec.env.at("NVIDIA_VISIBLE_DEVICES"), "1,2");

  clock_.AdvanceMillis(30'000);
  executor_.Exit(running.replicas[0].handle, 0);
  service_->Tick();
  Job done = Get(job.id);
  EXPECT_EQ(done.state, JobState::kSucceeded);
  EXPECT_DOUBLE_EQ(done.gpu_seconds, 60);  // 2 GPUs x 30 s
  EXPECT_EQ(runs_.ended.at("run-" + job.id), "FINISHED");
  EXPECT_THAT(EventTypes(job.id),
              ::testing::ElementsAre("SUBMITTED", "STARTED", "REPLICA_EXITED", "SUCCEEDED"));
  auto usage = service_->Usage(Admin(), "team");
  ASSERT_TRUE(usage.ok());
  EXPECT_DOUBLE_EQ((*usage)[0].gpu_seconds, 60);
  // Another team's member sees none of it, grouped either way (issue 9).
  http::Principal other{true, "t", "other", "member"};
  for (const char* group_by : {"team", "queue"}) {
    auto theirs = service_->Usage(other, group_by);
    ASSERT_TRUE(theirs.ok());
    EXPECT_TRUE(theirs->empty()) << group_by;
  }
}

// On a server with tokens, an unmodified MLflow script in the job needs one.
TEST_F(JobServiceTest, ReplicasGetTheJobsTokenUntilItEnds) {
  JobSpec spec = Spec(1, 2);
  spec.team = "default";
  Job job = Submit(spec);
  JobSpec own = Spec(1);
  own.env["MLFLOW_TRACKING_TOKEN"] = "plt_mine";
  Job other = Submit(own);
  service_->Tick();
  for (const std::string& handle : executor_.Running(job.id)) {
    EXPECT_EQ(executor_.specs.at(handle).env.at("MLFLOW_TRACKING_TOKEN"), "plt_" + job.id);
    EXPECT_EQ(executor_.specs.at(handle).env.at("PLINTH_TOKEN"), "plt_" + job.id);
  }
  EXPECT_EQ(credentials_.issued.front(), "default/" + job.id);  // one per attempt, not replica
  std::string mine = executor_.Running(other.id).at(0);
  EXPECT_EQ(executor_.specs.at(mine).env.at("MLFLOW_TRACKING_TOKEN"), "plt_mine");
  EXPECT_TRUE(credentials_.revoked.empty());
  for (const std::string& handle : executor_.Running(job.id)) executor_.Exit(handle, 0);
  service_->Tick();
  ASSERT_EQ(Get(job.id).state, JobState::kSucceeded);
  EXPECT_EQ(credentials_.revoked, (std::vector<std::string>{job.id}));
}

TEST_F(JobServiceTest, CpuJobsSeeNoGpu) {
  Job job = Submit(Spec(0));
  service_->Tick();
  const exec::LaunchSpec& spec = executor_.specs.at(Get(job.id).replicas[0].handle);
  EXPECT_EQ(spec.env.at("CUDA_VISIBLE_DEVICES"), "");
}

TEST_F(JobServiceTest, EveryRunningReplicaIsPolledInOneCallPerTick) {
  Job a = Submit(Spec(1, 2));
  Job b = Submit(Spec(0));
  service_->Tick();  // both start: three replicas
  ASSERT_EQ(executor_.Running(a.id).size(), 2u);
  executor_.poll_all_sizes.clear();
  clock_.AdvanceMillis(config_.tick_ms);
  service_->Tick();
  EXPECT_EQ(executor_.poll_all_sizes, std::vector<size_t>{3});
  executor_.Exit(executor_.Running(b.id)[0], 0);
  clock_.AdvanceMillis(config_.tick_ms);
  service_->Tick();
  EXPECT_EQ(Get(b.id).state, JobState::kSucceeded);
}

TEST_F(JobServiceTest, FractionsShareOneGpuAndMigGetsASlice) {
  Job a = Submit(Spec(0.5));
  Job b = Submit(Spec(0.5));
  JobSpec mig = Spec(0);
  mig.resources.mig_profile = "3g.40gb";
  Job m = Submit(mig);
  service_->Tick();
  auto devices = [&](const Job& j) {
    return executor_.specs.at(Get(j.id).replicas[0].handle).env.at("CUDA_VISIBLE_DEVICES");
  };
  EXPECT_EQ(devices(a), devices(b));
  EXPECT_EQ(executor_.specs.at(Get(a.id).replicas[0].handle).env.at("PLINTH_GPU_FRACTION"), "0.5");
  EXPECT_THAT(devices(m), HasSubstr("MIG-GPU-"));
}

TEST_F(JobServiceTest, PyTorchGangGetsTheOperatorsEnvironment) {
  JobSpec spec = Spec(1, 3);
  spec.pytorch = true;
  spec.master_port = 29500;
  Job job = Submit(spec);
  service_->Tick();
  Job running = Get(job.id);
  ASSERT_EQ(running.replicas.size(), 3u);
  std::set<std::string> ranks;
  for (int i = 0; i < 3; ++i) {
    const auto& env = executor_.specs.at(running.replicas[i].handle).env;
    EXPECT_EQ(env.at("WORLD_SIZE"), "3");
    EXPECT_EQ(env.at("RANK"), std::to_string(i));
    EXPECT_EQ(env.at("MASTER_PORT"), "29500");
    EXPECT_EQ(env.at("MASTER_ADDR"), "127.0.0.1");
    ranks.insert(env.at("LOCAL_RANK"));
  }
  EXPECT_EQ(ranks, (std::set<std::string>{"0", "1", "2"}));  // all on one node
}

TEST_F(JobServiceTest, AFailedReplicaRestartsTheGangWithBackoff) {
  JobSpec spec = Spec(1, 2);
  spec.retries = 1;
  spec.retry_backoff_s = 10;
  Job job = Submit(spec);
  service_->Tick();
  Job running = Get(job.id);
  executor_.Exit(running.replicas[1].handle, 3);
  service_->Tick();
  Job restarting = Get(job.id);
  EXPECT_EQ(restarting.state, JobState::kRestarting);
  EXPECT_THAT(restarting.message, HasSubstr("replica 1 exited with code 3"));
  ASSERT_EQ(executor_.signals.size(), 1u);  // the healthy replica is told to stop
  EXPECT_EQ(executor_.signals[0], std::make_pair(running.replicas[0].handle, SIGTERM));
  executor_.Exit(running.replicas[0].handle, 143);
  service_->Tick();
  EXPECT_EQ(Get(job.id).state, JobState::kPending);
  EXPECT_THAT(*service_->Why(Admin(), job.id), HasSubstr("before its next attempt"));
  clock_.AdvanceMillis(9'000);
  service_->Tick();
  EXPECT_EQ(Get(job.id).state, JobState::kPending);  // still backing off
  clock_.AdvanceMillis(2'000);
  service_->Tick();
  Job second = Get(job.id);
  EXPECT_EQ(second.state, JobState::kRunning);
  EXPECT_EQ(second.attempts, 2);
  EXPECT_EQ(executor_.specs.at(second.replicas[0].handle).env.at("PLINTH_ATTEMPT"), "2");
  // The last retry is used: the next failure ends the job and stops the gang.
  executor_.Exit(second.replicas[0].handle, 1);
  service_->Tick();
  Job failed = Get(job.id);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_THAT(failed.message, HasSubstr("no retries left"));
  EXPECT_EQ(executor_.kills.back(), second.replicas[1].handle);
  EXPECT_EQ(failed.replicas[1].state, "killed");
  EXPECT_EQ(runs_.ended.at("run-" + job.id), "FAILED");
}

TEST_F(JobServiceTest, PreemptionSignalsTheVictimThenRequeuesIt) {
  config_.queues[0].nominal["H100-80GB"] = 2;  // vision
  config_.priority_classes["urgent"] = 5000;
  Restart();
  // nlp borrows: 6 whole GPUs (all non-MIG GPUs) while vision is idle.
  JobSpec borrowed = Spec(3, 2);
  borrowed.team = "nlp";
  borrowed.preemptible = true;
  borrowed.checkpoint_signal = "SIGUSR1";
  borrowed.grace_period_s = 60;
  Job victim = Submit(borrowed);
  service_->Tick();
  ASSERT_EQ(Get(victim.id).state, JobState::kRunning);

  JobSpec mine = Spec(2);
  mine.team = "vision";
  Job preemptor = Submit(mine);
  service_->Tick();
  Job stopping = Get(victim.id);
  EXPECT_EQ(stopping.state, JobState::kPreempting);
  EXPECT_THAT(stopping.message, HasSubstr("reclaims quota"));
  ASSERT_FALSE(executor_.signals.empty());
  EXPECT_EQ(executor_.signals[0].second, SIGUSR1);  // the checkpoint signal
  EXPECT_THAT(*service_->Why(Admin(), preemptor.id), HasSubstr("preempted job"));

  // The victim ignores the signal; after the grace period it is killed.
  clock_.AdvanceMillis(61'000);
  service_->Tick();
  EXPECT_EQ(executor_.kills.size(), 2u);
  service_->Tick();
  Job requeued = Get(victim.id);
  EXPECT_EQ(requeued.state, JobState::kPending);
  EXPECT_EQ(requeued.preemptions, 1);
  EXPECT_EQ(Get(preemptor.id).state, JobState::kRunning);
  EXPECT_THAT(EventTypes(victim.id), ::testing::Contains("PREEMPTED"));
}

TEST_F(JobServiceTest, CancelPendingAndRunning) {
  JobSpec big = Spec(3, 2);
  Job running = Submit(big);
  Job pending = Submit(big);
  service_->Tick();
  ASSERT_EQ(Get(running.id).state, JobState::kRunning);
  ASSERT_EQ(Get(pending.id).state, JobState::kPending);
  // Cancel answers at once with the request recorded; the loop ends the job.
  auto cancelled = service_->Cancel(Admin(), pending.id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, JobState::kCancelling);
  EXPECT_EQ(Get(pending.id).state, JobState::kCancelled);

  executor_.exit_on_signal = true;
  auto stopping = service_->Cancel(Admin(), running.id);
  ASSERT_TRUE(stopping.ok());
  EXPECT_EQ(stopping->state, JobState::kCancelling);
  service_->Tick();
  EXPECT_EQ(Get(running.id).state, JobState::kCancelled);
  EXPECT_EQ(runs_.ended.at("run-" + running.id), "KILLED");
  EXPECT_EQ(service_->Cancel(Admin(), running.id).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(JobServiceTest, MaxRuntimeFailsTheJob) {
  JobSpec spec = Spec(1);
  spec.max_runtime_s = 60;
  spec.grace_period_s = 5;
  Job job = Submit(spec);
  service_->Tick();
  clock_.AdvanceMillis(61'000);
  executor_.exit_on_signal = true;
  service_->Tick();
  service_->Tick();
  Job done = Get(job.id);
  EXPECT_EQ(done.state, JobState::kFailed);
  EXPECT_THAT(done.message, HasSubstr("exceeded its max runtime of 60 s"));
}

TEST_F(JobServiceTest, SupervisorTimeoutIsNotRetried) {
  JobSpec spec = Spec(1, 2);
  spec.max_runtime_s = 60;
  spec.retries = 3;
  Job job = Submit(spec);
  service_->Tick();
  Job running = Get(job.id);
  // The local supervisor enforces the deadline too and may fire first.
  clock_.AdvanceMillis(60'000);
  executor_.Exit(running.replicas[0].handle, 143);
  service_->Tick();
  Job done = Get(job.id);
  EXPECT_EQ(done.state, JobState::kFailed);
  EXPECT_THAT(done.message, HasSubstr("exceeded its max runtime of 60 s"));
  EXPECT_EQ(done.replicas[1].state, "killed");  // the other replica was stopped with it
}

TEST_F(JobServiceTest, InfeasibleJobsAreRejectedWithTheReason) {
  auto reject = [&](JobSpec spec, const http::Principal& who = Admin()) {
    absl::StatusOr<Job> job = service_->Submit(who, std::move(spec));
    EXPECT_FALSE(job.ok());
    return std::string(job.status().message());
  };
  EXPECT_THAT(reject(Spec(8)), HasSubstr("only 0 such replicas fit (largest node: 3 GPUs)"));
  EXPECT_THAT(reject(Spec(3, 3)), HasSubstr("only 2 such replicas fit"));
  JobSpec model = Spec(1);
  model.resources.gpu_model = "A100-40GB";
  EXPECT_THAT(reject(model), HasSubstr("no A100-40GB GPUs in this cluster"));
  JobSpec queue = Spec(1);
  queue.queue = "nope";
  EXPECT_THAT(reject(queue),
              HasSubstr("queue: 'nope' does not exist; queues: vision, nlp, default"));
  JobSpec priority = Spec(1);
  priority.priority_class = "vip";
  EXPECT_THAT(reject(priority), HasSubstr("use one of high, low, normal"));
  JobSpec other_team = Spec(1);
  other_team.team = "nlp";
  EXPECT_THAT(reject(other_team, Member("vision")),
              HasSubstr("team vision cannot submit jobs for team nlp"));
  EXPECT_THAT(reject(Spec(1), http::Principal{true, "t", "vision", "viewer"}), HasSubstr("viewer"));
  // vision (nominal 2, cohort nominal 6) can never hold 7 GPUs.
  config_.queues[0].borrowing_limit["H100-80GB"] = 1;
  Restart();
  JobSpec greedy = Spec(1, 4);
  EXPECT_THAT(reject(greedy, Member("vision")), HasSubstr("queue vision can never hold this job"));
}

TEST_F(JobServiceTest, WhyExplainsQuota) {
  JobSpec spec = Spec(1);
  spec.team = "vision";
  config_.queues[0].borrowing_limit["H100-80GB"] = 0;
  Restart();
  Submit(spec, Member("vision"));
  Submit(spec, Member("vision"));
  Job third = Submit(spec, Member("vision"));
  EXPECT_EQ(third.spec.queue, "vision");
  service_->Tick();
  EXPECT_EQ(Get(third.id).state, JobState::kPending);
  EXPECT_THAT(*service_->Why(Member("vision"), third.id),
              HasSubstr("queue vision would be 1 H100-80GB over its quota"));
  // Another team may not look at it.
  EXPECT_EQ(service_->Why(Member("nlp"), third.id).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(JobServiceTest, SurvivesARestartAndReattaches) {
  Job job = Submit(Spec(1));
  Job pending = Submit(Spec(3, 2));  // waits: 7 GPUs would be needed
  service_->Tick();
  std::string handle = Get(job.id).replicas[0].handle;
  Restart();  // a new service over the same store and executor
  service_->Tick();
  EXPECT_EQ(Get(job.id).state, JobState::kRunning);
  EXPECT_THAT(EventTypes(job.id), ::testing::Contains("REATTACHING"));
  executor_.Exit(handle, 0);
  service_->Tick();
  EXPECT_EQ(Get(job.id).state, JobState::kSucceeded);
  service_->Tick();
  EXPECT_EQ(Get(pending.id).state, JobState::kRunning);
}

// The server dies after starting replicas but before recording them: at
// restart the replicas are found by their folders and stopped, and the job
// waits for a fresh attempt instead of leaving them orphaned on the GPUs.
TEST_F(JobServiceTest, ALaunchCutShortByACrashIsStoppedAtRestart) {
  Job job = Submit(Spec(1, 2));
  std::optional<Job> on_record;
  executor_.on_launch = [&](const exec::LaunchSpec& spec) {
    if (spec.replica == 1) on_record = *store_->Get(job.id);  // what a crash would leave
    return absl::OkStatus();
  };
  service_->Tick();
  ASSERT_TRUE(on_record.has_value());
  ASSERT_EQ(on_record->replicas.size(), 2u);
  EXPECT_EQ(on_record->replicas[0].state, "launching");
  std::vector<std::string> started = executor_.Running(job.id);
  ASSERT_EQ(started.size(), 2u);
  executor_.on_launch = nullptr;
  ASSERT_TRUE(store_->Update(*on_record, {}).ok());  // the final record never happened

  Restart();
  EXPECT_EQ(executor_.abandoned, (std::vector<std::string>{on_record->replicas[0].log_dir,
                                                           on_record->replicas[1].log_dir}));
  EXPECT_TRUE(executor_.Running(job.id).empty()) << "the unrecorded replicas still run";
  Job requeued = Get(job.id);
  EXPECT_EQ(requeued.state, JobState::kPending);
  EXPECT_EQ(EventTypes(job.id).back(), "REQUEUED");
  service_->Tick();
  Job again = Get(job.id);
  EXPECT_EQ(again.state, JobState::kRunning);
  EXPECT_EQ(again.attempts, 2);
  EXPECT_EQ(executor_.Running(job.id).size(), 2u);
}

// The backend is down at restart: nothing new starts until the earlier
// attempt's replicas could be stopped.
TEST_F(JobServiceTest, AnInterruptedLaunchIsStoppedBeforeTheJobStartsAgain) {
  Job job = Submit(Spec(1));
  std::optional<Job> on_record;
  executor_.on_launch = [&](const exec::LaunchSpec&) {
    on_record = *store_->Get(job.id);
    return absl::OkStatus();
  };
  service_->Tick();
  executor_.on_launch = nullptr;
  ASSERT_TRUE(store_->Update(*on_record, {}).ok());
  executor_.abandon_error = absl::UnavailableError("slurmctld is down");

  Restart();
  Job waiting = Get(job.id);
  EXPECT_EQ(waiting.state, JobState::kPending);
  EXPECT_EQ(waiting.replicas[0].state, "launching");
  EXPECT_EQ(EventTypes(job.id).back(), "WARNING");
  clock_.AdvanceMillis(config_.unavailable_retry_ms);
  service_->Tick();  // still unreachable: the job must not start beside its old replica
  EXPECT_EQ(Get(job.id).state, JobState::kPending);
  EXPECT_EQ(executor_.Running(job.id).size(), 1u);

  executor_.abandon_error = absl::OkStatus();
  clock_.AdvanceMillis(config_.unavailable_retry_ms);
  service_->Tick();
  Job again = Get(job.id);
  EXPECT_EQ(again.state, JobState::kRunning);
  EXPECT_EQ(again.attempts, 2);
  EXPECT_EQ(executor_.Running(job.id).size(), 1u);  // the new one only
  EXPECT_EQ(executor_.abandoned.size(), 1u);
}

// A gang whose second replica cannot start while the first cannot be
// stopped either: the first is kept on record and stopped later.
TEST_F(JobServiceTest, AReplicaThatCannotBeStoppedAfterAFailedLaunchIsRetried) {
  Job job = Submit(Spec(1, 2));
  executor_.on_launch = [&](const exec::LaunchSpec& spec) {
    return spec.replica == 1 ? absl::UnavailableError("API server unreachable") : absl::OkStatus();
  };
  executor_.kill_error = absl::UnavailableError("API server unreachable");
  executor_.abandon_error = absl::UnavailableError("API server unreachable");
  service_->Tick();
  Job requeued = Get(job.id);
  EXPECT_EQ(requeued.state, JobState::kPending);
  ASSERT_EQ(requeued.replicas.size(), 2u);  // replica 0 started, replica 1 may have
  EXPECT_EQ(requeued.replicas[0].state, "launching");
  EXPECT_EQ(executor_.Running(job.id).size(), 1u);

  executor_.on_launch = nullptr;
  executor_.kill_error = executor_.abandon_error = absl::OkStatus();
  clock_.AdvanceMillis(config_.unavailable_retry_ms);
  service_->Tick();
  Job again = Get(job.id);
  EXPECT_EQ(again.state, JobState::kRunning);
  EXPECT_EQ(again.attempts, 2);
  EXPECT_EQ(executor_.Running(job.id).size(), 2u);  // the new gang only
}

// Issue 9: a replica whose SIGKILL failed is not recorded as killed; the job
// keeps its GPUs until a kill succeeds.
TEST_F(JobServiceTest, AFailedKillKeepsTheGpusUntilAKillSucceeds) {
  Job job = Submit(Spec(1, 2));
  service_->Tick();
  std::vector<std::string> handles = executor_.Running(job.id);
  ASSERT_EQ(handles.size(), 2u);
  executor_.kill_error = absl::UnavailableError("slurmctld unreachable");
  executor_.Exit(Get(job.id).replicas[0].handle, 3);  // no retries: the gang must go
  service_->Tick();
  Job stopping = Get(job.id);
  EXPECT_EQ(stopping.state, JobState::kCancelling);
  EXPECT_EQ(stopping.replicas[1].state, "stopping");
  EXPECT_THAT(stopping.replicas[1].message, HasSubstr("slurmctld unreachable"));
  EXPECT_THAT(registry_->Expose(), HasSubstr("plinth_gpus_allocated{model=\"H100-80GB\"} 2"));
  // Still failing: nothing changes, however often the loop runs.
  clock_.AdvanceMillis(config_.unavailable_retry_ms);
  service_->Tick();
  EXPECT_EQ(Get(job.id).state, JobState::kCancelling);

  executor_.kill_error = absl::OkStatus();
  clock_.AdvanceMillis(config_.unavailable_retry_ms);
  service_->Tick();
  clock_.AdvanceMillis(config_.tick_ms);
  service_->Tick();
  Job done = Get(job.id);
  EXPECT_EQ(done.state, JobState::kFailed);
  EXPECT_THAT(done.message, HasSubstr("replica 0 exited with code 3"));
  EXPECT_THAT(registry_->Expose(), HasSubstr("plinth_gpus_allocated{model=\"H100-80GB\"} 0"));
}

// Issue 9: a job recovered after its executor left the configuration fails
// with a message naming the executor (it used to dereference a null one).
TEST_F(JobServiceTest, ARecoveredJobWhoseExecutorIsGoneFails) {
  Job job = Submit(Spec(1));
  service_->Tick();
  ASSERT_EQ(Get(job.id).state, JobState::kRunning);
  service_.reset();
  registry_ = std::make_unique<metrics::Registry>();
  JobsConfig without_local = config_;
  without_local.default_executor = "slurm";
  auto service = JobService::Create(*store_, *gpus_, {{"slurm", &executor_}}, &runs_, clock_,
                                    without_local, registry_.get(), &credentials_);
  ASSERT_TRUE(service.ok()) << service.status();
  service_ = std::move(*service);
  Job failed = Get(job.id);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_THAT(failed.message, HasSubstr("its executor 'local' is no longer configured"));
  clock_.AdvanceMillis(600'000);  // no grace deadline fires on a missing executor
  service_->Tick();
  EXPECT_EQ(Get(job.id).state, JobState::kFailed);
}

// Issue 9: a store that refuses the loop's writes is retried; meanwhile no
// new job starts and Health() says why; once it takes writes again the
// loop catches up (no event lost) and goes on.
TEST_F(JobServiceTest, AFailingStoreStopsNewWorkUntilItRecovers) {
  Job first = Submit(Spec(1));
  service_->Tick();
  ASSERT_EQ(Get(first.id).state, JobState::kRunning);
  Job waiting = Submit(Spec(1));  // written before the store breaks
  auto exec_sql = [&](const std::string& sql) {
    ASSERT_TRUE(db_->Write([&](db::Session& s) { return s.Execute(sql).status(); }).ok()) << sql;
  };
  exec_sql("ALTER TABLE job_events RENAME TO job_events_away");
  executor_.Exit(Get(first.id).replicas[0].handle, 0);
  clock_.AdvanceMillis(config_.tick_ms);
  service_->Tick();
  EXPECT_EQ(service_->Health().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(service_->Health().message()), HasSubstr("no new jobs start"));
  clock_.AdvanceMillis(config_.tick_ms);
  service_->Tick();
  EXPECT_EQ(executor_.Running(waiting.id).size(), 0u);  // nothing new starts

  exec_sql("ALTER TABLE job_events_away RENAME TO job_events");
  clock_.AdvanceMillis(config_.tick_ms);
  service_->Tick();
  EXPECT_TRUE(service_->Health().ok());
  auto stored = store_->Get(first.id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, JobState::kSucceeded);
  auto events = store_->Events(first.id);
  ASSERT_TRUE(events.ok());
  bool succeeded = false;
  for (const JobEvent& e : *events) succeeded |= e.type == "SUCCEEDED";
  EXPECT_TRUE(succeeded);
  clock_.AdvanceMillis(config_.tick_ms);
  service_->Tick();
  EXPECT_EQ(Get(waiting.id).state, JobState::kRunning);
}

TEST_F(JobServiceTest, LostReplicasAreRequeued) {
  Job job = Submit(Spec(1));
  service_->Tick();
  std::string handle = Get(job.id).replicas[0].handle;
  executor_.status[handle] = {exec::ReplicaState::kLost, 0, 0, "supervisor vanished"};
  service_->Tick();
  service_->Tick();
  Job again = Get(job.id);
  EXPECT_EQ(again.state, JobState::kRunning);
  EXPECT_EQ(again.attempts, 2);
  EXPECT_EQ(again.restarts, 0);  // a lost replica is not the job's failure
}

TEST_F(JobServiceTest, LaunchErrors) {
  executor_.launch_error = absl::InvalidArgumentError("command 'nope' not found in PATH");
  Job bad = Submit(Spec(1));
  service_->Tick();
  EXPECT_EQ(Get(bad.id).state, JobState::kFailed);
  EXPECT_THAT(Get(bad.id).message, HasSubstr("not found in PATH"));

  executor_.launch_error = absl::UnavailableError("Unable to contact slurm controller");
  Job later = Submit(Spec(1));
  service_->Tick();
  EXPECT_EQ(Get(later.id).state, JobState::kPending);
  executor_.launch_error = absl::OkStatus();
  clock_.AdvanceMillis(config_.unavailable_retry_ms + 1);
  service_->Tick();
  EXPECT_EQ(Get(later.id).state, JobState::kRunning);
}

TEST_F(JobServiceTest, InventoryShowsHolders) {
  Job job = Submit(Spec(0.5));
  service_->Tick();
  Json inventory = service_->GpuInventory(Admin());
  EXPECT_EQ(inventory["source"], "simulated");
  // Another team sees the GPU in use, not whose job holds it.
  Json other = service_->GpuInventory(http::Principal{true, "t", "other", "member"});
  int hidden = 0;
  for (const Json& node : other["nodes"]) {
    for (const Json& g : node["gpus"]) {
      for (const Json& h : g["holders"]) {
        EXPECT_FALSE(h.contains("job"));
        EXPECT_FALSE(h.contains("team"));
        EXPECT_EQ(h["other_team"], true);
        EXPECT_EQ(h["fraction"], 0.5);
        ++hidden;
      }
    }
  }
  EXPECT_EQ(hidden, 1);
  ASSERT_EQ(inventory["nodes"].size(), 2u);
  int held = 0;
  for (const Json& node : inventory["nodes"]) {
    for (const Json& g : node["gpus"]) {
      for (const Json& h : g["holders"]) {
        EXPECT_EQ(h["job"], job.id);
        EXPECT_EQ(h["fraction"], 0.5);
        ++held;
      }
    }
  }
  EXPECT_EQ(held, 1);
  Json queues = service_->QueueReport(Admin());
  bool found = false;
  for (const Json& q : queues) {
    if (q["name"] == "default") {
      EXPECT_EQ(q["running"], 1);
      EXPECT_EQ(q["usage"]["H100-80GB"], 0.5);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  // A team's member sees the shared queues and its own, not other teams'.
  std::vector<std::string> visible;
  for (const Json& q : service_->QueueReport(Member("nlp"))) visible.push_back(q["name"]);
  EXPECT_THAT(visible, ::testing::UnorderedElementsAre("default", "nlp"));
  EXPECT_THAT(registry_->Expose(), HasSubstr("plinth_gpus_allocated{model=\"H100-80GB\"} 0.5"));
}

// Issue 9: the loop never waits on an executor. A backend whose every call
// hangs (a slurmctld that does not answer) holds up its own jobs only:
// local jobs start and finish meanwhile, and a cancel returns at once.
class GatedExecutor final : public exec::Executor {
 public:
  explicit GatedExecutor(std::string name) : name_(std::move(name)) {}
  std::string Name() const override { return name_; }
  absl::StatusOr<std::string> Launch(const exec::LaunchSpec& spec) override {
    Gate();
    std::lock_guard<std::mutex> lock(mu_);
    ++launches_;
    return spec.job_id + "/" + std::to_string(spec.replica);
  }
  absl::StatusOr<exec::ReplicaStatus> Poll(const std::string&) override {
    Gate();
    // Every replica ends at its first poll.
    return exec::ReplicaStatus{exec::ReplicaState::kSucceeded, 0, 0, "exited with code 0"};
  }
  absl::Status Signal(const std::string&, int) override { return Gate(), absl::OkStatus(); }
  absl::Status Kill(const std::string&) override { return Gate(), absl::OkStatus(); }
  absl::Status Abandon(const std::string&) override { return Gate(), absl::OkStatus(); }

  void Hang() {
    std::lock_guard<std::mutex> lock(mu_);
    hung_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hung_ = false;
    }
    released_.notify_all();
  }
  int launches() {
    std::lock_guard<std::mutex> lock(mu_);
    return launches_;
  }

 private:
  void Gate() {
    std::unique_lock<std::mutex> lock(mu_);
    released_.wait(lock, [this] { return !hung_; });
  }
  const std::string name_;
  std::mutex mu_;
  std::condition_variable released_;
  bool hung_ = false;
  int launches_ = 0;
};

TEST_F(JobServiceTest, AHungExecutorHoldsUpOnlyItsOwnJobs) {
  GatedExecutor local("local"), slurm("slurm");
  // Job states as the service publishes them, waited for without polling.
  EventBus bus;
  std::mutex mu;
  std::condition_variable changed;
  std::map<std::string, std::string> states;
  auto subscription = bus.Subscribe({"jobs/*"}, [&](const BusEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    states[e.data["id"].get<std::string>()] = e.data["state"].get<std::string>();
    changed.notify_all();
  });
  service_.reset();
  auto created = JobService::Create(*store_, *gpus_, {{"local", &local}, {"slurm", &slurm}}, &runs_,
                                    clock_, config_, registry_.get(), &credentials_, &bus);
  ASSERT_TRUE(created.ok()) << created.status();
  service_ = std::move(*created);
  service_->Start();
  slurm.Hang();
  JobSpec on_slurm = Spec(1);
  on_slurm.executor = "slurm";
  Job stuck = Submit(on_slurm);
  auto wait_for = [&](const std::string& id, JobState state) {
    std::unique_lock<std::mutex> lock(mu);
    return changed.wait_for(lock, std::chrono::seconds(20),
                            [&] { return states[id] == StateName(state); });
  };
  for (int i = 0; i < 3; ++i) {
    Job quick = Submit(Spec(1));
    EXPECT_TRUE(wait_for(quick.id, JobState::kSucceeded))
        << "a local job waited on the hung executor: " << StateName(Get(quick.id).state);
  }
  EXPECT_EQ(Get(stuck.id).state, JobState::kPending);  // its launch is not answered
  EXPECT_EQ(slurm.launches(), 0);
  auto before = std::chrono::steady_clock::now();
  absl::StatusOr<Job> cancelled = service_->Cancel(Admin(), stuck.id);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state, JobState::kCancelling);
  EXPECT_THAT(registry_->Expose(), HasSubstr("plinth_executor_backlog{executor=\"slurm\"} 1"));

  slurm.Release();  // the launch is answered; the cancel waiting for it applies
  EXPECT_TRUE(wait_for(stuck.id, JobState::kCancelled)) << StateName(Get(stuck.id).state);
  EXPECT_EQ(slurm.launches(), 1);
  service_->Stop();
}

}  // namespace
}  // namespace plinth::jobs

namespace plinth::jobs {
namespace {

// A second service on the same store, as a server that shares the database
// and does not lead: it hands submissions and cancellations to the leader
// through the store (the notices that PostgreSQL would deliver are passed
// by hand here), and takes over with Lead().
class FollowerTest : public JobServiceTest {
 protected:
  void SetUp() override {
    JobServiceTest::SetUp();
    JobsConfig follower_config = config_;
    follower_config.leader = false;
    follower_registry_ = std::make_unique<metrics::Registry>();
    auto follower = JobService::Create(*store_, *gpus_, {{"local", &executor_}}, &runs_, clock_,
                                       follower_config, follower_registry_.get(), &credentials_);
    ASSERT_TRUE(follower.ok()) << follower.status();
    follower_ = std::move(*follower);
  }

  std::unique_ptr<metrics::Registry> follower_registry_;
  std::unique_ptr<JobService> follower_;
};

TEST_F(FollowerTest, SubmissionsAndCancellationsThroughAFollowerReachTheLeader) {
  EXPECT_TRUE(service_->leading());
  EXPECT_FALSE(follower_->leading());
  absl::StatusOr<Job> job = follower_->Submit(Admin(), Spec(1));
  ASSERT_TRUE(job.ok()) << job.status();
  follower_->Tick();  // a follower runs nothing
  EXPECT_TRUE(executor_.specs.empty());
  service_->OnNotice("new " + job->id);
  service_->Tick();
  ASSERT_EQ(Get(job->id).state, JobState::kRunning);
  service_->OnNotice("new " + job->id);  // a repeated notice changes nothing
  service_->Tick();
  EXPECT_EQ(executor_.launches, 1);

  absl::StatusOr<Job> cancel = follower_->Cancel(Admin(), job->id);
  ASSERT_TRUE(cancel.ok()) << cancel.status();
  EXPECT_EQ(cancel->state, JobState::kCancelling);
  EXPECT_EQ(Get(job->id).state, JobState::kRunning);  // recorded, for the leader to apply
  service_->OnNotice("cancel " + job->id);
  service_->Tick();
  EXPECT_EQ(Get(job->id).state, JobState::kCancelling);
  EXPECT_EQ(executor_.signals.size(), 1u);
}

TEST_F(FollowerTest, ANewLeaderFindsWhatWasSubmittedAndCancelledWhileNoneLed) {
  Job running = Submit(Spec(1));
  service_->Tick();
  ASSERT_EQ(Get(running.id).state, JobState::kRunning);
  service_.reset();  // the leader dies; nobody hears the follower's notices
  absl::StatusOr<Job> queued = follower_->Submit(Admin(), Spec(1));
  ASSERT_TRUE(queued.ok()) << queued.status();
  ASSERT_TRUE(follower_->Cancel(Admin(), running.id).ok());
  EXPECT_EQ(follower_->Why(Admin(), queued->id).value_or(""),
            "waiting for the scheduler (on the server that leads)");

  ASSERT_TRUE(follower_->Lead().ok());
  EXPECT_TRUE(follower_->leading());
  follower_->Tick();
  Job stopped = *follower_->Get(Admin(), running.id);
  EXPECT_EQ(stopped.state, JobState::kCancelling);  // the recorded cancel, applied
  EXPECT_EQ(stopped.attempts, 1);                   // followed again, not restarted
  Job started = *follower_->Get(Admin(), queued->id);
  EXPECT_EQ(started.state, JobState::kRunning);
  EXPECT_THAT(*follower_->Events(Admin(), running.id),
              ::testing::Contains(::testing::Field(&JobEvent::type, "REATTACHING")));
  EXPECT_EQ(*store_->LeaderUrl(), config_.server_url);
}

TEST_F(FollowerTest, ResyncAdoptsPendingJobsWhoseNoticeWasMissed) {
  absl::StatusOr<Job> job = follower_->Submit(Admin(), Spec(1));
  ASSERT_TRUE(job.ok()) << job.status();
  service_->Tick();
  EXPECT_EQ(Get(job->id).state, JobState::kPending);  // no notice: unknown to the loop
  service_->Resync();
  service_->Tick();
  EXPECT_EQ(Get(job->id).state, JobState::kRunning);
}

}  // namespace
}  // namespace plinth::jobs
