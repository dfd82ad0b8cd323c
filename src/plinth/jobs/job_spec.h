// A job as a user submits it: what to run, how many replicas (a gang), what
// each replica needs, and how to retry, preempt and stop it. Parsed from the
// native spec (JSON, or YAML converted to JSON by the CLI) or from a Kubeflow
// PyTorchJob manifest (pytorchjob.h). Validation errors name the field path
// ("resources.gpus: 1.5 is not a valid GPU count ...").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/sched/types.h"

namespace plinth::jobs {

struct JobSpec {
  std::string name;
  std::string team;            // empty: the submitting token's team
  std::string queue;           // empty: the team's queue if one exists, else "default"
  std::string priority_class;  // empty: the configured default class
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string working_dir;  // empty: the replica's own folder under the server home
  int replicas = 1;
  sched::Resources resources;    // per replica
  int64_t max_runtime_s = 0;     // 0: unlimited
  int retries = 0;               // extra attempts after a failure
  int64_t retry_backoff_s = 10;  // doubles after each failed attempt
  bool preemptible = false;
  std::string checkpoint_signal = "SIGTERM";  // sent first when stopping a running job
  int64_t grace_period_s = 30;                // then SIGKILL
  std::string executor;  // "local" | "slurm" | "kubernetes"; empty: the server's default
  std::string image;     // container image, used only when rendered for Kubernetes
  // Distributed training (set for PyTorchJob manifests, or `distributed:
  // pytorch` in a native spec): every replica gets MASTER_ADDR, MASTER_PORT,
  // WORLD_SIZE, RANK and LOCAL_RANK; replica 0 is the master.
  bool pytorch = false;
  int master_port = 0;  // 0: 23456 on a cluster, a free port when run locally
  std::map<std::string, std::string> labels;
};

// Parses and validates a submitted spec. Accepts the native form and, when
// `kind` is "PyTorchJob", a Kubeflow manifest.
absl::StatusOr<JobSpec> ParseJobSpec(const Json& json);
absl::StatusOr<JobSpec> ParseNativeSpec(const Json& json);

// Checks a spec built by any parser (names, command, replicas, env, signal).
absl::Status ValidateJobSpec(const JobSpec& spec);

// The normalized spec as the native JSON form (what GET /api/v1/jobs/{id} shows).
Json JobSpecToJson(const JobSpec& spec);

// Signal names accepted for checkpoint_signal (SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP).
absl::StatusOr<int> SignalNumber(const std::string& name);

}  // namespace plinth::jobs
