// The cluster description `plinth sim --cluster` reads (docs/simulator.md):
//
//   nodes:            # or the shorthand  simulated: "125x8xH100-80GB"
//     - {name_prefix: gpu, count: 125, gpus: 8, model: H100-80GB, mig_gpus: 0}
//   queues:           # optional; without it every team gets its own queue
//     - {name: vision, team: vision, cohort: research, nominal: {H100-80GB: 400},
//        borrowing_limit: {H100-80GB: 100}, weight: 1}
//   scheduler: {backfill: true, preemption: true, max_preemption_attempts: 32,
//               preempt_exempt_time: 60s}
//   simulation: {restart_preempted: false, runtime_estimates: true, preemption_grace: 30s}
//
// Durations are seconds (90) or numbers with units s, m, h, d (1h30m).
//
// Unknown keys and bad values are InvalidArgument errors naming the file,
// the line and the path ("cluster.yaml:7: queues[1].nominl: unknown key").
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/gpu/gpu_source.h"
#include "plinth/sched/simulator.h"
#include "plinth/sched/types.h"

namespace plinth::sched {

struct ClusterSpec {
  std::vector<gpu::Node> nodes;
  std::vector<QueueConfig> queues;  // empty: one queue per team (see Simulate)
  SimOptions options;               // scheduler and simulation settings
};

// Parses the YAML `text`; `source` prefixes messages.
absl::StatusOr<ClusterSpec> ParseClusterYaml(absl::string_view text, const std::string& source);
// Reads and parses the file at `path` (messages name its base name).
absl::StatusOr<ClusterSpec> LoadClusterFile(const std::string& path);

// Nodes from the shorthand of docs/gpus.md, "<nodes>x<gpus>x<model>[:mig=<n>]",
// several joined by ',' ("100x8xH100-80GB,20x4xA100-40GB:mig=2"; the first n
// GPUs of each node run in MIG mode). One group's nodes are "node-<n>";
// with several groups each group's prefix is its model in lower case.
absl::StatusOr<std::vector<gpu::Node>> ParseSimulatedNodes(absl::string_view spec);

}  // namespace plinth::sched
