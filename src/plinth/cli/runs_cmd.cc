// plinth runs list|show|delete|restore
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/cli/client_commands.h"
#include "plinth/cli/runs_view.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"

namespace plinth::cli {
namespace {

constexpr size_t kMaxPage = 1000;
constexpr size_t kHistoryPage = 25000;

std::string Api(absl::string_view path) { return absl::StrCat(kMlflowApi, "/", path); }

// The ids of the experiments named by --experiment, or of every active one.
absl::StatusOr<std::vector<std::string>> ExperimentIds(http::HttpClient& client,
                                                       const std::vector<std::string>& given) {
  std::vector<std::string> ids;
  if (!given.empty()) {
    for (const std::string& id_or_name : given) {
      ASSIGN_OR_RETURN(Json e, ResolveExperiment(client, id_or_name));
      ids.push_back(JsonString(e, "experiment_id"));
    }
    return ids;
  }
  auto fetch = [&](const std::string& token, size_t) -> absl::StatusOr<Json> {
    Json body = {{"max_results", kMaxPage}, {"view_type", "ACTIVE_ONLY"}};
    if (!token.empty()) body["page_token"] = token;
    return client.PostJson(Api("experiments/search"), body);
  };
  ASSIGN_OR_RETURN(std::vector<Json> experiments, CollectPages(fetch, "experiments", 0));
  for (const Json& e : experiments) ids.push_back(JsonString(e, "experiment_id"));
  return ids;
}

absl::StatusOr<std::vector<Json>> FetchHistory(http::HttpClient& client, const std::string& run_id,
                                               const std::string& key) {
  auto fetch = [&](const std::string& token, size_t) -> absl::StatusOr<Json> {
    http::QueryParams query = {
        {"run_id", run_id}, {"metric_key", key}, {"max_results", absl::StrCat(kHistoryPage)}};
    if (!token.empty()) query.emplace_back("page_token", token);
    return client.GetJson(Api("metrics/get-history"), query);
  };
  return CollectPages(fetch, "metrics", 0);
}

void AddList(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::vector<std::string> experiments, order_by;
    std::string filter;
    size_t max_results = 100;
    bool all = false, deleted = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("list", "List runs, newest first");
  cmd->add_option("-e,--experiment", flags->experiments,
                  "Experiment id or name (repeatable; default: all active experiments)");
  cmd->add_option("--filter", flags->filter, "MLflow search filter, e.g. \"metrics.acc > 0.9\"");
  cmd->add_option("--order-by", flags->order_by,
                  "Sort clause, e.g. \"metrics.acc DESC\" (repeatable)");
  cmd->add_option("--max-results", flags->max_results, "Most runs to show")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  auto* all = cmd->add_flag("--all", flags->all, "Include deleted runs");
  cmd->add_flag("--deleted", flags->deleted, "Only deleted runs")->excludes(all);
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(std::vector<std::string> ids, ExperimentIds(*client, flags->experiments));
    std::string view = flags->all ? "ALL" : flags->deleted ? "DELETED_ONLY" : "ACTIVE_ONLY";
    auto fetch = [&](const std::string& token, size_t want) -> absl::StatusOr<Json> {
      Json body = {{"experiment_ids", ids},
                   {"run_view_type", view},
                   {"max_results", std::min(want, kMaxPage)}};
      if (!flags->filter.empty()) body["filter"] = flags->filter;
      if (!flags->order_by.empty()) body["order_by"] = flags->order_by;
      if (!token.empty()) body["page_token"] = token;
      return client->PostJson(Api("runs/search"), body);
    };
    bool more = false;
    std::vector<Json> runs;
    if (!ids.empty()) {
      ASSIGN_OR_RETURN(runs, CollectPages(fetch, "runs", flags->max_results, &more));
    }
    if (ctx.json()) {
      ctx.PrintJson({{"runs", runs}});
      return absl::OkStatus();
    }
    std::vector<std::string> metric_keys = ColumnKeys(runs, "metrics", flags->order_by, 4);
    std::vector<std::string> param_keys = ColumnKeys(runs, "params", flags->order_by, 3);
    ctx.Print(RenderTable(RunsTable(runs, metric_keys, param_keys, absl::LocalTimeZone())));
    if (more) {
      ctx.Note(absl::StrCat("(showing the first ", runs.size(),
                            " runs; raise --max-results to see more)"));
    }
    return absl::OkStatus();
  });
}

void AddShow(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string run_id;
    std::vector<std::string> metrics;
    size_t width = 60, height = 8;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand(
      "show", "Show a run: info, params, metrics with their history charted, tags");
  cmd->add_option("RUN_ID", flags->run_id, "Run id")->required();
  cmd->add_option("--metric", flags->metrics,
                  "Chart only this metric, as a multi-row line chart (repeatable)");
  cmd->add_option("--chart-width", flags->width, "Line chart width in columns")
      ->check(CLI::Range(8, 400))
      ->capture_default_str();
  cmd->add_option("--chart-height", flags->height, "Line chart height in rows")
      ->check(CLI::Range(2, 100))
      ->capture_default_str();
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json run, GetRun(*client, flags->run_id));
    std::vector<std::string> logged;
    const Json& metrics = JsonMember(JsonMember(run, "data"), "metrics");
    if (metrics.is_array()) {
      for (const Json& m : metrics) logged.push_back(JsonString(m, "key"));
    }
    std::vector<std::string> keys = flags->metrics.empty() ? logged : flags->metrics;
    for (const std::string& key : keys) {
      if (std::find(logged.begin(), logged.end(), key) != logged.end()) continue;
      return WithErrorName(
          absl::NotFoundError(absl::StrCat(
              "run '", flags->run_id, "' has no metric '", key, "'",
              logged.empty() ? " (it has no metrics)"
                             : absl::StrCat(" (it has: ", absl::StrJoin(logged, ", "), ")"))),
          "RESOURCE_DOES_NOT_EXIST");
    }
    std::vector<MetricHistory> histories;
    Json history_json = Json::object();
    for (const std::string& key : keys) {
      ASSIGN_OR_RETURN(std::vector<Json> history, FetchHistory(*client, flags->run_id, key));
      histories.push_back({key, HistoryPoints(history)});
      history_json[key] = std::move(history);
    }
    if (ctx.json()) {
      ctx.PrintJson({{"run", run}, {"metric_history", history_json}});
      return absl::OkStatus();
    }
    RunDetailsOptions options;
    options.line_charts = !flags->metrics.empty();
    options.chart_width = flags->width;
    options.chart_height = flags->height;
    std::string experiment_id = JsonString(JsonMember(run, "info"), "experiment_id");
    if (absl::StatusOr<Json> e = ResolveExperiment(*client, experiment_id); e.ok()) {
      options.experiment_name = JsonString(*e, "name");
    }
    ctx.Print(RenderRunDetails(run, histories, options));
    return absl::OkStatus();
  });
}

void AddLifecycle(CLI::App& group, CliContext& ctx, const std::string& verb,
                  const std::string& past, const std::string& help) {
  auto run_id = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand(verb, help);
  cmd->add_option("RUN_ID", *run_id, "Run id")->required();
  OnRun(cmd, ctx, [&ctx, run_id, verb, past]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json answer,
                     client->PostJson(Api(absl::StrCat("runs/", verb)), {{"run_id", *run_id}}));
    if (ctx.json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.Print(absl::StrCat(past, " run ", *run_id, ".\n"));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddRunsCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("runs", "Inspect and manage runs");
  AddList(*group, ctx);
  AddShow(*group, ctx);
  AddLifecycle(*group, ctx, "delete", "Deleted", "Delete a run (it can be restored)");
  AddLifecycle(*group, ctx, "restore", "Restored", "Restore a deleted run");
}

}  // namespace plinth::cli
