// TrackingStore: experiments and run lifecycle. Logging, history and search
// live in run_logging.cc, metric_history.cc and run_search.cc.
#include "plinth/tracking/tracking_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/ids.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/tracking/run_names.h"
#include "plinth/tracking/tracking_schema.h"
#include "plinth/tracking/validation.h"

namespace plinth::tracking {
namespace {

constexpr char kExperimentColumns[] =
    "experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, "
    "team";

Experiment ExperimentFromRow(const db::Row& r) {
  Experiment e;
  e.experiment_id = r.Int(0);
  e.name = r.Str(1);
  e.artifact_location = r.Str(2);
  e.lifecycle_stage = r.Str(3);
  e.creation_time = r.Int(4);
  e.last_update_time = r.Int(5);
  e.team = r.Str(6);
  return e;
}

absl::Status LoadExperimentTags(db::Session& s, Experiment& e) {
  ASSIGN_OR_RETURN(auto rows, s.Query("SELECT key, value FROM experiment_tags WHERE "
                                      "experiment_id = ? ORDER BY key",
                                      {e.experiment_id}));
  for (const auto& r : rows) e.tags.push_back({r.Str(0), r.Str(1)});
  return absl::OkStatus();
}

absl::Status ExperimentNotFound(int64_t id) {
  return NotFound(absl::StrCat("No Experiment with id=", id, " exists"));
}

bool IsValidStatus(const std::string& s) {
  return s == "RUNNING" || s == "SCHEDULED" || s == "FINISHED" || s == "FAILED" || s == "KILLED";
}

}  // namespace

std::string EncodeOffsetToken(int64_t offset) {
  return absl::Base64Escape(absl::StrCat("{\"offset\": ", offset, "}"));
}

absl::StatusOr<int64_t> DecodeOffsetToken(const std::string& token) {
  if (token.empty()) return 0;
  std::string decoded;
  int64_t offset = -1;
  if (absl::Base64Unescape(token, &decoded)) {
    auto json = Json::parse(decoded, nullptr, false);
    if (json.is_object() && json.contains("offset") && json["offset"].is_number_integer()) {
      offset = json["offset"].get<int64_t>();
    }
  }
  if (offset < 0) {
    return InvalidParameter(absl::StrCat("Invalid page token '", token.substr(0, 40),
                                         "': pass the next_page_token of a previous response"));
  }
  return offset;
}

absl::StatusOr<std::unique_ptr<TrackingStore>> TrackingStore::Create(db::Database& db, Clock& clock,
                                                                     std::string artifact_root) {
  RETURN_IF_ERROR(db::Migrate(db, "tracking", TrackingMigrations()));
  auto store = std::unique_ptr<TrackingStore>(new TrackingStore(db, clock, artifact_root));
  int64_t now = clock.NowMillis();
  RETURN_IF_ERROR(db.Write([&](db::Session& s) {
    return s
        .Execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, "
            "lifecycle_stage, creation_time, last_update_time, team) VALUES (0, 'Default', "
            "?, 'active', ?, ?, 'default') ON CONFLICT DO NOTHING",
            {absl::StrCat(artifact_root, "/0"), now, now})
        .status();
  }));
  return store;
}

absl::StatusOr<int64_t> TrackingStore::InsertExperiment(db::Session& s, const std::string& name,
                                                        const std::string& artifact_location,
                                                        const std::vector<KeyValue>& tags,
                                                        const std::string& team, int64_t now) {
  ASSIGN_OR_RETURN(auto rows, s.Query("INSERT INTO experiments (name, artifact_location, "
                                      "lifecycle_stage, creation_time, last_update_time, team) "
                                      "VALUES (?, ?, 'active', ?, ?, ?) RETURNING experiment_id",
                                      {name, artifact_location, now, now, team}));
  int64_t id = rows.at(0).Int(0);
  if (artifact_location.empty()) {
    RETURN_IF_ERROR(s.Execute("UPDATE experiments SET artifact_location = ? WHERE "
                              "experiment_id = ?",
                              {absl::StrCat(artifact_root_, "/", id), id})
                        .status());
  }
  for (const auto& t : tags) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO experiment_tags (experiment_id, key, value) VALUES "
                              "(?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = "
                              "excluded.value",
                              {id, t.key, t.value})
                        .status());
  }
  return id;
}

absl::StatusOr<int64_t> TrackingStore::CreateExperiment(const std::string& name,
                                                        const std::string& artifact_location,
                                                        const std::vector<KeyValue>& tags,
                                                        const std::string& team) {
  RETURN_IF_ERROR(ValidateExperimentName(name));
  for (size_t i = 0; i < tags.size(); ++i) {
    RETURN_IF_ERROR(ValidateKey(tags[i].key, absl::StrCat("tags[", i, "].key")));
    RETURN_IF_ERROR(ValidateTagValue(tags[i].value, absl::StrCat("tags[", i, "].value")));
  }
  int64_t id = 0;
  int64_t now = clock_.NowMillis();
  absl::Status status = db_.TimedWrite("create_experiment", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto existing,
                     s.Query("SELECT lifecycle_stage FROM experiments WHERE name = ?", {name}));
    if (!existing.empty()) {
      return AlreadyExists(absl::StrCat("Experiment '", name, "' already exists",
                                        existing[0].Str(0) == "deleted"
                                            ? " in deleted state; restore it or pick another name"
                                            : ""));
    }
    ASSIGN_OR_RETURN(id, InsertExperiment(s, name, artifact_location, tags, team, now));
    return absl::OkStatus();
  });
  RETURN_IF_ERROR(status);
  return id;
}

absl::StatusOr<TeamExperiment> TrackingStore::GetOrCreateTeamExperiment(
    const std::string& base_name, const std::string& team) {
  // Candidates are tried in a fixed order, so every later call finds the
  // same experiment: "jobs-a", then "jobs-a-2", "jobs-a-3", ...
  constexpr int kMaxCandidates = 100;
  TeamExperiment out;
  RETURN_IF_ERROR(db_.TimedWrite("team_experiment", [&](db::Session& s) -> absl::Status {
    for (int i = 1; i <= kMaxCandidates; ++i) {
      std::string name = i == 1 ? base_name : absl::StrCat(base_name, "-", i);
      ASSIGN_OR_RETURN(auto rows, s.Query("SELECT experiment_id, team, lifecycle_stage FROM "
                                          "experiments WHERE name = ?",
                                          {name}));
      if (rows.empty()) {
        ASSIGN_OR_RETURN(out.experiment_id,
                         InsertExperiment(s, name, "", {}, team, clock_.NowMillis()));
      } else if (rows[0].Str(1) == team && rows[0].Str(2) == "active") {
        out.experiment_id = rows[0].Int(0);
      } else {
        continue;  // another team's, or deleted
      }
      out.name = name;
      return absl::OkStatus();
    }
    return AlreadyExists(absl::StrCat("experiment names ", base_name, " to ", base_name, "-",
                                      kMaxCandidates, " are all taken; free one of them"));
  }));
  return out;
}

absl::StatusOr<Experiment> TrackingStore::GetExperiment(int64_t experiment_id) {
  Experiment e;
  RETURN_IF_ERROR(db_.TimedRead("get_experiment", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kExperimentColumns,
                                                     " FROM experiments WHERE experiment_id = ?"),
                                        {experiment_id}));
    if (rows.empty()) return ExperimentNotFound(experiment_id);
    e = ExperimentFromRow(rows[0]);
    return LoadExperimentTags(s, e);
  }));
  return e;
}

absl::StatusOr<Experiment> TrackingStore::GetExperimentByName(const std::string& name) {
  Experiment e;
  RETURN_IF_ERROR(db_.TimedRead("get_experiment", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kExperimentColumns,
                                                     " FROM experiments WHERE name = ?"),
                                        {name}));
    if (rows.empty())
      return NotFound(absl::StrCat("Could not find experiment with name '", name, "'"));
    e = ExperimentFromRow(rows[0]);
    return LoadExperimentTags(s, e);
  }));
  return e;
}

absl::StatusOr<Page<Experiment>> TrackingStore::SearchExperiments(ExperimentSearch search) {
  Page<Experiment> page;
  int64_t page_size = search.limit;
  search.limit = page_size + 1;  // one extra row tells whether a next page exists
  ASSIGN_OR_RETURN(SqlQuery query, BuildExperimentSearchSql(search, db_.dialect()));
  RETURN_IF_ERROR(db_.TimedRead("search_experiments", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto ids, s.Query(query.sql, query.params));
    for (size_t i = 0; i < ids.size() && static_cast<int64_t>(i) < page_size; ++i) {
      ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kExperimentColumns,
                                                       " FROM experiments WHERE experiment_id = ?"),
                                          {ids[i].Int(0)}));
      if (rows.empty()) continue;
      Experiment e = ExperimentFromRow(rows[0]);
      RETURN_IF_ERROR(LoadExperimentTags(s, e));
      page.items.push_back(std::move(e));
    }
    if (static_cast<int64_t>(ids.size()) > page_size) {
      page.next_page_token = EncodeOffsetToken(search.offset + page_size);
    }
    return absl::OkStatus();
  }));
  return page;
}

absl::Status TrackingStore::SetExperimentLifecycle(int64_t experiment_id,
                                                   const std::string& stage) {
  int64_t now = clock_.NowMillis();
  return db_.TimedWrite("set_experiment_lifecycle", [&](db::Session& s) -> absl::Status {
    if (experiment_id == 0 && stage == "deleted") {
      return InvalidParameter(
          "Cannot delete the default experiment '0'. This is an internally "
          "reserved experiment.");
    }
    ASSIGN_OR_RETURN(int64_t n, s.Execute("UPDATE experiments SET lifecycle_stage = ?, "
                                          "last_update_time = ? WHERE experiment_id = ?",
                                          {stage, now, experiment_id}));
    if (n == 0) return ExperimentNotFound(experiment_id);
    // MLflow marks the experiment's runs with the same lifecycle stage.
    return s
        .Execute("UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE experiment_id = ?",
                 {stage, stage == "deleted" ? db::Value(now) : db::Value(), experiment_id})
        .status();
  });
}

absl::Status TrackingStore::DeleteExperiment(int64_t id) {
  return SetExperimentLifecycle(id, "deleted");
}
absl::Status TrackingStore::RestoreExperiment(int64_t id) {
  return SetExperimentLifecycle(id, "active");
}

absl::Status TrackingStore::RenameExperiment(int64_t experiment_id, const std::string& new_name) {
  RETURN_IF_ERROR(ValidateExperimentName(new_name));
  int64_t now = clock_.NowMillis();
  return db_.TimedWrite("rename_experiment", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT lifecycle_stage FROM experiments WHERE "
                                        "experiment_id = ?",
                                        {experiment_id}));
    if (rows.empty()) return ExperimentNotFound(experiment_id);
    if (rows[0].Str(0) != "active") {
      return InvalidState("Cannot rename a non-active experiment: restore it first");
    }
    ASSIGN_OR_RETURN(auto clash, s.Query("SELECT 1 FROM experiments WHERE name = ? AND "
                                         "experiment_id <> ?",
                                         {new_name, experiment_id}));
    if (!clash.empty()) {
      return AlreadyExists(absl::StrCat("Experiment '", new_name, "' already exists"));
    }
    return s
        .Execute("UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                 {new_name, now, experiment_id})
        .status();
  });
}

absl::Status TrackingStore::SetExperimentTag(int64_t experiment_id, const std::string& key,
                                             const std::string& value) {
  RETURN_IF_ERROR(ValidateKey(key, "key"));
  RETURN_IF_ERROR(ValidateTagValue(value, "value"));
  return db_.TimedWrite("set_experiment_tag", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT lifecycle_stage FROM experiments WHERE "
                                        "experiment_id = ?",
                                        {experiment_id}));
    if (rows.empty()) return ExperimentNotFound(experiment_id);
    if (rows[0].Str(0) != "active") {
      return InvalidState(
          absl::StrCat("The experiment ", experiment_id, " must be in the 'active' state"));
    }
    return s
        .Execute(
            "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON "
            "CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
            {experiment_id, key, value})
        .status();
  });
}

absl::Status TrackingStore::DeleteExperimentTag(int64_t experiment_id, const std::string& key) {
  return db_.TimedWrite("delete_experiment_tag", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t n, s.Execute("DELETE FROM experiment_tags WHERE experiment_id = ? "
                                          "AND key = ?",
                                          {experiment_id, key}));
    if (n == 0) {
      return NotFound(
          absl::StrCat("No tag with name: ", key, " in experiment with id ", experiment_id));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Run> TrackingStore::CreateRun(const NewRun& request) {
  std::string run_name = request.run_name;
  for (const auto& t : request.tags) {
    if (t.key == "mlflow.runName" && run_name.empty()) run_name = t.value;
  }
  if (run_name.empty()) run_name = GenerateRunName();
  RETURN_IF_ERROR(ValidateRunName(run_name));
  for (size_t i = 0; i < request.tags.size(); ++i) {
    RETURN_IF_ERROR(ValidateKey(request.tags[i].key, absl::StrCat("tags[", i, "].key")));
    RETURN_IF_ERROR(ValidateTagValue(request.tags[i].value, absl::StrCat("tags[", i, "].value")));
  }
  std::string run_id = NewHexId();
  int64_t start_time = request.start_time.value_or(clock_.NowMillis());
  RETURN_IF_ERROR(ValidateTimestamp(start_time, "start_time"));
  RETURN_IF_ERROR(db_.TimedWrite("create_run", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT artifact_location, lifecycle_stage FROM "
                                        "experiments WHERE experiment_id = ?",
                                        {request.experiment_id}));
    if (rows.empty()) return ExperimentNotFound(request.experiment_id);
    if (rows[0].Str(1) != "active") {
      return InvalidState(
          absl::StrCat("The experiment ", request.experiment_id, " must be in the 'active' state"));
    }
    std::string artifact_uri = absl::StrCat(rows[0].Str(0), "/", run_id, "/artifacts");
    ASSIGN_OR_RETURN(auto inserted,
                     s.Query("INSERT INTO runs (run_uuid, experiment_id, name, user_id, status, "
                             "start_time, lifecycle_stage, artifact_uri) VALUES (?, ?, ?, ?, "
                             "'RUNNING', ?, 'active', ?) RETURNING run_key",
                             {run_id, request.experiment_id, run_name, request.user_id, start_time,
                              artifact_uri}));
    int64_t run_key = inserted.at(0).Int(0);
    std::vector<KeyValue> tags = request.tags;
    tags.push_back({"mlflow.runName", run_name});
    if (!request.user_id.empty()) tags.push_back({"mlflow.user", request.user_id});
    for (const auto& t : tags) {
      RETURN_IF_ERROR(s.Execute("INSERT INTO tags (run_key, key, value) VALUES (?, ?, ?) ON "
                                "CONFLICT (run_key, key) DO UPDATE SET value = excluded.value",
                                {run_key, t.key, t.value})
                          .status());
    }
    return absl::OkStatus();
  }));
  return GetRun(run_id);
}

absl::StatusOr<RunOwner> TrackingStore::GetRunOwner(const std::string& run_id) {
  RunOwner owner;
  RETURN_IF_ERROR(db_.TimedRead("get_run_owner", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows,
                     s.Query("SELECT r.run_key, r.experiment_id, e.team, "
                             "r.lifecycle_stage, r.artifact_uri FROM runs r JOIN experiments e ON "
                             "e.experiment_id = r.experiment_id WHERE r.run_uuid = ?",
                             {run_id}));
    if (rows.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
    owner = {rows[0].Int(0), rows[0].Int(1), rows[0].Str(2), rows[0].Str(3), rows[0].Str(4)};
    return absl::OkStatus();
  }));
  return owner;
}

absl::StatusOr<Run> TrackingStore::GetRun(const std::string& run_id) {
  std::vector<Run> runs;
  RETURN_IF_ERROR(db_.TimedRead("get_run", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT run_key FROM runs WHERE run_uuid = ?", {run_id}));
    if (rows.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
    ASSIGN_OR_RETURN(runs, LoadRuns(s, {rows[0].Int(0)}));
    return absl::OkStatus();
  }));
  if (runs.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
  return std::move(runs[0]);
}

absl::StatusOr<RunInfo> TrackingStore::UpdateRun(const std::string& run_id,
                                                 const RunUpdate& update) {
  if (update.status && !IsValidStatus(*update.status)) {
    return InvalidParameter(absl::StrCat("Invalid value '", *update.status,
                                         "' for parameter 'status': use RUNNING, SCHEDULED, "
                                         "FINISHED, FAILED or KILLED"));
  }
  if (update.end_time) RETURN_IF_ERROR(ValidateTimestamp(*update.end_time, "end_time"));
  if (update.run_name) RETURN_IF_ERROR(ValidateRunName(*update.run_name));
  RETURN_IF_ERROR(db_.TimedWrite("update_run", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT run_key, lifecycle_stage FROM runs WHERE "
                                        "run_uuid = ?",
                                        {run_id}));
    if (rows.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
    if (rows[0].Str(1) != "active") {
      return InvalidParameter(absl::StrCat("The run ", run_id,
                                           " must be in the 'active' state. Current state is ",
                                           rows[0].Str(1), "."));
    }
    int64_t run_key = rows[0].Int(0);
    if (update.status) {
      RETURN_IF_ERROR(
          s.Execute("UPDATE runs SET status = ? WHERE run_key = ?", {*update.status, run_key})
              .status());
    }
    if (update.end_time) {
      RETURN_IF_ERROR(
          s.Execute("UPDATE runs SET end_time = ? WHERE run_key = ?", {*update.end_time, run_key})
              .status());
    }
    if (update.run_name && !update.run_name->empty()) {
      RETURN_IF_ERROR(
          s.Execute("UPDATE runs SET name = ? WHERE run_key = ?", {*update.run_name, run_key})
              .status());
      RETURN_IF_ERROR(s.Execute("INSERT INTO tags (run_key, key, value) VALUES (?, "
                                "'mlflow.runName', ?) ON CONFLICT (run_key, key) DO UPDATE SET "
                                "value = excluded.value",
                                {run_key, *update.run_name})
                          .status());
    }
    return absl::OkStatus();
  }));
  ASSIGN_OR_RETURN(Run run, GetRun(run_id));
  return run.info;
}

absl::Status TrackingStore::SetRunLifecycle(const std::string& run_id, const std::string& stage) {
  int64_t now = clock_.NowMillis();
  return db_.TimedWrite("set_run_lifecycle", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t n,
                     s.Execute("UPDATE runs SET lifecycle_stage = ?, deleted_time = ? "
                               "WHERE run_uuid = ?",
                               {stage, stage == "deleted" ? db::Value(now) : db::Value(), run_id}));
    if (n == 0) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
    return absl::OkStatus();
  });
}

absl::Status TrackingStore::DeleteRun(const std::string& run_id) {
  return SetRunLifecycle(run_id, "deleted");
}
absl::Status TrackingStore::RestoreRun(const std::string& run_id) {
  return SetRunLifecycle(run_id, "active");
}

}  // namespace plinth::tracking
