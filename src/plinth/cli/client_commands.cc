#include "plinth/cli/client_commands.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "plinth/cli/sim_cmd.h"
#include "plinth/common/build_info.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"

namespace plinth::cli {
namespace {

constexpr absl::string_view kUsagePayload = "plinth.dev/cli-usage";

// Names of the subcommands of `app`, for "needs a command: a, b, c" errors.
std::string SubcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return absl::StrJoin(names, ", ");
}

// The full command path ("plinth runs") of `app`.
std::string CommandPath(const CLI::App* app) {
  std::vector<std::string> parts;
  for (; app != nullptr; app = app->get_parent()) parts.push_back(app->get_name());
  std::reverse(parts.begin(), parts.end());
  return absl::StrJoin(parts, " ");
}

// The most deeply nested subcommand that was given on the command line.
const CLI::App* DeepestParsed(const CLI::App& app) {
  const CLI::App* current = &app;
  while (true) {
    auto subs = current->get_subcommands();
    if (subs.empty()) return current;
    current = subs.front();
  }
}

// CLI11's messages name the problem; this adds where to read about it.
std::string UsageLine(const CLI::App& app, const std::string& what) {
  std::string path = CommandPath(DeepestParsed(app));
  return absl::StrCat("plinth: ", what, " (see '", path, " --help')");
}

}  // namespace

absl::StatusOr<http::HttpClient*> CliContext::Client() {
  if (client_ == nullptr) {
    http::ClientOptions options;
    options.base_url = this->options.url;
    options.token = this->options.token;
    options.user_agent = absl::StrCat("plinth-cli/", PLINTH_VERSION);
    absl::StatusOr<std::unique_ptr<http::HttpClient>> client = http::HttpClient::Create(options);
    if (!client.ok()) return UsageError(client.status().message());
    client_ = std::move(*client);
  }
  return client_.get();
}

void AddGlobalOptions(CLI::App& app, CliContext& ctx) {
  app.fallthrough();  // lets `plinth runs list --output json` reach these options
  app.add_option("--url", ctx.options.url, "Plinth server URL")
      ->envname("PLINTH_URL")
      ->capture_default_str();
  app.add_option("--token", ctx.options.token, "API token, sent as 'Authorization: Bearer'")
      ->envname("PLINTH_TOKEN");
  app.add_option("--output", ctx.options.output, "Output format of listings and details")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
}

void AddClientCommands(CLI::App& app, CliContext& ctx) {
  AddInfoCommand(app, ctx);
  AddExperimentsCommands(app, ctx);
  AddRunsCommands(app, ctx);
  AddModelsCommands(app, ctx);
  AddArtifactsCommands(app, ctx);
  AddTokensCommands(app, ctx);
  AddTeamsCommands(app, ctx);
  AddJobsCommands(app, ctx);
  AddSimCommand(app, ctx);
}

void OnRun(CLI::App* cmd, CliContext& ctx, std::function<absl::Status()> fn) {
  cmd->callback([&ctx, fn = std::move(fn)] { ctx.action = fn; });
}

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::Status WithContext(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(context, ": ", status.message()));
  status.ForEachPayload(
      [&out](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

std::string ErrorLine(const absl::Status& status) {
  std::string message(status.message());
  if (message.empty()) message = absl::StatusCodeToString(status.code());
  // One line, whatever the server put in its message.
  message = absl::StrReplaceAll(message, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  std::optional<std::string> name = ErrorNameOf(status);
  std::string line = absl::StrCat("plinth: ", message);
  if (name == "CONNECT_FAILED") {
    absl::StrAppend(&line, " — is 'plinth server' running? (set --url or PLINTH_URL)");
  } else if (name && !name->empty()) {
    absl::StrAppend(&line, " (", *name, ")");
  }
  if (absl::IsUnauthenticated(status) && !absl::StrContains(message, "PLINTH_TOKEN")) {
    absl::StrAppend(&line, "; pass a token with --token or PLINTH_TOKEN");
  }
  return line;
}

int RunCli(CLI::App& app, CliContext& ctx, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e, *ctx.out, *ctx.err);
  } catch (const CLI::RuntimeError& e) {
    // Thrown by commands that run inside parsing (`plinth server`) to exit
    // with a code; they have printed their own message unless they pass one.
    std::string what = e.what();
    if (!what.empty() && what != "Runtime error") *ctx.err << "plinth: " << what << "\n";
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    *ctx.err << UsageLine(app, e.what()) << "\n";
    return 2;
  }
  if (!ctx.action) {
    const CLI::App* deepest = DeepestParsed(app);
    if (deepest->get_subcommands([](const CLI::App*) { return true; }).empty()) {
      return 0;  // a command that ran during parsing (`plinth server`)
    }
    *ctx.err << "plinth: '" << CommandPath(deepest)
             << "' needs a command: " << SubcommandNames(*deepest) << " (see '"
             << CommandPath(deepest) << " --help')\n";
    return 2;
  }
  absl::Status status;
  try {
    status = ctx.action();
  } catch (const std::exception& e) {  // a bug, e.g. an unexpected JSON shape
    status = absl::InternalError(absl::StrCat("internal error: ", e.what()));
  }
  ctx.out->flush();
  if (status.ok()) return 0;
  *ctx.err << ErrorLine(status) << "\n";
  return IsUsageError(status) ? 2 : 1;
}

absl::StatusOr<Json> ResolveExperiment(http::HttpClient& client, const std::string& id_or_name) {
  std::string api = kMlflowApi;
  bool numeric = !id_or_name.empty() && std::all_of(id_or_name.begin(), id_or_name.end(),
                                                    [](char c) { return absl::ascii_isdigit(c); });
  if (numeric) {
    absl::StatusOr<Json> got =
        client.GetJson(api + "/experiments/get", {{"experiment_id", id_or_name}});
    if (got.ok()) return (*got)["experiment"];
    if (!absl::IsNotFound(got.status())) return got.status();
  }
  absl::StatusOr<Json> got =
      client.GetJson(api + "/experiments/get-by-name", {{"experiment_name", id_or_name}});
  if (got.ok()) return (*got)["experiment"];
  if (absl::IsNotFound(got.status())) {
    return WithErrorName(absl::NotFoundError(absl::StrCat("experiment '", id_or_name,
                                                          "' not found (by id or name)")),
                         "RESOURCE_DOES_NOT_EXIST");
  }
  return got.status();
}

absl::StatusOr<Json> GetRun(http::HttpClient& client, const std::string& run_id) {
  ASSIGN_OR_RETURN(Json got,
                   client.GetJson(absl::StrCat(kMlflowApi, "/runs/get"), {{"run_id", run_id}}));
  if (!got.contains("run") || !got["run"].is_object()) {
    return absl::InternalError("the server's runs/get answer has no 'run'");
  }
  return got["run"];
}

absl::StatusOr<std::vector<Json>> CollectPages(
    const std::function<absl::StatusOr<Json>(const std::string& token, size_t want)>& fetch,
    const char* items_key, size_t limit, bool* more) {
  std::vector<Json> items;
  std::string token;
  if (more != nullptr) *more = false;
  while (true) {
    size_t want = limit == 0 ? 0 : limit - items.size();
    ASSIGN_OR_RETURN(Json page, fetch(token, want));
    if (auto it = page.find(items_key); it != page.end() && it->is_array()) {
      for (Json& item : *it) {
        if (limit != 0 && items.size() >= limit) {
          if (more != nullptr) *more = true;
          break;
        }
        items.push_back(std::move(item));
      }
    }
    token = JsonString(page, "next_page_token");
    if (token.empty()) break;
    if (limit != 0 && items.size() >= limit) {
      if (more != nullptr) *more = true;
      break;
    }
  }
  return items;
}

void AddInfoCommand(CLI::App& app, CliContext& ctx) {
  CLI::App* cmd =
      app.add_subcommand("info", "Show the server's version, storage and your identity");
  OnRun(cmd, ctx, [&ctx]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json info, client->GetJson("/api/v1/info"));
    if (ctx.json()) {
      ctx.PrintJson(info);
      return absl::OkStatus();
    }
    const Json& principal = JsonMember(info, "principal");
    bool auth = JsonBool(JsonMember(info, "auth"), "enabled");
    std::string who = JsonString(principal, "token_id").empty()
                          ? "anonymous"
                          : absl::StrCat("token ", JsonString(principal, "token_id"));
    if (!JsonString(principal, "team").empty()) {
      absl::StrAppend(&who, " (team ", JsonString(principal, "team"), ", role ",
                      JsonString(principal, "role"), ")");
    }
    ctx.Print(RenderKeyValues({
        {"server", client->base_url()},
        {"server version", JsonString(info, "version")},
        {"client version", PLINTH_VERSION},
        {"database", JsonString(info, "database")},
        {"home", JsonString(info, "home")},
        {"auth", auth ? "enabled" : "disabled"},
        {"you", who},
    }));
    return absl::OkStatus();
  });
}

}  // namespace plinth::cli
