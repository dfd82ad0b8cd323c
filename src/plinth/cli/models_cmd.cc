// plinth models list|show|create|delete|alias set|alias delete|stage|download-uri
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/cli/client_commands.h"
#include "plinth/common/status_macros.h"

namespace plinth::cli {
namespace {

std::string Models(absl::string_view method) {
  return absl::StrCat(kMlflowApi, "/registered-models/", method);
}
std::string Versions(absl::string_view method) {
  return absl::StrCat(kMlflowApi, "/model-versions/", method);
}

// A search-filter string literal for `value` (MLflow accepts either quote).
std::string Quoted(const std::string& value) {
  return absl::StrContains(value, '\'') ? absl::StrCat("\"", value, "\"")
                                        : absl::StrCat("'", value, "'");
}

// alias -> version from a registered model's aliases[].
std::multimap<std::string, std::string> AliasesByVersion(const Json& model) {
  std::multimap<std::string, std::string> out;
  const Json& aliases = JsonMember(model, "aliases");
  if (!aliases.is_array()) return out;
  for (const Json& a : aliases) out.emplace(JsonString(a, "version"), JsonString(a, "alias"));
  return out;
}

std::string AliasesText(const Json& model) {
  std::vector<std::string> parts;
  for (const auto& [version, alias] : AliasesByVersion(model)) {
    parts.push_back(absl::StrCat(alias, "=v", version));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

std::string LatestText(const Json& model) {
  std::vector<std::string> parts;
  const Json& latest = JsonMember(model, "latest_versions");
  if (latest.is_array()) {
    for (const Json& v : latest) {
      parts.push_back(
          absl::StrCat("v", JsonString(v, "version"), " ", JsonString(v, "current_stage")));
    }
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

// Runs `call` and prints its answer (json) or `done` (table).
absl::Status Mutate(CliContext& ctx,
                    const std::function<absl::StatusOr<Json>(http::HttpClient&)>& call,
                    const std::string& done) {
  ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
  ASSIGN_OR_RETURN(Json answer, call(*client));
  if (ctx.json()) {
    ctx.PrintJson(answer);
  } else {
    ctx.Print(absl::StrCat(done, "\n"));
  }
  return absl::OkStatus();
}

void AddList(CLI::App& group, CliContext& ctx) {
  auto filter = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand("list", "List registered models");
  cmd->add_option("--filter", *filter, "MLflow search filter, e.g. \"name LIKE 'fraud%'\"");
  OnRun(cmd, ctx, [&ctx, filter]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    auto fetch = [&](const std::string& token, size_t) -> absl::StatusOr<Json> {
      http::QueryParams query = {{"max_results", "1000"}};
      if (!filter->empty()) query.emplace_back("filter", *filter);
      if (!token.empty()) query.emplace_back("page_token", token);
      return client->GetJson(Models("search"), query);
    };
    ASSIGN_OR_RETURN(std::vector<Json> models, CollectPages(fetch, "registered_models", 0));
    if (ctx.json()) {
      ctx.PrintJson({{"registered_models", models}});
      return absl::OkStatus();
    }
    Table table{{"name", "latest versions", "aliases", "updated", "description"}, {}, {}};
    for (const Json& m : models) {
      table.rows.push_back({JsonString(m, "name"), LatestText(m), AliasesText(m),
                            FormatTimestamp(JsonInt(m, "last_updated_timestamp")),
                            JsonString(m, "description")});
    }
    ctx.Print(RenderTable(table));
    return absl::OkStatus();
  });
}

void AddShow(CLI::App& group, CliContext& ctx) {
  auto name = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand("show", "Show a model and its versions");
  cmd->add_option("NAME", *name, "Registered model name")->required();
  OnRun(cmd, ctx, [&ctx, name]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json got, client->GetJson(Models("get"), {{"name", *name}}));
    Json model = JsonMember(got, "registered_model");
    auto fetch = [&](const std::string& token, size_t) -> absl::StatusOr<Json> {
      http::QueryParams query = {{"filter", absl::StrCat("name=", Quoted(*name))},
                                 {"max_results", "1000"}};
      if (!token.empty()) query.emplace_back("page_token", token);
      return client->GetJson(Versions("search"), query);
    };
    ASSIGN_OR_RETURN(std::vector<Json> versions, CollectPages(fetch, "model_versions", 0));
    std::sort(versions.begin(), versions.end(), [](const Json& a, const Json& b) {
      return JsonInt(a, "version") < JsonInt(b, "version");
    });
    if (ctx.json()) {
      ctx.PrintJson({{"registered_model", model}, {"model_versions", versions}});
      return absl::OkStatus();
    }
    ctx.Print(
        RenderKeyValues({{"name", JsonString(model, "name")},
                         {"description", JsonString(model, "description")},
                         {"aliases", AliasesText(model)},
                         {"created", FormatTimestamp(JsonInt(model, "creation_timestamp"))},
                         {"updated", FormatTimestamp(JsonInt(model, "last_updated_timestamp"))}}));
    std::multimap<std::string, std::string> aliases = AliasesByVersion(model);
    Table table{{"version", "stage", "status", "aliases", "run id", "source", "created"}, {}, {0}};
    for (const Json& v : versions) {
      std::string version = JsonString(v, "version");
      std::vector<std::string> names;
      for (auto [it, end] = aliases.equal_range(version); it != end; ++it) {
        names.push_back(it->second);
      }
      table.rows.push_back({version, JsonString(v, "current_stage"), JsonString(v, "status"),
                            names.empty() ? "-" : absl::StrJoin(names, ", "),
                            JsonString(v, "run_id"), JsonString(v, "source"),
                            FormatTimestamp(JsonInt(v, "creation_timestamp"))});
    }
    if (!table.rows.empty())
      ctx.Print(absl::StrCat("\n", RenderTable(table, {.max_cell_width = 72})));
    return absl::OkStatus();
  });
}

void AddCreateDelete(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string name, description;
  };
  auto create = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("create", "Register a new model name");
  cmd->add_option("NAME", create->name, "Model name")->required();
  cmd->add_option("--description", create->description, "What the model is for");
  OnRun(cmd, ctx, [&ctx, create]() {
    return Mutate(
        ctx,
        [&](http::HttpClient& c) {
          Json body = {{"name", create->name}};
          if (!create->description.empty()) body["description"] = create->description;
          return c.PostJson(Models("create"), body);
        },
        absl::StrCat("Created model '", create->name, "'."));
  });

  auto remove = std::make_shared<std::string>();
  cmd = group.add_subcommand("delete", "Delete a model and all its versions");
  cmd->add_option("NAME", *remove, "Model name")->required();
  OnRun(cmd, ctx, [&ctx, remove]() {
    return Mutate(
        ctx,
        [&](http::HttpClient& c) {
          return c.DeleteJson(Models("delete"), {{"name", *remove}});
        },
        absl::StrCat("Deleted model '", *remove, "'."));
  });
}

void AddAlias(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string name, alias, version;
  };
  CLI::App* alias = group.add_subcommand("alias", "Set or delete model aliases");
  auto set = std::make_shared<Flags>();
  CLI::App* cmd = alias->add_subcommand("set", "Point ALIAS at VERSION (moves an existing alias)");
  cmd->add_option("NAME", set->name, "Model name")->required();
  cmd->add_option("ALIAS", set->alias, "Alias, e.g. champion")->required();
  cmd->add_option("VERSION", set->version, "Version number")->required();
  OnRun(cmd, ctx, [&ctx, set]() {
    return Mutate(
        ctx,
        [&](http::HttpClient& c) {
          return c.PostJson(
              Models("alias"),
              {{"name", set->name}, {"alias", set->alias}, {"version", set->version}});
        },
        absl::StrCat("Alias '", set->alias, "' of model '", set->name, "' now points at version ",
                     set->version, "."));
  });

  auto del = std::make_shared<Flags>();
  cmd = alias->add_subcommand("delete", "Remove an alias");
  cmd->add_option("NAME", del->name, "Model name")->required();
  cmd->add_option("ALIAS", del->alias, "Alias")->required();
  OnRun(cmd, ctx, [&ctx, del]() {
    return Mutate(
        ctx,
        [&](http::HttpClient& c) {
          return c.DeleteJson(Models("alias"), {{"name", del->name}, {"alias", del->alias}});
        },
        absl::StrCat("Deleted alias '", del->alias, "' of model '", del->name, "'."));
  });
}

void AddStage(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string name, version, stage;
    bool archive_existing = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("stage", "Move a model version to a stage");
  cmd->add_option("NAME", flags->name, "Model name")->required();
  cmd->add_option("VERSION", flags->version, "Version number")->required();
  cmd->add_option("STAGE", flags->stage, "None, Staging, Production or Archived")
      ->required()
      ->transform(CLI::IsMember({"None", "Staging", "Production", "Archived"}, CLI::ignore_case));
  cmd->add_flag("--archive-existing", flags->archive_existing,
                "Archive the versions already in STAGE");
  OnRun(cmd, ctx, [&ctx, flags]() {
    return Mutate(
        ctx,
        [&](http::HttpClient& c) {
          return c.PostJson(Versions("transition-stage"),
                            {{"name", flags->name},
                             {"version", flags->version},
                             {"stage", flags->stage},
                             {"archive_existing_versions", flags->archive_existing}});
        },
        absl::StrCat("Model '", flags->name, "' version ", flags->version, " is now in stage ",
                     flags->stage, "."));
  });
}

void AddDownloadUri(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string name, version;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("download-uri", "Print where a model version's files are");
  cmd->add_option("NAME", flags->name, "Model name")->required();
  cmd->add_option("VERSION", flags->version, "Version number")->required();
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json answer,
                     client->GetJson(Versions("get-download-uri"),
                                     {{"name", flags->name}, {"version", flags->version}}));
    if (ctx.json()) {
      ctx.PrintJson(answer);
    } else {
      ctx.Print(absl::StrCat(JsonString(answer, "artifact_uri"), "\n"));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void AddModelsCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("models", "Manage the model registry");
  AddList(*group, ctx);
  AddShow(*group, ctx);
  AddCreateDelete(*group, ctx);
  AddAlias(*group, ctx);
  AddStage(*group, ctx);
  AddDownloadUri(*group, ctx);
}

}  // namespace plinth::cli
