// plinth experiments list|create|get|delete|restore|rename
#include "absl/strings/str_cat.h"
#include "plinth/cli/client_commands.h"
#include "plinth/common/status_macros.h"

namespace plinth::cli {
namespace {

std::string Api(absl::string_view method) {
  return absl::StrCat(kMlflowApi, "/experiments/", method);
}

Table ExperimentsTable(const std::vector<Json>& experiments) {
  Table table{{"id", "name", "stage", "artifact location", "created"}, {}, {}};
  for (const Json& e : experiments) {
    table.rows.push_back({JsonString(e, "experiment_id"), JsonString(e, "name"),
                          JsonString(e, "lifecycle_stage"), JsonString(e, "artifact_location"),
                          FormatTimestamp(JsonInt(e, "creation_time"))});
  }
  return table;
}

std::string TagsText(const Json& tags) {
  Table table{{"tag", "value"}, {}, {}};
  if (tags.is_array()) {
    for (const Json& t : tags) table.rows.push_back({JsonString(t, "key"), JsonString(t, "value")});
  }
  return table.rows.empty() ? "" : absl::StrCat("\n", RenderTable(table));
}

void AddList(CLI::App& group, CliContext& ctx) {
  struct Flags {
    bool all = false, deleted = false;
    std::string filter;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("list", "List experiments (active ones by default)");
  auto* all = cmd->add_flag("--all", flags->all, "Include deleted experiments");
  cmd->add_flag("--deleted", flags->deleted, "Only deleted experiments")->excludes(all);
  cmd->add_option("--filter", flags->filter, "MLflow search filter, e.g. \"name LIKE 'bert%'\"");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    std::string view = flags->all ? "ALL" : flags->deleted ? "DELETED_ONLY" : "ACTIVE_ONLY";
    auto fetch = [&](const std::string& token, size_t) -> absl::StatusOr<Json> {
      Json body = {{"max_results", 1000}, {"view_type", view}};
      if (!flags->filter.empty()) body["filter"] = flags->filter;
      if (!token.empty()) body["page_token"] = token;
      return client->PostJson(Api("search"), body);
    };
    ASSIGN_OR_RETURN(std::vector<Json> experiments, CollectPages(fetch, "experiments", 0));
    if (ctx.json()) {
      ctx.PrintJson({{"experiments", experiments}});
    } else {
      ctx.Print(RenderTable(ExperimentsTable(experiments)));
    }
    return absl::OkStatus();
  });
}

void AddCreate(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string name, artifact_location;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("create", "Create an experiment");
  cmd->add_option("NAME", flags->name, "Experiment name")->required();
  cmd->add_option("--artifact-location", flags->artifact_location,
                  "Where its runs' artifacts go (default: the server's artifact store)");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    Json body = {{"name", flags->name}};
    if (!flags->artifact_location.empty()) body["artifact_location"] = flags->artifact_location;
    ASSIGN_OR_RETURN(Json created, client->PostJson(Api("create"), body));
    if (ctx.json()) {
      ctx.PrintJson(created);
    } else {
      ctx.Print(absl::StrCat("Created experiment '", flags->name, "' with id ",
                             JsonString(created, "experiment_id"), ".\n"));
    }
    return absl::OkStatus();
  });
}

void AddGet(CLI::App& group, CliContext& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand("get", "Show one experiment");
  cmd->add_option("ID_OR_NAME", *id, "Experiment id or name")->required();
  OnRun(cmd, ctx, [&ctx, id]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json e, ResolveExperiment(*client, *id));
    if (ctx.json()) {
      ctx.PrintJson({{"experiment", e}});
      return absl::OkStatus();
    }
    ctx.Print(RenderKeyValues({
        {"id", JsonString(e, "experiment_id")},
        {"name", JsonString(e, "name")},
        {"stage", JsonString(e, "lifecycle_stage")},
        {"artifact location", JsonString(e, "artifact_location")},
        {"created", FormatTimestamp(JsonInt(e, "creation_time"))},
        {"updated", FormatTimestamp(JsonInt(e, "last_update_time"))},
    }));
    ctx.Print(TagsText(JsonMember(e, "tags")));
    return absl::OkStatus();
  });
}

// delete and restore: same shape, different verb.
void AddLifecycle(CLI::App& group, CliContext& ctx, const std::string& verb,
                  const std::string& past, const std::string& help) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand(verb, help);
  cmd->add_option("ID", *id, "Experiment id (or name)")->required();
  OnRun(cmd, ctx, [&ctx, id, verb, past]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json e, ResolveExperiment(*client, *id));
    std::string experiment_id = JsonString(e, "experiment_id");
    ASSIGN_OR_RETURN(Json answer, client->PostJson(Api(verb), {{"experiment_id", experiment_id}}));
    if (ctx.json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.Print(absl::StrCat(past, " experiment '", JsonString(e, "name"), "' (id ", experiment_id,
                             ").\n"));
    }
    return absl::OkStatus();
  });
}

void AddRename(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string id, new_name;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("rename", "Rename an experiment");
  cmd->add_option("ID", flags->id, "Experiment id (or current name)")->required();
  cmd->add_option("NEW_NAME", flags->new_name, "New name")->required();
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json e, ResolveExperiment(*client, flags->id));
    std::string experiment_id = JsonString(e, "experiment_id");
    ASSIGN_OR_RETURN(Json answer, client->PostJson(Api("update"), {{"experiment_id", experiment_id},
                                                                   {"new_name", flags->new_name}}));
    if (ctx.json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.Print(absl::StrCat("Renamed experiment ", experiment_id, " from '", JsonString(e, "name"),
                             "' to '", flags->new_name, "'.\n"));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddExperimentsCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("experiments", "Manage experiments");
  AddList(*group, ctx);
  AddCreate(*group, ctx);
  AddGet(*group, ctx);
  AddLifecycle(*group, ctx, "delete", "Deleted", "Delete an experiment (it can be restored)");
  AddLifecycle(*group, ctx, "restore", "Restored", "Restore a deleted experiment");
  AddRename(*group, ctx);
}

}  // namespace plinth::cli
