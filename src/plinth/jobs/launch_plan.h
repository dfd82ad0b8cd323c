// Starting one attempt of a job, in the two parts that run in different
// places: BuildLaunchSpecs (pure, on the job loop) says what each replica
// gets; LaunchGang (on the executor's worker, since a backend may take its
// time) starts all replicas or, failing that, stops what it started.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plinth/exec/executor.h"
#include "plinth/jobs/job.h"

namespace plinth::jobs {

// What a launch needs beyond the job's record.
struct LaunchContext {
  std::string server_url;   // PLINTH_URL, MLFLOW_TRACKING_URI
  std::string token;        // the job's API token; empty: none issued
  std::string master_addr;  // distributed jobs: where rank 0 listens
};

// One spec per replica of `job`'s current attempt, from its record: the
// replicas' folders, nodes and devices must be filled in (job.replicas),
// as must attempts, run_id, master_port and the run user. The environment
// contract (PLINTH_*, MLFLOW_*, CUDA_VISIBLE_DEVICES and, for distributed
// jobs, the PyTorchJob variables) goes over the spec's own variables,
// except a token the spec sets itself.
std::vector<exec::LaunchSpec> BuildLaunchSpecs(const Job& job, const LaunchContext& context);

// The outcome of launching a gang.
struct GangLaunch {
  std::vector<std::string> handles;  // one per replica; empty when one failed
  absl::Status error;                // why replica `failed_replica` could not start
  int failed_replica = -1;
  // Replicas that started (or may have: a timed-out sbatch or apply) and
  // could not be stopped after the failure; their launch stays on record
  // until they can be.
  std::vector<int> unstopped;
};

// Launches the replicas in order; when one fails, kills those before it
// and abandons its folder (the failed call may have started it anyway).
GangLaunch LaunchGang(exec::Executor& executor, const std::vector<exec::LaunchSpec>& specs);

}  // namespace plinth::jobs
