// TrackingStore: run search and loading runs with their data.
#include <limits>
#include <set>
#include <tuple>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/tracking/tracking_store.h"

namespace plinth::tracking {
namespace {

// "?,?,?" for `n` placeholders, with the keys as parameters.
std::string InList(const std::vector<int64_t>& keys, std::vector<db::Value>& params) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::StrAppend(&out, i ? ",?" : "?");
    params.push_back(keys[i]);
  }
  return out;
}

}  // namespace

// Runs per query when loading: keeps IN lists well below SQLite's limit of
// 32,766 bound parameters whatever the page size.
constexpr size_t kLoadChunk = 500;

absl::StatusOr<std::vector<Run>> TrackingStore::LoadRuns(db::Session& s,
                                                         const std::vector<int64_t>& run_keys) {
  if (run_keys.size() > kLoadChunk) {
    std::vector<Run> all;
    for (size_t begin = 0; begin < run_keys.size(); begin += kLoadChunk) {
      std::vector<int64_t> chunk(run_keys.begin() + begin,
                                 run_keys.begin() + std::min(run_keys.size(), begin + kLoadChunk));
      ASSIGN_OR_RETURN(auto runs, LoadRuns(s, chunk));
      for (auto& r : runs) all.push_back(std::move(r));
    }
    return all;
  }
  std::vector<Run> runs;
  if (run_keys.empty()) return runs;
  std::unordered_map<int64_t, size_t> index;
  std::vector<db::Value> params;
  std::string in = InList(run_keys, params);
  ASSIGN_OR_RETURN(auto rows,
                   s.Query(absl::StrCat("SELECT run_key, run_uuid, name, experiment_id, user_id, "
                                        "status, start_time, end_time, artifact_uri, "
                                        "lifecycle_stage FROM runs WHERE run_key IN (",
                                        in, ")"),
                           params));
  std::unordered_map<int64_t, Run> by_key;
  for (const auto& r : rows) {
    Run run;
    run.info.run_id = r.Str(1);
    run.info.run_name = r.Str(2);
    run.info.experiment_id = r.Int(3);
    run.info.user_id = r.Str(4);
    run.info.status = r.Str(5);
    run.info.start_time = r.Int(6);
    if (!r.IsNull(7)) run.info.end_time = r.Int(7);
    run.info.artifact_uri = r.Str(8);
    run.info.lifecycle_stage = r.Str(9);
    by_key.emplace(r.Int(0), std::move(run));
  }
  RETURN_IF_ERROR(s.ForEach(absl::StrCat("SELECT run_key, key, value, is_nan, timestamp, step "
                                         "FROM latest_metrics WHERE run_key IN (",
                                         in, ") ORDER BY key"),
                            params, [&](const db::Row& r) {
                              auto it = by_key.find(r.Int(0));
                              if (it == by_key.end()) return true;
                              double v =
                                  r.Int(3) ? std::numeric_limits<double>::quiet_NaN() : r.Double(2);
                              it->second.metrics.push_back({r.Str(1), v, r.Int(4), r.Int(5)});
                              return true;
                            }));
  for (const char* table : {"params", "tags"}) {
    bool is_params = std::string(table) == "params";
    RETURN_IF_ERROR(s.ForEach(absl::StrCat("SELECT run_key, key, value FROM ", table,
                                           " WHERE run_key IN (", in, ") ORDER BY key"),
                              params, [&](const db::Row& r) {
                                auto it = by_key.find(r.Int(0));
                                if (it == by_key.end()) return true;
                                auto& list = is_params ? it->second.params : it->second.tags;
                                list.push_back({r.Str(1), r.Str(2)});
                                return true;
                              }));
  }
  RETURN_IF_ERROR(s.ForEach(
      absl::StrCat("SELECT i.run_key, d.name, d.digest, d.source_type, d.source, d.schema, "
                   "d.profile, i.tags_json FROM run_inputs i JOIN datasets d ON d.dataset_id = "
                   "i.dataset_id WHERE i.run_key IN (",
                   in, ") ORDER BY d.dataset_id"),
      params, [&](const db::Row& r) {
        auto it = by_key.find(r.Int(0));
        if (it == by_key.end()) return true;
        DatasetInput input;
        input.dataset = {r.Str(1), r.Str(2), r.Str(3), r.Str(4), r.Str(5), r.Str(6)};
        Json tags = Json::parse(r.Str(7), nullptr, false);
        if (tags.is_array()) {
          for (const auto& t : tags) {
            input.tags.push_back({t.value("key", ""), t.value("value", "")});
          }
        }
        it->second.inputs.push_back(std::move(input));
        return true;
      }));
  for (int64_t key : run_keys) {
    auto it = by_key.find(key);
    if (it != by_key.end()) runs.push_back(std::move(it->second));
  }
  return runs;
}

absl::StatusOr<Page<Run>> TrackingStore::SearchRuns(RunSearch search,
                                                    const std::string& page_token) {
  ASSIGN_OR_RETURN(search.offset, DecodeOffsetToken(page_token));
  int64_t page_size = search.limit;
  search.limit = page_size + 1;  // one extra row tells whether a next page exists
  ASSIGN_OR_RETURN(SqlQuery query, BuildRunSearchSql(search, db_.dialect()));
  Page<Run> page;
  RETURN_IF_ERROR(db_.TimedRead("search_runs", [&](db::Session& s) -> absl::Status {
    std::vector<int64_t> keys;
    RETURN_IF_ERROR(s.ForEach(query.sql, query.params, [&](const db::Row& r) {
      keys.push_back(r.Int(0));
      return true;
    }));
    if (static_cast<int64_t>(keys.size()) > page_size) {
      keys.resize(page_size);
      page.next_page_token = EncodeOffsetToken(search.offset + page_size);
    }
    ASSIGN_OR_RETURN(page.items, LoadRuns(s, keys));
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::vector<TrackingStore::DatasetSummary>> TrackingStore::SearchDatasets(
    const std::vector<int64_t>& experiment_ids) {
  constexpr size_t kMaxSummaries = 1000;  // MLflow's MAX_DATASET_SUMMARIES_RESULTS
  std::vector<DatasetSummary> out;
  if (experiment_ids.empty()) return out;
  std::string sql =
      "SELECT d.experiment_id, d.name, d.digest, i.tags_json FROM datasets d JOIN run_inputs i "
      "ON i.dataset_id = d.dataset_id WHERE d.experiment_id IN (";
  std::vector<db::Value> params;
  for (size_t i = 0; i < experiment_ids.size(); ++i) {
    absl::StrAppend(&sql, i ? ",?" : "?");
    params.push_back(experiment_ids[i]);
  }
  sql += ") ORDER BY d.experiment_id, d.dataset_id, i.run_key";
  std::set<std::tuple<int64_t, std::string, std::string, std::string>> seen;
  RETURN_IF_ERROR(db_.TimedRead("search_datasets", [&](db::Session& s) -> absl::Status {
    return s.ForEach(sql, params, [&](const db::Row& r) {
      DatasetSummary d{r.Int(0), r.Str(1), r.Str(2), ""};
      Json tags = Json::parse(r.Str(3), nullptr, false);
      if (tags.is_array()) {
        for (const Json& t : tags) {
          if (t.is_object() && t.value("key", "") == "mlflow.data.context" && t.contains("value") &&
              t["value"].is_string()) {
            d.context = t["value"].get<std::string>();
          }
        }
      }
      if (seen.emplace(d.experiment_id, d.name, d.digest, d.context).second) {
        out.push_back(std::move(d));
      }
      return out.size() < kMaxSummaries;
    });
  }));
  return out;
}

}  // namespace plinth::tracking
