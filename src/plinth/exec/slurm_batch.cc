#include "plinth/exec/slurm_batch.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "plinth/common/json.h"

namespace plinth::exec {
namespace {

bool IsShellIdentifier(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

bool HasNul(absl::string_view s) { return s.find('\0') != absl::string_view::npos; }

// Device selection that Slurm owns for GPU jobs.
bool IsSlurmOwnedDeviceVar(absl::string_view name) {
  return name == "CUDA_VISIBLE_DEVICES" || name == "NVIDIA_VISIBLE_DEVICES";
}

// The contents of a JSON string literal for `s` (escaped, without quotes).
std::string JsonStringBody(absl::string_view s) {
  std::string quoted = Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

}  // namespace

std::string ShellQuote(absl::string_view value) {
  return absl::StrCat("'", absl::StrReplaceAll(value, {{"'", "'\\''"}}), "'");
}

absl::Status ValidateForSlurm(const LaunchSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return absl::InvalidArgumentError("the command is empty: give at least the program to run");
  }
  for (const std::string& arg : spec.argv) {
    if (HasNul(arg)) return absl::InvalidArgumentError("a command argument contains a NUL byte");
  }
  if (spec.log_dir.empty() || spec.log_dir[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "log_dir must be an absolute path on a filesystem the Slurm nodes share, not '",
        spec.log_dir, "'"));
  }
  // A backslash turns off sbatch's %-pattern handling in --output, which we
  // rely on to escape '%'; a newline cannot be passed to sbatch safely.
  if (spec.log_dir.find_first_of(std::string("\\\n\0", 3)) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "log_dir must not contain a backslash, newline or NUL byte: '", spec.log_dir, "'"));
  }
  if (HasNul(spec.working_dir) || HasNul(spec.name) || spec.name.find('\n') != std::string::npos) {
    return absl::InvalidArgumentError("working_dir or name contains a NUL byte or newline");
  }
  for (const auto& [name, value] : spec.env) {
    if (!IsShellIdentifier(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable name '", name,
                       "' is not valid for a batch script: use letters, digits and '_', "
                       "not starting with a digit"));
    }
    if (HasNul(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", name, " contains a NUL byte"));
    }
  }
  if (spec.gpus < 0 || spec.cpus < 0 || !std::isfinite(spec.cpus) || spec.cpus > 1e6 ||
      spec.memory_mib < 0 || spec.max_runtime_s < 0) {
    return absl::InvalidArgumentError(
        "gpus, cpus, memory_mib and max_runtime_s must be zero or positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RenderBatchScript(const LaunchSpec& spec) {
  if (absl::Status valid = ValidateForSlurm(spec); !valid.ok()) return valid;
  const std::string exit_file = absl::StrCat(spec.log_dir, "/", kSlurmExitFile);
  std::string s = absl::StrCat(
      "#!/bin/bash\n", "# Plinth job ", JsonStringBody(spec.job_id), ", replica ", spec.replica,
      ": written by Plinth's Slurm executor.\n",
      "# It runs where Slurm places it. From its EXIT trap it records the exit status in\n",
      "# exit.json beside it, which the Plinth server reads once Slurm has forgotten the job:\n",
      "# this folder must be shared by the compute node and the server.\n",
      "plinth_exit_file=", ShellQuote(exit_file), "\n", "plinth_reason=\n", "plinth_detail=\n",
      "plinth_record_exit() {\n", "  local code=$? signal=0\n",
      "  if [ \"$code\" -gt 128 ] && [ \"$code\" -le 192 ]; then signal=$((code - 128)); fi\n",
      "  printf '{\"exit_code\": %d, \"signal\": %d, \"reason\": \"%s\", \"detail\": \"%s\", "
      "\"finished_at_ms\": %s}\\n' \\\n",
      "    \"$code\" \"$signal\" \"$plinth_reason\" \"$plinth_detail\" \"$(date +%s%3N)\" \\\n",
      "    >\"$plinth_exit_file.tmp\" && mv -f \"$plinth_exit_file.tmp\" \"$plinth_exit_file\"\n",
      "}\n", "trap plinth_record_exit EXIT\n",
      "# Slurm signals every process of the job (scancel --full, time limit): the command\n",
      "# handles the signal itself while this shell waits to record how it ended.\n",
      "trap : TERM INT HUP QUIT USR1 USR2\n");
  bool skipped_devices = false;
  for (const auto& [name, value] : spec.env) {
    if (spec.gpus > 0 && IsSlurmOwnedDeviceVar(name)) {
      skipped_devices = true;
      continue;
    }
    absl::StrAppend(&s, "export ", name, "=", ShellQuote(value), "\n");
  }
  if (skipped_devices) {
    absl::StrAppend(&s, "# CUDA_VISIBLE_DEVICES is Slurm's choice (--gres=gpu:", spec.gpus,
                    "), not the spec's.\n");
  }
  const std::string dir = spec.working_dir.empty() ? spec.log_dir : spec.working_dir;
  absl::StrAppend(
      &s, "cd -- ", ShellQuote(dir), " || {\n", "  plinth_reason=", kSlurmReasonBadWorkingDir, "\n",
      "  plinth_detail=", ShellQuote(JsonStringBody("cannot enter working folder " + dir)), "\n",
      "  exit 1\n", "}\n");
  const std::string program = ShellQuote(spec.argv[0]);
  absl::StrAppend(&s, "if ! command -v -- ", program, " >/dev/null 2>&1; then\n",
                  "  printf 'plinth: command not found: %s\\n' ", program, " >&2\n",
                  "  plinth_reason=", kSlurmReasonCommandNotFound, "\n", "  plinth_detail=",
                  ShellQuote(JsonStringBody("command not found: " + spec.argv[0])), "\n",
                  "  exit 127\n", "fi\n");
  for (size_t i = 0; i < spec.argv.size(); ++i) {
    absl::StrAppend(&s, i == 0 ? "" : " ", ShellQuote(spec.argv[i]));
  }
  absl::StrAppend(&s, "\n");
  return s;
}

absl::StatusOr<std::vector<std::string>> SbatchArgs(const LaunchSpec& spec,
                                                    const std::string& partition,
                                                    const std::string& script_path) {
  if (absl::Status valid = ValidateForSlurm(spec); !valid.ok()) return valid;
  std::string name = spec.name;
  if (name.empty()) name = absl::StrCat("plinth-", spec.job_id, "-", spec.replica);
  // sbatch expands %-patterns in --output; "%%" is a literal '%'.
  const std::string output =
      absl::StrReplaceAll(absl::StrCat(spec.log_dir, "/", kSlurmOutputFile), {{"%", "%%"}});
  std::vector<std::string> args = {
      "--parsable", absl::StrCat("--job-name=", name), absl::StrCat("--output=", output),
      absl::StrCat("--chdir=", spec.log_dir), "--nodes=1", "--ntasks=1",
      // Plinth's retry policy decides, not Slurm's requeue.
      "--no-requeue",
      // The job starts from the user's login environment on the node, not
      // from the server's (its secrets); the script exports the contract.
      "--export=NONE"};
  if (spec.cpus > 0) {
    args.push_back(absl::StrCat("--cpus-per-task=", static_cast<int64_t>(std::ceil(spec.cpus))));
  }
  if (spec.memory_mib > 0) args.push_back(absl::StrCat("--mem=", spec.memory_mib, "M"));
  if (spec.max_runtime_s > 0) {
    args.push_back(absl::StrCat("--time=", (spec.max_runtime_s + 59) / 60));
  }
  if (spec.gpus > 0) args.push_back(absl::StrCat("--gres=gpu:", spec.gpus));
  if (!partition.empty()) args.push_back(absl::StrCat("--partition=", partition));
  args.push_back(script_path);
  return args;
}

absl::StatusOr<std::string> ParseSbatchJobId(absl::string_view out) {
  absl::string_view line = absl::StripAsciiWhitespace(out);
  // Warnings may come first; the id is on the last line.
  if (size_t nl = line.rfind('\n'); nl != absl::string_view::npos) line = line.substr(nl + 1);
  line = line.substr(0, line.find(';'));
  int64_t id = 0;
  if (line.empty() || !absl::SimpleAtoi(line, &id) || id <= 0) {
    return absl::InternalError(
        absl::StrCat("sbatch printed no job id (expected '<id>' or '<id>;<cluster>'): '",
                     absl::StripAsciiWhitespace(out), "'"));
  }
  return std::string(line);
}

}  // namespace plinth::exec
