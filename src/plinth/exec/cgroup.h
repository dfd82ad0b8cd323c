// Memory and CPU limits for local replicas through cgroup v2, where the
// machine allows it.
//
// Each replica gets <v2 root>/plinth/<job>-<replica> with memory.max and
// cpu.max set. Machines without a writable cgroup v2 hierarchy that offers
// the memory and cpu controllers (cgroup v1, a hybrid layout whose unified
// mount has no controllers, a container that cannot delegate) run replicas
// without enforcement; the reason is reported so users can see it. Rlimits
// are deliberately not used as a fallback: RLIMIT_AS breaks CUDA and JVMs.
//
// Every function takes the hierarchy's root as a parameter so tests can run
// on a fake folder tree.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace plinth::exec {

// The reason limits are not enforced on machines without cgroup v2 controllers.
inline constexpr char kNoCgroupV2Note[] = "not enforced: no cgroup v2 memory/cpu controllers";

struct CgroupSupport {
  bool enabled = false;
  std::string parent;  // folder that holds the replicas' cgroups (enabled only)
  std::string note;    // enabled: where; otherwise "not enforced: <why>"
};

// Finds the cgroup v2 hierarchy under `root` (root itself on unified
// machines, root/unified on hybrid ones) and checks that it offers the memory
// and cpu controllers and is writable. Reads only.
absl::StatusOr<std::string> FindCgroupV2(const std::string& root);

// FindCgroupV2, then enables the memory and cpu controllers for
// <v2>/plinth and its children. Never fails: problems become the note.
CgroupSupport PrepareCgroups(const std::string& root);

// "<job>-<replica>" with characters that are unsafe in a folder name replaced.
std::string ReplicaCgroupName(const std::string& job_id, int replica);

// Creates (or reuses, if empty) parent/name and writes its limits:
// memory.max in bytes and cpu.max as "<cpus * 100000> 100000"; 0 means no
// limit. FailedPrecondition if the cgroup still holds processes.
absl::StatusOr<std::string> CreateReplicaCgroup(const std::string& parent, const std::string& name,
                                                double cpus, int64_t memory_mib);

// Moves `pid` into `cgroup`.
absl::Status JoinCgroup(const std::string& cgroup, pid_t pid);

// The pids listed in cgroup.procs (empty if the cgroup is gone).
std::vector<pid_t> CgroupPids(const std::string& cgroup);

// Sends `signal` to every process in `cgroup`; SIGKILL uses cgroup.kill
// where the kernel has it (5.14+), which also catches processes forking
// during the kill. Best effort: a vanished cgroup is not an error.
void SignalCgroup(const std::string& cgroup, int signal);

// Removes an empty replica cgroup. Best effort.
void RemoveCgroup(const std::string& cgroup);

// "memory 4096 MiB, cpus 2" for the limits a replica asked for, or "" if none.
std::string DescribeLimits(double cpus, int64_t memory_mib);

}  // namespace plinth::exec
