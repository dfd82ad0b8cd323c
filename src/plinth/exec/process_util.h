// Process helpers for the local executor and its shim: PATH lookup, /proc
// reading, and pid-reuse-safe liveness checks. Linux only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace plinth::exec {

// The absolute path of `command`: a name without '/' is looked up in
// `path_env` (a ':'-separated PATH); a name with '/' is taken relative to
// `base_dir` when it is not absolute. NotFound unless it is an executable
// regular file.
absl::StatusOr<std::string> ResolveExecutable(const std::string& command,
                                              const std::string& path_env,
                                              const std::string& base_dir);

// The fields of /proc/<pid>/stat the executor needs.
struct ProcStat {
  char state = '?';  // R, S, D, Z (zombie), ...
  pid_t ppid = 0;
  pid_t pgid = 0;
  uint64_t start_time = 0;  // field 22: clock ticks after boot; with the pid it
                            // names one process across pid reuse
};

// Reads /proc/<pid>/stat; nullopt when the process does not exist.
std::optional<ProcStat> ReadProcStat(pid_t pid);

// True when `pid` exists, is not a zombie, and started at `start_time`
// (so a recycled pid is not mistaken for the original process).
bool IsAlive(pid_t pid, uint64_t start_time);

// Waits until `pid` (started at `start_time`) has exited, at most
// `timeout_ms`; true once it is gone. Woken by the process's pidfd, not by
// polling (a 5 ms loop only where pidfds do not exist).
bool WaitForExit(pid_t pid, uint64_t start_time, int64_t timeout_ms);

// Reaps `pid` without blocking if it is a zombie child of this process that
// started at `start_time`; a no-op otherwise. Never reaps a different
// process that reused the pid.
void ReapIfOurZombie(pid_t pid, uint64_t start_time);

// Pids of the live children of `parent`'s main thread (from
// /proc/<pid>/task/<pid>/children, else a scan of /proc).
std::vector<pid_t> ChildrenOf(pid_t parent);

// "SIGKILL" for 9, "signal 42" for names it does not know.
std::string SignalName(int signal);

// Milliseconds since the Unix epoch (for the records the shim writes).
int64_t WallMillis();

}  // namespace plinth::exec
