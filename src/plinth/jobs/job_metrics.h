// Prometheus metrics of the job service (names under plinth_jobs_* and
// plinth_gpus_*; docs/jobs.md lists them).
#pragma once

#include "plinth/jobs/job_service.h"
#include "plinth/metrics/registry.h"

namespace plinth::jobs {

struct JobService::Metrics {
  explicit Metrics(metrics::Registry* registry);

  metrics::Registry& registry;
  metrics::Counter& submitted;
  metrics::Family<metrics::Gauge>& jobs;            // queue, state
  metrics::Family<metrics::Gauge>& gpus_total;      // model
  metrics::Family<metrics::Gauge>& gpus_allocated;  // model
  metrics::Family<metrics::Counter>& preemptions;   // queue
  metrics::Family<metrics::Counter>& gpu_seconds;   // team, queue
  metrics::Family<metrics::Counter>& finished;      // queue, state
  metrics::Histogram& pass_seconds;
  metrics::Family<metrics::Histogram>& wait_seconds;           // queue
  metrics::Family<metrics::Histogram>& executor_call_seconds;  // executor, call
  metrics::Family<metrics::Gauge>& executor_backlog;           // executor
  metrics::Gauge& leader;
};

}  // namespace plinth::jobs
