// Experiments, runs and their metrics, params, tags and inputs, on the
// shared SQL database (SQLite or PostgreSQL).
//
// Thread-safe: every method runs in its own Database::Read/Write call. Every
// write is one transaction, so a rejected log-batch writes nothing and an
// acknowledged one is committed. Authorization is the caller's job (see
// mlflow_routes.cc); the store records each experiment's owning team.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/clock.h"
#include "plinth/common/json.h"
#include "plinth/db/database.h"
#include "plinth/tracking/search_sql.h"
#include "plinth/tracking/tracking_types.h"

namespace plinth::tracking {

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;  // empty when there is no next page
};

// An experiment a team owns under a name chosen for it (job runs).
struct TeamExperiment {
  int64_t experiment_id = 0;
  std::string name;
};

class TrackingStore {
 public:
  // Applies migrations and creates the "Default" experiment (id 0) if missing.
  // `artifact_root` is the URI prefix of default artifact locations
  // ("mlflow-artifacts:"), giving "mlflow-artifacts:/<experiment_id>".
  static absl::StatusOr<std::unique_ptr<TrackingStore>> Create(db::Database& db, Clock& clock,
                                                               std::string artifact_root);

  // The default artifact root when it is a file:// URI (whose folders
  // belong to experiments as mlflow-artifacts:/<id> does), else "".
  std::string FileArtifactRoot() const {
    return artifact_root_.rfind("file://", 0) == 0 ? artifact_root_ : std::string();
  }

  // Experiments.
  absl::StatusOr<int64_t> CreateExperiment(const std::string& name,
                                           const std::string& artifact_location,
                                           const std::vector<KeyValue>& tags,
                                           const std::string& team);
  absl::StatusOr<Experiment> GetExperiment(int64_t experiment_id);
  // The active experiment `base_name` if `team` owns it, else the first of
  // `base_name`-2, -3, ... that the team owns or that is free (created for
  // the team), looked up and created in one transaction. Another team can
  // therefore never receive this team's runs by taking the name first.
  absl::StatusOr<TeamExperiment> GetOrCreateTeamExperiment(const std::string& base_name,
                                                           const std::string& team);
  absl::StatusOr<Experiment> GetExperimentByName(const std::string& name);
  absl::StatusOr<Page<Experiment>> SearchExperiments(ExperimentSearch search);
  absl::Status DeleteExperiment(int64_t experiment_id);
  absl::Status RestoreExperiment(int64_t experiment_id);
  absl::Status RenameExperiment(int64_t experiment_id, const std::string& new_name);
  absl::Status SetExperimentTag(int64_t experiment_id, const std::string& key,
                                const std::string& value);
  absl::Status DeleteExperimentTag(int64_t experiment_id, const std::string& key);

  // Runs.
  struct NewRun {
    int64_t experiment_id = 0;
    std::string user_id;
    std::string run_name;  // generated when empty
    std::optional<int64_t> start_time;
    std::vector<KeyValue> tags;
  };
  absl::StatusOr<Run> CreateRun(const NewRun& run);
  absl::StatusOr<Run> GetRun(const std::string& run_id);
  absl::StatusOr<RunOwner> GetRunOwner(const std::string& run_id);
  struct RunUpdate {
    std::optional<std::string> status;
    std::optional<int64_t> end_time;
    std::optional<std::string> run_name;
  };
  absl::StatusOr<RunInfo> UpdateRun(const std::string& run_id, const RunUpdate& update);
  absl::Status DeleteRun(const std::string& run_id);
  absl::Status RestoreRun(const std::string& run_id);

  // Logging. All-or-nothing; the run must be active.
  absl::Status LogBatch(const std::string& run_id, const std::vector<Metric>& metrics,
                        const std::vector<KeyValue>& params, const std::vector<KeyValue>& tags);
  absl::Status DeleteTag(const std::string& run_id, const std::string& key);
  absl::Status LogInputs(const std::string& run_id, const std::vector<DatasetInput>& inputs);
  // runs/log-model: appends the MLmodel dict's summary (run_id, artifact_path,
  // utc_time_created, model_uuid, flavors) to the run tag
  // mlflow.log-model.history, a JSON list. `model` has those keys checked.
  absl::Status RecordLoggedModel(const std::string& run_id, const nlohmann::ordered_json& model);

  // ajax experiments/search-datasets: the distinct (experiment, dataset name,
  // digest, mlflow.data.context tag) of the experiments' runs' inputs, at most
  // 1000, as MLflow's _search_datasets. An empty context means no such tag.
  struct DatasetSummary {
    int64_t experiment_id = 0;
    std::string name, digest, context;
  };
  absl::StatusOr<std::vector<DatasetSummary>> SearchDatasets(
      const std::vector<int64_t>& experiment_ids);

  // Search. `search.limit` is the page size; the token is opaque.
  absl::StatusOr<Page<Run>> SearchRuns(RunSearch search, const std::string& page_token);

  // History of one metric ordered by (step, timestamp). max_results 0 = all.
  absl::StatusOr<Page<Metric>> GetMetricHistory(const std::string& run_id, const std::string& key,
                                                const std::string& page_token, int64_t max_results);
  // The points of each run (in the order given) at the steps MLflow's server
  // chooses: evenly spaced positions over the union of all runs' steps in
  // [start_step, end_step] (default [0, largest step]) when there are more
  // than max_results, plus each run's first and last step in that range
  // (see step_sampling.h). Every point at a chosen step, by (step, timestamp).
  absl::StatusOr<std::vector<RunMetric>> GetMetricHistoryBulkInterval(
      const std::vector<std::string>& run_ids, const std::string& key,
      std::optional<int64_t> start_step, std::optional<int64_t> end_step, int64_t max_results);

  db::Database& db() { return db_; }

 private:
  TrackingStore(db::Database& db, Clock& clock, std::string artifact_root)
      : db_(db), clock_(clock), artifact_root_(std::move(artifact_root)) {}
  // Inserts an experiment (and its tags) inside a write transaction.
  absl::StatusOr<int64_t> InsertExperiment(db::Session& s, const std::string& name,
                                           const std::string& artifact_location,
                                           const std::vector<KeyValue>& tags,
                                           const std::string& team, int64_t now);

  absl::Status SetRunLifecycle(const std::string& run_id, const std::string& stage);
  absl::Status SetExperimentLifecycle(int64_t experiment_id, const std::string& stage);
  absl::StatusOr<std::vector<Run>> LoadRuns(db::Session& s, const std::vector<int64_t>& run_keys);

  db::Database& db_;
  Clock& clock_;
  std::string artifact_root_;
};

// The run tag holding the models logged to a run (MLflow's MLFLOW_LOGGED_MODELS).
inline constexpr char kLoggedModelsTag[] = "mlflow.log-model.history";

// Encodes/decodes an opaque page token carrying an offset.
std::string EncodeOffsetToken(int64_t offset);
absl::StatusOr<int64_t> DecodeOffsetToken(const std::string& token);

}  // namespace plinth::tracking
