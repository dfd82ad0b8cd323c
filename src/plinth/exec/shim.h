// The shim: a small supervisor process (`plinth _shim ...`) between the
// server and each local replica's command.
//
// It lets a replica outlive the server (even kill -9 of it) while the exit
// status is still recorded: the shim runs in its own session, starts the
// command as leader of a new process group, forwards SIGTERM, SIGINT,
// SIGUSR1 and SIGUSR2 it receives to that group, enforces the maximum
// runtime (SIGTERM, then SIGKILL after a grace period), and when the command
// ends kills whatever it left behind (the group, the cgroup, and orphans,
// which the shim adopts as a child subreaper) before writing exit.json.
// See replica_record.h for the files it writes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace plinth::exec {

struct ShimOptions {
  std::string log_dir;            // receives replica.json and exit.json
  std::string working_dir;        // the command's current folder
  std::string executable;         // absolute path of the program to run
  std::vector<std::string> argv;  // the command's argv (argv[0] as the user wrote it)
  int64_t max_runtime_s = 0;      // 0: no limit
  int64_t kill_grace_s = 10;      // SIGTERM to SIGKILL at the max runtime
  std::string cgroup;             // cgroup folder to put the command in, "" for none
  std::string limits;             // recorded in replica.json for display
  // Set (>= 0): the command runs as this user and group, with no
  // supplementary groups and no way to gain privileges (no_new_privs); the
  // shim itself stays as it is, so it can still stop and record the command.
  int uid = -1;
  int gid = -1;
  // Set (>= 0): a descriptor the shim writes one byte to, then closes, once
  // replica.json exists (the executor waits on it); the command never
  // inherits it.
  int ready_fd = -1;
};

// The arguments after the program name: "_shim", flags, "--", the command.
std::vector<std::string> ShimArgs(const ShimOptions& options);

// Parses what ShimArgs produced; `argv[0]` is "_shim".
absl::StatusOr<ShimOptions> ParseShimArgs(int argc, char** argv);

// Entry point of `plinth _shim` (argv[0] is "_shim"). Runs the command to
// completion; the command inherits this process's environment, stdout and
// stderr. Returns the shim's own exit status (2 for bad arguments).
int RunShim(int argc, char** argv);

}  // namespace plinth::exec
