// The `slurm` executor: submits each replica to a Slurm cluster as a batch
// job (see slurm_batch.h for what is submitted) and follows it with the
// Slurm commands.
//
// State: `squeue -t all -j ID` while Slurm remembers the job (MinJobAge
// after it ends); then the exit.json the batch script wrote in log_dir;
// then `sacct` where the cluster has accounting. So log_dir must be on a
// filesystem that the compute nodes and the server share (on a one-node
// cluster, any local folder). Thread-safe: no state between calls.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/exec/executor.h"
#include "plinth/exec/slurm_cli.h"

namespace plinth::exec {

struct SlurmOptions {
  std::string bin_dir;    // where sbatch, squeue, scontrol, scancel live; empty: PATH
  std::string partition;  // empty: the cluster's default partition
  std::map<std::string, std::string> extra_env;  // for the Slurm commands, e.g. SLURM_CONF
  int command_timeout_s = 30;                    // per Slurm command; past it: Unavailable
};

class SlurmExecutor final : public Executor {
 public:
  // InvalidArgument when the Slurm commands are not found or the timeout is
  // not positive. Does not contact the cluster.
  static absl::StatusOr<std::unique_ptr<SlurmExecutor>> Create(SlurmOptions options);

  std::string Name() const override { return "slurm"; }
  // Writes log_dir/plinth-batch.sh and submits it. InvalidArgument for a bad
  // spec or one sbatch rejects (its error line says why); Unavailable when
  // the controller cannot be reached. A command that does not exist is not
  // detected here (the node may differ): the job fails with exit code 127
  // and the message "command not found: X".
  absl::StatusOr<std::string> Launch(const LaunchSpec& spec) override;
  // kRunning while pending or running; kFailed with "Slurm state X" when
  // Slurm ended the job (CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, ...);
  // otherwise the command's exit status. kLost when Slurm has forgotten the
  // job and it left no exit.json.
  absl::StatusOr<ReplicaStatus> Poll(const std::string& handle) override;
  // One squeue for all; only jobs Slurm reports ended need more (their
  // exit.json, else scontrol or sacct).
  std::map<std::string, absl::StatusOr<ReplicaStatus>> PollAll(
      const std::vector<std::string>& handles) override;
  // `scancel --signal=N --full`: the batch shell and everything it started.
  // A no-op for a job that has ended or not started yet.
  absl::Status Signal(const std::string& handle, int signal) override;
  // `scancel`: Slurm sends SIGTERM to all of the job's processes and SIGKILL
  // after the cluster's KillWait. Idempotent.
  absl::Status Kill(const std::string& handle) override;
  absl::Status Abandon(const std::string& log_dir) override;

  // Handles are "slurm:<job id>:<absolute log folder>".
  struct Handle {
    std::string job_id;
    std::string log_dir;
  };
  static std::string FormatHandle(const Handle& handle);
  static absl::StatusOr<Handle> ParseHandle(const std::string& handle);

 private:
  SlurmExecutor(SlurmOptions options, std::unique_ptr<SlurmCli> cli, bool has_sacct)
      : options_(std::move(options)), cli_(std::move(cli)), has_sacct_(has_sacct) {}

  // The job's state per squeue; nullopt when Slurm no longer knows it.
  absl::StatusOr<std::optional<std::string>> QueueState(const std::string& job_id) const;
  // Job id -> state for every id squeue still knows.
  absl::StatusOr<std::map<std::string, std::string>> QueueStates(
      const std::vector<std::string>& job_ids) const;
  // A replica whose job is no longer active (`state`: what squeue said,
  // none when it has forgotten the job).
  ReplicaStatus EndedStatus(const std::string& job_id, const std::string& log_dir,
                            const std::optional<std::string>& state) const;
  // "ExitCode=N:S" from `scontrol show job`; nullopt when unavailable.
  std::optional<std::string> ScontrolExitCode(const std::string& job_id) const;
  // "STATE|N:S" of the job from sacct; nullopt without accounting.
  std::optional<std::string> SacctRecord(const std::string& job_id) const;
  absl::Status Scancel(const std::string& job_id, int signal) const;

  const SlurmOptions options_;
  const std::unique_ptr<SlurmCli> cli_;
  const bool has_sacct_;
};

// How the executor reads a Slurm job state (squeue's %T, sacct's State).
enum class SlurmStateKind {
  kActive,        // PENDING, RUNNING, COMPLETING, SUSPENDED, ...: kRunning
  kEnded,         // COMPLETED, FAILED: the command's exit status decides
  kEndedBySlurm,  // CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, ...: kFailed
};
// Unknown states count as kActive (never reports a live job as ended).
SlurmStateKind ClassifySlurmState(absl::string_view state);

// What the batch script recorded in exit.json (see slurm_batch.h).
struct SlurmExitRecord {
  int exit_code = 0;
  int signal = 0;
  std::string reason;
  std::string detail;
};
absl::StatusOr<SlurmExitRecord> ParseSlurmExitRecord(absl::string_view text);
// Slurm's "N:S" exit code (exit status N, signal S) as an exit record.
std::optional<SlurmExitRecord> ParseSlurmExitCode(absl::string_view exit_code);

// The replica's status from Slurm's state (empty: unknown to Slurm) and the
// exit record, when there is one.
ReplicaStatus ReplicaStatusFromSlurm(absl::string_view state,
                                     const std::optional<SlurmExitRecord>& exit);

}  // namespace plinth::exec
