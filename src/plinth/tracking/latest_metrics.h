// The latest_metrics table: per (run, metric) the value runs/get and
// search show, and a summary of the steps logged (for sampled reads).
//
// Both writers of metric points (run logging and `plinth import mlflow`)
// merge into it through MergeLatestMetric, so the two cannot disagree on
// which value is latest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "plinth/db/database.h"
#include "plinth/tracking/step_set.h"

namespace plinth::tracking {

struct LatestPoint {
  int64_t step = 0;
  int64_t timestamp = 0;
  double value = 0;
  bool is_nan = false;
};

// MLflow's rule for a key's latest value (runs/get): the later timestamp,
// then the larger value, a number over NaN.
bool IsLater(const LatestPoint& a, const LatestPoint& b);

// Merges one batch's latest point and step summary for (run_key, key) into
// the stored row, inside the caller's write transaction. On PostgreSQL the
// row is locked first, so concurrent writers of the same metric cannot lose
// each other's steps.
absl::Status MergeLatestMetric(db::Session& s, int64_t run_key, const std::string& key,
                               const LatestPoint& latest, const StepRange& steps);

// The step summary of (run_key, key), or nullopt when the run never logged
// that metric.
absl::StatusOr<std::optional<StepRange>> ReadStepRange(db::Session& s, int64_t run_key,
                                                       const std::string& key);

}  // namespace plinth::tracking
