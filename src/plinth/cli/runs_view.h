// How `plinth runs list` and `plinth runs show` render MLflow run objects
// ({info, data:{metrics, params, tags}}) as text. Pure functions for tests.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "plinth/cli/chart.h"
#include "plinth/cli/output.h"
#include "plinth/common/json.h"

namespace plinth::cli {

// Up to `limit` keys of the runs' data.<kind> ("metrics" or "params") to show
// as columns: keys that `order_by` sorts on ("metrics.acc DESC") first, then
// the keys most runs have, ties by name.
std::vector<std::string> ColumnKeys(const std::vector<Json>& runs, const std::string& kind,
                                    const std::vector<std::string>& order_by, size_t limit);

// Run id, name, status, start, duration, then one column per chosen metric
// ("metrics.<key>") and param ("params.<key>"); "-" where a run lacks one.
Table RunsTable(const std::vector<Json>& runs, const std::vector<std::string>& metric_keys,
                const std::vector<std::string>& param_keys, absl::TimeZone tz);

struct MetricHistory {
  std::string key;
  std::vector<ChartPoint> points;  // (step, value), in logged order
};

// The history of `key` as chart points from get-history's metrics[].
std::vector<ChartPoint> HistoryPoints(const std::vector<Json>& metrics);

struct RunDetailsOptions {
  std::string experiment_name;  // shown beside the experiment id when known
  bool line_charts = false;     // a multi-row chart per metric, not a sparkline column
  size_t chart_width = 60;
  size_t chart_height = 8;
  absl::TimeZone tz = absl::LocalTimeZone();
};

// The text of `runs show`: run info, params, metrics (last/min/max/points
// and a chart of each history in `histories`) and tags.
std::string RenderRunDetails(const Json& run, const std::vector<MetricHistory>& histories,
                             const RunDetailsOptions& options);

}  // namespace plinth::cli
