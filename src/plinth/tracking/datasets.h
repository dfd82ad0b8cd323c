// The datasets table, shared by run logging (runs/log-inputs) and
// `plinth import mlflow`, so both store a dataset the same way.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "plinth/db/database.h"
#include "plinth/tracking/tracking_types.h"

namespace plinth::tracking {

// The id of dataset (experiment_id, name, digest), inserting it first if
// the experiment does not have it yet; inside the caller's transaction.
absl::StatusOr<int64_t> UpsertDataset(db::Session& s, int64_t experiment_id, const Dataset& d);

}  // namespace plinth::tracking
