// TrackingStore: logging metrics, params, tags and inputs to a run.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/ids.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/tracking/datasets.h"
#include "plinth/tracking/latest_metrics.h"
#include "plinth/tracking/tracking_store.h"
#include "plinth/tracking/validation.h"

namespace plinth::tracking {
namespace {

// Rows per multi-row INSERT: amortizes statement overhead on both SQLite and
// PostgreSQL while staying far below SQLite's bound-parameter limit.
constexpr size_t kInsertChunk = 100;

// Looks up an active run inside a write transaction.
absl::StatusOr<int64_t> ActiveRunKey(db::Session& s, const std::string& run_id) {
  ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT run_key, lifecycle_stage FROM runs WHERE run_uuid = ?", {run_id}));
  if (rows.empty()) return NotFound(absl::StrCat("Run with id=", run_id, " not found"));
  if (rows[0].Str(1) != "active") {
    return InvalidParameter(absl::StrCat("The run ", run_id,
                                         " must be in the 'active' state. Current state is ",
                                         rows[0].Str(1), "."));
  }
  return rows[0].Int(0);
}

absl::Status InsertMetrics(db::Session& s, int64_t run_key, const std::vector<Metric>& metrics) {
  for (size_t begin = 0; begin < metrics.size(); begin += kInsertChunk) {
    size_t end = std::min(metrics.size(), begin + kInsertChunk);
    std::string sql = "INSERT INTO metrics (run_key, key, step, timestamp, value, is_nan) VALUES ";
    std::vector<db::Value> params;
    params.reserve((end - begin) * 6);
    for (size_t i = begin; i < end; ++i) {
      const Metric& m = metrics[i];
      absl::StrAppend(&sql, i == begin ? "" : ",", "(?,?,?,?,?,?)");
      bool nan = std::isnan(m.value);
      params.insert(params.end(), {run_key, m.key, m.step, m.timestamp, nan ? 0.0 : m.value,
                                   int64_t{nan ? 1 : 0}});
    }
    // An exact duplicate point is stored once, as MLflow does.
    RETURN_IF_ERROR(s.Execute(sql + " ON CONFLICT DO NOTHING", params).status());
  }
  return absl::OkStatus();
}

LatestPoint PointOf(const Metric& m) { return {m.step, m.timestamp, m.value, std::isnan(m.value)}; }

absl::Status UpdateLatestMetrics(db::Session& s, int64_t run_key,
                                 const std::vector<Metric>& metrics) {
  struct KeyBatch {
    LatestPoint latest;
    std::vector<int64_t> steps;
  };
  std::map<std::string, KeyBatch> batches;
  for (const Metric& m : metrics) {
    auto [it, inserted] = batches.try_emplace(m.key, KeyBatch{PointOf(m), {}});
    if (!inserted && IsLater(PointOf(m), it->second.latest)) it->second.latest = PointOf(m);
    it->second.steps.push_back(m.step);
  }
  for (auto& [key, batch] : batches) {
    std::sort(batch.steps.begin(), batch.steps.end());
    batch.steps.erase(std::unique(batch.steps.begin(), batch.steps.end()), batch.steps.end());
    RETURN_IF_ERROR(
        MergeLatestMetric(s, run_key, key, batch.latest, StepRangeOfSorted(batch.steps)));
  }
  return absl::OkStatus();
}

absl::Status InsertParams(db::Session& s, int64_t run_key, const std::string& run_id,
                          const std::vector<KeyValue>& params) {
  if (params.empty()) return absl::OkStatus();
  std::string sql = "SELECT key, value FROM params WHERE run_key = ? AND key IN (";
  std::vector<db::Value> args = {run_key};
  for (size_t i = 0; i < params.size(); ++i) {
    absl::StrAppend(&sql, i ? ",?" : "?");
    args.push_back(params[i].key);
  }
  sql += ")";
  ASSIGN_OR_RETURN(auto rows, s.Query(sql, args));
  std::map<std::string, std::string> existing;
  for (const auto& r : rows) existing[r.Str(0)] = r.Str(1);
  for (const auto& p : params) {
    auto it = existing.find(p.key);
    if (it != existing.end() && it->second != p.value) {
      return InvalidParameter(absl::StrCat("Changing param values is not allowed. Param with key='",
                                           p.key, "' was already logged with value='", it->second,
                                           "' for run ID='", run_id,
                                           "'. Attempted logging new value '", p.value, "'."));
    }
  }
  for (const auto& p : params) {
    if (existing.count(p.key)) continue;
    RETURN_IF_ERROR(s.Execute("INSERT INTO params (run_key, key, value) VALUES (?, ?, ?)",
                              {run_key, p.key, p.value})
                        .status());
  }
  return absl::OkStatus();
}

absl::Status UpsertTags(db::Session& s, int64_t run_key, const std::vector<KeyValue>& tags) {
  for (const auto& t : tags) {
    RETURN_IF_ERROR(s.Execute("INSERT INTO tags (run_key, key, value) VALUES (?, ?, ?) ON "
                              "CONFLICT (run_key, key) DO UPDATE SET value = excluded.value",
                              {run_key, t.key, t.value})
                        .status());
    if (t.key == "mlflow.runName") {
      RETURN_IF_ERROR(
          s.Execute("UPDATE runs SET name = ? WHERE run_key = ?", {t.value, run_key}).status());
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TrackingStore::LogBatch(const std::string& run_id, const std::vector<Metric>& metrics,
                                     const std::vector<KeyValue>& params,
                                     const std::vector<KeyValue>& tags) {
  RETURN_IF_ERROR(ValidateBatch(metrics, params, tags));
  // Grouped: concurrent batches share a commit. The callback uses only the
  // session and the arguments, as WriteGrouped requires.
  return db_.TimedWriteGrouped("log_batch", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t run_key, ActiveRunKey(s, run_id));
    RETURN_IF_ERROR(InsertParams(s, run_key, run_id, params));
    RETURN_IF_ERROR(InsertMetrics(s, run_key, metrics));
    RETURN_IF_ERROR(UpdateLatestMetrics(s, run_key, metrics));
    return UpsertTags(s, run_key, tags);
  });
}

absl::Status TrackingStore::DeleteTag(const std::string& run_id, const std::string& key) {
  return db_.TimedWrite("delete_tag", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t run_key, ActiveRunKey(s, run_id));
    ASSIGN_OR_RETURN(int64_t n,
                     s.Execute("DELETE FROM tags WHERE run_key = ? AND key = ?", {run_key, key}));
    if (n == 0) {
      return NotFound(absl::StrCat("No tag with name: ", key, " in run with id ", run_id));
    }
    return absl::OkStatus();
  });
}

absl::Status TrackingStore::LogInputs(const std::string& run_id,
                                      const std::vector<DatasetInput>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Dataset& d = inputs[i].dataset;
    if (d.name.empty() || d.digest.empty() || d.source_type.empty() || d.source.empty()) {
      return InvalidParameter(absl::StrCat("datasets[", i,
                                           "].dataset needs name, digest, source_type and "
                                           "source"));
    }
    for (size_t j = 0; j < inputs[i].tags.size(); ++j) {
      RETURN_IF_ERROR(
          ValidateKey(inputs[i].tags[j].key, absl::StrCat("datasets[", i, "].tags[", j, "].key")));
    }
  }
  return db_.TimedWrite("log_inputs", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t run_key, ActiveRunKey(s, run_id));
    ASSIGN_OR_RETURN(auto exp,
                     s.Query("SELECT experiment_id FROM runs WHERE run_key = ?", {run_key}));
    int64_t experiment_id = exp.at(0).Int(0);
    for (const auto& input : inputs) {
      ASSIGN_OR_RETURN(int64_t dataset_id, UpsertDataset(s, experiment_id, input.dataset));
      Json tags = Json::array();
      for (const auto& t : input.tags) tags.push_back({{"key", t.key}, {"value", t.value}});
      RETURN_IF_ERROR(s.Execute("INSERT INTO run_inputs (run_key, dataset_id, tags_json) VALUES "
                                "(?, ?, ?) ON CONFLICT (run_key, dataset_id) DO UPDATE SET "
                                "tags_json = excluded.tags_json",
                                {run_key, dataset_id, tags.dump()})
                          .status());
    }
    return absl::OkStatus();
  });
}

namespace {

// The part of an MLmodel dict MLflow keeps in the run's history tag
// (Model.get_tags_dict): four attributes, then the flavors without their
// bulky "config" entries.
nlohmann::ordered_json LoggedModelRecord(const nlohmann::ordered_json& model) {
  nlohmann::ordered_json record = nlohmann::ordered_json::object();
  for (const char* key : {"run_id", "artifact_path", "utc_time_created"}) {
    record[key] = model.at(key);
  }
  // Model() generates a uuid when the dict has none.
  record["model_uuid"] =
      model.contains("model_uuid") ? model["model_uuid"] : nlohmann::ordered_json(NewHexId());
  nlohmann::ordered_json flavors = nlohmann::ordered_json::object();
  if (model["flavors"].is_object()) {
    for (const auto& [name, config] : model["flavors"].items()) {
      nlohmann::ordered_json kept = config;
      if (kept.is_object()) kept.erase("config");
      flavors[name] = std::move(kept);
    }
  }
  record["flavors"] = std::move(flavors);
  return record;
}

}  // namespace

absl::Status TrackingStore::RecordLoggedModel(const std::string& run_id,
                                              const nlohmann::ordered_json& model) {
  nlohmann::ordered_json record = LoggedModelRecord(model);
  return db_.TimedWrite("record_logged_model", [&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t run_key, ActiveRunKey(s, run_id));
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT value FROM tags WHERE run_key = ? AND key = ?",
                                        {run_key, std::string(kLoggedModelsTag)}));
    nlohmann::ordered_json history = nlohmann::ordered_json::array();
    if (!rows.empty()) {
      history = nlohmann::ordered_json::parse(rows[0].Str(0), nullptr, false);
      if (!history.is_array()) {
        return InvalidParameter(absl::StrCat("The run tag '", kLoggedModelsTag,
                                             "' is not a JSON list; delete it or set it to []"));
      }
    }
    history.push_back(std::move(record));
    KeyValue tag{std::string(kLoggedModelsTag), history.dump()};
    RETURN_IF_ERROR(ValidateTagValue(tag.value, kLoggedModelsTag));
    return UpsertTags(s, run_key, {tag});
  });
}

}  // namespace plinth::tracking
