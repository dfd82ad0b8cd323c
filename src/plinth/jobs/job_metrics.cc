#include "plinth/jobs/job_metrics.h"

namespace plinth::jobs {
namespace {

const std::vector<double>& WaitBuckets() {
  static const std::vector<double> kBuckets = {0.1, 1, 5, 15, 60, 300, 900, 3600, 14400, 86400};
  return kBuckets;
}

}  // namespace

JobService::Metrics::Metrics(metrics::Registry* r)
    : registry(*r),
      submitted(r->AddCounter("plinth_jobs_submitted_total", "Jobs accepted.").WithLabels({})),
      jobs(r->AddGauge("plinth_jobs", "Jobs per queue and state (PENDING, RUNNING, stopping).",
                       {"queue", "state"})),
      gpus_total(r->AddGauge("plinth_gpus_total", "GPUs in the inventory, per model.", {"model"})),
      gpus_allocated(r->AddGauge("plinth_gpus_allocated",
                                 "GPUs reserved by jobs, per model (MIG slices and fractions "
                                 "count their share).",
                                 {"model"})),
      preemptions(
          r->AddCounter("plinth_job_preemptions_total", "Jobs preempted, per queue.", {"queue"})),
      gpu_seconds(r->AddCounter("plinth_job_gpu_seconds_total",
                                "GPU-seconds reserved by finished attempts, per team and queue.",
                                {"team", "queue"})),
      finished(r->AddCounter("plinth_jobs_finished_total", "Jobs that ended, per queue and state.",
                             {"queue", "state"})),
      pass_seconds(
          r->AddHistogram("plinth_scheduler_pass_seconds", "Duration of one scheduling pass.", {})
              .WithLabels({})),
      wait_seconds(r->AddHistogram("plinth_job_wait_seconds",
                                   "Time from queueing to start, per queue.", {"queue"},
                                   WaitBuckets())),
      executor_call_seconds(r->AddHistogram(
          "plinth_executor_call_seconds",
          "Duration of one executor call (launch, poll, signal, kill, abandon) on its worker.",
          {"executor", "call"})),
      executor_backlog(r->AddGauge("plinth_executor_backlog",
                                   "Executor calls queued or running on the executor's worker "
                                   "(a backend that hangs makes it grow).",
                                   {"executor"})),
      leader(r->AddGauge("plinth_jobs_leader",
                         "1 while this server runs the job loop (of the servers sharing one "
                         "PostgreSQL database, exactly one does), else 0.",
                         {})
                 .WithLabels({})) {}

}  // namespace plinth::jobs
