// Finds an MLflow run's artifacts on the local disk and copies them into
// Plinth's artifact folder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace plinth::importer {

// Whether Plinth can take over `artifact_uri`: a local path, a file: URI or
// MLflow's proxied mlflow-artifacts: scheme. Others (s3://, gs://, ...) are
// kept as they are.
bool IsLocalArtifactUri(const std::string& artifact_uri);

// The folder holding a run's artifacts, or nullopt when it is not on this
// machine. `artifacts_dir` is where mlflow-artifacts:/ URIs point (the MLflow
// server's --artifacts-destination); it is also tried as
// <artifacts_dir>/<experiment_id>/<run_id>/artifacts when a file: URI does
// not exist here.
std::optional<std::string> LocalArtifactDir(const std::string& artifact_uri,
                                            const std::string& artifacts_dir, int64_t experiment_id,
                                            const std::string& run_id);

// Counts the files under `dir` (0 when missing).
int64_t CountFiles(const std::string& dir);

// Copies the files under `from` to `to`, skipping those already there with
// the same size (a re-import copies nothing). Returns the number copied.
absl::StatusOr<int64_t> CopyTree(const std::string& from, const std::string& to);

}  // namespace plinth::importer
