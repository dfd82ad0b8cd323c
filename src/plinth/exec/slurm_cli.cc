#include "plinth/exec/slurm_cli.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

extern char** environ;

namespace plinth::exec {
namespace {

// Closes the file descriptors it holds when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

// This process's environment with `extra` added (and overriding).
std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    absl::string_view entry(*e);
    absl::string_view name = entry.substr(0, entry.find('='));
    if (extra.count(std::string(name)) == 0) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads what is available on `fd` into `sink` (up to the cap); false at EOF
// or on a read error.
bool Drain(int fd, std::string* sink) {
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  size_t room = kMaxCommandOutput - std::min(sink->size(), kMaxCommandOutput);
  sink->append(buf, std::min(static_cast<size_t>(n), room));
  return true;
}

void RecordExit(int wait_status, CommandResult* result) {
  if (WIFEXITED(wait_status)) {
    result->exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    result->term_signal = WTERMSIG(wait_status);
    result->exit_code = 128 + result->term_signal;
  }
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& extra_env, int out_fd,
                            int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  // The server may block or handle signals; the tool starts with defaults,
  // in its own process group so that a timeout kills all of it.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<std::string> args = argv;
  std::vector<std::string> env = MergedEnvironment(extra_env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);
  pid_t pid = 0;
  int rc = argv[0].find('/') == std::string::npos
               ? posix_spawnp(&pid, c_args[0], &actions, &attr, c_args.data(), c_env.data())
               : posix_spawn(&pid, c_args[0], &actions, &attr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc == ENOENT) return absl::NotFoundError(absl::StrCat(argv[0], ": command not found"));
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", strerror(rc)));
  }
  return pid;
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& extra_env,
                                         absl::Duration timeout) {
  if (argv.empty() || argv[0].empty()) return absl::InvalidArgumentError("empty command");
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError(strerror(errno));
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return absl::InternalError(strerror(errno));
  Fd err_r{err_pipe[0]}, err_w{err_pipe[1]};

  absl::StatusOr<pid_t> pid = Spawn(argv, extra_env, out_w.fd, err_w.fd);
  if (!pid.ok()) return pid.status();
  out_w.Close();
  err_w.Close();

  CommandResult result;
  const absl::Time deadline = absl::Now() + timeout;
  bool exited = false;
  int wait_status = 0;
  while (!exited) {
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      result.timed_out = true;
      kill(-*pid, SIGKILL);
      kill(*pid, SIGKILL);
      while (waitpid(*pid, &wait_status, 0) < 0 && errno == EINTR) {
      }
      exited = true;
      break;
    }
    int wait_ms = static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 100));
    if (out_r.fd >= 0 || err_r.fd >= 0) {
      pollfd fds[2] = {{out_r.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}};
      int n = poll(fds, 2, wait_ms);
      if (n < 0 && errno != EINTR) return absl::InternalError(strerror(errno));
      if (n > 0) {
        if (fds[0].revents != 0 && !Drain(out_r.fd, &result.out)) out_r.Close();
        if (fds[1].revents != 0 && !Drain(err_r.fd, &result.err)) err_r.Close();
      }
      continue;
    }
    // Both pipes closed: the tool is exiting (or has closed them and lingers).
    pid_t done = waitpid(*pid, &wait_status, WNOHANG);
    if (done == *pid) {
      exited = true;
    } else if (done < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("waitpid: ", strerror(errno)));
    } else {
      poll(nullptr, 0, std::min(wait_ms, 10));
    }
  }
  RecordExit(wait_status, &result);
  if (result.timed_out) result.term_signal = SIGKILL;
  return result;
}

absl::StatusOr<std::unique_ptr<SlurmCli>> SlurmCli::Create(
    std::string bin_dir, std::map<std::string, std::string> extra_env,
    absl::Duration command_timeout) {
  if (command_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the Slurm command timeout must be positive");
  }
  for (const auto& [name, value] : extra_env) {
    if (name.empty() || name.find('=') != std::string::npos ||
        name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid environment variable name for Slurm commands: '", name, "'"));
    }
  }
  std::unique_ptr<SlurmCli> cli(
      new SlurmCli(std::move(bin_dir), std::move(extra_env), command_timeout));
  for (const char* tool : {"sbatch", "squeue", "scontrol", "scancel"}) {
    std::string path = cli->PathOf(tool);
    if (path.find('/') == std::string::npos) {
      // Looked up in PATH at run time; check now that it is there.
      bool found = false;
      const char* env_path = getenv("PATH");
      for (absl::string_view dir : absl::StrSplit(env_path ? env_path : "", ':')) {
        if (dir.empty()) continue;
        if (access(absl::StrCat(dir, "/", tool).c_str(), X_OK) == 0) found = true;
      }
      if (!found) {
        return absl::InvalidArgumentError(
            absl::StrCat(tool, " not found in PATH: install the Slurm client commands or set ",
                         "executors.slurm.bin_dir"));
      }
    } else if (access(path.c_str(), X_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, " is not an executable file: set executors.slurm.bin_dir to the folder holding ",
          "sbatch"));
    }
  }
  return cli;
}

std::string SlurmCli::PathOf(absl::string_view tool) const {
  if (bin_dir_.empty()) return std::string(tool);
  return absl::StrCat(absl::StripSuffix(bin_dir_, "/"), "/", tool);
}

absl::StatusOr<CommandResult> SlurmCli::Run(absl::string_view tool,
                                            const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {PathOf(tool)};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv, extra_env_, timeout_);
  if (!result.ok()) return result.status();
  if (result->timed_out) {
    return absl::UnavailableError(absl::StrCat(tool, " did not answer within ",
                                               absl::FormatDuration(timeout_),
                                               ": is slurmctld overloaded or hung?"));
  }
  if (result->exit_code != 0) {
    if (std::string line = UnreachableControllerLine(result->err); !line.empty()) {
      return absl::UnavailableError(line);
    }
  }
  return result;
}

std::string ErrorLine(absl::string_view stderr_text) {
  std::string last, last_error;
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    last = std::string(line);
    if (ContainsIgnoringCase(line, "error")) last_error = last;
  }
  return last_error.empty() ? last : last_error;
}

bool ContainsIgnoringCase(absl::string_view text, absl::string_view needle) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(needle));
}

std::string UnreachableControllerLine(absl::string_view stderr_text) {
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    for (absl::string_view marker :
         {"Unable to contact slurm controller", "Socket timed out on send/recv",
          "Zero Bytes were transmitted or received", "Slurm backup controller in standby mode",
          "Munge encode failed", "Munge decode failed", "Unable to establish connection"}) {
      if (ContainsIgnoringCase(line, marker)) {
        return std::string(absl::StripAsciiWhitespace(line));
      }
    }
  }
  return "";
}

absl::StatusOr<SubmitThroughput> MeasureSbatchThroughput(const SlurmCli& cli, int count,
                                                         const std::string& partition) {
  if (count <= 0) return absl::InvalidArgumentError("count must be positive");
  std::vector<std::string> args = {"--parsable", "--job-name=plinth-bench", "--output=/dev/null",
                                   "--wrap=true"};
  if (!partition.empty()) args.push_back(absl::StrCat("--partition=", partition));
  SubmitThroughput out;
  const absl::Time start = absl::Now();
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<CommandResult> r = cli.Run("sbatch", args);
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) {
      return absl::InternalError(absl::StrCat("sbatch failed: ", ErrorLine(r->err)));
    }
    std::string id(absl::StripAsciiWhitespace(r->out));
    if (i == 0) out.first_job_id = id;
    out.last_job_id = id;
    ++out.jobs;
  }
  out.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  out.jobs_per_second = out.seconds > 0 ? out.jobs / out.seconds : 0;
  return out;
}

}  // namespace plinth::exec
