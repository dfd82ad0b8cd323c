// The tracking module's tables and their numbered migrations.
//
//   experiments(experiment_id, name UNIQUE, artifact_location, lifecycle_stage,
//               creation_time, last_update_time, team)
//   experiment_tags(experiment_id, key, value)            PK (experiment_id, key)
//   runs(run_key  -- internal integer id, referenced by the per-run tables
//        run_uuid UNIQUE, experiment_id, name, user_id, status, start_time,
//        end_time NULL, lifecycle_stage, artifact_uri, deleted_time NULL)
//   metrics(run_key, key, step, timestamp, value, is_nan)  history; the primary key is all six
//        columns (MLflow's), clustered on SQLite (WITHOUT ROWID): history reads are range
//        scans and an exact duplicate point is stored once
//   latest_metrics(run_key, key, step, timestamp, value, is_nan) PK (run_key, key);
//        index (key, value) serves metric filters and ordering in search
//   params(run_key, key, value)                            PK (run_key, key)
//   tags(run_key, key, value)                              PK (run_key, key)
//   datasets(dataset_id, experiment_id, name, digest, source_type, source,
//            schema, profile)                              UNIQUE (experiment_id, name, digest)
//   run_inputs(run_key, dataset_id, tags_json)             PK (run_key, dataset_id)
//
// Times are milliseconds since the epoch. NaN metric values are stored as
// value 0 with is_nan 1 (SQLite cannot store NaN); +/-Inf are stored as is.
#pragma once

#include <vector>

#include "plinth/db/migrations.h"

namespace plinth::tracking {

const std::vector<db::Migration>& TrackingMigrations();

}  // namespace plinth::tracking
