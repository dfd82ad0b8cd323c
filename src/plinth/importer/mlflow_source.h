// What `plinth import mlflow` reads from an MLflow tracking store, in one
// shape for every kind of source (SQL database or mlruns/ folder).
//
// Small objects (experiments, runs, datasets, the registry) are loaded whole;
// the three big per-run tables (params, tags, metrics) are streamed so that a
// store of hundreds of millions of metric points never sits in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace plinth::importer {

struct KeyValue {
  std::string key, value;
};

struct SourceExperiment {
  int64_t experiment_id = 0;
  std::string name;
  std::string artifact_location;
  std::string lifecycle_stage = "active";
  int64_t creation_time = 0;
  int64_t last_update_time = 0;
  std::vector<KeyValue> tags;
};

struct SourceRun {
  std::string run_uuid;
  int64_t experiment_id = 0;
  std::string name;
  std::string user_id;
  std::string status = "FINISHED";  // RUNNING|SCHEDULED|FINISHED|FAILED|KILLED
  int64_t start_time = 0;
  std::optional<int64_t> end_time;
  std::string lifecycle_stage = "active";
  std::string artifact_uri;
  std::optional<int64_t> deleted_time;
};

struct SourceInput {
  std::string run_uuid;
  int64_t experiment_id = 0;
  std::string name, digest, source_type, source, schema, profile;
  std::vector<KeyValue> tags;
};

// One metric point. Views are valid only during the callback.
struct MetricPoint {
  absl::string_view run_uuid;
  absl::string_view key;
  int64_t step = 0;
  int64_t timestamp = 0;
  double value = 0;  // 0 when is_nan, as MLflow stores it
  bool is_nan = false;
};

struct SourceVersion {
  int64_t version = 0;
  int64_t creation_time = 0;
  int64_t last_updated_time = 0;
  std::string current_stage = "None";
  std::string description, source, storage_location, run_id, run_link;
  std::string status = "READY", status_message;
  std::vector<KeyValue> tags;
};

struct SourceModel {
  std::string name;
  std::string description;
  int64_t creation_time = 0;
  int64_t last_updated_time = 0;
  std::vector<KeyValue> tags;
  std::vector<SourceVersion> versions;                   // soft-deleted versions excluded
  int64_t max_version = 0;                               // including deleted ones: never reused
  std::vector<std::pair<std::string, int64_t>> aliases;  // alias -> version
};

// Streams (run_uuid, key, value) rows; views valid only during the call.
using KeyValueRowFn =
    std::function<void(absl::string_view run_uuid, absl::string_view key, absl::string_view value)>;
using MetricFn = std::function<void(const MetricPoint&)>;

class MlflowSource {
 public:
  virtual ~MlflowSource() = default;
  // "MLflow SQLite database /x/mlflow.db (schema 4465047574b1)", for the log.
  virtual std::string Describe() const = 0;
  virtual absl::StatusOr<std::vector<SourceExperiment>> Experiments() = 0;
  virtual absl::StatusOr<std::vector<SourceRun>> Runs() = 0;
  virtual absl::Status ForEachParam(const KeyValueRowFn& fn) = 0;
  virtual absl::Status ForEachTag(const KeyValueRowFn& fn) = 0;
  virtual absl::Status ForEachMetric(const MetricFn& fn) = 0;
  // A cheap upper estimate of the number of metric points (progress only).
  virtual absl::StatusOr<int64_t> EstimateMetricPoints() = 0;
  virtual absl::StatusOr<std::vector<SourceInput>> Inputs() = 0;
  virtual absl::StatusOr<std::vector<SourceModel>> Models() = 0;
};

// Opens `uri`: sqlite:///path, postgresql://..., file:///path/mlruns or a
// plain folder path. A clear error when it is unreadable or not an MLflow
// store.
absl::StatusOr<std::unique_ptr<MlflowSource>> OpenMlflowSource(const std::string& uri);

}  // namespace plinth::importer
