// The files a local replica's shim leaves in its log folder, which are how
// the server finds the replica again after a restart:
//   replica.json  written once the command's process exists, before it runs
//   exit.json     written once the command and everything it started are gone
//   output.log    the command's stdout and stderr (and the shim's notices)
// Both JSON files are written atomically (temporary file + rename).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plinth::exec {

inline constexpr char kReplicaFile[] = "replica.json";
inline constexpr char kExitFile[] = "exit.json";
inline constexpr char kOutputFile[] = "output.log";

struct ReplicaRecord {
  int shim_pid = 0;
  uint64_t shim_start_time = 0;  // /proc/<pid>/stat field 22, guards against pid reuse
  int pid = 0;                   // the command's process, leader of its own process group
  uint64_t start_time = 0;
  int pgid = 0;        // == pid; every process the command starts inherits it
  std::string cgroup;  // the replica's cgroup folder, "" when none
  std::string limits;  // how memory/CPU limits are handled, for display
  int64_t started_at_ms = 0;
};

// Why a replica ended, beyond its exit status.
inline constexpr char kReasonMaxRuntime[] = "max_runtime";
inline constexpr char kReasonKilled[] = "killed";  // written by Kill when the shim could not
inline constexpr char kReasonSupervisorError[] = "supervisor_error";

struct ExitRecord {
  int shim_pid = 0;  // the shim whose replica this is (0 in records of older versions)
  uint64_t shim_start_time = 0;
  int exit_code = 0;   // 128 + signal when a signal ended the command
  int signal = 0;      // 0 when the command exited by itself
  std::string reason;  // "" for a normal end, else one of the kReason* values
  std::string detail;  // human-readable addition to the reason
  int64_t finished_at_ms = 0;
};

absl::Status WriteReplicaRecord(const std::string& log_dir, const ReplicaRecord& record);
// NotFound when the file does not exist (yet); Internal when it is unreadable.
absl::StatusOr<ReplicaRecord> ReadReplicaRecord(const std::string& log_dir);

absl::Status WriteExitRecord(const std::string& log_dir, const ExitRecord& record);
// NotFound when the file does not exist (yet); Internal when it is unreadable.
absl::StatusOr<ExitRecord> ReadExitRecord(const std::string& log_dir);

}  // namespace plinth::exec
