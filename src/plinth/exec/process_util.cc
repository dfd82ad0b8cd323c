#include "plinth/exec/process_util.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plinth/common/files.h"

namespace plinth::exec {
namespace fs = std::filesystem;

namespace {

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

absl::StatusOr<std::string> ResolveExecutable(const std::string& command,
                                              const std::string& path_env,
                                              const std::string& base_dir) {
  if (command.empty()) return absl::NotFoundError("empty command");
  if (command.find('/') != std::string::npos) {
    fs::path p(command);
    if (p.is_relative()) p = fs::path(base_dir) / p;
    p = p.lexically_normal();
    if (IsExecutableFile(p.string())) return p.string();
    return absl::NotFoundError(absl::StrCat(
        "command '", command, "' is not an executable file (looked at ", p.string(), ")"));
  }
  for (absl::string_view dir : absl::StrSplit(path_env, ':')) {
    // An empty PATH entry means the current folder, which for a job is its
    // working folder.
    fs::path candidate = dir.empty() ? fs::path(base_dir) : fs::path(std::string(dir));
    if (candidate.is_relative()) candidate = fs::path(base_dir) / candidate;
    candidate /= command;
    if (IsExecutableFile(candidate.string())) return candidate.lexically_normal().string();
  }
  return absl::NotFoundError(absl::StrCat("command '", command, "' not found in PATH"));
}

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto text = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text.ok()) return std::nullopt;
  // The command name (field 2) is in parentheses and may itself contain
  // spaces and ')', so fields are counted from the last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*text).substr(close + 1), ' ', absl::SkipEmpty());
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  if (fields.size() < 20) return std::nullopt;
  ProcStat st;
  st.state = fields[0].empty() ? '?' : fields[0][0];
  int ppid = 0, pgid = 0;
  if (!absl::SimpleAtoi(fields[1], &ppid) || !absl::SimpleAtoi(fields[2], &pgid) ||
      !absl::SimpleAtoi(fields[19], &st.start_time)) {
    return std::nullopt;
  }
  st.ppid = ppid;
  st.pgid = pgid;
  return st;
}

bool IsAlive(pid_t pid, uint64_t start_time) {
  auto st = ReadProcStat(pid);
  return st && st->start_time == start_time && st->state != 'Z' && st->state != 'X';
}

void ReapIfOurZombie(pid_t pid, uint64_t start_time) {
  auto st = ReadProcStat(pid);
  if (!st || st->start_time != start_time || st->state != 'Z' || st->ppid != ::getpid()) return;
  int status;
  ::waitpid(pid, &status, WNOHANG);
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  // The kernel's list for the main thread (where a single-threaded
  // subreaper's adopted orphans go) costs one read; the /proc scan below,
  // one per process on the machine, is for kernels without it.
  if (auto listed = ReadFile(absl::StrCat("/proc/", parent, "/task/", parent, "/children"));
      listed.ok()) {
    for (absl::string_view word : absl::StrSplit(*listed, ' ', absl::SkipWhitespace())) {
      int pid = 0;
      if (!absl::SimpleAtoi(word, &pid)) continue;
      auto st = ReadProcStat(pid);
      if (st && st->ppid == parent && st->state != 'Z') out.push_back(pid);
    }
    // The list may miss a child forked meanwhile (proc(5)): an empty one is
    // checked against the scan.
    if (!out.empty()) return out;
  }
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  while (struct dirent* entry = ::readdir(dir)) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &pid)) continue;
    auto st = ReadProcStat(pid);
    if (st && st->ppid == parent && st->state != 'Z') out.push_back(pid);
  }
  ::closedir(dir);
  return out;
}

std::string SignalName(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  if (abbrev == nullptr) return absl::StrCat("signal ", signal);
  return absl::StrCat("SIG", abbrev);
}

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool WaitForExit(pid_t pid, uint64_t start_time, int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  // Opened first, checked second: the descriptor cannot follow a recycled pid.
  if (!IsAlive(pid, start_time)) {
    if (fd >= 0) ::close(fd);
    return true;
  }
  if (fd >= 0) {
    pollfd exited{fd, POLLIN, 0};
    int n;
    do {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      n = ::poll(&exited, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    } while (n < 0 && errno == EINTR);
    ::close(fd);
    return n > 0 || !IsAlive(pid, start_time);
  }
  while (IsAlive(pid, start_time)) {  // no pidfds (Linux before 5.3)
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Only without pidfds (Linux before 5.3): there is no exit event to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace plinth::exec
