// The import's phases, in the order that makes it resumable: experiments,
// run rows (marked pending), their params, tags, inputs and metrics,
// artifacts, then the runs are marked done; the registry last.
#include "plinth/importer/importer.h"

#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/importer/artifact_copy.h"
#include "plinth/importer/import_scope.h"
#include "plinth/importer/plinth_writer.h"
#include "plinth/registry/registry_schema.h"
#include "plinth/tracking/datasets.h"
#include "plinth/tracking/latest_metrics.h"
#include "plinth/tracking/tracking_schema.h"

namespace plinth::importer {
namespace {

// Rows buffered before a transaction commits: large transactions are what
// makes SQLite fast, and a bounded one keeps the WAL and memory small.
constexpr size_t kRowsPerTransaction = 200000;
constexpr size_t kRunsPerTransaction = 5000;

// A run being imported in this call.
struct Target {
  int64_t run_key = 0;
  int64_t experiment_id = 0;  // Plinth's
};

// What the import learned about one (run, metric): its latest point and
// the summary of its steps, merged into latest_metrics at the end.
struct Latest {
  tracking::LatestPoint point;
  tracking::StepRange steps;
};

tracking::LatestPoint PointOf(const MetricPoint& p) {
  return {p.step, p.timestamp, p.value, p.is_nan};
}

class Importer {
 public:
  Importer(MlflowSource& source, db::Database& db, const ImportOptions& options,
           const ProgressFn& progress, Scope scope)
      : source_(source),
        db_(db),
        options_(options),
        progress_(progress),
        scope_(std::move(scope)) {}

  absl::StatusOr<ImportReport> Run() {
    RETURN_IF_ERROR(db::Migrate(db_, "tracking", tracking::TrackingMigrations()));
    RETURN_IF_ERROR(db::Migrate(db_, "registry", registry::RegistryMigrations()));
    RETURN_IF_ERROR(db::Migrate(db_, "importer", ImporterMigrations()));
    RETURN_IF_ERROR(ImportExperiments());
    RETURN_IF_ERROR(ImportRuns());
    RETURN_IF_ERROR(ImportKeyValues("params"));
    RETURN_IF_ERROR(ImportKeyValues("tags"));
    RETURN_IF_ERROR(ImportInputs());
    RETURN_IF_ERROR(ImportMetrics());
    RETURN_IF_ERROR(ImportArtifacts());
    RETURN_IF_ERROR(MarkDone());
    progress_("models", 0, static_cast<int64_t>(scope_.models.size()));
    RETURN_IF_ERROR(ImportModels(scope_, db_, options_.source_uri, options_.team, report_));
    return std::move(report_);
  }

 private:
  KindCount& Count(const std::string& kind) { return report_.counts[kind]; }

  absl::Status ImportExperiments() {
    for (const SourceExperiment& e : scope_.experiments) {
      Count("experiments").source++;
      Count("experiment tags").source += e.tags.size();
    }
    return db_.Write([&](db::Session& s) -> absl::Status {
      for (const SourceExperiment& e : scope_.experiments) {
        ASSIGN_OR_RETURN(int64_t id, TargetExperiment(s, e));
        if (id < 0) continue;
        experiment_ids_[e.experiment_id] = id;
        for (const KeyValue& t : e.tags) {
          ASSIGN_OR_RETURN(int64_t n, s.Execute("INSERT INTO experiment_tags (experiment_id, key, "
                                                "value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                                {id, t.key, t.value}));
          Count("experiment tags").added += n;
        }
      }
      return BumpSequence(s, "experiments", "experiment_id");
    });
  }

  // The Plinth id for `e`, creating the experiment if needed; -1 when its
  // name is taken by an unrelated Plinth experiment (reported).
  absl::StatusOr<int64_t> TargetExperiment(db::Session& s, const SourceExperiment& e) {
    ASSIGN_OR_RETURN(auto mapped, s.Query("SELECT experiment_id FROM import_mlflow_experiments "
                                          "WHERE source = ? AND source_id = ?",
                                          {options_.source_uri, e.experiment_id}));
    if (!mapped.empty()) return mapped[0].Int(0);
    ASSIGN_OR_RETURN(auto by_name,
                     s.Query("SELECT experiment_id FROM experiments WHERE name = ?", {e.name}));
    int64_t id = -1;
    if (!by_name.empty() && by_name[0].Int(0) == e.experiment_id) {
      id = e.experiment_id;  // the same experiment (MLflow's and Plinth's Default, id 0)
    } else if (!by_name.empty()) {
      report_.warnings.push_back(
          absl::StrCat("experiment '", e.name, "' (MLflow id ", e.experiment_id,
                       ") not imported: Plinth already has an experiment of that name (id ",
                       by_name[0].Int(0), "); rename one of them and import again"));
      return -1;
    } else {
      ASSIGN_OR_RETURN(auto taken, s.Query("SELECT 1 FROM experiments WHERE experiment_id = ?",
                                           {e.experiment_id}));
      std::string sql = taken.empty()
                            ? "INSERT INTO experiments (experiment_id, name, artifact_location, "
                              "lifecycle_stage, creation_time, last_update_time, team) VALUES (?, "
                              "?, '', ?, ?, ?, ?) RETURNING experiment_id"
                            : "INSERT INTO experiments (name, artifact_location, lifecycle_stage, "
                              "creation_time, last_update_time, team) VALUES (?, '', ?, ?, ?, ?) "
                              "RETURNING experiment_id";
      std::vector<db::Value> args = {e.name, e.lifecycle_stage, e.creation_time, e.last_update_time,
                                     options_.team};
      if (taken.empty()) args.insert(args.begin(), e.experiment_id);
      ASSIGN_OR_RETURN(auto inserted, s.Query(sql, args));
      id = inserted.at(0).Int(0);
      // New runs logged in Plinth go to Plinth's artifact store.
      RETURN_IF_ERROR(s.Execute("UPDATE experiments SET artifact_location = ? WHERE "
                                "experiment_id = ?",
                                {absl::StrCat("mlflow-artifacts:/", id), id})
                          .status());
      Count("experiments").added++;
    }
    RETURN_IF_ERROR(s.Execute("INSERT INTO import_mlflow_experiments (source, source_id, "
                              "experiment_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                              {options_.source_uri, e.experiment_id, id})
                        .status());
    return id;
  }

  absl::Status ImportRuns() {
    // What Plinth has already: complete imports are skipped, pending ones
    // resumed, runs of other origin left alone.
    absl::flat_hash_map<std::string, std::pair<int64_t, std::string>> existing;
    RETURN_IF_ERROR(db_.Read([&](db::Session& s) {
      return s.ForEach(
          "SELECT r.run_uuid, r.run_key, i.state FROM runs r LEFT JOIN "
          "import_mlflow_runs i ON i.run_uuid = r.run_uuid",
          {}, [&](const db::Row& row) {
            existing[row.Str(0)] = {row.Int(1), row.Str(2)};
            return true;
          });
    }));
    std::vector<const SourceRun*> fresh;
    for (const SourceRun& r : scope_.runs) {
      Count("runs").source++;
      auto exp = experiment_ids_.find(r.experiment_id);
      if (exp == experiment_ids_.end()) continue;  // its experiment collided
      auto it = existing.find(r.run_uuid);
      if (it == existing.end()) {
        fresh.push_back(&r);
      } else if (it->second.second == "pending") {
        targets_[r.run_uuid] = {it->second.first, exp->second};
      } else if (it->second.second.empty()) {
        report_.warnings.push_back(absl::StrCat("run ", r.run_uuid,
                                                " not imported: Plinth already has a run with "
                                                "that id that no import created"));
      }
    }
    for (size_t begin = 0; begin < fresh.size(); begin += kRunsPerTransaction) {
      progress_("runs", static_cast<int64_t>(begin), static_cast<int64_t>(fresh.size()));
      size_t end = std::min(fresh.size(), begin + kRunsPerTransaction);
      RETURN_IF_ERROR(db_.Write([&](db::Session& s) -> absl::Status {
        for (size_t i = begin; i < end; ++i) RETURN_IF_ERROR(InsertRun(s, *fresh[i]));
        return absl::OkStatus();
      }));
    }
    return absl::OkStatus();
  }

  absl::Status InsertRun(db::Session& s, const SourceRun& r) {
    int64_t experiment_id = experiment_ids_.at(r.experiment_id);
    // Local artifacts move into Plinth's store, where this URI resolves;
    // remote ones (s3://...) keep their URI.
    std::string artifact_uri =
        IsLocalArtifactUri(r.artifact_uri)
            ? absl::StrCat("mlflow-artifacts:/", experiment_id, "/", r.run_uuid, "/artifacts")
            : r.artifact_uri;
    ASSIGN_OR_RETURN(
        auto inserted,
        s.Query("INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, start_time, "
                "end_time, lifecycle_stage, artifact_uri, deleted_time) VALUES (?, ?, ?, ?, ?, ?, "
                "?, ?, ?, ?) RETURNING run_key",
                {r.run_uuid, experiment_id, r.name, r.user_id, r.status, r.start_time,
                 r.end_time ? db::Value(*r.end_time) : db::Value(), r.lifecycle_stage, artifact_uri,
                 r.deleted_time ? db::Value(*r.deleted_time) : db::Value()}));
    RETURN_IF_ERROR(s.Execute("INSERT INTO import_mlflow_runs (run_uuid, state) VALUES (?, "
                              "'pending')",
                              {r.run_uuid})
                        .status());
    targets_[r.run_uuid] = {inserted.at(0).Int(0), experiment_id};
    Count("runs").added++;
    return absl::OkStatus();
  }

  // Runs `flush` in a transaction once `insert` holds enough rows (or at the
  // end, when `force`).
  absl::Status MaybeFlush(BulkInsert& insert, const std::string& kind, bool force) {
    if (insert.pending() == 0 || (!force && insert.pending() < kRowsPerTransaction)) {
      return absl::OkStatus();
    }
    return db_.Write([&](db::Session& s) -> absl::Status {
      // A large page cache keeps SQLite from spilling a big transaction's
      // pages to the WAL before its commit (the connection's default is 64 MiB).
      if (s.dialect() == db::Dialect::kSqlite) {
        RETURN_IF_ERROR(s.Execute("PRAGMA cache_size=-524288").status());
      }
      ASSIGN_OR_RETURN(int64_t added, insert.Flush(s));
      Count(kind).added += added;
      return absl::OkStatus();
    });
  }

  absl::Status ImportKeyValues(const std::string& table) {
    BulkInsert insert(table, {"run_key", "key", "value"});
    absl::Status status;
    auto fn = [&](absl::string_view run, absl::string_view key, absl::string_view value) {
      if (!status.ok() || !scope_.run_index.contains(run)) return;
      Count(table).source++;
      auto it = targets_.find(run);
      if (it == targets_.end()) return;
      insert.Add(it->second.run_key, std::string(key), std::string(value));
      status = MaybeFlush(insert, table, false);
    };
    progress_(table, 0, 0);
    RETURN_IF_ERROR(table == "params" ? source_.ForEachParam(fn) : source_.ForEachTag(fn));
    RETURN_IF_ERROR(status);
    return MaybeFlush(insert, table, true);
  }

  absl::Status ImportInputs() {
    Count("datasets/inputs").source += scope_.inputs.size();
    return db_.Write([&](db::Session& s) -> absl::Status {
      for (const SourceInput& in : scope_.inputs) {
        auto it = targets_.find(in.run_uuid);
        if (it == targets_.end()) continue;
        int64_t experiment_id = it->second.experiment_id;
        tracking::Dataset dataset{in.name,   in.digest, in.source_type,
                                  in.source, in.schema, in.profile};
        ASSIGN_OR_RETURN(int64_t dataset_id, tracking::UpsertDataset(s, experiment_id, dataset));
        Json tags = Json::array();
        for (const KeyValue& t : in.tags) tags.push_back({{"key", t.key}, {"value", t.value}});
        ASSIGN_OR_RETURN(int64_t n, s.Execute("INSERT INTO run_inputs (run_key, dataset_id, "
                                              "tags_json) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                              {it->second.run_key, dataset_id, tags.dump()}));
        Count("datasets/inputs").added += n;
      }
      return absl::OkStatus();
    });
  }

  absl::Status ImportMetrics();
  absl::Status ImportArtifacts();
  absl::Status MarkDone();

  MlflowSource& source_;
  db::Database& db_;
  const ImportOptions& options_;
  const ProgressFn& progress_;
  Scope scope_;
  ImportReport report_;
  std::map<int64_t, int64_t> experiment_ids_;         // MLflow id -> Plinth id
  absl::flat_hash_map<std::string, Target> targets_;  // runs written by this call
};

absl::Status Importer::ImportMetrics() {
  ASSIGN_OR_RETURN(int64_t estimate, source_.EstimateMetricPoints());
  BulkInsert insert("metrics", {"run_key", "key", "step", "timestamp", "value", "is_nan"});
  insert.Reserve(kRowsPerTransaction);
  // Keys are interned: the latest-value map is keyed by (run_key, key id),
  // so the hot loop allocates only the strings it binds.
  absl::flat_hash_map<std::string, uint32_t> key_ids;
  std::vector<std::string> keys;
  absl::flat_hash_map<std::pair<int64_t, uint32_t>, Latest> latest;
  absl::Status status;
  int64_t seen = 0, committed = 0;
  auto fn = [&](const MetricPoint& p) {
    if ((++seen & 0xffff) == 0) progress_("metric points", seen, estimate);
    if (!status.ok() || !scope_.run_index.contains(p.run_uuid)) return;
    Count("metric points").source++;
    auto it = targets_.find(p.run_uuid);
    if (it == targets_.end()) return;
    auto [kit, added] = key_ids.try_emplace(p.key, static_cast<uint32_t>(keys.size()));
    if (added) keys.emplace_back(p.key);
    int64_t run_key = it->second.run_key;
    insert.Add(run_key, keys[kit->second], p.step, p.timestamp, p.value, int64_t{p.is_nan});
    tracking::StepRange step{p.step, p.step, 0, true};
    auto [lit, fresh] =
        latest.try_emplace(std::pair(run_key, kit->second), Latest{PointOf(p), step});
    if (!fresh) {
      if (tracking::IsLater(PointOf(p), lit->second.point)) lit->second.point = PointOf(p);
      lit->second.steps = tracking::MergeStepRanges(lit->second.steps, step);
    }
    if (insert.pending() >= kRowsPerTransaction) {
      committed += static_cast<int64_t>(insert.pending());
      status = MaybeFlush(insert, "metric points", true);
      if (status.ok() && options_.stop_after_points > 0 &&
          committed >= options_.stop_after_points) {
        status = absl::AbortedError(absl::StrCat("import interrupted after ", committed,
                                                 " metric points (--stop-after-points)"));
      }
    }
  };
  RETURN_IF_ERROR(source_.ForEachMetric(fn));
  RETURN_IF_ERROR(status);
  RETURN_IF_ERROR(MaybeFlush(insert, "metric points", true));
  progress_("metric points", seen, seen);
  // Latest values, merged with any row a resumed import wrote before by the
  // same rule the tracking store applies.
  std::vector<std::pair<std::pair<int64_t, uint32_t>, Latest>> rows(latest.begin(), latest.end());
  for (size_t begin = 0; begin < rows.size(); begin += kRowsPerTransaction) {
    size_t end = std::min(rows.size(), begin + kRowsPerTransaction);
    RETURN_IF_ERROR(db_.Write([&](db::Session& s) -> absl::Status {
      for (size_t i = begin; i < end; ++i) {
        const auto& [id, m] = rows[i];
        RETURN_IF_ERROR(
            tracking::MergeLatestMetric(s, id.first, keys[id.second], m.point, m.steps));
      }
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

absl::Status Importer::ImportArtifacts() {
  int64_t done = 0;
  for (const SourceRun& r : scope_.runs) {
    std::optional<std::string> dir =
        LocalArtifactDir(r.artifact_uri, options_.artifacts_dir, r.experiment_id, r.run_uuid);
    int64_t files = dir ? CountFiles(*dir) : 0;
    Count("artifacts").source += files;
    auto it = targets_.find(r.run_uuid);
    if (files == 0 || it == targets_.end()) continue;
    if ((++done & 0xff) == 0) progress_("artifacts", done, static_cast<int64_t>(targets_.size()));
    ASSIGN_OR_RETURN(int64_t copied, CopyTree(*dir, absl::StrCat(options_.target_artifacts_root,
                                                                 "/", it->second.experiment_id, "/",
                                                                 r.run_uuid, "/artifacts")));
    Count("artifacts").added += copied;
  }
  return absl::OkStatus();
}

absl::Status Importer::MarkDone() {
  std::vector<std::string> ids;
  for (const auto& [run_uuid, target] : targets_) ids.push_back(run_uuid);
  for (size_t begin = 0; begin < ids.size(); begin += kRunsPerTransaction) {
    size_t end = std::min(ids.size(), begin + kRunsPerTransaction);
    RETURN_IF_ERROR(db_.Write([&](db::Session& s) -> absl::Status {
      for (size_t i = begin; i < end; ++i) {
        RETURN_IF_ERROR(
            s.Execute("UPDATE import_mlflow_runs SET state = 'done' WHERE run_uuid = ?", {ids[i]})
                .status());
      }
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& ReportKinds() {
  static const std::vector<std::string> kKinds = {
      "experiments",     "experiment tags", "runs",       "params",   "tags",    "metric points",
      "datasets/inputs", "models",          "model tags", "versions", "aliases", "artifacts"};
  return kKinds;
}

absl::StatusOr<ImportReport> CountSource(MlflowSource& source, const ImportOptions& options,
                                         const ProgressFn& progress) {
  ASSIGN_OR_RETURN(Scope scope, LoadScope(source, options));
  ImportReport report;
  auto& c = report.counts;
  for (const std::string& kind : ReportKinds()) c[kind];
  for (const SourceExperiment& e : scope.experiments) {
    c["experiments"].source++;
    c["experiment tags"].source += e.tags.size();
  }
  c["runs"].source = scope.runs.size();
  c["datasets/inputs"].source = scope.inputs.size();
  for (const SourceModel& m : scope.models) {
    c["models"].source++;
    c["model tags"].source += m.tags.size();
    c["versions"].source += m.versions.size();
    c["aliases"].source += m.aliases.size();
    for (const SourceVersion& v : m.versions) c["model tags"].source += v.tags.size();
  }
  for (const SourceRun& r : scope.runs) {
    auto dir = LocalArtifactDir(r.artifact_uri, options.artifacts_dir, r.experiment_id, r.run_uuid);
    if (dir) c["artifacts"].source += CountFiles(*dir);
  }
  progress("params", 0, 0);
  RETURN_IF_ERROR(
      source.ForEachParam([&](absl::string_view run, absl::string_view, absl::string_view) {
        if (scope.run_index.contains(run)) c["params"].source++;
      }));
  RETURN_IF_ERROR(
      source.ForEachTag([&](absl::string_view run, absl::string_view, absl::string_view) {
        if (scope.run_index.contains(run)) c["tags"].source++;
      }));
  ASSIGN_OR_RETURN(int64_t estimate, source.EstimateMetricPoints());
  int64_t seen = 0;
  RETURN_IF_ERROR(source.ForEachMetric([&](const MetricPoint& p) {
    if ((++seen & 0xffff) == 0) progress("metric points", seen, estimate);
    if (scope.run_index.contains(p.run_uuid)) c["metric points"].source++;
  }));
  return report;
}

absl::StatusOr<ImportReport> Import(MlflowSource& source, db::Database& target,
                                    const ImportOptions& options, const ProgressFn& progress) {
  ASSIGN_OR_RETURN(Scope scope, LoadScope(source, options));
  int64_t models = scope.models.size(), versions = 0, aliases = 0, model_tags = 0;
  for (const SourceModel& m : scope.models) {
    versions += m.versions.size();
    aliases += m.aliases.size();
    model_tags += m.tags.size();
    for (const SourceVersion& v : m.versions) model_tags += v.tags.size();
  }
  Importer importer(source, target, options, progress, std::move(scope));
  ASSIGN_OR_RETURN(ImportReport report, importer.Run());
  for (const std::string& kind : ReportKinds()) report.counts[kind];
  report.counts["models"].source = models;
  report.counts["versions"].source = versions;
  report.counts["aliases"].source = aliases;
  report.counts["model tags"].source = model_tags;
  return report;
}

}  // namespace plinth::importer
