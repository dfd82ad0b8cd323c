// Executors run the replicas of admitted jobs: `local` starts processes on
// this machine, `slurm` submits to a Slurm cluster with sbatch, and
// `kubernetes` applies one batch/v1 Job per replica with kubectl.
//
// An executor is stateless between calls: everything needed to find a
// replica again (after a server restart too) is in the handle that Launch
// returns, which the caller stores. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace plinth::exec {

// What one replica of a job needs to start.
struct LaunchSpec {
  std::string job_id;
  int replica = 0;                           // 0-based index within the gang
  std::string name;                          // human-readable, e.g. "<job name>-<replica>"
  std::vector<std::string> argv;             // command followed by its arguments; argv[0] is
                                             // looked up in PATH when it has no '/'
  std::map<std::string, std::string> env;    // the job's variables (contract, spec, devices)
                                             // over PATH, HOME and LANG (job_environment.h);
                                             // the server's environment is never passed on
  std::string working_dir;                   // empty: the job's own folder (log_dir)
  std::string log_dir;                       // folder owned by this replica; stdout and stderr
                                             // go to log_dir/output.log
  std::string node;                          // node chosen by the scheduler (local: this host)
  int gpus = 0;                              // whole GPUs (Slurm --gres=gpu:N)
  std::vector<std::string> visible_devices;  // GPU indices, GPU-/MIG- UUIDs
  double cpus = 0;                           // 0: no limit
  int64_t memory_mib = 0;                    // 0: no limit
  int64_t max_runtime_s = 0;                 // 0: none (the caller enforces it too)
  // For executors that run containers (kubernetes); the others ignore them.
  std::string image;        // container image; required by kubernetes
  std::string mig_profile;  // set: one MIG slice of this profile (gpus is 0)
  std::string queue;        // the job's queue (Kueue's queue-name label)
  std::string team;
  int attempt = 0;  // 1-based attempt of the job; tells retries' objects apart
  // The local executor runs the command as this user (job_user.h); -1: as
  // the server's own user. Its HOME (and default working folder) is then a
  // folder only that user can enter. Other executors ignore it.
  int uid = -1;
  int gid = -1;
};

enum class ReplicaState { kRunning, kSucceeded, kFailed, kLost };

struct ReplicaStatus {
  ReplicaState state = ReplicaState::kRunning;
  int exit_code = 0;    // valid when the process exited
  int term_signal = 0;  // signal that ended it, 0 if it exited
  std::string message;  // e.g. "exited with code 3", "killed by SIGKILL", "Slurm state NODE_FAIL"
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string Name() const = 0;

  // Starts one replica; returns its handle (opaque to callers, persisted by
  // them). Errors: InvalidArgument for a spec this executor cannot run
  // (e.g. a command that does not exist), Unavailable when the backend is
  // down (callers retry).
  virtual absl::StatusOr<std::string> Launch(const LaunchSpec& spec) = 0;

  // Current state of a launched replica. A replica whose process vanished
  // without leaving an exit status is kLost.
  virtual absl::StatusOr<ReplicaStatus> Poll(const std::string& handle) = 0;

  // The state of many replicas at once, each handle's answer under its
  // handle. Executors with a remote backend answer with one call for all
  // (one squeue for every Slurm job), so following N jobs costs one round
  // trip a tick, not N. The default polls each in turn.
  virtual std::map<std::string, absl::StatusOr<ReplicaStatus>> PollAll(
      const std::vector<std::string>& handles) {
    std::map<std::string, absl::StatusOr<ReplicaStatus>> out;
    for (const std::string& h : handles) out.emplace(h, Poll(h));
    return out;
  }

  // Sends `signal` to every process of the replica (its whole process tree).
  virtual absl::Status Signal(const std::string& handle, int signal) = 0;

  // Stops the replica now (SIGKILL of the whole tree). Idempotent.
  virtual absl::Status Kill(const std::string& handle) = 0;

  // Stops whatever a Launch into `log_dir` started, when its handle was never
  // recorded (the server died between launching a replica and recording
  // it). OK when nothing runs there.
  virtual absl::Status Abandon(const std::string& log_dir) = 0;

  // `listener` is called (from any thread) as soon as a replica this
  // executor launched or polled may have ended, so the caller polls then
  // instead of waiting for its next tick. Null clears it. Executors that
  // cannot tell keep the default: nobody is called, and polling finds out.
  virtual void SetExitListener(std::function<void()> listener) {}
};

}  // namespace plinth::exec
