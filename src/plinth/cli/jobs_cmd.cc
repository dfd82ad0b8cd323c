// plinth jobs submit|list|show|logs|cancel|why|events, plinth run,
// plinth gpus, plinth queues, plinth accounting.
#include <fstream>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "plinth/cli/client_commands.h"
#include "plinth/cli/jobs_view.h"
#include "plinth/cli/yaml_json.h"
#include "plinth/common/status_macros.h"

namespace plinth::cli {
namespace {

constexpr char kJobsApi[] = "/api/v1/jobs";

std::string JobPath(const std::string& id, const std::string& action = "") {
  return absl::StrCat(kJobsApi, "/", id, action.empty() ? "" : "/", action);
}

int64_t NowMillis() { return absl::ToUnixMillis(absl::Now()); }

absl::StatusOr<std::string> ReadSpecFile(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Prints a replica's output: what is there (no follow), or everything as it
// is written until the job ends (follow: the server streams it, so the end
// of the job is seen at once). Returns the job's final state.
absl::StatusOr<std::string> StreamLogs(CliContext& ctx, http::HttpClient& client,
                                       const std::string& id, int replica, bool follow) {
  if (follow) {
    RETURN_IF_ERROR(client.Stream(JobPath(id, "logs"),
                                  {{"replica", absl::StrCat(replica)}, {"follow", "true"}},
                                  [&](absl::string_view data) {
                                    ctx.Print(std::string(data));
                                    ctx.out->flush();
                                    return true;
                                  }));
  } else {
    int64_t offset = 0;
    while (true) {
      ASSIGN_OR_RETURN(Json chunk,
                       client.GetJson(JobPath(id, "logs"), {{"replica", absl::StrCat(replica)},
                                                            {"offset", absl::StrCat(offset)}}));
      std::string data = JsonString(chunk, "data");
      ctx.Print(data);
      offset = JsonInt(chunk, "next_offset");
      if (data.empty()) break;
    }
    ctx.out->flush();
  }
  ASSIGN_OR_RETURN(Json job, client.GetJson(JobPath(id)));
  return JsonString(job["job"], "state");
}

// After --wait: exit status 0 only when the job succeeded.
absl::Status WaitOutcome(const std::string& id, const std::string& state) {
  if (state == "SUCCEEDED") return absl::OkStatus();
  return absl::AbortedError(absl::StrCat("job ", id, " ended ", state));
}

absl::Status SubmitAndReport(CliContext& ctx, const Json& spec, bool wait) {
  ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
  ASSIGN_OR_RETURN(Json created, client->PostJson(kJobsApi, spec));
  const Json& job = created["job"];
  std::string id = JsonString(job, "id");
  if (ctx.json() && !wait) {
    ctx.PrintJson(created);
    return absl::OkStatus();
  }
  ctx.Note(absl::StrCat("Submitted job ", id, " (", JsonString(job, "name"), ") to queue ",
                        JsonString(job, "queue"), "."));
  if (!wait) {
    ctx.Print(absl::StrCat(id, "\n"));
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::string state, StreamLogs(ctx, *client, id, 0, /*follow=*/true));
  ctx.Note(absl::StrCat("Job ", id, " ", state, "."));
  return WaitOutcome(id, state);
}

void AddSubmit(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string file;
    bool wait = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand(
      "submit", "Submit a job spec or a Kubeflow PyTorchJob manifest (YAML or JSON; - for stdin)");
  cmd->add_option("FILE", flags->file, "job.yaml")->required();
  cmd->add_flag("--wait", flags->wait, "Follow replica 0's output until the job ends");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(std::string text, ReadSpecFile(flags->file));
    ASSIGN_OR_RETURN(Json spec, YamlToJson(text, flags->file));
    return SubmitAndReport(ctx, spec, flags->wait);
  });
}

void AddList(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string state, team, queue;
    int limit = 100;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("list", "List jobs, newest first");
  cmd->add_option("--state", flags->state, "PENDING, RUNNING, SUCCEEDED, FAILED, ...");
  cmd->add_option("--team", flags->team, "Only this team's jobs");
  cmd->add_option("--queue", flags->queue, "Only this queue's jobs");
  cmd->add_option("--limit", flags->limit, "At most this many (default 100)")
      ->check(CLI::Range(1, 100000));
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    auto fetch = [&](const std::string& token, size_t want) -> absl::StatusOr<Json> {
      http::QueryParams query = {
          {"max_results", absl::StrCat(want ? std::min<size_t>(want, 1000) : 1000)}};
      if (!flags->state.empty()) query.push_back({"state", flags->state});
      if (!flags->team.empty()) query.push_back({"team", flags->team});
      if (!flags->queue.empty()) query.push_back({"queue", flags->queue});
      if (!token.empty()) query.push_back({"page_token", token});
      return client->GetJson(kJobsApi, query);
    };
    bool more = false;
    ASSIGN_OR_RETURN(std::vector<Json> jobs, CollectPages(fetch, "jobs", flags->limit, &more));
    if (ctx.json()) {
      ctx.PrintJson({{"jobs", jobs}});
    } else {
      ctx.Print(RenderTable(JobsTable(jobs, NowMillis())));
      if (more) ctx.Note("(more jobs on the server; raise --limit)");
    }
    return absl::OkStatus();
  });
}

// Commands that take one job id and GET one thing about it.
void AddJobGet(CLI::App& group, CliContext& ctx, const std::string& name, const std::string& help,
               const std::string& action, std::function<std::string(const Json&)> render) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd = group.add_subcommand(name, help);
  cmd->add_option("ID", *id, "Job id")->required();
  OnRun(cmd, ctx, [&ctx, id, action, render]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json result, client->GetJson(JobPath(*id, action)));
    if (ctx.json()) {
      ctx.PrintJson(result);
    } else {
      ctx.Print(render(result));
    }
    return absl::OkStatus();
  });
}

void AddRender(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string id, target = "kubernetes";
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd =
      group.add_subcommand("render", "Print a job as a Kubernetes manifest (Job or PyTorchJob)");
  cmd->add_option("ID", flags->id, "Job id")->required();
  cmd->add_option("--target", flags->target, "kubernetes")->check(CLI::IsMember({"kubernetes"}));
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json result,
                     client->GetJson(JobPath(flags->id, "render"), {{"target", flags->target}}));
    if (ctx.json()) {
      ctx.PrintJson(result["manifest"]);
    } else {
      ctx.Print(JsonToYaml(result["manifest"]));
    }
    return absl::OkStatus();
  });
}

void AddLogs(CLI::App& group, CliContext& ctx) {
  struct Flags {
    std::string id;
    int replica = 0;
    bool follow = false;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = group.add_subcommand("logs", "Print a replica's output (stdout and stderr)");
  cmd->add_option("ID", flags->id, "Job id")->required();
  cmd->add_option("--replica", flags->replica, "Replica index (default 0)");
  cmd->add_flag("-f,--follow", flags->follow, "Keep printing until the job ends");
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    return StreamLogs(ctx, *client, flags->id, flags->replica, flags->follow).status();
  });
}

void AddCancel(CLI::App& group, CliContext& ctx) {
  auto id = std::make_shared<std::string>();
  CLI::App* cmd =
      group.add_subcommand("cancel", "Cancel a job (SIGTERM, then SIGKILL after its grace period)");
  cmd->add_option("ID", *id, "Job id")->required();
  OnRun(cmd, ctx, [&ctx, id]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json result, client->PostJson(JobPath(*id, "cancel"), Json::object()));
    if (ctx.json()) {
      ctx.PrintJson(result);
    } else {
      ctx.Print(absl::StrCat("Job ", *id, " is ", JsonString(result["job"], "state"), ".\n"));
    }
    return absl::OkStatus();
  });
}

void AddRun(CLI::App& app, CliContext& ctx) {
  struct Flags {
    std::vector<std::string> command;
    std::string name = "run", team, queue, priority, gpu_model, mig, memory, max_runtime, executor;
    double gpus = 0, cpus = 0;
    int replicas = 1, retries = 0;
    bool preemptible = false, wait = false, pytorch = false;
    std::vector<std::string> env;
  };
  auto flags = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand(
      "run", "Run a command as a scheduled job: plinth run --gpus 0.5 -- python train.py");
  cmd->add_option("--name", flags->name, "Job name (default run)");
  cmd->add_option("--gpus", flags->gpus, "GPUs per replica: a fraction below 1 or a whole number");
  cmd->add_option("--gpu-model", flags->gpu_model, "Only this GPU model, e.g. H100-80GB");
  cmd->add_option("--mig", flags->mig, "One MIG slice of this profile per replica, e.g. 3g.40gb");
  cmd->add_option("--cpus", flags->cpus, "CPUs per replica");
  cmd->add_option("--memory", flags->memory, "Memory per replica, e.g. 16Gi");
  cmd->add_option("--replicas", flags->replicas, "Replicas started together (a gang)");
  cmd->add_option("--team", flags->team, "Team (default: your token's)");
  cmd->add_option("--queue", flags->queue, "Queue (default: your team's, else default)");
  cmd->add_option("--priority", flags->priority, "Priority class (low, normal, high, ...)");
  cmd->add_option("--max-runtime", flags->max_runtime, "e.g. 2h");
  cmd->add_option("--retries", flags->retries, "Retries after a failure");
  cmd->add_option("--executor", flags->executor, "local or slurm");
  cmd->add_option("-e,--env", flags->env, "NAME=VALUE, repeatable");
  cmd->add_flag("--preemptible", flags->preemptible, "May be preempted (checkpoint on SIGTERM)");
  cmd->add_flag("--pytorch", flags->pytorch, "Set MASTER_ADDR, WORLD_SIZE, RANK, ... per replica");
  cmd->add_flag("--wait", flags->wait, "Follow replica 0's output until the job ends");
  cmd->add_option("COMMAND", flags->command, "The command, after --")->required();
  OnRun(cmd, ctx, [&ctx, flags]() -> absl::Status {
    Json spec = {{"name", flags->name}, {"command", flags->command}, {"replicas", flags->replicas}};
    Json resources = Json::object();
    if (flags->gpus > 0) resources["gpus"] = flags->gpus;
    if (!flags->gpu_model.empty()) resources["gpu_model"] = flags->gpu_model;
    if (!flags->mig.empty()) resources["mig_profile"] = flags->mig;
    if (flags->cpus > 0) resources["cpus"] = flags->cpus;
    if (!flags->memory.empty()) resources["memory"] = flags->memory;
    spec["resources"] = resources;
    if (!flags->team.empty()) spec["team"] = flags->team;
    if (!flags->queue.empty()) spec["queue"] = flags->queue;
    if (!flags->priority.empty()) spec["priority_class"] = flags->priority;
    if (!flags->max_runtime.empty()) spec["max_runtime"] = flags->max_runtime;
    if (!flags->executor.empty()) spec["executor"] = flags->executor;
    if (flags->retries > 0) spec["retries"] = flags->retries;
    if (flags->preemptible) spec["preemptible"] = true;
    if (flags->pytorch) spec["distributed"] = "pytorch";
    Json env = Json::object();
    for (const std::string& kv : flags->env) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        return UsageError(absl::StrCat("--env ", kv, ": write NAME=VALUE"));
      }
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    if (!env.empty()) spec["env"] = env;
    return SubmitAndReport(ctx, spec, flags->wait);
  });
}

}  // namespace

void AddJobsCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* group = app.add_subcommand("jobs", "Submit, follow and cancel scheduled jobs");
  group->require_subcommand(1);
  AddSubmit(*group, ctx);
  AddList(*group, ctx);
  AddJobGet(*group, ctx, "show", "Show a job: state, resources, replicas, why it waits", "",
            [](const Json& r) { return JobDetailText(r["job"]); });
  AddJobGet(*group, ctx, "why", "Say in one sentence why a job waits (or what it does)", "why",
            [](const Json& r) { return absl::StrCat(JsonString(r, "why"), "\n"); });
  AddJobGet(*group, ctx, "events", "The job's timeline", "events",
            [](const Json& r) { return EventsText(r["events"]); });
  AddLogs(*group, ctx);
  AddRender(*group, ctx);
  AddCancel(*group, ctx);
  AddRun(app, ctx);

  CLI::App* gpus = app.add_subcommand("gpus", "The GPU inventory and which job holds each GPU");
  OnRun(gpus, ctx, [&ctx]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json inventory, client->GetJson("/api/v1/gpus"));
    if (ctx.json()) {
      ctx.PrintJson(inventory);
    } else {
      ctx.Print(GpuInventoryText(inventory));
    }
    return absl::OkStatus();
  });
  CLI::App* queues =
      app.add_subcommand("queues", "Queues: quotas, usage, pending and running jobs");
  OnRun(queues, ctx, [&ctx]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json result, client->GetJson("/api/v1/queues"));
    if (ctx.json()) {
      ctx.PrintJson(result);
    } else {
      ctx.Print(QueuesText(result["queues"]));
    }
    return absl::OkStatus();
  });
  auto group_by = std::make_shared<std::string>("team");
  CLI::App* accounting =
      app.add_subcommand("accounting", "GPU-hours, waits and preemptions per team or queue");
  accounting->add_option("--by", *group_by, "team or queue")
      ->check(CLI::IsMember({"team", "queue"}));
  OnRun(accounting, ctx, [&ctx, group_by]() -> absl::Status {
    ASSIGN_OR_RETURN(http::HttpClient * client, ctx.Client());
    ASSIGN_OR_RETURN(Json result, client->GetJson("/api/v1/accounting", {{"group_by", *group_by}}));
    if (ctx.json()) {
      ctx.PrintJson(result);
      return absl::OkStatus();
    }
    Table table{{*group_by, "jobs", "GPU-hours", "waited", "preemptions"}, {}, {1, 2, 3, 4}};
    for (const Json& r : result["rows"]) {
      table.rows.push_back(
          {JsonString(r, "key"), absl::StrCat(JsonInt(r, "jobs")),
           FormatNumber(r.value("gpu_hours", 0.0)),
           FormatDuration(static_cast<int64_t>(r.value("wait_seconds", 0.0) * 1000)),
           absl::StrCat(JsonInt(r, "preemptions"))});
    }
    ctx.Print(RenderTable(table));
    return absl::OkStatus();
  });
}

}  // namespace plinth::cli
