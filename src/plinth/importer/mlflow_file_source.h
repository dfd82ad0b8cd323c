// An MLflow file store: the mlruns/ folder `mlflow server` writes when given
// no database (experiments, runs, metrics/params/tags files, .trash/ for
// deleted experiments, models/ for the registry).
#pragma once

#include <memory>
#include <string>

#include "plinth/importer/mlflow_source.h"

namespace plinth::importer {

// `root` is the mlruns folder (clear error when it is not one).
absl::StatusOr<std::unique_ptr<MlflowSource>> CreateMlflowFileSource(const std::string& root);

}  // namespace plinth::importer
