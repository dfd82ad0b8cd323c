#include "plinth/sched/simulator.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/sched/cluster_file.h"
#include "plinth/sched/synthetic_trace.h"
#include "plinth/sched/test_util.h"

namespace plinth::sched {
namespace {

using ::testing::HasSubstr;
using testing::MakeNodes;
using testing::MakeQueue;

// A trace from CSV rows after the header
// "submit_time,duration,gpus,team,priority,replicas,preemptible,max_runtime".
Trace Csv(const std::string& rows) {
  absl::StatusOr<Trace> trace = ParseTraceCsv(
      "submit_time,duration,gpus,team,priority,replicas,preemptible,max_runtime\n" + rows,
      "trace.csv");
  EXPECT_TRUE(trace.ok()) << trace.status();
  return trace.ok() ? *trace : Trace{};
}

SimReport Replay(const Trace& trace, const SimOptions& options = {}, int nodes = 1,
                 std::vector<QueueConfig> queues = {}) {
  absl::StatusOr<SimReport> report = Simulate(MakeNodes(nodes, 8), queues, trace, options);
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *report : SimReport{};
}

const TeamReport& Team(const SimReport& r, const std::string& name) {
  for (const TeamReport& t : r.teams) {
    if (t.team == name) return t;
  }
  static TeamReport none;
  ADD_FAILURE() << "no team " << name;
  return none;
}

TEST(SimulatorTest, JobsWaitForCapacityAndTheClockJumps) {
  SimReport r =
      Replay(Csv("0,100,8,a,0,1,true,\n"
                 "10,50,8,b,0,1,true,\n"));
  EXPECT_EQ(r.jobs, 2);
  EXPECT_EQ(r.completed, 2);
  EXPECT_DOUBLE_EQ(r.makespan_s, 150);
  EXPECT_DOUBLE_EQ(r.utilisation, 1.0);
  ASSERT_EQ(r.flavors.size(), 1u);
  EXPECT_DOUBLE_EQ(r.flavors[0].allocated_gpu_seconds, 8 * 150);
  EXPECT_DOUBLE_EQ(Team(r, "a").wait_s.max, 0);
  EXPECT_DOUBLE_EQ(Team(r, "b").wait_s.max, 90);  // until a ends at 100
  EXPECT_DOUBLE_EQ(r.wait_s.p50, 0);
  EXPECT_DOUBLE_EQ(r.wait_s.max, 90);
  EXPECT_DOUBLE_EQ(Team(r, "b").gpu_seconds, 400);
  EXPECT_LT(r.wall_s, 5);
}

TEST(SimulatorTest, EventsAtOneInstantShareOnePass) {
  // Four arrivals at 0 and four completions at 100: two passes in all.
  SimReport r =
      Replay(Csv("0,100,1,a,0,1,true,\n0,100,1,a,0,1,true,\n"
                 "0,100,1,b,0,1,true,\n0,100,1,b,0,1,true,\n"));
  EXPECT_EQ(r.completed, 4);
  EXPECT_EQ(r.passes, 2);
  EXPECT_EQ(r.pass_ms.count, 2);
  EXPECT_EQ(r.max_running, 4);
}

TEST(SimulatorTest, PreemptedJobsStopThenResumeWithTheirRemainingWork) {
  // low runs from 0; urgent (same queue, higher priority) arrives at 100 and
  // preempts it; low holds its GPUs for the 30 s grace, then waits again.
  Trace trace =
      Csv("0,1000,8,team,0,1,true,\n"
          "100,100,8,team,5,1,false,\n");
  SimReport r = Replay(trace);
  EXPECT_EQ(r.preemptions, 1);
  EXPECT_EQ(r.jobs_preempted, 1);
  EXPECT_EQ(Team(r, "team").preemptions, 1);
  EXPECT_EQ(r.completed, 2);
  // urgent starts at 130, ends at 230; low resumes then with 900 s left.
  EXPECT_DOUBLE_EQ(r.makespan_s, 1130);
  EXPECT_DOUBLE_EQ(r.wait_s.max, 30);
  EXPECT_DOUBLE_EQ(r.utilisation, 1.0);  // a stopping job still holds its GPUs

  SimOptions restart;
  restart.restart_preempted = true;
  EXPECT_DOUBLE_EQ(Replay(trace, restart).makespan_s, 1230);

  SimOptions no_grace;
  no_grace.preemption_grace_s = 0;
  SimReport quick = Replay(trace, no_grace);
  EXPECT_DOUBLE_EQ(quick.wait_s.max, 0);
  EXPECT_DOUBLE_EQ(quick.makespan_s, 1100);

  SimOptions off;
  off.scheduler.preemption = false;
  SimReport none = Replay(trace, off);
  EXPECT_EQ(none.preemptions, 0);
  EXPECT_DOUBLE_EQ(none.wait_s.max, 900);
}

TEST(SimulatorTest, PreemptionLossIsReported) {
  // low (8 GPUs) is preempted at 100 s and holds its GPUs for the 30 s grace.
  Trace trace =
      Csv("0,1000,8,team,0,1,true,\n"
          "100,100,8,team,5,1,false,\n");
  SimReport resumed = Replay(trace);
  EXPECT_DOUBLE_EQ(resumed.preemption_rerun_gpu_hours, 0);  // it checkpointed
  EXPECT_DOUBLE_EQ(resumed.preemption_stopping_gpu_hours, 8 * 30 / 3600.0);
  EXPECT_DOUBLE_EQ(resumed.preemption_lost_gpu_hours, 8 * 30 / 3600.0);
  SimOptions restart;
  restart.restart_preempted = true;
  SimReport restarted = Replay(trace, restart);
  EXPECT_DOUBLE_EQ(restarted.preemption_rerun_gpu_hours, 8 * 100 / 3600.0);
  EXPECT_DOUBLE_EQ(restarted.preemption_lost_gpu_hours, 8 * 130 / 3600.0);
  Json json = SimReportToJson(restarted);
  EXPECT_DOUBLE_EQ(json["preemption_lost_gpu_hours"].get<double>(), 8 * 130 / 3600.0);
  EXPECT_TRUE(json.contains("preemption_rerun_gpu_hours"));
  EXPECT_TRUE(json.contains("preemption_stopping_gpu_hours"));
}

TEST(SimulatorTest, AnExemptVictimIsPreemptedWhenItsExemptionEnds) {
  // urgent arrives 10 s into low's run. With the default 60 s exemption it
  // preempts low at 60 s - a moment when nothing else happens, so the replay
  // must wake up for it - and starts after the 30 s grace, at 90 s.
  Trace trace =
      Csv("0,1000,8,team,0,1,true,\n"
          "10,100,8,team,5,1,false,\n");
  SimReport r = Replay(trace);
  EXPECT_EQ(SimOptions().scheduler.preempt_exempt_ms, kDefaultPreemptExemptMs);
  EXPECT_EQ(r.preemptions, 1);
  EXPECT_DOUBLE_EQ(r.wait_s.max, 80);
  EXPECT_DOUBLE_EQ(r.makespan_s, 1130);  // low: 60 s, then 940 s from 190 s

  SimOptions off;
  off.scheduler.preempt_exempt_ms = 0;
  EXPECT_DOUBLE_EQ(Replay(trace, off).wait_s.max, 30);  // preempted at 10 s
}

TEST(SimulatorTest, PreemptExemptTimeCutsChurn) {
  SyntheticTraceOptions o;
  o.jobs = 3000;
  o.gpus = 64;
  o.load = 1.2;
  o.seed = 5;
  Trace trace = SyntheticTrace(o);
  std::vector<QueueConfig> queues = {MakeQueue("vision", 32, "c"), MakeQueue("nlp", 20, "c"),
                                     MakeQueue("speech", 12, "c")};
  SimOptions off;
  off.scheduler.preempt_exempt_ms = 0;
  SimReport churn = Replay(trace, off, 8, queues);
  SimReport calm = Replay(trace, {}, 8, queues);  // the default 60 s
  EXPECT_EQ(churn.unfinished, 0);
  EXPECT_EQ(calm.unfinished, 0);
  EXPECT_GT(calm.preemptions, 0);
  EXPECT_LT(calm.max_preemptions_of_a_job, churn.max_preemptions_of_a_job);
  EXPECT_LT(calm.preemptions, churn.preemptions);
  EXPECT_LT(calm.preemption_lost_gpu_hours, churn.preemption_lost_gpu_hours);
}

TEST(SimulatorTest, BackfillUsesRuntimeEstimates) {
  // One queue, FIFO: big waits for half the node; short (which ends before
  // big could start) may backfill only when the scheduler knows its runtime.
  Trace trace =
      Csv("0,100,4,a,0,1,true,\n"
          "1,100,8,a,0,1,true,\n"
          "2,50,4,a,0,1,true,\n");
  SimReport estimated = Replay(trace);
  EXPECT_DOUBLE_EQ(estimated.wait_s.max, 99);  // big, until 100; short starts at once
  EXPECT_DOUBLE_EQ(estimated.makespan_s, 200);

  SimOptions blind;
  blind.runtime_estimates = false;
  SimReport r = Replay(trace, blind);
  EXPECT_DOUBLE_EQ(r.wait_s.max, 198);  // short, after big, which ends at 200
  EXPECT_DOUBLE_EQ(r.makespan_s, 250);
}

TEST(SimulatorTest, WithoutBackfillLongJobsDelayTheHead) {
  Trace trace =
      Csv("0,100,4,a,0,1,true,\n"
          "1,100,8,a,0,1,true,\n"
          "2,500,4,a,0,1,true,\n");
  SimReport with = Replay(trace);
  EXPECT_DOUBLE_EQ(with.wait_s.max, 198);  // the long job waits for the head
  SimOptions off;
  off.scheduler.backfill = false;
  SimReport without = Replay(trace, off);
  EXPECT_DOUBLE_EQ(without.wait_s.max, 501);  // the head waits for the long job
}

TEST(SimulatorTest, MaxRuntimeStopsAJob) {
  SimReport r = Replay(Csv("0,100,1,a,0,1,true,40\n"));
  EXPECT_EQ(r.timed_out, 1);
  EXPECT_EQ(r.completed, 0);
  EXPECT_EQ(Team(r, "a").timed_out, 1);
  EXPECT_DOUBLE_EQ(r.makespan_s, 40);
}

TEST(SimulatorTest, JobsThatCanNeverRunAreRejected) {
  Trace trace =
      Csv("0,10,16,a,0,1,true,\n"  // 16 GPUs on one node of 8
          "0,10,8,a,0,3,true,\n"   // 3 whole nodes of 2
          "0,10,8,a,0,2,true,\n"   // fits
          "5,10,2,q,0,1,true,\n"   // more than queue q may use
          "5,10,1,q,0,1,true,\n");
  Trace with_model = trace;
  with_model.jobs.push_back(with_model.jobs[2]);
  with_model.jobs.back().id = "a100";
  with_model.jobs.back().gpu_model = "A100-40GB";
  std::vector<QueueConfig> queues = {MakeQueue("a", 16), MakeQueue("q", 1)};
  SimReport r = Replay(with_model, {}, 2, queues);
  EXPECT_EQ(r.rejected, 4);
  EXPECT_EQ(r.completed, 2);
  EXPECT_EQ(r.unfinished, 0);
  ASSERT_EQ(r.rejections.size(), 4u);
  EXPECT_EQ(r.rejections[0].id, "job-1");
  EXPECT_EQ(r.rejections[0].line, 2);
  EXPECT_THAT(r.rejections[0].reason, HasSubstr("more than the cluster can place"));
  EXPECT_THAT(r.rejections[1].reason, HasSubstr("more than the cluster can place"));
  EXPECT_THAT(r.rejections[2].reason, HasSubstr("asks for GPU model A100-40GB, which no node has"));
  EXPECT_THAT(r.rejections[3].reason, HasSubstr("more than queue q may ever use"));
}

TEST(SimulatorTest, QueuesComeFromTheClusterOrOnePerTeam) {
  Trace trace = Csv("0,10,1,vision,0,1,true,\n");
  trace.jobs[0].queue = "shared";
  absl::StatusOr<SimReport> missing =
      Simulate(MakeNodes(1, 8), {MakeQueue("vision", 8)}, trace, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("trace.csv:2: queue 'shared' is not defined in the cluster file"));
  // Without queues, each one the trace names exists with unlimited quota.
  absl::StatusOr<SimReport> made = Simulate(MakeNodes(1, 8), {}, trace, {});
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(made->completed, 1);
}

TEST(SimulatorTest, FairnessComparesSharesWhileQueuesWait) {
  // Two teams with equal quota in a cohort, both asking for far more than
  // the cluster: the scheduler splits it, so Jain's index is about 1.
  std::string rows;
  for (int i = 0; i < 40; ++i) rows += "0,100,1,a,0,1,true,\n0,100,1,b,0,1,true,\n";
  std::vector<QueueConfig> queues = {MakeQueue("a", 4, "c"), MakeQueue("b", 4, "c")};
  SimReport r = Replay(Csv(rows), {}, 1, queues);
  EXPECT_EQ(r.completed, 80);
  EXPECT_GT(r.fairness, 0.99);
  EXPECT_NEAR(Team(r, "a").waiting_share, 1.0, 0.01);  // 4 of nominal 4 while waiting
  EXPECT_NEAR(Team(r, "a").mean_gpus, 4, 0.01);
  ASSERT_EQ(r.queues.size(), 2u);
  EXPECT_EQ(r.queues[1].queue, "b");
  EXPECT_NEAR(r.queues[1].waiting_share, 1.0, 0.01);
  EXPECT_GT(r.queues[1].waiting_s, 800);  // waited until the last round started at 900
}

TEST(SimulatorTest, JainIndexAndPercentiles) {
  EXPECT_DOUBLE_EQ(JainIndex({1, 1, 1}), 1);
  EXPECT_DOUBLE_EQ(JainIndex({1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(JainIndex({}), 1);
  Percentiles p = Summarize({5, 1, 4, 2, 3, 6, 7, 8, 9, 10});
  EXPECT_EQ(p.count, 10);
  EXPECT_DOUBLE_EQ(p.mean, 5.5);
  EXPECT_DOUBLE_EQ(p.p50, 5);
  EXPECT_DOUBLE_EQ(p.p90, 9);
  EXPECT_DOUBLE_EQ(p.p99, 10);
  EXPECT_DOUBLE_EQ(p.max, 10);
  EXPECT_EQ(Summarize({}).count, 0);
}

TEST(SimulatorTest, SyntheticTraceKeepsEveryJobAccountedFor) {
  SyntheticTraceOptions o;
  o.jobs = 3000;
  o.gpus = 64;
  o.load = 1.2;  // over capacity: queues grow, preemption and backfill happen
  Trace trace = SyntheticTrace(o);
  std::vector<QueueConfig> queues = {MakeQueue("vision", 32, "c"), MakeQueue("nlp", 20, "c"),
                                     MakeQueue("speech", 12, "c")};
  int64_t progress_calls = 0, last_done = -1;
  SimOptions options;
  options.progress_every = 500;
  options.progress = [&](const SimProgress& p) {
    ++progress_calls;
    EXPECT_GE(p.jobs_done, last_done);
    last_done = p.jobs_done;
    EXPECT_EQ(p.jobs_total, 3000);
  };
  SimReport r = Replay(trace, options, 8, queues);
  EXPECT_EQ(r.completed + r.rejected + r.timed_out, r.jobs);
  EXPECT_EQ(r.unfinished, 0);
  EXPECT_EQ(r.timed_out, 0);  // the generator's max_runtime never undercuts the duration
  EXPECT_GT(r.preemptions, 0);
  EXPECT_GT(r.max_pending, 10);
  EXPECT_LE(r.utilisation, 1.0 + 1e-9);
  EXPECT_GT(r.utilisation, 0.5);
  int64_t team_preemptions = 0;
  for (const TeamReport& t : r.teams) team_preemptions += t.preemptions;
  EXPECT_EQ(team_preemptions, r.preemptions);
  int64_t queue_preemptions = 0, queue_jobs = 0;
  ASSERT_EQ(r.queues.size(), 3u);
  for (const QueueReport& q : r.queues) {
    queue_preemptions += q.preemptions;
    queue_jobs += q.jobs;
  }
  EXPECT_EQ(queue_preemptions, r.preemptions);
  EXPECT_EQ(queue_jobs, r.jobs);
  EXPECT_GT(progress_calls, 2);
  EXPECT_EQ(last_done, 3000);
  // Deterministic: the same trace gives the same schedule.
  SimReport again = Replay(trace, {}, 8, queues);
  EXPECT_EQ(again.makespan_s, r.makespan_s);
  EXPECT_EQ(again.preemptions, r.preemptions);
  EXPECT_EQ(again.wait_s.p99, r.wait_s.p99);
}

TEST(SimulatorTest, JsonReportHasEveryField) {
  SimReport r = Replay(Csv("0,100,8,a,0,1,true,\n0,10,16,b,0,1,true,\n"));
  Json json = SimReportToJson(r);
  EXPECT_EQ(json["jobs"], 2);
  EXPECT_EQ(json["completed"], 1);
  EXPECT_EQ(json["rejected"], 1);
  EXPECT_EQ(json["rejections"][0]["id"], "job-2");
  EXPECT_DOUBLE_EQ(json["makespan_s"].get<double>(), 100);
  EXPECT_DOUBLE_EQ(json["flavors"][0]["utilisation"].get<double>(), 1.0);
  EXPECT_EQ(json["teams"][0]["team"], "a");
  for (const char* key : {"wait_s", "pass_ms", "fairness", "passes", "wall_s", "preemptions",
                          "max_pending", "unfinished_jobs", "queues"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_TRUE(json["teams"][0]["wait_s"].contains("p99"));
}

TEST(SimulatorTest, EmptyClusterIsAnError) {
  absl::StatusOr<SimReport> r = Simulate({}, {}, Csv("0,1,1,a,0,1,true,\n"), {});
  EXPECT_FALSE(r.ok());
}

// The repository's root, from the build (__FILE__ is relative when ccache
// rewrites paths under its base_dir).
std::string RepoRoot() { return PLINTH_SOURCE_DIR; }

TEST(SimulatorTest, TheExampleReplays) {
  absl::StatusOr<ClusterSpec> cluster = LoadClusterFile(RepoRoot() + "/examples/sim/cluster.yaml");
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  absl::StatusOr<Trace> trace = LoadTraceFile(RepoRoot() + "/examples/sim/trace.csv");
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->jobs.size(), 200u);
  absl::StatusOr<SimReport> r = Simulate(cluster->nodes, cluster->queues, *trace, cluster->options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->completed + r->rejected, 200);
  EXPECT_EQ(r->unfinished, 0);
  EXPECT_EQ(r->teams.size(), 3u);
}

TEST(SimulatorTest, TheTraceScriptIsDeterministicAndParses) {
  std::string command = "/usr/bin/python3 " + RepoRoot() +
                        "/examples/sim/make_trace.py --jobs 300 --seed 3 --gpus 64 2>&1";
  auto run = [&] {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe) return out;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0) << out;
    return out;
  };
  std::string first = run();
  EXPECT_EQ(first, run());
  absl::StatusOr<Trace> trace = ParseTraceCsv(first, "generated.csv");
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_EQ(trace->jobs.size(), 300u);
  double last = 0;
  for (const TraceJob& job : trace->jobs) {
    EXPECT_GE(job.submit_time_s, last);  // in submission order
    last = job.submit_time_s;
    if (job.max_runtime_s > 0) {
      EXPECT_GE(job.max_runtime_s, job.duration_s);
    }
  }
  SimReport r = Replay(*trace, {}, 8);
  EXPECT_EQ(r.completed + r.rejected, 300);
  EXPECT_EQ(r.timed_out, 0);
}

}  // namespace
}  // namespace plinth::sched
