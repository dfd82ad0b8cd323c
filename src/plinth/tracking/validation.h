// MLflow's input limits and naming rules, checked at the edge before any
// write so a rejected request writes nothing. Messages name the offending
// field (with its index in a batch) and say what to change.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plinth/tracking/tracking_types.h"

namespace plinth::tracking {

inline constexpr size_t kMaxKeyLength = 250;
inline constexpr size_t kMaxParamValueLength = 6000;
inline constexpr size_t kMaxTagValueLength = 8000;
inline constexpr size_t kMaxExperimentNameLength = 500;
inline constexpr size_t kMaxRunNameLength = 500;
inline constexpr size_t kMaxBatchMetrics = 1000;
inline constexpr size_t kMaxBatchParams = 100;
inline constexpr size_t kMaxBatchTags = 100;
inline constexpr size_t kMaxBatchEntities = 1000;

// `field` is the request path of the value for messages ("metrics[3].key").
absl::Status ValidateKey(const std::string& key, const std::string& field);
absl::Status ValidateParamValue(const std::string& value, const std::string& field);
absl::Status ValidateTagValue(const std::string& value, const std::string& field);
absl::Status ValidateExperimentName(const std::string& name);
absl::Status ValidateRunName(const std::string& name);
absl::Status ValidateTimestamp(int64_t timestamp, const std::string& field);

// Whole log-batch: sizes, each key and value, and no param key twice.
absl::Status ValidateBatch(const std::vector<Metric>& metrics, const std::vector<KeyValue>& params,
                           const std::vector<KeyValue>& tags);

}  // namespace plinth::tracking
