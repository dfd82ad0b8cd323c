#include "plinth/tracking/mlflow_routes.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plinth/artifacts/artifact_uri.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/tracking/artifact_location.h"
#include "plinth/tracking/log_batch_decoder.h"
#include "plinth/tracking/mlflow_json.h"
#include "plinth/tracking/search_filter.h"

namespace plinth::tracking {
namespace {

using http::Args;
using http::Request;

constexpr int64_t kMaxSearchResults = 50000;
constexpr int64_t kDefaultRunSearchResults = 1000;
constexpr int64_t kMaxBulkRuns = 100;
// MLflow's limits for ajax get-history-bulk and search-datasets.
constexpr int64_t kMaxBulkHistory = 25000;
constexpr int64_t kMaxDatasetExperiments = 20;
// MLflow's limit and default for get-history-bulk-interval's max_results.
constexpr int64_t kMaxBulkResultsPerRun = 2500;

absl::StatusOr<int64_t> ParseExperimentId(const std::string& text, const std::string& field) {
  int64_t id;
  if (!absl::SimpleAtoi(text, &id)) {
    return InvalidParameter(absl::StrCat("Invalid value '", text, "' for parameter '", field,
                                         "': experiment ids are integers"));
  }
  return id;
}

absl::StatusOr<int64_t> RequiredExperimentId(const Args& args) {
  ASSIGN_OR_RETURN(std::string text, args.RequiredString("experiment_id"));
  return ParseExperimentId(text, "experiment_id");
}

absl::StatusOr<std::string> RunIdOf(const Args& args) {
  return args.RequiredStringOneOf({"run_id", "run_uuid"});
}

// The caller may read (and with `write`, change) experiment `id`.
absl::Status CheckExperiment(TrackingStore& store, const Request& req, int64_t id, bool write) {
  if (write) RETURN_IF_ERROR(http::RequireWrite(req.principal));
  if (req.principal.IsAdmin()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Experiment e, store.GetExperiment(id));
  return http::RequireTeamAccess(req.principal, e.team, absl::StrCat("experiment ", id));
}

absl::Status CheckRun(TrackingStore& store, const Request& req, const std::string& run_id,
                      bool write) {
  if (write) RETURN_IF_ERROR(http::RequireWrite(req.principal));
  if (req.principal.IsAdmin()) return absl::OkStatus();
  ASSIGN_OR_RETURN(RunOwner owner, store.GetRunOwner(run_id));
  return http::RequireTeamAccess(req.principal, owner.team, absl::StrCat("run ", run_id));
}

absl::StatusOr<int64_t> MaxResults(const Args& args, int64_t default_value, int64_t limit) {
  ASSIGN_OR_RETURN(auto value, args.Int64("max_results"));
  int64_t n = value.value_or(default_value);
  if (n <= 0 || n > limit) {
    return InvalidParameter(absl::StrCat("Invalid value ", n,
                                         " for parameter 'max_results' supplied. It must be "
                                         "at most ",
                                         limit, " and positive"));
  }
  return n;
}

absl::StatusOr<ViewType> ViewTypeArg(const Args& args, const std::string& name) {
  ASSIGN_OR_RETURN(auto text, args.String(name));
  return ParseViewType(text.value_or(""));
}

absl::StatusOr<std::vector<OrderBy>> OrderByArg(const Args& args, const SearchSchema& schema) {
  ASSIGN_OR_RETURN(auto clauses, args.StringList("order_by"));
  return ParseOrderByList(clauses, schema);
}

// --- experiments ---

// A location inside an experiment's folder ("mlflow-artifacts:/<id>", or
// "<file root>/<id>" when the default root is file://)
// must be the caller's team's experiment: another team's files would be
// readable and writable through it. Nonexistent ids count as foreign (the
// experiment created later under that id is not the caller's). The message
// does not say who owns the folder.
absl::Status CheckArtifactFolder(TrackingStore& store, const Request& req,
                                 const std::string& location) {
  std::optional<int64_t> id = artifacts::ExperimentFolderOf(location, store.FileArtifactRoot());
  if (!id || req.principal.IsAdmin()) return absl::OkStatus();
  absl::StatusOr<Experiment> e = store.GetExperiment(*id);
  if (e.ok() && e->team == req.principal.team) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("Permission denied: artifact location '", location,
                   "' is inside the artifact folder of an experiment you cannot write"));
}

absl::StatusOr<Json> CreateExperiment(TrackingStore& store, Request& req) {
  RETURN_IF_ERROR(http::RequireWrite(req.principal));
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string name, args.RequiredString("name"));
  ASSIGN_OR_RETURN(auto location, args.String("artifact_location"));
  auto tags_it = args.json().find("tags");
  ASSIGN_OR_RETURN(auto tags,
                   ParseKeyValues(tags_it == args.json().end() ? nullptr : &*tags_it, "tags"));
  std::error_code ec;
  std::string cwd = std::filesystem::current_path(ec).string();
  std::string resolved = ResolveArtifactLocation(location.value_or(""), cwd);
  RETURN_IF_ERROR(CheckArtifactFolder(store, req, resolved));
  ASSIGN_OR_RETURN(int64_t id, store.CreateExperiment(name, resolved, tags, req.principal.team));
  return Json{{"experiment_id", std::to_string(id)}};
}

absl::StatusOr<Json> GetExperiment(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(int64_t id, RequiredExperimentId(args));
  ASSIGN_OR_RETURN(Experiment e, store.GetExperiment(id));
  RETURN_IF_ERROR(http::RequireTeamAccess(req.principal, e.team, absl::StrCat("experiment ", id)));
  return Json{{"experiment", ExperimentToJson(e)}};
}

absl::StatusOr<Json> GetExperimentByName(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string name, args.RequiredString("experiment_name"));
  ASSIGN_OR_RETURN(Experiment e, store.GetExperimentByName(name));
  RETURN_IF_ERROR(
      http::RequireTeamAccess(req.principal, e.team, absl::StrCat("experiment '", name, "'")));
  return Json{{"experiment", ExperimentToJson(e)}};
}

absl::StatusOr<Json> SearchExperiments(TrackingStore& store, Request& req, bool legacy_list) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ExperimentSearch search;
  ASSIGN_OR_RETURN(search.view, ViewTypeArg(args, "view_type"));
  ASSIGN_OR_RETURN(search.limit,
                   MaxResults(args, legacy_list ? kMaxSearchResults : 1000, kMaxSearchResults));
  ASSIGN_OR_RETURN(auto filter, args.String("filter"));
  ASSIGN_OR_RETURN(search.filter, ParseSearchFilter(filter.value_or(""), ExperimentSearchSchema()));
  ASSIGN_OR_RETURN(search.order_by, OrderByArg(args, ExperimentSearchSchema()));
  ASSIGN_OR_RETURN(auto token, args.String("page_token"));
  ASSIGN_OR_RETURN(search.offset, DecodeOffsetToken(token.value_or("")));
  if (!req.principal.IsAdmin()) search.teams = {req.principal.team};
  ASSIGN_OR_RETURN(auto page, store.SearchExperiments(search));
  Json out = {{"experiments", Json::array()}};
  for (const auto& e : page.items) out["experiments"].push_back(ExperimentToJson(e));
  if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
  return out;
}

absl::StatusOr<Json> ExperimentLifecycle(TrackingStore& store, Request& req, bool restore) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(int64_t id, RequiredExperimentId(args));
  RETURN_IF_ERROR(CheckExperiment(store, req, id, true));
  RETURN_IF_ERROR(restore ? store.RestoreExperiment(id) : store.DeleteExperiment(id));
  return Json::object();
}

absl::StatusOr<Json> UpdateExperiment(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(int64_t id, RequiredExperimentId(args));
  ASSIGN_OR_RETURN(auto new_name, args.String("new_name"));
  RETURN_IF_ERROR(CheckExperiment(store, req, id, true));
  if (new_name) RETURN_IF_ERROR(store.RenameExperiment(id, *new_name));
  return Json::object();
}

absl::StatusOr<Json> SetExperimentTag(TrackingStore& store, Request& req, bool remove) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(int64_t id, RequiredExperimentId(args));
  ASSIGN_OR_RETURN(std::string key, args.RequiredString("key"));
  RETURN_IF_ERROR(CheckExperiment(store, req, id, true));
  if (remove) {
    RETURN_IF_ERROR(store.DeleteExperimentTag(id, key));
  } else {
    ASSIGN_OR_RETURN(std::string value, args.RequiredString("value"));
    RETURN_IF_ERROR(store.SetExperimentTag(id, key, value));
  }
  return Json::object();
}

// --- runs ---

absl::StatusOr<Json> CreateRun(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  TrackingStore::NewRun run;
  ASSIGN_OR_RETURN(auto exp, args.String("experiment_id"));
  if (exp && !exp->empty()) {
    ASSIGN_OR_RETURN(run.experiment_id, ParseExperimentId(*exp, "experiment_id"));
  }
  RETURN_IF_ERROR(CheckExperiment(store, req, run.experiment_id, true));
  ASSIGN_OR_RETURN(auto user, args.String("user_id"));
  run.user_id = user.value_or("");
  ASSIGN_OR_RETURN(auto name, args.String("run_name"));
  run.run_name = name.value_or("");
  ASSIGN_OR_RETURN(run.start_time, args.Int64("start_time"));
  auto tags_it = args.json().find("tags");
  ASSIGN_OR_RETURN(run.tags,
                   ParseKeyValues(tags_it == args.json().end() ? nullptr : &*tags_it, "tags"));
  ASSIGN_OR_RETURN(Run created, store.CreateRun(run));
  return Json{{"run", RunToJson(created)}};
}

absl::StatusOr<Json> UpdateRun(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  TrackingStore::RunUpdate update;
  ASSIGN_OR_RETURN(update.status, args.String("status"));
  ASSIGN_OR_RETURN(update.end_time, args.Int64("end_time"));
  ASSIGN_OR_RETURN(update.run_name, args.String("run_name"));
  ASSIGN_OR_RETURN(RunInfo info, store.UpdateRun(run_id, update));
  return Json{{"run_info", RunInfoToJson(info)}};
}

absl::StatusOr<Json> RunLifecycle(TrackingStore& store, Request& req, bool restore) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  RETURN_IF_ERROR(restore ? store.RestoreRun(run_id) : store.DeleteRun(run_id));
  return Json::object();
}

absl::StatusOr<Json> GetRun(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, false));
  ASSIGN_OR_RETURN(Run run, store.GetRun(run_id));
  return Json{{"run", RunToJson(run)}};
}

absl::StatusOr<Json> LogMetric(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  // Named as MLflow names them ('key', not 'metric[0].key').
  ASSIGN_OR_RETURN(std::string key, args.RequiredString("key"));
  ASSIGN_OR_RETURN(auto value, args.Double("value"));
  if (!value) return http::MissingParameter("value");
  ASSIGN_OR_RETURN(auto timestamp, args.Int64("timestamp"));
  if (!timestamp) return http::MissingParameter("timestamp");
  Json one = Json::array({args.json()});
  ASSIGN_OR_RETURN(auto metrics, ParseMetrics(&one, "metric"));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  RETURN_IF_ERROR(store.LogBatch(run_id, metrics, {}, {}));
  return Json::object();
}

absl::StatusOr<KeyValue> KeyValueArg(const Args& args) {
  KeyValue kv;
  ASSIGN_OR_RETURN(kv.key, args.RequiredString("key"));
  ASSIGN_OR_RETURN(auto value, args.String("value"));
  if (!value) return http::MissingParameter("value");
  kv.value = *value;
  return kv;
}

absl::StatusOr<Json> LogParam(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  ASSIGN_OR_RETURN(KeyValue kv, KeyValueArg(args));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  RETURN_IF_ERROR(store.LogBatch(run_id, {}, {kv}, {}));
  return Json::object();
}

absl::StatusOr<Json> SetTag(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  ASSIGN_OR_RETURN(KeyValue kv, KeyValueArg(args));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  RETURN_IF_ERROR(store.LogBatch(run_id, {}, {}, {kv}));
  return Json::object();
}

absl::StatusOr<Json> DeleteTag(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  ASSIGN_OR_RETURN(std::string key, args.RequiredString("key"));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  RETURN_IF_ERROR(store.DeleteTag(run_id, key));
  return Json::object();
}

const Json* Field(const Args& args, const char* name) {
  auto it = args.json().find(name);
  return it == args.json().end() ? nullptr : &*it;
}

absl::StatusOr<Json> LogBatch(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(LogBatchRequest batch, DecodeLogBatch(req));
  RETURN_IF_ERROR(CheckRun(store, req, batch.run_id, true));
  RETURN_IF_ERROR(store.LogBatch(batch.run_id, batch.metrics, batch.params, batch.tags));
  return Json::object();
}

absl::StatusOr<Json> LogInputs(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  const Json* datasets = Field(args, "datasets");
  if (datasets == nullptr || datasets->is_null()) return http::MissingParameter("datasets");
  ASSIGN_OR_RETURN(auto inputs, ParseDatasetInputs(datasets));
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  RETURN_IF_ERROR(store.LogInputs(run_id, inputs));
  return Json::object();
}

// MLflow's wording; the missing keys as a Python set literal, sorted.
absl::Status MissingModelFields(const std::vector<std::string>& missing) {
  std::string shown;
  for (const auto& key : missing) absl::StrAppend(&shown, shown.empty() ? "" : ", ", "'", key, "'");
  return InvalidParameter(absl::StrCat("Model json is missing mandatory fields: {", shown, "}"));
}

absl::StatusOr<Json> LogModel(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
  ASSIGN_OR_RETURN(std::string model_json, args.RequiredString("model_json"));
  if (model_json.empty()) return http::MissingParameter("model_json");
  nlohmann::ordered_json model = nlohmann::ordered_json::parse(model_json, nullptr, false);
  if (model.is_discarded() || !model.is_object()) {
    return InvalidParameter(
        absl::StrCat("Malformed model info. \n ", model_json, " \n is not a valid JSON."));
  }
  std::vector<std::string> missing;
  for (const char* key : {"artifact_path", "flavors", "run_id", "utc_time_created"}) {
    if (!model.contains(key)) missing.push_back(key);
  }
  if (!missing.empty()) return MissingModelFields(missing);
  RETURN_IF_ERROR(CheckRun(store, req, run_id, true));
  RETURN_IF_ERROR(store.RecordLoggedModel(run_id, model));
  return Json::object();
}

absl::StatusOr<Json> SearchRuns(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  RunSearch search;
  ASSIGN_OR_RETURN(auto ids, args.StringList("experiment_ids"));
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(int64_t parsed, ParseExperimentId(id, "experiment_ids"));
    RETURN_IF_ERROR(CheckExperiment(store, req, parsed, false));
    search.experiment_ids.push_back(parsed);
  }
  ASSIGN_OR_RETURN(search.view, ViewTypeArg(args, "run_view_type"));
  ASSIGN_OR_RETURN(search.limit, MaxResults(args, kDefaultRunSearchResults, kMaxSearchResults));
  ASSIGN_OR_RETURN(auto filter, args.String("filter"));
  ASSIGN_OR_RETURN(search.filter, ParseSearchFilter(filter.value_or(""), RunSearchSchema()));
  ASSIGN_OR_RETURN(search.order_by, OrderByArg(args, RunSearchSchema()));
  ASSIGN_OR_RETURN(auto token, args.String("page_token"));
  ASSIGN_OR_RETURN(auto page, store.SearchRuns(search, token.value_or("")));
  Json out = Json::object();
  if (!page.items.empty()) {
    out["runs"] = Json::array();
    for (const auto& run : page.items) out["runs"].push_back(RunToJson(run));
  }
  if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
  return out;
}

http::Response GetMetricHistory(TrackingStore& store, Request& req) {
  auto run = [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
    ASSIGN_OR_RETURN(std::string run_id, RunIdOf(args));
    ASSIGN_OR_RETURN(std::string key, args.RequiredString("metric_key"));
    ASSIGN_OR_RETURN(auto token, args.String("page_token"));
    ASSIGN_OR_RETURN(auto max_results, args.Int64("max_results"));
    RETURN_IF_ERROR(CheckRun(store, req, run_id, false));
    ASSIGN_OR_RETURN(auto page, store.GetMetricHistory(run_id, key, token.value_or(""),
                                                       max_results.value_or(0)));
    return MetricHistoryJson(page.items, page.next_page_token);
  }();
  if (!run.ok()) return http::MlflowError(run.status());
  return http::Response::Text(*std::move(run), 200, "application/json");
}

http::Response GetMetricHistoryBulkInterval(TrackingStore& store, Request& req) {
  auto run = [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
    ASSIGN_OR_RETURN(auto run_ids, args.StringList("run_ids"));
    if (run_ids.empty()) return http::MissingParameter("run_ids");
    if (static_cast<int64_t>(run_ids.size()) > kMaxBulkRuns) {
      return InvalidParameter(
          absl::StrCat("GetMetricHistoryBulkInterval request must specify at "
                       "most ",
                       kMaxBulkRuns, " run_ids. Received ", run_ids.size(), " run_ids."));
    }
    ASSIGN_OR_RETURN(std::string key, args.RequiredString("metric_key"));
    if (key.empty()) return http::MissingParameter("metric_key");
    ASSIGN_OR_RETURN(auto start, args.Int64("start_step"));
    ASSIGN_OR_RETURN(auto end, args.Int64("end_step"));
    ASSIGN_OR_RETURN(auto requested, args.Int64("max_results"));
    int64_t max_results = requested.value_or(kMaxBulkResultsPerRun);
    if (max_results < 1 || max_results > kMaxBulkResultsPerRun) {
      return InvalidParameter(
          absl::StrCat("max_results must be between 1 and ", kMaxBulkResultsPerRun, "."));
    }
    if (start.has_value() != end.has_value()) {
      return InvalidParameter(
          "If either start step or end step are specified, both must be "
          "specified.");
    }
    if (start && end && *start > *end) {
      return InvalidParameter(
          absl::StrCat("end_step must be greater than start_step. Found "
                       "start_step=",
                       *start, " and end_step=", *end, "."));
    }
    for (const auto& id : run_ids) RETURN_IF_ERROR(CheckRun(store, req, id, false));
    ASSIGN_OR_RETURN(auto points,
                     store.GetMetricHistoryBulkInterval(run_ids, key, start, end, max_results));
    return BulkHistoryJson(points);
  }();
  if (!run.ok()) return http::MlflowError(run.status());
  return http::Response::Text(*std::move(run), 200, "application/json");
}

// ajax metrics/get-history-bulk: whole histories of several runs, by run id
// then (timestamp, step, value), cut at max_results points in total.
http::Response GetMetricHistoryBulk(TrackingStore& store, Request& req) {
  auto run = [&]() -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
    ASSIGN_OR_RETURN(auto run_ids, args.StringList("run_id"));
    if (run_ids.empty()) {
      return InvalidParameter("GetMetricHistoryBulk request must specify at least one run_id.");
    }
    if (static_cast<int64_t>(run_ids.size()) > kMaxBulkRuns) {
      return InvalidParameter(absl::StrCat("GetMetricHistoryBulk request cannot specify more than ",
                                           kMaxBulkRuns, " run_ids. Received ", run_ids.size(),
                                           " run_ids."));
    }
    ASSIGN_OR_RETURN(auto key, args.String("metric_key"));
    if (!key) return InvalidParameter("GetMetricHistoryBulk request must specify a metric_key.");
    ASSIGN_OR_RETURN(auto requested, args.Int64("max_results"));
    int64_t max_results = std::min(requested.value_or(kMaxBulkHistory), kMaxBulkHistory);
    if (max_results < 0) {
      return InvalidParameter(
          absl::StrCat("Invalid value ", max_results, " for parameter 'max_results' supplied."));
    }
    std::sort(run_ids.begin(), run_ids.end());
    for (const auto& id : run_ids) RETURN_IF_ERROR(CheckRun(store, req, id, false));
    std::vector<RunMetric> points;
    for (const auto& id : run_ids) {
      if (static_cast<int64_t>(points.size()) >= max_results) break;
      ASSIGN_OR_RETURN(auto page, store.GetMetricHistory(id, *key, "", max_results));
      std::stable_sort(page.items.begin(), page.items.end(), [](const Metric& a, const Metric& b) {
        return std::tie(a.timestamp, a.step, a.value) < std::tie(b.timestamp, b.step, b.value);
      });
      for (auto& m : page.items) points.push_back({id, std::move(m)});
    }
    if (static_cast<int64_t>(points.size()) > max_results) points.resize(max_results);
    return BulkHistoryJson(points);
  }();
  if (!run.ok()) return http::MlflowError(run.status());
  return http::Response::Text(*std::move(run), 200, "application/json");
}

// ajax experiments/search-datasets.
absl::StatusOr<Json> SearchDatasets(TrackingStore& store, Request& req) {
  ASSIGN_OR_RETURN(Args args, Args::FromRequest(req));
  ASSIGN_OR_RETURN(auto ids, args.StringList("experiment_ids"));
  if (ids.empty()) {
    return InvalidParameter("SearchDatasets request must specify at least one experiment_id.");
  }
  if (static_cast<int64_t>(ids.size()) > kMaxDatasetExperiments) {
    return InvalidParameter(absl::StrCat("SearchDatasets request cannot specify more than ",
                                         kMaxDatasetExperiments, " experiment_ids. Received ",
                                         ids.size(), " experiment_ids."));
  }
  std::vector<int64_t> experiment_ids;
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(int64_t parsed, ParseExperimentId(id, "experiment_ids"));
    RETURN_IF_ERROR(CheckExperiment(store, req, parsed, false));
    experiment_ids.push_back(parsed);
  }
  ASSIGN_OR_RETURN(auto summaries, store.SearchDatasets(experiment_ids));
  Json out = Json::object();
  if (!summaries.empty()) out["dataset_summaries"] = Json::array();
  for (const auto& d : summaries) {
    Json j = {
        {"experiment_id", std::to_string(d.experiment_id)}, {"name", d.name}, {"digest", d.digest}};
    if (!d.context.empty()) j["context"] = d.context;
    out["dataset_summaries"].push_back(std::move(j));
  }
  return out;
}

}  // namespace

void AddMlflowRoute(http::Router& router, const std::string& method, const std::string& path,
                    http::Handler handler) {
  router.Add(method, "/ajax-api/2.0/mlflow/" + path, handler);
  router.Add(method, "/api/2.0/mlflow/" + path, std::move(handler));
}

void RegisterTrackingRoutes(http::Router& router, TrackingStore& store) {
  auto add = [&](const char* method, const char* path,
                 std::function<absl::StatusOr<Json>(TrackingStore&, Request&)> fn) {
    AddMlflowRoute(router, method, path,
                   http::MlflowHandler([&store, fn](Request& r) { return fn(store, r); }));
  };
  add("POST", "experiments/create", CreateExperiment);
  add("GET", "experiments/get", GetExperiment);
  add("GET", "experiments/get-by-name", GetExperimentByName);
  for (const char* method : {"POST", "GET"}) {
    add(method, "experiments/search",
        [](TrackingStore& s, Request& r) { return SearchExperiments(s, r, false); });
  }
  add("GET", "experiments/list",
      [](TrackingStore& s, Request& r) { return SearchExperiments(s, r, true); });
  add("POST", "experiments/delete",
      [](TrackingStore& s, Request& r) { return ExperimentLifecycle(s, r, false); });
  add("POST", "experiments/restore",
      [](TrackingStore& s, Request& r) { return ExperimentLifecycle(s, r, true); });
  add("POST", "experiments/update", UpdateExperiment);
  add("POST", "experiments/set-experiment-tag",
      [](TrackingStore& s, Request& r) { return SetExperimentTag(s, r, false); });
  add("POST", "experiments/delete-experiment-tag",
      [](TrackingStore& s, Request& r) { return SetExperimentTag(s, r, true); });

  add("POST", "runs/create", CreateRun);
  add("POST", "runs/update", UpdateRun);
  add("POST", "runs/delete",
      [](TrackingStore& s, Request& r) { return RunLifecycle(s, r, false); });
  add("POST", "runs/restore",
      [](TrackingStore& s, Request& r) { return RunLifecycle(s, r, true); });
  add("GET", "runs/get", GetRun);
  add("POST", "runs/log-metric", LogMetric);
  add("POST", "runs/log-parameter", LogParam);
  add("POST", "runs/set-tag", SetTag);
  add("POST", "runs/delete-tag", DeleteTag);
  add("POST", "runs/log-batch", LogBatch);
  add("POST", "runs/log-inputs", LogInputs);
  add("POST", "runs/log-model", LogModel);
  add("POST", "runs/search", SearchRuns);
  add("GET", "runs/search", SearchRuns);

  AddMlflowRoute(router, "GET", "metrics/get-history",
                 [&store](Request& r) { return GetMetricHistory(store, r); });
  AddMlflowRoute(router, "GET", "metrics/get-history-bulk-interval",
                 [&store](Request& r) { return GetMetricHistoryBulkInterval(store, r); });
  // MLflow serves these two for its UI only, under /ajax-api.
  router.Add("GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk",
             [&store](Request& r) { return GetMetricHistoryBulk(store, r); });
  router.Add("POST", "/ajax-api/2.0/mlflow/experiments/search-datasets",
             http::MlflowHandler([&store](Request& r) { return SearchDatasets(store, r); }));
}

}  // namespace plinth::tracking
