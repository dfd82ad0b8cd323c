#include "plinth/exec/slurm_executor.h"

#include <string.h>

#include <csignal>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "plinth/common/files.h"
#include "plinth/common/json.h"
#include "plinth/common/status_macros.h"
#include "plinth/exec/slurm_batch.h"

namespace plinth::exec {
namespace {

constexpr absl::string_view kHandlePrefix = "slurm:";

std::string SignalText(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", signal);
}

// How the command ended, per its exit record.
ReplicaStatus FromExitRecord(const SlurmExitRecord& exit) {
  ReplicaStatus status;
  status.exit_code = exit.exit_code;
  status.term_signal = exit.signal;
  if (!exit.reason.empty()) {
    status.state = ReplicaState::kFailed;
    status.message = exit.detail.empty() ? exit.reason : exit.detail;
    absl::StrAppend(&status.message, " (exit code ", exit.exit_code, ")");
  } else if (exit.signal != 0) {
    status.state = ReplicaState::kFailed;
    status.message = absl::StrCat("killed by ", SignalText(exit.signal));
  } else {
    status.state = exit.exit_code == 0 ? ReplicaState::kSucceeded : ReplicaState::kFailed;
    status.message = absl::StrCat("exited with code ", exit.exit_code);
  }
  return status;
}

// Slurm's "already ended" and "unknown job" answers, which make scancel a no-op.
bool IsGoneOrNotStarted(absl::string_view err) {
  return ContainsIgnoringCase(err, "already completing or completed") ||
         ContainsIgnoringCase(err, "Invalid job id") ||
         ContainsIgnoringCase(err, "Job is pending execution") ||
         ContainsIgnoringCase(err, "Job/step already");
}

}  // namespace

SlurmStateKind ClassifySlurmState(absl::string_view state) {
  // sacct adds detail ("CANCELLED by 0"); squeue prints the bare name.
  state = state.substr(0, state.find(' '));
  for (absl::string_view s : {"COMPLETED", "FAILED"}) {
    if (state == s) return SlurmStateKind::kEnded;
  }
  for (absl::string_view s : {"CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL",
                              "DEADLINE", "OUT_OF_MEMORY", "REVOKED", "SPECIAL_EXIT"}) {
    if (state == s) return SlurmStateKind::kEndedBySlurm;
  }
  return SlurmStateKind::kActive;
}

absl::StatusOr<SlurmExitRecord> ParseSlurmExitRecord(absl::string_view text) {
  absl::StatusOr<Json> json = ParseJsonLenient(text);
  if (!json.ok() || !json->is_object() || !(*json)["exit_code"].is_number_integer()) {
    return absl::InternalError(absl::StrCat("unreadable exit record: '", text, "'"));
  }
  SlurmExitRecord r;
  r.exit_code = (*json)["exit_code"].get<int>();
  if ((*json)["signal"].is_number_integer()) r.signal = (*json)["signal"].get<int>();
  if ((*json)["reason"].is_string()) r.reason = (*json)["reason"].get<std::string>();
  if ((*json)["detail"].is_string()) r.detail = (*json)["detail"].get<std::string>();
  return r;
}

std::optional<SlurmExitRecord> ParseSlurmExitCode(absl::string_view exit_code) {
  std::vector<absl::string_view> parts = absl::StrSplit(exit_code, ':');
  SlurmExitRecord r;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &r.exit_code) ||
      !absl::SimpleAtoi(parts[1], &r.signal)) {
    return std::nullopt;
  }
  if (r.signal != 0) r.exit_code = 128 + r.signal;
  return r;
}

ReplicaStatus ReplicaStatusFromSlurm(absl::string_view state,
                                     const std::optional<SlurmExitRecord>& exit) {
  ReplicaStatus status;
  if (state.empty()) {
    if (exit.has_value()) return FromExitRecord(*exit);
    status.state = ReplicaState::kLost;
    status.message = "Slurm no longer knows the job and it left no exit status";
    return status;
  }
  switch (ClassifySlurmState(state)) {
    case SlurmStateKind::kActive:
      status.state = ReplicaState::kRunning;
      status.message = absl::StrCat("Slurm state ", state);
      return status;
    case SlurmStateKind::kEnded:
      if (exit.has_value()) return FromExitRecord(*exit);
      status.state =
          absl::StartsWith(state, "COMPLETED") ? ReplicaState::kSucceeded : ReplicaState::kFailed;
      status.message = absl::StrCat("Slurm state ", state);
      return status;
    case SlurmStateKind::kEndedBySlurm:
      if (exit.has_value()) status = FromExitRecord(*exit);
      status.state = ReplicaState::kFailed;
      status.message = exit.has_value()
                           ? absl::StrCat("Slurm state ", state, " (", status.message, ")")
                           : absl::StrCat("Slurm state ", state);
      return status;
  }
  return status;
}

absl::StatusOr<std::unique_ptr<SlurmExecutor>> SlurmExecutor::Create(SlurmOptions options) {
  if (options.command_timeout_s <= 0) {
    return absl::InvalidArgumentError("executors.slurm: the command timeout must be positive");
  }
  absl::StatusOr<std::unique_ptr<SlurmCli>> cli = SlurmCli::Create(
      options.bin_dir, options.extra_env, absl::Seconds(options.command_timeout_s));
  if (!cli.ok()) return cli.status();
  // sacct is optional: without it (or without accounting) exit.json suffices.
  std::string sacct = (*cli)->PathOf("sacct");
  bool has_sacct = false;
  if (sacct.find('/') != std::string::npos) {
    has_sacct = access(sacct.c_str(), X_OK) == 0;
  } else {
    const char* path = getenv("PATH");
    for (absl::string_view dir : absl::StrSplit(path ? path : "", ':', absl::SkipEmpty())) {
      if (access(absl::StrCat(dir, "/sacct").c_str(), X_OK) == 0) has_sacct = true;
    }
  }
  return std::unique_ptr<SlurmExecutor>(
      new SlurmExecutor(std::move(options), *std::move(cli), has_sacct));
}

std::string SlurmExecutor::FormatHandle(const Handle& handle) {
  return absl::StrCat(kHandlePrefix, handle.job_id, ":", handle.log_dir);
}

absl::StatusOr<SlurmExecutor::Handle> SlurmExecutor::ParseHandle(const std::string& handle) {
  absl::string_view rest = handle;
  int64_t id = 0;
  if (absl::ConsumePrefix(&rest, kHandlePrefix)) {
    size_t colon = rest.find(':');
    if (colon != absl::string_view::npos && absl::SimpleAtoi(rest.substr(0, colon), &id) &&
        id > 0 && absl::StartsWith(rest.substr(colon + 1), "/")) {
      return Handle{std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "not a Slurm replica handle (want slurm:<job id>:<log folder>): '", handle, "'"));
}

absl::StatusOr<std::string> SlurmExecutor::Launch(const LaunchSpec& spec) {
  absl::StatusOr<std::string> script = RenderBatchScript(spec);
  if (!script.ok()) return script.status();
  absl::StatusOr<std::vector<std::string>> args =
      SbatchArgs(spec, options_.partition, absl::StrCat(spec.log_dir, "/", kSlurmScriptFile));
  if (!args.ok()) return args.status();
  std::error_code ec;
  std::filesystem::create_directories(spec.log_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create log folder ", spec.log_dir, ": ", ec.message()));
  }
  // A retry in the same folder must not read the previous attempt's exit.
  std::filesystem::remove(absl::StrCat(spec.log_dir, "/", kSlurmExitFile), ec);
  if (absl::Status written =
          WriteFileAtomic(absl::StrCat(spec.log_dir, "/", kSlurmScriptFile), *script);
      !written.ok()) {
    return written;
  }
  absl::StatusOr<CommandResult> run = cli_->Run("sbatch", *args);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Slurm rejected the job: ", ErrorLine(run->err)));
  }
  absl::StatusOr<std::string> job_id = ParseSbatchJobId(run->out);
  if (!job_id.ok()) return job_id.status();
  return FormatHandle(Handle{*job_id, spec.log_dir});
}

absl::StatusOr<std::optional<std::string>> SlurmExecutor::QueueState(
    const std::string& job_id) const {
  absl::StatusOr<CommandResult> run =
      cli_->Run("squeue", {"-h", "-t", "all", "-j", job_id, "-o", "%T"});
  if (!run.ok()) return run.status();
  std::string state(absl::StripAsciiWhitespace(run->out));
  if (run->exit_code != 0) {
    if (ContainsIgnoringCase(run->err, "Invalid job id")) return std::nullopt;
    return absl::InternalError(absl::StrCat("squeue failed: ", ErrorLine(run->err)));
  }
  if (state.empty()) return std::nullopt;
  return state.substr(0, state.find('\n'));
}

std::optional<std::string> SlurmExecutor::ScontrolExitCode(const std::string& job_id) const {
  absl::StatusOr<CommandResult> run = cli_->Run("scontrol", {"show", "job", "-o", job_id});
  if (!run.ok() || run->exit_code != 0) return std::nullopt;
  for (absl::string_view field : absl::StrSplit(run->out, absl::ByAnyChar(" \n"))) {
    if (absl::ConsumePrefix(&field, "ExitCode=")) return std::string(field);
  }
  return std::nullopt;
}

std::optional<std::string> SlurmExecutor::SacctRecord(const std::string& job_id) const {
  if (!has_sacct_) return std::nullopt;
  absl::StatusOr<CommandResult> run =
      cli_->Run("sacct", {"-n", "-X", "-P", "-j", job_id, "-o", "State,ExitCode"});
  if (!run.ok() || run->exit_code != 0) return std::nullopt;
  std::string line(absl::StripAsciiWhitespace(run->out));
  line = line.substr(0, line.find('\n'));
  if (line.find('|') == std::string::npos) return std::nullopt;
  return line;
}

absl::StatusOr<ReplicaStatus> SlurmExecutor::Poll(const std::string& handle) {
  absl::StatusOr<Handle> h = ParseHandle(handle);
  if (!h.ok()) return h.status();
  absl::StatusOr<std::optional<std::string>> state = QueueState(h->job_id);
  if (!state.ok()) return state.status();
  if (state->has_value() && ClassifySlurmState(**state) == SlurmStateKind::kActive) {
    return ReplicaStatusFromSlurm(**state, std::nullopt);
  }
  return EndedStatus(h->job_id, h->log_dir, *state);
}

absl::StatusOr<std::map<std::string, std::string>> SlurmExecutor::QueueStates(
    const std::vector<std::string>& job_ids) const {
  std::map<std::string, std::string> states;
  if (job_ids.empty()) return states;
  absl::StatusOr<CommandResult> run =
      cli_->Run("squeue", {"-h", "-t", "all", "-j", absl::StrJoin(job_ids, ","), "-o", "%i|%T"});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    // Every id forgotten: squeue says so instead of printing nothing.
    if (ContainsIgnoringCase(run->err, "Invalid job id")) return states;
    return absl::InternalError(absl::StrCat("squeue failed: ", ErrorLine(run->err)));
  }
  for (absl::string_view line : absl::StrSplit(run->out, '\n', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(line, '|');
    states[std::string(absl::StripAsciiWhitespace(parts.first))] =
        std::string(absl::StripAsciiWhitespace(parts.second));
  }
  return states;
}

std::map<std::string, absl::StatusOr<ReplicaStatus>> SlurmExecutor::PollAll(
    const std::vector<std::string>& handles) {
  std::map<std::string, absl::StatusOr<ReplicaStatus>> out;
  std::vector<std::pair<std::string, Handle>> parsed;
  std::vector<std::string> ids;
  for (const std::string& handle : handles) {
    absl::StatusOr<Handle> h = ParseHandle(handle);
    if (!h.ok()) {
      out.emplace(handle, h.status());
      continue;
    }
    ids.push_back(h->job_id);
    parsed.emplace_back(handle, *h);
  }
  absl::StatusOr<std::map<std::string, std::string>> states = QueueStates(ids);
  for (const auto& [handle, h] : parsed) {
    if (!states.ok()) {
      out.emplace(handle, states.status());
      continue;
    }
    auto it = states->find(h.job_id);
    std::optional<std::string> state;
    if (it != states->end()) state = it->second;
    if (state && ClassifySlurmState(*state) == SlurmStateKind::kActive) {
      out.emplace(handle, ReplicaStatusFromSlurm(*state, std::nullopt));
    } else {
      out.emplace(handle, EndedStatus(h.job_id, h.log_dir, state));
    }
  }
  return out;
}

ReplicaStatus SlurmExecutor::EndedStatus(const std::string& job_id, const std::string& log_dir,
                                         const std::optional<std::string>& state) const {
  std::optional<SlurmExitRecord> exit;
  absl::StatusOr<std::string> text = ReadFile(absl::StrCat(log_dir, "/", kSlurmExitFile));
  if (text.ok()) {
    absl::StatusOr<SlurmExitRecord> parsed = ParseSlurmExitRecord(*text);
    if (parsed.ok()) exit = *parsed;
  }
  std::string slurm_state = state.value_or("");
  std::string note;
  if (!exit.has_value()) {
    // The script could not write exit.json (killed first, or log_dir is not
    // shared with the node): ask Slurm how it ended.
    std::optional<std::string> code;
    if (state.has_value()) {
      code = ScontrolExitCode(job_id);
    } else if (std::optional<std::string> record = SacctRecord(job_id)) {
      std::pair<std::string, std::string> parts = absl::StrSplit(*record, '|');
      slurm_state = parts.first;
      code = parts.second;
    }
    if (code.has_value()) exit = ParseSlurmExitCode(*code);
    if (ClassifySlurmState(slurm_state) == SlurmStateKind::kEnded) {
      note = absl::StrCat("; no ", kSlurmExitFile, " in ", log_dir,
                          ": is it on a filesystem the node shares?");
    }
  }
  ReplicaStatus status = ReplicaStatusFromSlurm(slurm_state, exit);
  absl::StrAppend(&status.message, note);
  if (slurm_state.empty() && !exit.has_value()) {
    status.message = absl::StrCat("Slurm no longer knows job ", job_id,
                                  " and it left no exit status in ", log_dir);
  }
  return status;
}

absl::Status SlurmExecutor::Scancel(const std::string& job_id, int signal) const {
  std::vector<std::string> args;
  if (signal != 0) {
    args = {absl::StrCat("--signal=", signal), "--full"};
  }
  args.push_back(job_id);
  absl::StatusOr<CommandResult> run = cli_->Run("scancel", args);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0 && !IsGoneOrNotStarted(run->err)) {
    return absl::InternalError(absl::StrCat("scancel failed: ", ErrorLine(run->err)));
  }
  return absl::OkStatus();
}

absl::Status SlurmExecutor::Signal(const std::string& handle, int signal) {
  absl::StatusOr<Handle> h = ParseHandle(handle);
  if (!h.ok()) return h.status();
  if (signal <= 0 || signal >= NSIG) {
    return absl::InvalidArgumentError(absl::StrCat("not a signal number: ", signal));
  }
  return Scancel(h->job_id, signal);
}

absl::Status SlurmExecutor::Kill(const std::string& handle) {
  absl::StatusOr<Handle> h = ParseHandle(handle);
  if (!h.ok()) return h.status();
  return Scancel(h->job_id, 0);
}

absl::Status SlurmExecutor::Abandon(const std::string& log_dir) {
  // Replicas run with --chdir=<log_dir>: find the queued or running ones there.
  absl::StatusOr<CommandResult> run = cli_->Run("squeue", {"-h", "--me", "-o", "%i|%Z"});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("squeue failed: ", ErrorLine(run->err)));
  }
  for (absl::string_view line : absl::StrSplit(run->out, '\n', absl::SkipEmpty())) {
    std::pair<std::string, std::string> id_dir = absl::StrSplit(line, absl::MaxSplits('|', 1));
    if (id_dir.second == log_dir) RETURN_IF_ERROR(Scancel(id_dir.first, 0));
  }
  return absl::OkStatus();
}

}  // namespace plinth::exec
