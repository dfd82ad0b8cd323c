// SQL for run and experiment searches, built from parsed filters and
// order_by entries (search_filter.h) against the tracking schema
// (tracking_schema.h). Every user-supplied string travels as a bound `?`
// parameter; the SQL text holds only identifiers chosen here.
//
// Run search shape (SQLite can drive it from the most selective index):
//   SELECT runs.run_key FROM runs
//     JOIN latest_metrics f0 ON f0.run_key = runs.run_key AND f0.key = ? AND f0.is_nan = 0
//                            AND f0.value > ?           -- one INNER JOIN per filtered key
//     LEFT JOIN params o1 ON o1.run_key = runs.run_key AND o1.key = ?   -- per ordered key
//   WHERE runs.experiment_id IN (?) AND runs.lifecycle_stage = ? AND <attribute clauses>
//   ORDER BY <missing/NaN last>, <value>, runs.start_time DESC, runs.run_uuid
//   LIMIT ? OFFSET ?
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/db/database.h"
#include "plinth/tracking/search_filter.h"

namespace plinth::tracking {

struct SqlQuery {
  std::string sql;
  std::vector<db::Value> params;
};

// MLflow's ViewType (run_view_type / view_type).
enum class ViewType { kActiveOnly, kDeletedOnly, kAll };

// "ACTIVE_ONLY", "DELETED_ONLY", "ALL" (any case) or the proto numbers
// "1", "2", "3"; empty means ACTIVE_ONLY. Anything else is InvalidParameter.
absl::StatusOr<ViewType> ParseViewType(absl::string_view text);

struct RunSearch {
  std::vector<int64_t> experiment_ids;  // empty matches nothing
  ViewType view = ViewType::kActiveOnly;
  std::vector<Comparison> filter;  // from ParseSearchFilter (RunSearchSchema)
  std::vector<OrderBy> order_by;   // from ParseOrderBy (RunSearchSchema)
  int64_t limit = 1000;
  int64_t offset = 0;
};

// SQL selecting one column, runs.run_key, of the matching runs in order:
// order_by entries first (a run without the key, or whose metric is NaN,
// sorts after the others in either direction: values, then NaN, then
// missing), then start_time DESC unless ordered by start_time, then run_uuid.
// `!=` on a metric, param or tag matches runs that have the key with another
// value. LIKE is case-sensitive; ILIKE is not. Dataset clauses must all hold
// for one dataset input of the run; `datasets.context` reads the
// "mlflow.data.context" entry of run_inputs.tags_json, which holds MLflow's
// InputTag list ([{"key": ..., "value": ...}]). On SQLite, a leading order
// on an unfiltered metric/param/tag becomes a UNION ALL of (has value, NaN,
// missing) arms so the first page walks the (key, value) index instead of
// sorting every run; this relies on NaN being stored as value 0, is_nan 1.
absl::StatusOr<SqlQuery> BuildRunSearchSql(const RunSearch& search, db::Dialect dialect);

struct ExperimentSearch {
  ViewType view = ViewType::kActiveOnly;
  std::vector<Comparison> filter;  // ExperimentSearchSchema
  std::vector<OrderBy> order_by;   // ExperimentSearchSchema
  int64_t limit = 1000;
  int64_t offset = 0;
  std::vector<std::string> teams;  // empty: every team's experiments are visible
};

// SQL selecting experiments.experiment_id of the matching experiments.
// Default order (MLflow's): creation_time DESC, experiment_id ASC; with an
// explicit order_by, experiment_id DESC breaks ties unless ordered by it.
absl::StatusOr<SqlQuery> BuildExperimentSearchSql(const ExperimentSearch& search,
                                                  db::Dialect dialect);

// Appends the SQL condition "<column> <op> <value>" for `comparison` to
// `sql` and its parameters to `params`: ILIKE per dialect, IN lists
// expanded, numbers bound as doubles. For stores (the registry) that map
// their own fields onto columns.
absl::Status AppendComparisonSql(absl::string_view column, const Comparison& comparison,
                                 db::Dialect dialect, std::string* sql,
                                 std::vector<db::Value>* params);

}  // namespace plinth::tracking
