// `plinth sim --cluster cluster.yaml trace.csv`: replays a job trace through
// the scheduler on a simulated cluster and clock (docs/simulator.md). Runs
// locally; no server is needed.
#pragma once

#include <cstddef>
#include <string>

#include "CLI/CLI.hpp"
#include "plinth/cli/client_commands.h"
#include "plinth/sched/simulator.h"

namespace plinth::cli {

void AddSimCommand(CLI::App& app, CliContext& ctx);

// What the cluster is, for the report's first line ("125 nodes, 1,000 GPUs").
struct SimCluster {
  size_t nodes = 0;
  double gpus = 0;
};

// The report as `plinth sim` prints it: a summary, one row per team, and the
// first rejected and unfinished jobs with their reasons.
std::string RenderSimReport(const sched::SimReport& report, const SimCluster& cluster);
// The JSON form: the simulator's report plus the cluster's size.
Json SimReportJson(const sched::SimReport& report, const SimCluster& cluster);

// One progress line of at most `width` columns, e.g.
// "replaying trace.csv  [######------]  52%  52,000/100,000 jobs  day 9.8".
std::string FormatSimProgress(const std::string& label, const sched::SimProgress& progress,
                              size_t width);

}  // namespace plinth::cli
