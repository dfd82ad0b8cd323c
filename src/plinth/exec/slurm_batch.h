// What the Slurm executor submits for one replica: a bash batch script and
// the sbatch arguments, both derived from a LaunchSpec. Pure functions, so
// tests can check quoting and resource flags without a cluster.
//
// The script sets the spec's environment, enters the working folder, runs
// the command and, from an EXIT trap, writes log_dir/exit.json:
//   {"exit_code": N, "signal": S, "reason": "...", "detail": "...", "finished_at_ms": T}
// (signal is N-128 when N is in 129..192, as bash reports a command killed
// by a signal; reason is "" or one of the kSlurmReason* values). The server
// reads it once Slurm no longer knows the job, so log_dir must be on a
// filesystem that the compute node and the server share.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/exec/executor.h"

namespace plinth::exec {

inline constexpr char kSlurmScriptFile[] = "plinth-batch.sh";
inline constexpr char kSlurmExitFile[] = "exit.json";
inline constexpr char kSlurmOutputFile[] = "output.log";

inline constexpr char kSlurmReasonCommandNotFound[] = "command_not_found";
inline constexpr char kSlurmReasonBadWorkingDir[] = "bad_working_dir";

// `value` as one bash word in single quotes ('it'\''s').
std::string ShellQuote(absl::string_view value);

// InvalidArgument (saying what to change) for a spec Slurm cannot run:
// empty argv, a relative or missing log_dir, an environment name that is
// not a shell identifier, NUL bytes, negative resources.
absl::Status ValidateForSlurm(const LaunchSpec& spec);

// The batch script for `spec` (validated first). When spec.gpus > 0 the
// spec's CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES are left out:
// Slurm picks the GPUs and sets CUDA_VISIBLE_DEVICES itself.
absl::StatusOr<std::string> RenderBatchScript(const LaunchSpec& spec);

// sbatch's arguments (without "sbatch"): --parsable, name, output, chdir,
// one node and task, --no-requeue, cpus (rounded up), --mem=<MiB>M,
// --time=<minutes> (max_runtime_s rounded up), --gres=gpu:N, the partition
// when not empty, then `script_path`.
absl::StatusOr<std::vector<std::string>> SbatchArgs(const LaunchSpec& spec,
                                                    const std::string& partition,
                                                    const std::string& script_path);

// The job id in `sbatch --parsable` output ("123" or "123;cluster").
absl::StatusOr<std::string> ParseSbatchJobId(absl::string_view out);

}  // namespace plinth::exec
