// The client side of the `plinth` command: every subcommand except
// `plinth server` talks to a running server over HTTP (PLINTH_URL).
//
// Each subcommand's CLI11 callback only records an action; RunCli runs it
// after parsing, prints a failure as one line on stderr and turns it into
// the exit code (0 ok, 1 failed, 2 usage).
#pragma once

#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/cli/output.h"
#include "plinth/common/json.h"
#include "plinth/http/client.h"

namespace plinth::cli {

inline constexpr char kDefaultUrl[] = "http://127.0.0.1:8470";

struct GlobalOptions {
  std::string url = kDefaultUrl;
  std::string token;
  std::string output = "table";
};

// State shared by the client commands of one invocation.
class CliContext {
 public:
  GlobalOptions options;
  std::ostream* out = &std::cout;        // results
  std::ostream* err = &std::cerr;        // the failure line and notes
  std::function<absl::Status()> action;  // set by the subcommand parsed

  bool json() const { return options.output == "json"; }
  // The client for options.url and options.token, created on first use.
  absl::StatusOr<http::HttpClient*> Client();
  void Print(absl::string_view text) { *out << text; }
  void PrintJson(const Json& value) { *out << RenderJson(value); }
  // A note for people, not for scripts: goes to stderr.
  void Note(absl::string_view text) { *err << text << "\n"; }

 private:
  std::unique_ptr<http::HttpClient> client_;
};

// Adds --url, --token and --output to the top-level app (subcommands accept
// them too). Call before adding subcommands.
void AddGlobalOptions(CLI::App& app, CliContext& ctx);
// Adds every client command group to `app`.
void AddClientCommands(CLI::App& app, CliContext& ctx);
// Parses `argv`, runs the chosen command and returns the process exit code.
int RunCli(CLI::App& app, CliContext& ctx, int argc, const char* const* argv);

// Makes `fn` the action run after parsing when `cmd` is the command given.
void OnRun(CLI::App* cmd, CliContext& ctx, std::function<absl::Status()> fn);

// A mistake in how the command was called (exit code 2, not 1).
absl::Status UsageError(absl::string_view message);
bool IsUsageError(const absl::Status& status);
// `status` with its message prefixed by "<context>: ", payloads kept.
absl::Status WithContext(const absl::Status& status, absl::string_view context);
// The one stderr line for a failure, e.g.
// "plinth: run 'abc' not found (RESOURCE_DOES_NOT_EXIST)".
std::string ErrorLine(const absl::Status& status);

// The command groups, one file each.
void AddInfoCommand(CLI::App& app, CliContext& ctx);
void AddExperimentsCommands(CLI::App& app, CliContext& ctx);
void AddRunsCommands(CLI::App& app, CliContext& ctx);
void AddModelsCommands(CLI::App& app, CliContext& ctx);
void AddArtifactsCommands(CLI::App& app, CliContext& ctx);
void AddTokensCommands(CLI::App& app, CliContext& ctx);
void AddTeamsCommands(CLI::App& app, CliContext& ctx);
// jobs, run, gpus, queues, accounting.
void AddJobsCommands(CLI::App& app, CliContext& ctx);

// Shared lookups.

// The experiment with id `id_or_name`, else the one with that name.
absl::StatusOr<Json> ResolveExperiment(http::HttpClient& client, const std::string& id_or_name);
// The run object ({info, data, inputs}) of `run_id`.
absl::StatusOr<Json> GetRun(http::HttpClient& client, const std::string& run_id);

// Fetches pages until there is no next_page_token or `limit` items (0 = no
// limit) are collected. `fetch` gets the page token ("" first) and the most
// items still wanted (0 = any) and returns the page; its `items_key` array is
// collected. Sets *more when items were left on the server.
absl::StatusOr<std::vector<Json>> CollectPages(
    const std::function<absl::StatusOr<Json>(const std::string& token, size_t want)>& fetch,
    const char* items_key, size_t limit, bool* more = nullptr);

// The MLflow REST prefix.
inline constexpr char kMlflowApi[] = "/api/2.0/mlflow";

}  // namespace plinth::cli
