// MLflow wire format: tracking entities to JSON (protobuf JSON mapping as
// MLflow emits it: int64 as numbers, experiment_id as a string, non-finite
// doubles as "NaN"/"Infinity"/"-Infinity") and request lists from JSON.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/tracking/tracking_types.h"

namespace plinth::tracking {

Json ExperimentToJson(const Experiment& e);
Json RunInfoToJson(const RunInfo& info);
Json RunToJson(const Run& run);
Json MetricToJson(const Metric& m);
Json KeyValuesToJson(const std::vector<KeyValue>& kvs);

// {"metrics": [...], "next_page_token": ...} written directly into a string:
// history responses can hold millions of points, and building a Json tree
// for each would dominate the request.
std::string MetricHistoryJson(const std::vector<Metric>& metrics,
                              const std::string& next_page_token);
std::string BulkHistoryJson(const std::vector<RunMetric>& metrics);

// Request lists. `field` is the request field name used in messages.
absl::StatusOr<std::vector<Metric>> ParseMetrics(const Json* array, const std::string& field);
absl::StatusOr<std::vector<KeyValue>> ParseKeyValues(const Json* array, const std::string& field);
absl::StatusOr<std::vector<DatasetInput>> ParseDatasetInputs(const Json* array);

}  // namespace plinth::tracking
