// The registry's only view of the tracking module: what it needs to know
// about a run to resolve `runs:/<run_id>/<path>` sources and to check that a
// model version's run (or proxied artifact folder) belongs to the caller's team. The tracking
// module implements it; the registry never touches tracking tables.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace plinth::registry {

class RunLookup {
 public:
  virtual ~RunLookup() = default;

  struct RunInfo {
    // The run's artifact root URI, e.g. "mlflow-artifacts:/1/<run_id>/artifacts".
    std::string artifact_uri;
    // The team owning the run's experiment.
    std::string team;
  };

  // The run with id `run_id`, deleted or not; NotFound (RESOURCE_DOES_NOT_EXIST)
  // if there is none, including for an id that is not well-formed (MLflow
  // accepts any run_id on a model version). Must be thread-safe.
  virtual absl::StatusOr<RunInfo> GetRun(const std::string& run_id) = 0;

  // The team owning experiment `experiment_id`, whose proxied artifact folder
  // is "mlflow-artifacts:/<experiment_id>"; NotFound if there is none.
  // Must be thread-safe.
  virtual absl::StatusOr<std::string> ExperimentTeam(int64_t experiment_id) = 0;
};

}  // namespace plinth::registry
