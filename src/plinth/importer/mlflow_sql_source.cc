#include "plinth/importer/mlflow_sql_source.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"

namespace plinth::importer {
namespace {

// MLflow marks a deleted model version with this stage instead of removing
// its row (the version number is never reused).
constexpr absl::string_view kDeletedStage = "Deleted_Internal";

std::string Str(const Cells& c, int i) { return std::string(c.Text(i)); }

class MlflowSqlSource final : public MlflowSource {
 public:
  explicit MlflowSqlSource(std::unique_ptr<SqlReader> reader) : sql_(std::move(reader)) {}

  absl::Status Init() {
    for (const char* table :
         {"alembic_version", "experiments", "experiment_tags", "runs", "params", "tags", "metrics",
          "datasets", "inputs", "input_tags", "registered_models", "registered_model_tags",
          "model_versions", "model_version_tags", "registered_model_aliases"}) {
      ASSIGN_OR_RETURN(columns_[table], sql_->Columns(table));
    }
    if (columns_["experiments"].empty() || columns_["runs"].empty() ||
        columns_["alembic_version"].empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(sql_->Describe(),
                       " is not an MLflow tracking database (no experiments, runs and "
                       "alembic_version tables)"));
    }
    for (const char* col : {"run_uuid", "experiment_id", "status", "artifact_uri"}) {
      if (!Has("runs", col)) return UnknownSchema(absl::StrCat("runs.", col));
    }
    if (!Has("metrics", "step") || !Has("metrics", "is_nan")) {
      return UnknownSchema("metrics.step/metrics.is_nan (MLflow before 1.x?)");
    }
    return sql_->ForEach("SELECT version_num FROM alembic_version",
                         [&](const Cells& c) { revision_ = Str(c, 0); });
  }

  std::string Describe() const override {
    return absl::StrCat("MLflow ", sql_->Describe(), " (schema revision ", revision_, ")");
  }

  absl::StatusOr<std::vector<SourceExperiment>> Experiments() override {
    std::vector<SourceExperiment> out;
    std::map<int64_t, size_t> index;
    std::string times =
        Has("experiments", "creation_time") ? "creation_time, last_update_time" : "0, 0";
    RETURN_IF_ERROR(sql_->ForEach(
        absl::StrCat("SELECT experiment_id, name, artifact_location, lifecycle_stage, ", times,
                     " FROM experiments ORDER BY experiment_id"),
        [&](const Cells& c) {
          SourceExperiment e;
          e.experiment_id = c.Int(0);
          e.name = Str(c, 1);
          e.artifact_location = Str(c, 2);
          if (!c.IsNull(3)) e.lifecycle_stage = Str(c, 3);
          e.creation_time = c.Int(4);
          e.last_update_time = c.Int(5);
          index[e.experiment_id] = out.size();
          out.push_back(std::move(e));
        }));
    if (!columns_["experiment_tags"].empty()) {
      RETURN_IF_ERROR(sql_->ForEach(
          "SELECT experiment_id, key, value FROM experiment_tags ORDER BY experiment_id, key",
          [&](const Cells& c) {
            auto it = index.find(c.Int(0));
            if (it != index.end()) out[it->second].tags.push_back({Str(c, 1), Str(c, 2)});
          }));
    }
    return out;
  }

  absl::StatusOr<std::vector<SourceRun>> Runs() override {
    std::vector<SourceRun> out;
    std::string sql =
        absl::StrCat("SELECT run_uuid, experiment_id, ", Has("runs", "name") ? "name" : "''",
                     ", user_id, status, start_time, end_time, lifecycle_stage, artifact_uri, ",
                     Has("runs", "deleted_time") ? "deleted_time" : "NULL", " FROM runs");
    RETURN_IF_ERROR(sql_->ForEach(sql, [&](const Cells& c) {
      SourceRun r;
      r.run_uuid = Str(c, 0);
      r.experiment_id = c.Int(1);
      r.name = Str(c, 2);
      r.user_id = Str(c, 3);
      if (!c.IsNull(4)) r.status = Str(c, 4);
      r.start_time = c.Int(5);
      if (!c.IsNull(6)) r.end_time = c.Int(6);
      if (!c.IsNull(7)) r.lifecycle_stage = Str(c, 7);
      r.artifact_uri = Str(c, 8);
      if (!c.IsNull(9)) r.deleted_time = c.Int(9);
      out.push_back(std::move(r));
    }));
    return out;
  }

  absl::Status ForEachParam(const KeyValueRowFn& fn) override {
    return ScanKeyValues("params", fn);
  }
  absl::Status ForEachTag(const KeyValueRowFn& fn) override { return ScanKeyValues("tags", fn); }

  absl::Status ForEachMetric(const MetricFn& fn) override {
    MetricPoint p;
    return sql_->ForEach("SELECT run_uuid, key, step, timestamp, value, is_nan FROM metrics",
                         [&](const Cells& c) {
                           p.run_uuid = c.Text(0);
                           p.key = c.Text(1);
                           p.step = c.Int(2);
                           p.timestamp = c.Int(3);
                           p.is_nan = c.Int(5) != 0;
                           p.value = p.is_nan ? 0.0 : c.Double(4);
                           fn(p);
                         });
  }

  absl::StatusOr<int64_t> EstimateMetricPoints() override {
    int64_t n = 0;
    // SQLite: the largest rowid is instant and exact unless rows were deleted.
    RETURN_IF_ERROR(sql_->ForEach(sql_->IsSqlite() ? "SELECT COALESCE(MAX(rowid), 0) FROM metrics"
                                                   : "SELECT COUNT(*) FROM metrics",
                                  [&](const Cells& c) { n = c.Int(0); }));
    return n;
  }

  absl::StatusOr<std::vector<SourceInput>> Inputs() override {
    std::vector<SourceInput> out;
    if (columns_["inputs"].empty() || columns_["datasets"].empty()) return out;  // before 2.4
    std::map<std::string, size_t> index;
    RETURN_IF_ERROR(sql_->ForEach(
        "SELECT i.input_uuid, i.destination_id, d.experiment_id, d.name, d.digest, "
        "d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile FROM inputs "
        "i JOIN datasets d ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' AND "
        "i.destination_type = 'RUN' ORDER BY i.destination_id, d.name",
        [&](const Cells& c) {
          SourceInput in;
          in.run_uuid = Str(c, 1);
          in.experiment_id = c.Int(2);
          in.name = Str(c, 3);
          in.digest = Str(c, 4);
          in.source_type = Str(c, 5);
          in.source = Str(c, 6);
          in.schema = Str(c, 7);
          in.profile = Str(c, 8);
          index[Str(c, 0)] = out.size();
          out.push_back(std::move(in));
        }));
    if (!columns_["input_tags"].empty()) {
      RETURN_IF_ERROR(sql_->ForEach("SELECT input_uuid, name, value FROM input_tags ORDER BY name",
                                    [&](const Cells& c) {
                                      auto it = index.find(Str(c, 0));
                                      if (it == index.end()) return;
                                      out[it->second].tags.push_back({Str(c, 1), Str(c, 2)});
                                    }));
    }
    return out;
  }

  absl::StatusOr<std::vector<SourceModel>> Models() override;

 private:
  bool Has(const std::string& table, const std::string& column) {
    return columns_[table].count(column) > 0;
  }

  absl::Status UnknownSchema(const std::string& what) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown MLflow schema in ", sql_->Describe(), ": missing ", what));
  }

  absl::Status ScanKeyValues(const std::string& table, const KeyValueRowFn& fn) {
    if (columns_[table].empty()) return absl::OkStatus();
    return sql_->ForEach(absl::StrCat("SELECT run_uuid, key, value FROM ", table),
                         [&](const Cells& c) { fn(c.Text(0), c.Text(1), c.Text(2)); });
  }

  std::unique_ptr<SqlReader> sql_;
  std::map<std::string, std::set<std::string>> columns_;
  std::string revision_;
};

absl::StatusOr<std::vector<SourceModel>> MlflowSqlSource::Models() {
  std::vector<SourceModel> out;
  if (columns_["registered_models"].empty()) return out;
  std::map<std::string, size_t> index;
  RETURN_IF_ERROR(sql_->ForEach(
      "SELECT name, description, creation_time, last_updated_time FROM registered_models ORDER BY "
      "name",
      [&](const Cells& c) {
        SourceModel m;
        m.name = Str(c, 0);
        m.description = Str(c, 1);
        m.creation_time = c.Int(2);
        m.last_updated_time = c.Int(3);
        index[m.name] = out.size();
        out.push_back(std::move(m));
      }));
  auto model = [&](absl::string_view name) -> SourceModel* {
    auto it = index.find(std::string(name));
    return it == index.end() ? nullptr : &out[it->second];
  };
  if (!columns_["registered_model_tags"].empty()) {
    RETURN_IF_ERROR(sql_->ForEach("SELECT name, key, value FROM registered_model_tags ORDER BY key",
                                  [&](const Cells& c) {
                                    if (SourceModel* m = model(c.Text(0)))
                                      m->tags.push_back({Str(c, 1), Str(c, 2)});
                                  }));
  }
  std::map<std::pair<std::string, int64_t>, SourceVersion*> versions;
  if (!columns_["model_versions"].empty()) {
    std::string storage = Has("model_versions", "storage_location") ? "storage_location" : "NULL";
    RETURN_IF_ERROR(sql_->ForEach(
        absl::StrCat("SELECT name, version, creation_time, last_updated_time, current_stage, "
                     "description, source, ",
                     storage,
                     ", run_id, run_link, status, status_message FROM model_versions ORDER BY "
                     "name, version"),
        [&](const Cells& c) {
          SourceModel* m = model(c.Text(0));
          if (m == nullptr) return;
          SourceVersion v;
          v.version = c.Int(1);
          m->max_version = std::max(m->max_version, v.version);
          if (c.Text(4) == kDeletedStage) return;
          v.creation_time = c.Int(2);
          v.last_updated_time = c.Int(3);
          if (!c.IsNull(4)) v.current_stage = Str(c, 4);
          v.description = Str(c, 5);
          v.source = Str(c, 6);
          v.storage_location = Str(c, 7);
          v.run_id = Str(c, 8);
          v.run_link = Str(c, 9);
          if (!c.IsNull(10)) v.status = Str(c, 10);
          v.status_message = Str(c, 11);
          m->versions.push_back(std::move(v));
        }));
    for (SourceModel& m : out) {
      for (SourceVersion& v : m.versions) versions[{m.name, v.version}] = &v;
    }
  }
  if (!columns_["model_version_tags"].empty()) {
    RETURN_IF_ERROR(
        sql_->ForEach("SELECT name, version, key, value FROM model_version_tags ORDER BY key",
                      [&](const Cells& c) {
                        auto it = versions.find({Str(c, 0), c.Int(1)});
                        if (it != versions.end())
                          it->second->tags.push_back({Str(c, 2), Str(c, 3)});
                      }));
  }
  if (!columns_["registered_model_aliases"].empty()) {  // MLflow 2.3 and later
    RETURN_IF_ERROR(
        sql_->ForEach("SELECT name, alias, version FROM registered_model_aliases ORDER BY alias",
                      [&](const Cells& c) {
                        if (SourceModel* m = model(c.Text(0)))
                          m->aliases.push_back({Str(c, 1), c.Int(2)});
                      }));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MlflowSource>> CreateMlflowSqlSource(
    std::unique_ptr<SqlReader> reader) {
  auto source = std::make_unique<MlflowSqlSource>(std::move(reader));
  RETURN_IF_ERROR(source->Init());
  return std::unique_ptr<MlflowSource>(std::move(source));
}

}  // namespace plinth::importer
