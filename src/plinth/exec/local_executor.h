// The `local` executor: runs each replica as a process tree on this machine.
//
// Launch starts a shim (`<shim_path> _shim ...`, see shim.h) in its own
// session; the shim starts the command and records its exit in the
// replica's log folder. The handle names the shim (pid and start time, so a
// recycled pid is never mistaken for it) and the log folder, so a restarted
// server can poll, signal and kill replicas it did not start. Thread-safe:
// the executor keeps no state between calls but the set of shims it
// watches for their exit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "plinth/exec/cgroup.h"
#include "plinth/exec/executor.h"
#include "plinth/exec/exit_watcher.h"

namespace plinth::exec {

struct LocalExecutorOptions {
  // Program that runs the shim as `<shim_path> _shim ...` (the server passes
  // /proc/self/exe). Required.
  std::string shim_path;
  // At the max runtime the shim sends SIGTERM, then SIGKILL this much later.
  int64_t kill_grace_s = 10;
  // Where cgroup v2 is looked for (see cgroup.h) when enable_cgroups is set.
  std::string cgroup_root = "/sys/fs/cgroup";
  bool enable_cgroups = true;
  // How long Launch waits for the shim to start the command.
  int64_t start_timeout_ms = 10'000;
  // How long Kill waits for the shim to record the exit before writing it itself.
  int64_t kill_wait_ms = 3'000;
};

class LocalExecutor final : public Executor {
 public:
  // InvalidArgument if shim_path is not an executable file or a duration is negative.
  static absl::StatusOr<std::unique_ptr<LocalExecutor>> Create(LocalExecutorOptions options);

  std::string Name() const override { return "local"; }
  absl::StatusOr<std::string> Launch(const LaunchSpec& spec) override;
  absl::StatusOr<ReplicaStatus> Poll(const std::string& handle) override;
  // Signalling a replica that has already ended is a no-op.
  absl::Status Signal(const std::string& handle, int signal) override;
  // SIGKILLs the command's process group and cgroup; the shim then kills any
  // orphans and records "killed by SIGKILL". If the shim is gone or does not
  // record it within kill_wait_ms, Kill writes exit.json itself (reason
  // "killed"), so a killed replica reads as failed rather than lost.
  absl::Status Kill(const std::string& handle) override;
  absl::Status Abandon(const std::string& log_dir) override;
  // Listens through pidfds on the shims (exit_watcher.h): a shim exits right
  // after recording its command's exit.
  void SetExitListener(std::function<void()> listener) override;

  // How memory/CPU limits are handled here, e.g. "enforced by cgroup v2 under
  // /sys/fs/cgroup/plinth" or "not enforced: no cgroup v2 memory/cpu controllers (...)".
  const std::string& LimitsNote() const { return cgroups_.note; }

  // Handles are "local:<shim pid>:<shim start time>:<absolute log folder>".
  struct Handle {
    pid_t shim_pid = 0;
    uint64_t shim_start_time = 0;
    std::string log_dir;
  };
  static std::string FormatHandle(const Handle& handle);
  static absl::StatusOr<Handle> ParseHandle(const std::string& handle);

 private:
  LocalExecutor(LocalExecutorOptions options, CgroupSupport cgroups)
      : options_(std::move(options)), cgroups_(std::move(cgroups)) {}

  // Chooses the replica's cgroup (created with its limits) and the text
  // recorded about limits.
  void PrepareLimits(const LaunchSpec& spec, std::string* cgroup, std::string* limits) const;
  // Waits for the shim to write replica.json; an error if it died first.
  absl::Status AwaitStart(const Handle& handle, int ready_fd) const;

  const LocalExecutorOptions options_;
  const CgroupSupport cgroups_;
  ExitWatcher exits_;
};

}  // namespace plinth::exec
