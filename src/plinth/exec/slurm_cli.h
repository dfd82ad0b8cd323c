// Runs the Slurm client commands (sbatch, squeue, scontrol, scancel) as
// child processes: argv vectors only, never a shell, each with a deadline.
//
// Slurm has a C API (libslurm), but its ABI changes with every release and
// must match the controller's; the command-line tools are the stable
// interface sites already use, so that is what Plinth speaks.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace plinth::exec {

struct CommandResult {
  int exit_code = 0;    // valid when term_signal == 0
  int term_signal = 0;  // signal that ended it (SIGKILL after a timeout)
  bool timed_out = false;
  std::string out;  // stdout, at most kMaxCommandOutput bytes
  std::string err;  // stderr, likewise
};

inline constexpr size_t kMaxCommandOutput = 4 << 20;

// Runs `argv` (argv[0] absolute, or looked up in this process's PATH) with
// `extra_env` added to this process's environment and stdin from /dev/null.
// After `timeout` it is SIGKILLed and the result says timed_out. Errors only
// when it cannot be started at all (NotFound for a missing program).
// Thread-safe.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& extra_env,
                                         absl::Duration timeout);

// The Slurm commands of one cluster: where they live and what environment
// (SLURM_CONF, ...) they need. Thread-safe; no state between calls.
class SlurmCli {
 public:
  // `bin_dir`: folder holding sbatch etc.; empty means PATH. InvalidArgument
  // when sbatch, squeue, scontrol or scancel is not found there, or when
  // command_timeout is not positive.
  static absl::StatusOr<std::unique_ptr<SlurmCli>> Create(
      std::string bin_dir, std::map<std::string, std::string> extra_env,
      absl::Duration command_timeout);

  // Runs `tool` ("sbatch", ...) with `args`. A run that timed out, or whose
  // stderr says the controller cannot be reached, is Unavailable (callers
  // retry, with that line); any other non-zero exit is returned as a result, not an error,
  // for the caller to interpret.
  absl::StatusOr<CommandResult> Run(absl::string_view tool,
                                    const std::vector<std::string>& args) const;

  // The program `tool` resolves to.
  std::string PathOf(absl::string_view tool) const;

 private:
  SlurmCli(std::string bin_dir, std::map<std::string, std::string> extra_env,
           absl::Duration timeout)
      : bin_dir_(std::move(bin_dir)), extra_env_(std::move(extra_env)), timeout_(timeout) {}

  const std::string bin_dir_;
  const std::map<std::string, std::string> extra_env_;
  const absl::Duration timeout_;
};

// The line of `stderr_text` that explains a failure ("sbatch: error: Batch
// job submission failed: ..."): the last line mentioning "error", else the
// last non-empty line.
std::string ErrorLine(absl::string_view stderr_text);

// Case-insensitive substring test (Slurm's wording varies in case by version).
bool ContainsIgnoringCase(absl::string_view text, absl::string_view needle);

// The line of a Slurm command's stderr saying that the controller cannot be
// reached ("Unable to contact slurm controller", "Socket timed out", munge
// down, ...); "" when it says no such thing.
std::string UnreachableControllerLine(absl::string_view stderr_text);

// For benchmarks: submits `count` no-op batch jobs (`sbatch --wrap true`,
// output to /dev/null) one after another, as a user's script would, and
// returns the accepted jobs per second. The jobs then run (and end) on the
// cluster. `partition` may be empty.
struct SubmitThroughput {
  int jobs = 0;
  double seconds = 0;
  double jobs_per_second = 0;
  std::string first_job_id, last_job_id;
};
absl::StatusOr<SubmitThroughput> MeasureSbatchThroughput(const SlurmCli& cli, int count,
                                                         const std::string& partition);

}  // namespace plinth::exec
