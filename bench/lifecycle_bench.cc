// A job's lifecycle for the smallest job there is: `true`.
//
// Measures, against the real `plinth server` (local executor):
//   - SUBMITTED -> SUCCEEDED as the server records it (its job events), for
//     jobs submitted one after another, median and p99;
//   - `plinth run --wait -- true` end to end (the CLI process, submit, wait,
//     exit), median and p99;
// and, in the same run, the baselines: `true` run by a shell (posix_spawn
// of /bin/sh -c true, waited for), and the CLI's own start (`plinth
// --version`). Prints the ratios and the issue's goals (10 ms, 60 ms).
// Flags: --jobs (100) --cli-runs (20) --keep.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_common.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace plinth::bench {
namespace {

using Json = nlohmann::json;

// Runs argv to its end; its wall time in ms. Dies unless it exits 0.
double TimedRun(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  double start = Now();
  pid_t pid = 0;
  int err = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  Check(err == 0, "cannot start " + argv[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  double ms = (Now() - start) * 1000;
  Check(WIFEXITED(status) && WEXITSTATUS(status) == 0, argv[0] + " did not exit 0");
  return ms;
}

Json Get(HttpConnection& conn, const std::string& target) {
  HttpResponse r;
  conn.RoundTripOk(BuildRequest("GET", target), &r);
  return Json::parse(r.body);
}

// Submits `true`, waits for it, and returns SUBMITTED -> SUCCEEDED in ms
// from the job's events (the server's clock, not the client's polling).
double OneJob(HttpConnection& conn) {
  HttpResponse r;
  conn.RoundTripOk(BuildRequest("POST", "/api/v1/jobs", R"({"name":"noop","command":["true"]})"),
                   &r);
  std::string id = Json::parse(r.body)["job"]["id"];
  double deadline = Now() + 60;
  for (;;) {
    std::string state = Get(conn, "/api/v1/jobs/" + id)["job"]["state"];
    if (state == "SUCCEEDED") break;
    Check(state != "FAILED" && state != "CANCELLED", "job " + id + " ended " + state);
    Check(Now() < deadline, "job " + id + " did not end in 60 s");
  }
  // The state is the loop's; its events are stored a moment later.
  double submitted = -1, succeeded = -1;
  while (succeeded < 0) {
    Json events = Get(conn, "/api/v1/jobs/" + id + "/events");  // kept: the loop reads into it
    for (const Json& e : events["events"]) {
      if (e["type"] == "SUBMITTED") submitted = e["time"].get<double>();
      if (e["type"] == "SUCCEEDED") succeeded = e["time"].get<double>();
    }
    if (Now() >= deadline) {
      Die("job " + id + " has no SUCCEEDED event: " +
          Get(conn, "/api/v1/jobs/" + id + "/events").dump().substr(0, 400));
    }
  }
  Check(submitted >= 0 && succeeded >= submitted, "job " + id + " lacks its SUBMITTED event");
  return succeeded - submitted;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  std::string plinth = PlinthBinary(flags);
  int64_t jobs = flags.Int("jobs", 100);
  int64_t cli_runs = flags.Int("cli-runs", 20);
  bool keep = flags.Bool("keep", false);
  flags.CheckAllUsed();

  TempDir home("plinth-bench-lifecycle", keep);
  ServerProcess server(plinth, home.path(), home.path() + "/server.log");
  auto conn = HttpConnection::Connect(server.port());
  OneJob(*conn);  // warm-up: the first job creates the team's experiment

  std::vector<double> lifecycle, shell, cli, cli_start;
  for (int64_t i = 0; i < jobs; ++i) {
    lifecycle.push_back(OneJob(*conn));
    shell.push_back(TimedRun({"/bin/sh", "-c", "true"}));
  }
  std::string url = "PLINTH_URL=http://127.0.0.1:" + std::to_string(server.port());
  for (int64_t i = 0; i < cli_runs; ++i) {
    cli.push_back(TimedRun({plinth, "run", "--wait", "--", "true"}, {url}));
    cli_start.push_back(TimedRun({plinth, "--version"}));
  }

  PrintTitle("lifecycle: `true` as a job, " + std::to_string(jobs) + " jobs one after another");
  PrintFigure("SUBMITTED -> SUCCEEDED median (server events)", Median(lifecycle), "ms");
  PrintFigure("SUBMITTED -> SUCCEEDED p99", Percentile(lifecycle, 99), "ms");
  PrintFigure("baseline: /bin/sh -c true, median", Median(shell), "ms");
  PrintFigure("ratio job / shell", Median(lifecycle) / Median(shell), "");
  PrintTitle("lifecycle: `plinth run --wait -- true`, " + std::to_string(cli_runs) + " runs");
  PrintFigure("end to end median", Median(cli), "ms");
  PrintFigure("end to end p99", Percentile(cli, 99), "ms");
  PrintFigure("baseline: `plinth --version` (the CLI's own start), median", Median(cli_start),
              "ms");
  PrintFigure("ratio run --wait / shell", Median(cli) / Median(shell), "");
  char measured[64];
  std::snprintf(measured, sizeof measured, "%.1f ms", Median(lifecycle));
  PrintGoal("SUBMITTED -> SUCCEEDED <= 10 ms", Median(lifecycle) <= 10, measured);
  std::snprintf(measured, sizeof measured, "%.1f ms", Median(cli));
  PrintGoal("plinth run --wait -- true <= 60 ms", Median(cli) <= 60, measured);
  return 0;
}

}  // namespace
}  // namespace plinth::bench

int main(int argc, char** argv) { return plinth::bench::Main(argc, argv); }
