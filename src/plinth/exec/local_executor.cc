#include "plinth/exec/local_executor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plinth/common/files.h"
#include "plinth/common/status_macros.h"
#include "plinth/exec/job_environment.h"
#include "plinth/exec/process_util.h"
#include "plinth/exec/replica_record.h"
#include "plinth/exec/shim.h"
#include "spdlog/spdlog.h"

namespace plinth::exec {
namespace fs = std::filesystem;

namespace {

constexpr auto kPollStep = std::chrono::milliseconds(5);

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

absl::Status ValidateSpec(const LaunchSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return absl::InvalidArgumentError("the command is empty: give the program to run");
  }
  for (const std::string& arg : spec.argv) {
    if (HasNul(arg)) return absl::InvalidArgumentError("command arguments may not contain NUL");
  }
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos || HasNul(key) || HasNul(value)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "environment variable name '", key, "' is invalid: it must be non-empty without '='"));
    }
  }
  if (spec.log_dir.empty()) return absl::InvalidArgumentError("log_dir is required");
  if (spec.cpus < 0 || spec.memory_mib < 0 || spec.max_runtime_s < 0) {
    return absl::InvalidArgumentError("cpus, memory_mib and max_runtime_s must be >= 0");
  }
  return absl::OkStatus();
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn rather than fork: nothing runs in the child between the clone
// and the exec but the listed file actions, which is safe in a threaded server.
// The shim as fd 3 (--ready-fd 3) gets the write end of `ready`: it writes
// a byte there once replica.json exists, so Launch waits for that instead
// of looking for the file again and again.
constexpr int kReadyFd = 3;

absl::StatusOr<pid_t> SpawnShim(const std::string& shim_path, std::vector<std::string> args,
                                std::vector<std::string> env, const std::string& output,
                                int ready_write_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&actions, ready_write_fd, kReadyFd);
  // The server's sockets and database files must not leak into jobs.
  posix_spawn_file_actions_addclosefrom_np(&actions, kReadyFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD}) {
    sigaddset(&defaults, s);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  args.insert(args.begin(), shim_path);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  pid_t pid = 0;
  int err = posix_spawn(&pid, shim_path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start the supervisor ", shim_path, ": ", std::strerror(err)));
  }
  return pid;
}

// The job's own folder: owned by its user, closed to everyone else.
absl::Status GiveFolderTo(const std::string& dir, int uid, int gid) {
  if (::chown(dir.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0 ||
      ::chmod(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot give ", dir, " to uid ", uid, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string OutputTail(const std::string& log_dir) {
  auto text = ReadFile(fs::path(log_dir) / kOutputFile);
  if (!text.ok()) return "";
  constexpr size_t kTail = 2000;
  return text->size() > kTail ? text->substr(text->size() - kTail) : *text;
}

ReplicaStatus StatusFromExit(const ExitRecord& exit) {
  ReplicaStatus status;
  status.exit_code = exit.exit_code;
  status.term_signal = exit.signal;
  status.state = ReplicaState::kFailed;
  if (exit.reason == kReasonMaxRuntime) {
    status.message = exit.detail.empty() ? "exceeded max runtime" : exit.detail;
  } else if (exit.reason == kReasonSupervisorError) {
    status.message = absl::StrCat("supervisor error: ", exit.detail);
  } else if (exit.signal != 0) {
    status.message = absl::StrCat("killed by ", SignalName(exit.signal));
  } else {
    status.message = absl::StrCat("exited with code ", exit.exit_code);
    if (exit.exit_code == 0) status.state = ReplicaState::kSucceeded;
  }
  return status;
}

using Handle = LocalExecutor::Handle;

bool SameShim(const Handle& h, int pid, uint64_t start_time) {
  return pid == h.shim_pid && start_time == h.shim_start_time;
}

// The records of the replica `h` names. NotFound when absent or when a later
// launch in the same folder wrote them.
absl::StatusOr<ExitRecord> ExitOf(const Handle& h) {
  auto exit = ReadExitRecord(h.log_dir);
  if (exit.ok() && exit->shim_pid != 0 && !SameShim(h, exit->shim_pid, exit->shim_start_time)) {
    return absl::NotFoundError("exit.json belongs to a later launch");
  }
  return exit;
}
absl::StatusOr<ReplicaRecord> RecordOf(const Handle& h) {
  auto rec = ReadReplicaRecord(h.log_dir);
  if (rec.ok() && !SameShim(h, rec->shim_pid, rec->shim_start_time)) {
    return absl::NotFoundError("replica.json belongs to a later launch");
  }
  return rec;
}

// Signals the command's process group and any process of its cgroup that
// left the group (each process once).
void SignalReplica(const ReplicaRecord& rec, int signal) {
  ::kill(-rec.pgid, signal);
  if (signal == SIGKILL) {
    SignalCgroup(rec.cgroup, SIGKILL);
    return;
  }
  for (pid_t pid : CgroupPids(rec.cgroup)) {
    auto st = ReadProcStat(pid);
    if (st && st->pgid != rec.pgid) ::kill(pid, signal);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalExecutor>> LocalExecutor::Create(LocalExecutorOptions options) {
  if (options.shim_path.empty() || ::access(options.shim_path.c_str(), X_OK) != 0) {
    return absl::InvalidArgumentError(absl::StrCat("local executor: shim_path '", options.shim_path,
                                                   "' is not an executable file"));
  }
  if (options.kill_grace_s < 0 || options.start_timeout_ms < 0 || options.kill_wait_ms < 0) {
    return absl::InvalidArgumentError(
        "local executor: kill_grace_s, start_timeout_ms and kill_wait_ms must be >= 0");
  }
  CgroupSupport cgroups;
  cgroups.note = "not enforced: cgroups are disabled in the configuration";
  if (options.enable_cgroups) cgroups = PrepareCgroups(options.cgroup_root);
  if (!cgroups.enabled) spdlog::info("local executor: memory/CPU limits {}", cgroups.note);
  return std::unique_ptr<LocalExecutor>(new LocalExecutor(std::move(options), std::move(cgroups)));
}

std::string LocalExecutor::FormatHandle(const Handle& h) {
  // The folder goes last: paths may contain ':'.
  return absl::StrCat("local:", h.shim_pid, ":", h.shim_start_time, ":", h.log_dir);
}

absl::StatusOr<LocalExecutor::Handle> LocalExecutor::ParseHandle(const std::string& handle) {
  std::vector<std::string> parts = absl::StrSplit(handle, absl::MaxSplits(':', 3));
  Handle h;
  int pid = 0;
  if (parts.size() != 4 || parts[0] != "local" || !absl::SimpleAtoi(parts[1], &pid) || pid <= 1 ||
      !absl::SimpleAtoi(parts[2], &h.shim_start_time) || parts[3].empty() || parts[3][0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", handle, "' is not a local executor handle (local:<pid>:<start time>:<log folder>)"));
  }
  h.shim_pid = pid;
  h.log_dir = parts[3];
  return h;
}

void LocalExecutor::PrepareLimits(const LaunchSpec& spec, std::string* cgroup,
                                  std::string* limits) const {
  std::string wanted = DescribeLimits(spec.cpus, spec.memory_mib);
  if (!cgroups_.enabled) {
    *limits = wanted.empty() ? "none requested" : cgroups_.note;
    return;
  }
  // A cgroup even without limits: it lets Kill reach processes that left the group.
  auto created = CreateReplicaCgroup(cgroups_.parent, ReplicaCgroupName(spec.job_id, spec.replica),
                                     spec.cpus, spec.memory_mib);
  if (!created.ok()) {
    spdlog::warn("local executor: {}", created.status().ToString());
    *limits = wanted.empty() ? "none requested"
                             : absl::StrCat("not enforced: ", created.status().message());
    return;
  }
  *cgroup = *created;
  *limits = wanted.empty() ? "none requested" : absl::StrCat(wanted, " (cgroup v2 ", *created, ")");
}

absl::StatusOr<std::string> LocalExecutor::Launch(const LaunchSpec& spec) {
  RETURN_IF_ERROR(ValidateSpec(spec));
  std::error_code ec;
  std::string log_dir = fs::absolute(spec.log_dir, ec).lexically_normal().string();
  if (!log_dir.empty() && log_dir.size() > 1 && log_dir.back() == '/') log_dir.pop_back();
  fs::create_directories(log_dir, ec);
  if (ec || !fs::is_directory(log_dir)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create the log folder ", log_dir, ": ",
                                                   ec ? ec.message() : "not a folder"));
  }
  // HOME is a folder of the replica's own, not the server's home. A job of
  // another user owns only that folder (0700): the replica folder, its
  // records and its log stay the server's, so the job cannot forge them.
  std::string home = absl::StrCat(log_dir, "/home");
  fs::create_directories(home, ec);
  bool other_user = spec.uid >= 0;
  if (other_user) {
    RETURN_IF_ERROR(GiveFolderTo(home, spec.uid, spec.gid));
    fs::permissions(log_dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec,
                    ec);
  }
  std::string cwd = other_user ? home : log_dir;
  if (!spec.working_dir.empty()) {
    cwd = fs::absolute(spec.working_dir, ec).string();
    if (!fs::is_directory(cwd, ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat("working folder ", spec.working_dir, " does not exist or is not a folder"));
    }
  }
  std::map<std::string, std::string> env = JobEnvironment(spec.env, home);
  auto executable = ResolveExecutable(spec.argv[0], env["PATH"], cwd);
  if (!executable.ok()) return absl::InvalidArgumentError(executable.status().message());

  // The folder may hold an earlier attempt's records; a running one must not be disturbed.
  if (auto previous = ReadReplicaRecord(log_dir);
      previous.ok() && !ReadExitRecord(log_dir).ok() &&
      (IsAlive(previous->shim_pid, previous->shim_start_time) ||
       IsAlive(previous->pid, previous->start_time))) {
    return absl::FailedPreconditionError(
        absl::StrCat("log folder ", log_dir, " belongs to a replica that is still running (pid ",
                     previous->pid, "); kill it first"));
  }
  fs::remove(fs::path(log_dir) / kReplicaFile, ec);
  fs::remove(fs::path(log_dir) / kExitFile, ec);

  ShimOptions shim;
  shim.log_dir = log_dir;
  shim.working_dir = cwd;
  shim.executable = *executable;
  shim.argv = spec.argv;
  shim.max_runtime_s = spec.max_runtime_s;
  shim.uid = spec.uid;
  shim.gid = spec.gid;
  shim.kill_grace_s = options_.kill_grace_s;
  PrepareLimits(spec, &shim.cgroup, &shim.limits);

  shim.ready_fd = kReadyFd;
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  auto started = [&]() -> absl::StatusOr<std::string> {
    absl::StatusOr<pid_t> spawned =
        SpawnShim(options_.shim_path, ShimArgs(shim), EnvironmentStrings(env),
                  (fs::path(log_dir) / kOutputFile).string(), ready[1]);
    ::close(ready[1]);
    if (!spawned.ok()) return spawned.status();
    pid_t pid = *spawned;
    auto stat = ReadProcStat(pid);
    if (!stat) return absl::InternalError("the supervisor process vanished as it started");
    Handle handle{pid, stat->start_time, log_dir};
    RETURN_IF_ERROR(AwaitStart(handle, ready[0]));
    exits_.Watch(pid, stat->start_time);
    return FormatHandle(handle);
  }();
  ::close(ready[0]);
  if (!started.ok()) RemoveCgroup(shim.cgroup);
  return started;
}

absl::Status LocalExecutor::AwaitStart(const Handle& h, int ready_fd) const {
  // The shim writes one byte once replica.json exists; the pipe closes
  // without it when the shim exits first.
  pollfd ready{ready_fd, POLLIN, 0};
  int n;
  do {
    n = ::poll(&ready, 1, static_cast<int>(options_.start_timeout_ms));
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    // Still starting (a very loaded machine): the handle stays valid.
    spdlog::warn("local executor: supervisor {} has not started its command after {} ms",
                 h.shim_pid, options_.start_timeout_ms);
    return absl::OkStatus();
  }
  char byte = 0;
  bool told = n > 0 && ::read(ready_fd, &byte, 1) == 1;
  auto rec = ReadReplicaRecord(h.log_dir);
  if (rec.ok() && rec->shim_pid == h.shim_pid) return absl::OkStatus();
  if (told) return absl::InternalError("the supervisor said it started but left no replica.json");
  // The shim ended before starting the command.
  ReapIfOurZombie(h.shim_pid, h.shim_start_time);
  return absl::InternalError(
      absl::StrCat("the supervisor exited before starting the command: ", OutputTail(h.log_dir)));
}

void LocalExecutor::SetExitListener(std::function<void()> listener) {
  exits_.SetListener(std::move(listener));
}

absl::StatusOr<ReplicaStatus> LocalExecutor::Poll(const std::string& handle_text) {
  ASSIGN_OR_RETURN(Handle h, ParseHandle(handle_text));
  ReapIfOurZombie(h.shim_pid, h.shim_start_time);
  auto exit = ExitOf(h);
  if (absl::IsNotFound(exit.status()) && IsAlive(h.shim_pid, h.shim_start_time)) {
    // Replicas of an earlier server run are watched from their first poll.
    exits_.Watch(h.shim_pid, h.shim_start_time);
    return ReplicaStatus{};
  }
  // The shim writes exit.json and then exits: re-read, or a shim that ended
  // between the two checks would look lost.
  if (absl::IsNotFound(exit.status())) exit = ExitOf(h);
  if (exit.ok()) return StatusFromExit(*exit);
  ReplicaStatus lost;
  lost.state = ReplicaState::kLost;
  if (!absl::IsNotFound(exit.status())) {
    lost.message = std::string(exit.status().message());
    return lost;
  }
  lost.message = "supervisor process vanished without an exit status";
  auto rec = RecordOf(h);
  if (rec.ok() && IsAlive(rec->pid, rec->start_time)) {
    absl::StrAppend(&lost.message, " (its command, pid ", rec->pid,
                    ", is still running; Kill stops it)");
  }
  return lost;
}

absl::Status LocalExecutor::Signal(const std::string& handle_text, int signal) {
  if (signal <= 0 || signal >= NSIG) {
    return absl::InvalidArgumentError(absl::StrCat("signal ", signal, " is not a valid signal"));
  }
  ASSIGN_OR_RETURN(Handle h, ParseHandle(handle_text));
  if (ExitOf(h).ok()) return absl::OkStatus();
  auto rec = RecordOf(h);
  if (!rec.ok()) {
    if (IsAlive(h.shim_pid, h.shim_start_time)) {
      return absl::UnavailableError("the replica is still starting; try again");
    }
    return absl::OkStatus();
  }
  // Only while the shim or the group leader is known to be alive: afterwards
  // the group id could name someone else's processes.
  if (!IsAlive(h.shim_pid, h.shim_start_time) && !IsAlive(rec->pid, rec->start_time)) {
    return absl::OkStatus();
  }
  SignalReplica(*rec, signal);
  return absl::OkStatus();
}

absl::Status LocalExecutor::Kill(const std::string& handle_text) {
  ASSIGN_OR_RETURN(Handle h, ParseHandle(handle_text));
  auto wait_for = [&](auto done) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.kill_wait_ms);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollStep);
    }
  };
  auto shim_alive = [&] { return IsAlive(h.shim_pid, h.shim_start_time); };
  auto recorded = [&] { return ExitOf(h).ok(); };
  if (!recorded()) {
    auto rec = RecordOf(h);
    if (absl::IsNotFound(rec.status()) && shim_alive()) {
      // Killed while starting: nothing signals "replica.json written" to
      // this caller (Launch had the ready pipe), so look for it, bounded.
      wait_for([&] { return !shim_alive() || RecordOf(h).ok(); });
      rec = RecordOf(h);
    }
    if (rec.ok()) {
      if (shim_alive() || IsAlive(rec->pid, rec->start_time)) SignalReplica(*rec, SIGKILL);
    } else if (!shim_alive() && ReadReplicaRecord(h.log_dir).ok()) {
      return absl::OkStatus();  // a later launch owns the folder; this replica is long gone
    }
    // The shim normally records "killed by SIGKILL" within milliseconds,
    // then exits: its pidfd says when.
    WaitForExit(h.shim_pid, h.shim_start_time, options_.kill_wait_ms);
  }
  std::error_code ec;
  if (!recorded() && fs::is_directory(h.log_dir, ec)) {
    // The shim is gone or hung: stop it (a shim that never released its
    // command takes the command with it) and record the kill ourselves.
    if (shim_alive()) ::kill(h.shim_pid, SIGKILL);
    ExitRecord exit;
    exit.shim_pid = h.shim_pid;
    exit.shim_start_time = h.shim_start_time;
    exit.exit_code = 128 + SIGKILL;
    exit.signal = SIGKILL;
    exit.reason = kReasonKilled;
    exit.detail = "its supervisor did not record the exit";
    exit.finished_at_ms = WallMillis();
    RETURN_IF_ERROR(WriteExitRecord(h.log_dir, exit));
  }
  ReapIfOurZombie(h.shim_pid, h.shim_start_time);
  return absl::OkStatus();
}

absl::Status LocalExecutor::Abandon(const std::string& log_dir) {
  // The supervisor writes replica.json as soon as the command runs.
  absl::StatusOr<ReplicaRecord> rec = ReadReplicaRecord(log_dir);
  if (!rec.ok()) return absl::OkStatus();
  return Kill(FormatHandle({rec->shim_pid, rec->shim_start_time, log_dir}));
}

}  // namespace plinth::exec
