#include "plinth/exec/shim.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/exec/cgroup.h"
#include "plinth/exec/process_util.h"
#include "plinth/exec/replica_record.h"

extern char** environ;

namespace plinth::exec {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2};
// How long the shim keeps killing leftovers before it gives up and records
// the exit anyway (a process stuck in uninterruptible sleep cannot die).
constexpr auto kCleanupLimit = std::chrono::seconds(5);

// Notices go to stderr, which is the replica's output.log.
template <typename... Args>
void Notice(const Args&... args) {
  std::string line = absl::StrCat("[plinth] ", args..., "\n");
  ssize_t unused = ::write(STDERR_FILENO, line.data(), line.size());
  (void)unused;
}

bool IsForwarded(int sig) {
  for (int s : kForwarded) {
    if (s == sig) return true;
  }
  return false;
}

// Waits up to `timeout` for one of `set`; returns the signal or 0.
int WaitSignal(const sigset_t& set, SteadyClock::duration timeout) {
  if (timeout < SteadyClock::duration::zero()) timeout = SteadyClock::duration::zero();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  siginfo_t info;
  int sig = ::sigtimedwait(&set, &info, &ts);
  return sig > 0 ? sig : 0;
}

// Runs in the forked child: waits for the shim's go-ahead (so replica.json
// exists and the cgroup is joined before the command starts), then execs.
// A closed pipe without a go-ahead means the shim died: never start.
[[noreturn]] void RunChild(const ShimOptions& opts, std::vector<char*>& argv, int go_fd) {
  ::setpgid(0, 0);
  char go = 0;
  ssize_t n;
  do {
    n = ::read(go_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(125);
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (opts.uid >= 0) {
    // Groups first: once the UID is dropped, they can no longer be changed.
    gid_t gid = static_cast<gid_t>(opts.gid);
    uid_t uid = static_cast<uid_t>(opts.uid);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::setgroups(0, nullptr) != 0 ||
        ::setresgid(gid, gid, gid) != 0 || ::setresuid(uid, uid, uid) != 0 || ::getuid() != uid ||
        ::geteuid() != uid) {
      Notice("cannot run the command as uid ", opts.uid, ": ", std::strerror(errno));
      ::_exit(126);
    }
  }
  if (::chdir(opts.working_dir.c_str()) != 0) {
    Notice("cannot enter working folder ", opts.working_dir, ": ", std::strerror(errno));
    ::_exit(126);
  }
  ::execve(opts.executable.c_str(), argv.data(), environ);
  Notice("cannot run ", opts.executable, ": ", std::strerror(errno));
  ::_exit(127);
}

void SignalTree(pid_t pgid, const std::string& cgroup, int sig) {
  ::kill(-pgid, sig);
  // Processes that left the group (setsid) are still in the cgroup.
  for (pid_t pid : CgroupPids(cgroup)) {
    auto st = ReadProcStat(pid);
    if (st && st->pgid != pgid) ::kill(pid, sig);
  }
}

// Kills everything the command left behind. The group and cgroup catch most;
// the rest were orphaned and re-parented to this process (a child
// subreaper), so killing our children until none remain ends the whole tree.
void KillLeftovers(const std::string& cgroup, const sigset_t& sigchld) {
  auto deadline = SteadyClock::now() + kCleanupLimit;
  while (true) {
    int status;
    pid_t reaped;
    while ((reaped = ::waitpid(-1, &status, WNOHANG)) > 0) {
    }
    // No child at all (the usual case): nothing was orphaned, and reading
    // every process's /proc entry to find our children is skipped.
    std::vector<pid_t> children;
    if (!(reaped < 0 && errno == ECHILD)) children = ChildrenOf(::getpid());
    std::vector<pid_t> in_cgroup = CgroupPids(cgroup);
    if (children.empty() && in_cgroup.empty()) return;
    if (SteadyClock::now() > deadline) {
      Notice("processes still alive after the command ended: ", absl::StrJoin(children, " "), " ",
             absl::StrJoin(in_cgroup, " "));
      return;
    }
    for (pid_t pid : children) ::kill(pid, SIGKILL);
    if (!in_cgroup.empty()) SignalCgroup(cgroup, SIGKILL);
    WaitSignal(sigchld, milliseconds(20));
  }
}

// Reaps exited children other than `command` (orphans the shim adopted)
// without reaping `command` itself; true when `command` has exited.
bool ReapAllBut(pid_t command) {
  while (true) {
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) {
      return false;
    }
    if (info.si_pid == command) return true;
    int status;
    ::waitpid(info.si_pid, &status, WNOHANG);
  }
}

ExitRecord SupervisorError(const std::string& detail) {
  Notice("supervisor error: ", detail);
  ExitRecord rec;
  rec.shim_pid = ::getpid();
  if (auto self = ReadProcStat(rec.shim_pid)) rec.shim_start_time = self->start_time;
  rec.exit_code = 127;
  rec.reason = kReasonSupervisorError;
  rec.detail = detail;
  rec.finished_at_ms = WallMillis();
  return rec;
}

ExitRecord Supervise(const ShimOptions& opts) {
  if (opts.ready_fd >= 0) ::fcntl(opts.ready_fd, F_SETFD, FD_CLOEXEC);
  ::setsid();  // fails harmlessly when the executor already made us a session leader
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  sigset_t handled;
  sigemptyset(&handled);
  for (int s : kForwarded) sigaddset(&handled, s);
  sigaddset(&handled, SIGCHLD);
  sigaddset(&handled, SIGHUP);  // consumed and ignored: the shim outlives its terminal
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  sigset_t sigchld;
  sigemptyset(&sigchld);
  sigaddset(&sigchld, SIGCHLD);

  std::vector<char*> argv;
  for (const std::string& a : opts.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return SupervisorError(absl::StrCat("pipe: ", strerror(errno)));
  pid_t child = ::fork();
  if (child < 0) return SupervisorError(absl::StrCat("fork: ", strerror(errno)));
  if (child == 0) {
    ::close(go[1]);
    RunChild(opts, argv, go[0]);
  }
  ::close(go[0]);
  ::setpgid(child, child);  // also done by the child; whichever runs first wins

  ReplicaRecord rec;
  rec.shim_pid = ::getpid();
  auto self = ReadProcStat(rec.shim_pid);
  auto child_stat = ReadProcStat(child);
  rec.shim_start_time = self ? self->start_time : 0;
  rec.pid = child;
  rec.pgid = child;
  rec.start_time = child_stat ? child_stat->start_time : 0;
  rec.limits = opts.limits;
  rec.started_at_ms = WallMillis();
  if (!opts.cgroup.empty()) {
    absl::Status joined = JoinCgroup(opts.cgroup, child);
    if (joined.ok()) {
      rec.cgroup = opts.cgroup;
    } else {
      rec.limits = absl::StrCat("not enforced: ", joined.message());
      Notice("memory/CPU limits ", rec.limits);
    }
  }
  absl::Status written = WriteReplicaRecord(opts.log_dir, rec);
  if (!written.ok()) {
    ::kill(child, SIGKILL);  // it has not started the command yet
    int status;
    ::waitpid(child, &status, 0);
    return SupervisorError(std::string(written.message()));
  }
  ssize_t sent = ::write(go[1], "g", 1);
  (void)sent;
  ::close(go[1]);
  if (opts.ready_fd >= 0) {  // the executor may stop waiting
    sent = ::write(opts.ready_fd, "r", 1);
    ::close(opts.ready_fd);
  }

  // time_point::max() means "not scheduled".
  constexpr auto kNever = SteadyClock::time_point::max();
  SteadyClock::time_point term_at = kNever, kill_at = kNever;
  if (opts.max_runtime_s > 0)
    term_at = SteadyClock::now() + std::chrono::seconds(opts.max_runtime_s);
  bool timed_out = false;
  int status = 0;
  while (true) {
    SteadyClock::duration wait = std::chrono::seconds(1);
    auto now = SteadyClock::now();
    if (term_at != kNever) wait = std::min(wait, term_at - now);
    if (kill_at != kNever) wait = std::min(wait, kill_at - now);
    int sig = WaitSignal(handled, wait);
    // The group's id stays reserved until the leader is reaped (below), so
    // signalling it cannot hit an unrelated group that reused the number.
    if (IsForwarded(sig)) SignalTree(child, rec.cgroup, sig);
    if (ReapAllBut(child)) {
      ::kill(-child, SIGKILL);
      ::waitpid(child, &status, 0);
      break;
    }
    now = SteadyClock::now();
    if (now >= term_at) {
      Notice("maximum runtime of ", opts.max_runtime_s, " s exceeded: sending SIGTERM, SIGKILL in ",
             opts.kill_grace_s, " s");
      SignalTree(child, rec.cgroup, SIGTERM);
      term_at = kNever;
      kill_at = now + std::chrono::seconds(opts.kill_grace_s);
      timed_out = true;
    }
    if (now >= kill_at) {
      Notice("still running ", opts.kill_grace_s, " s after SIGTERM: sending SIGKILL");
      SignalTree(child, rec.cgroup, SIGKILL);
      kill_at = kNever;
    }
  }
  KillLeftovers(rec.cgroup, sigchld);
  RemoveCgroup(rec.cgroup);

  ExitRecord exit;
  exit.shim_pid = rec.shim_pid;
  exit.shim_start_time = rec.shim_start_time;
  exit.finished_at_ms = WallMillis();
  if (WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
    exit.exit_code = 128 + exit.signal;
  } else {
    exit.exit_code = WEXITSTATUS(status);
  }
  if (timed_out) {
    exit.reason = kReasonMaxRuntime;
    exit.detail = absl::StrCat("exceeded max runtime (", opts.max_runtime_s, " s)");
  }
  return exit;
}

}  // namespace

std::vector<std::string> ShimArgs(const ShimOptions& o) {
  std::vector<std::string> args = {"_shim",
                                   "--log-dir",
                                   o.log_dir,
                                   "--cwd",
                                   o.working_dir,
                                   "--exe",
                                   o.executable,
                                   "--max-runtime-s",
                                   absl::StrCat(o.max_runtime_s),
                                   "--kill-grace-s",
                                   absl::StrCat(o.kill_grace_s)};
  if (!o.cgroup.empty()) args.insert(args.end(), {"--cgroup", o.cgroup});
  if (!o.limits.empty()) args.insert(args.end(), {"--limits", o.limits});
  if (o.ready_fd >= 0) args.insert(args.end(), {"--ready-fd", absl::StrCat(o.ready_fd)});
  if (o.uid >= 0) {
    args.insert(args.end(), {"--uid", absl::StrCat(o.uid), "--gid", absl::StrCat(o.gid)});
  }
  args.push_back("--");
  args.insert(args.end(), o.argv.begin(), o.argv.end());
  return args;
}

absl::StatusOr<ShimOptions> ParseShimArgs(int argc, char** argv) {
  ShimOptions o;
  int i = 1;
  for (; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--") break;
    if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(flag, " needs a value"));
    std::string value = argv[++i];
    if (flag == "--log-dir") {
      o.log_dir = value;
    } else if (flag == "--cwd") {
      o.working_dir = value;
    } else if (flag == "--exe") {
      o.executable = value;
    } else if (flag == "--cgroup") {
      o.cgroup = value;
    } else if (flag == "--limits") {
      o.limits = value;
    } else if (flag == "--uid" || flag == "--gid" || flag == "--ready-fd") {
      int n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " must be a number >= 0, got '", value, "'"));
      }
      (flag == "--uid" ? o.uid : flag == "--gid" ? o.gid : o.ready_fd) = n;
    } else if (flag == "--max-runtime-s" || flag == "--kill-grace-s") {
      int64_t n = 0;
      if (!absl::SimpleAtoi(value, &n) || n < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, " must be a whole number of seconds >= 0, got '", value, "'"));
      }
      (flag == "--max-runtime-s" ? o.max_runtime_s : o.kill_grace_s) = n;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
  }
  for (++i; i < argc; ++i) o.argv.push_back(argv[i]);
  if (o.log_dir.empty()) return absl::InvalidArgumentError("--log-dir is required");
  if (o.argv.empty()) return absl::InvalidArgumentError("no command after --");
  if (o.executable.empty()) o.executable = o.argv[0];
  if (o.working_dir.empty()) o.working_dir = o.log_dir;
  if ((o.uid >= 0) != (o.gid >= 0)) {
    return absl::InvalidArgumentError("--uid and --gid go together");
  }
  return o;
}

int RunShim(int argc, char** argv) {
  auto opts = ParseShimArgs(argc, argv);
  if (!opts.ok()) {
    std::fprintf(stderr,
                 "plinth _shim: %s\nusage: plinth _shim --log-dir DIR [--cwd DIR] "
                 "[--exe PATH] [--max-runtime-s N] [--kill-grace-s N] [--cgroup DIR] "
                 "[--limits TEXT] [--uid N --gid N] [--ready-fd N] -- COMMAND [ARGS...]\n",
                 std::string(opts.status().message()).c_str());
    return 2;
  }
  ExitRecord exit = Supervise(*opts);
  absl::Status written = WriteExitRecord(opts->log_dir, exit);
  if (!written.ok()) {
    Notice("cannot record the exit status: ", written.message());
    return 1;
  }
  return exit.exit_code & 0xff;
}

}  // namespace plinth::exec
