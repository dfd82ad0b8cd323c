// The scheduling simulator behind `plinth sim`: replays a job trace through
// the real Scheduler on a simulated clock. Time jumps from event to event
// (arrivals and completions); events at the same instant are applied together
// and a pass runs only when something changed. Admitted jobs run for their
// duration. A preempted job stops working at once (it checkpoints), keeps its
// GPUs for a grace period while it exits - its preemptor waits, as with real
// executors - then goes back to pending and later resumes with its remaining
// duration (or, optionally, from scratch).
// A job that exceeds an explicit max_runtime is stopped there (timed out).
// Jobs that could never run (larger than the cluster or than their queue's
// quota) are rejected on arrival rather than left waiting forever.
//
// Fairness is Jain's index over the queues' dominant shares (the share the
// scheduler balances: usage / nominal quota per GPU model, the largest over
// models, divided by the queue's weight), each averaged over the time that
// queue had jobs waiting. Queues that never waited are left out: a queue that
// asks for little is not treated unfairly by getting little.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/gpu/gpu_source.h"
#include "plinth/sched/scheduler.h"
#include "plinth/sched/trace.h"
#include "plinth/sched/types.h"

namespace plinth::sched {

struct SimProgress {
  int64_t jobs_done = 0;  // completed, timed out or rejected
  int64_t jobs_total = 0;
  double sim_time_s = 0;  // since the first submission
};

struct SimOptions {
  // As the server runs it: preemption exemption included, so that a replay
  // predicts what the server would do.
  SchedulerOptions scheduler = {.preempt_exempt_ms = kDefaultPreemptExemptMs};
  // Preempted jobs restart from the beginning instead of resuming.
  bool restart_preempted = false;
  // How long a preempted job keeps its GPUs while it checkpoints and exits;
  // its preemptor waits for them meanwhile.
  double preemption_grace_s = 30;
  // Jobs without max_runtime tell the scheduler their duration as their
  // maximum runtime (perfect estimates), so that backfill can use them.
  bool runtime_estimates = true;
  // Passes at one instant before the clock moves on anyway (a guard against
  // preemption churn; counted in the report when hit).
  int max_passes_per_instant = 64;
  // Called every `progress_every` events and once at the end.
  std::function<void(const SimProgress&)> progress;
  int progress_every = 2000;
};

struct Percentiles {
  int64_t count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct TeamReport {
  std::string team;
  int64_t jobs = 0, completed = 0, rejected = 0, timed_out = 0, unfinished = 0;
  int64_t preemptions = 0;   // times a job of this team was preempted
  Percentiles wait_s;        // submission to first start, completed jobs
  double gpu_seconds = 0;    // GPU-seconds allocated to the team's jobs
  double mean_gpus = 0;      // gpu_seconds / makespan
  double waiting_share = 0;  // mean dominant share of its queues while they had jobs waiting
};

struct QueueReport {
  std::string queue, team;
  int64_t jobs = 0;
  int64_t preemptions = 0;   // times a job of this queue was preempted
  double mean_gpus = 0;      // GPU-seconds allocated / makespan
  double waiting_share = 0;  // mean dominant share while it had jobs waiting (the fairness input)
  double waiting_s = 0;      // simulated time it had jobs waiting
};

struct FlavorReport {
  std::string flavor;
  double gpus = 0;  // capacity
  double allocated_gpu_seconds = 0;
  double utilisation = 0;  // allocated / (gpus x makespan)
};

struct JobNote {
  std::string id;
  int line = 0;
  std::string team;
  std::string reason;
};

struct SimReport {
  int64_t jobs = 0, completed = 0, rejected = 0, timed_out = 0, unfinished = 0;
  double start_s = 0;      // first submission
  double makespan_s = 0;   // first submission to the last job's end
  double utilisation = 0;  // all flavors together
  std::vector<FlavorReport> flavors;
  Percentiles wait_s;
  std::vector<TeamReport> teams;    // sorted by name
  std::vector<QueueReport> queues;  // in configuration order
  int64_t preemptions = 0;
  int64_t jobs_preempted = 0;  // jobs preempted at least once
  int64_t max_preemptions_of_a_job = 0;
  // GPU time preemption wasted: run time thrown away since the victims'
  // last starts (restart_preempted only: a resumed job loses nothing it
  // checkpointed), GPUs victims held while they stopped, and the two together.
  double preemption_rerun_gpu_hours = 0;
  double preemption_stopping_gpu_hours = 0;
  double preemption_lost_gpu_hours = 0;
  double fairness = 1;  // Jain's index (see the top of this file); 1 = perfectly fair
  int64_t passes = 0;
  Percentiles pass_ms;  // wall-clock time of Scheduler::Schedule
  int64_t instants_at_pass_limit = 0;
  int64_t max_pending = 0;
  int64_t max_running = 0;
  double wall_s = 0;  // the whole replay
  std::vector<JobNote> rejections;
  std::vector<JobNote> unfinished_jobs;  // still waiting when nothing else could happen
};

// Replays `trace` on `nodes`. With no `queues`, every queue the trace names
// is created for its team with unlimited quota and no cohort; otherwise a
// trace row naming an undefined queue is an InvalidArgument error naming the
// row.
absl::StatusOr<SimReport> Simulate(const std::vector<gpu::Node>& nodes,
                                   const std::vector<QueueConfig>& queues, const Trace& trace,
                                   const SimOptions& options);

// Count, mean, nearest-rank percentiles and maximum of `values`.
Percentiles Summarize(std::vector<double> values);
// Jain's fairness index (sum x)^2 / (n * sum x^2): 1 when all are equal, 1/n
// when one value takes everything; 1 for no values or all zero.
double JainIndex(const std::vector<double>& values);

// The whole report as JSON (times in seconds, shares as fractions).
Json SimReportToJson(const SimReport& report);

}  // namespace plinth::sched
