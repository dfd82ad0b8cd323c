// The jobs module's narrow view of experiment tracking: every job gets an
// MLflow run (MLFLOW_RUN_ID) so an unmodified training script logs to it.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace plinth::jobs {

struct StartedRun {
  std::string run_id;
  // Set when the run went somewhere a user would not look first (the
  // team's usual experiment name was taken): said in the job's events.
  std::string note;
};

class RunTracker {
 public:
  virtual ~RunTracker() = default;
  // Creates a RUNNING run for the job in an experiment of the job's team.
  virtual absl::StatusOr<StartedRun> StartRun(const std::string& team, const std::string& job_id,
                                              const std::string& job_name) = 0;
  // Ends the run: status is FINISHED, FAILED or KILLED.
  virtual absl::Status EndRun(const std::string& run_id, const std::string& status) = 0;
};

}  // namespace plinth::jobs
