// The configuration sections for GPUs, jobs and executors (docs/configuration.md):
//
//   gpus:
//     source: auto                  # auto | nvml | simulated
//     simulated: "2x8xH100-80GB"    # or a list of {name_prefix, nodes, gpus_per_node,
//                                   #   model, gpu_memory_gib, cpus, memory_gib, mig_gpus_per_node}
//   jobs:
//     executor: local               # default executor: local | slurm | kubernetes
//     tick_ms: 200
//     requeue_lost: true
//     backfill: true
//     preemption: true
//     preempt_exempt_time: 60s      # running jobs are not preempted before this
//     default_priority_class: normal
//     priority_classes: {low: 0, normal: 100, high: 1000}
//     queues:
//       - {name: vision, team: vision, cohort: research, nominal: {H100-80GB: 8},
//          borrowing_limit: {H100-80GB: 4}, weight: 1}
//   executors:
//     slurm: {bin_dir: /usr/bin, partition: gpu, env: {SLURM_CONF: /etc/slurm/slurm.conf},
//             command_timeout_s: 30}
//     kubernetes: {kubectl: kubectl, kubeconfig: "", context: "", namespace: default,
//                  command_timeout_s: 30, termination_grace_s: 30, server_url: "", env: {}}
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "plinth/exec/job_user.h"
#include "plinth/exec/kubernetes_executor.h"
#include "plinth/exec/slurm_executor.h"
#include "plinth/gpu/gpu_source_factory.h"
#include "plinth/sched/scheduler.h"
#include "plinth/sched/types.h"
#include "yaml-cpp/yaml.h"

namespace plinth::server {

struct JobsSettings {
  gpu::GpuConfig gpus;
  std::string executor = "local";
  int64_t tick_ms = 200;
  bool requeue_lost = true;
  bool backfill = true;
  bool preemption = true;
  int64_t preempt_exempt_ms = sched::kDefaultPreemptExemptMs;
  std::string default_priority_class = "normal";
  std::map<std::string, int> priority_classes = {{"low", 0}, {"normal", 100}, {"high", 1000}};
  std::vector<sched::QueueConfig> queues;
  bool allow_root = false;    // jobs.allow_root: a root server may run jobs as root
  exec::JobUserPolicy users;  // jobs.uid_range, jobs.team_users (switch_users set at start)
  std::optional<exec::SlurmOptions> slurm;            // set when executors.slurm is configured
  std::optional<exec::KubernetesOptions> kubernetes;  // set when executors.kubernetes is
};

// Reads one of the sections "gpus", "jobs" or "executors" into `out`.
// Errors name the key ("jobs.queues[1].nominl: unknown key").
absl::Status ReadJobsSection(const std::string& section, const YAML::Node& node, JobsSettings& out);

}  // namespace plinth::server
