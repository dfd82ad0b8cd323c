// Plain values of the tracking domain (MLflow's entities).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plinth::tracking {

struct KeyValue {
  std::string key;
  std::string value;
};

struct Experiment {
  int64_t experiment_id = 0;
  std::string name;
  std::string artifact_location;
  std::string lifecycle_stage;  // "active" | "deleted"
  int64_t creation_time = 0;
  int64_t last_update_time = 0;
  std::string team;
  std::vector<KeyValue> tags;
};

struct Metric {
  std::string key;
  double value = 0;  // may be NaN or +/-Inf
  int64_t timestamp = 0;
  int64_t step = 0;
};

// A metric point with the run it belongs to (bulk history).
struct RunMetric {
  std::string run_id;
  Metric metric;
};

struct RunInfo {
  std::string run_id;
  std::string run_name;
  int64_t experiment_id = 0;
  std::string user_id;
  std::string status;  // RUNNING | SCHEDULED | FINISHED | FAILED | KILLED
  int64_t start_time = 0;
  std::optional<int64_t> end_time;
  std::string artifact_uri;
  std::string lifecycle_stage;
};

struct Dataset {
  std::string name, digest, source_type, source, schema, profile;
};

struct DatasetInput {
  Dataset dataset;
  std::vector<KeyValue> tags;
};

struct Run {
  RunInfo info;
  std::vector<Metric> metrics;  // latest value per key
  std::vector<KeyValue> params;
  std::vector<KeyValue> tags;
  std::vector<DatasetInput> inputs;
};

// What authorization and logging need to know about a run.
struct RunOwner {
  int64_t run_key = 0;
  int64_t experiment_id = 0;
  std::string team;
  std::string lifecycle_stage;
  std::string artifact_uri;
};

}  // namespace plinth::tracking
