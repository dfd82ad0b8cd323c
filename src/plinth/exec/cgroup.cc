#include "plinth/exec/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "plinth/common/files.h"

namespace plinth::exec {
namespace fs = std::filesystem;

namespace {

// cgroupfs files are written in place with one write(); they cannot be
// replaced by rename like ordinary files.
absl::Status WriteControl(const fs::path& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", path.string(), ": ", std::strerror(errno)));
  }
  ssize_t n = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write '", value, "' to ", path.string(), ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

std::set<std::string> ReadWords(const fs::path& path) {
  std::set<std::string> words;
  auto text = ReadFile(path);
  if (!text.ok()) return words;
  for (absl::string_view w : absl::StrSplit(*text, absl::ByAnyChar(" \n\t"), absl::SkipEmpty())) {
    words.insert(std::string(w));
  }
  return words;
}

// Enables memory and cpu for the children of `dir` unless already on.
absl::Status EnableControllers(const fs::path& dir) {
  std::set<std::string> on = ReadWords(dir / "cgroup.subtree_control");
  if (on.count("memory") && on.count("cpu")) return absl::OkStatus();
  return WriteControl(dir / "cgroup.subtree_control", "+memory +cpu");
}

}  // namespace

absl::StatusOr<std::string> FindCgroupV2(const std::string& root) {
  fs::path v2;
  std::error_code ec;
  if (fs::exists(fs::path(root) / "cgroup.controllers", ec)) {
    v2 = root;
  } else if (fs::exists(fs::path(root) / "unified" / "cgroup.controllers", ec)) {
    v2 = fs::path(root) / "unified";
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat(kNoCgroupV2Note, " (no cgroup v2 hierarchy at ", root, ")"));
  }
  std::set<std::string> controllers = ReadWords(v2 / "cgroup.controllers");
  if (!controllers.count("memory") || !controllers.count("cpu")) {
    std::string have = controllers.empty() ? "none" : absl::StrJoin(controllers, " ");
    return absl::FailedPreconditionError(absl::StrCat(
        kNoCgroupV2Note, " (", (v2 / "cgroup.controllers").string(), " offers: ", have, ")"));
  }
  struct statvfs vfs;
  if (::access(v2.c_str(), W_OK) != 0 ||
      (::statvfs(v2.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY))) {
    return absl::FailedPreconditionError(
        absl::StrCat("not enforced: cgroup v2 hierarchy ", v2.string(), " is not writable"));
  }
  return v2.string();
}

CgroupSupport PrepareCgroups(const std::string& root) {
  CgroupSupport out;
  auto v2 = FindCgroupV2(root);
  if (!v2.ok()) {
    out.note = std::string(v2.status().message());
    return out;
  }
  fs::path parent = fs::path(*v2) / "plinth";
  std::error_code ec;
  absl::Status st = EnableControllers(*v2);
  if (st.ok()) {
    fs::create_directory(parent, ec);
    if (ec) {
      st = absl::FailedPreconditionError(
          absl::StrCat("cannot create ", parent.string(), ": ", ec.message()));
    }
  }
  if (st.ok()) st = EnableControllers(parent);
  if (!st.ok()) {
    out.note = absl::StrCat("not enforced: ", st.message());
    return out;
  }
  out.enabled = true;
  out.parent = parent.string();
  out.note = absl::StrCat("enforced by cgroup v2 under ", parent.string());
  return out;
}

std::string ReplicaCgroupName(const std::string& job_id, int replica) {
  std::string name = absl::StrCat(job_id, "-", replica);
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  if (name[0] == '.') name[0] = '_';
  return name;
}

absl::StatusOr<std::string> CreateReplicaCgroup(const std::string& parent, const std::string& name,
                                                double cpus, int64_t memory_mib) {
  fs::path dir = fs::path(parent) / name;
  std::error_code ec;
  fs::create_directory(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create cgroup ", dir.string(), ": ", ec.message()));
  }
  if (!CgroupPids(dir.string()).empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cgroup ", dir.string(), " still holds processes of an earlier launch; kill them first"));
  }
  // Written even when unlimited, so a reused cgroup drops earlier limits.
  std::string memory = memory_mib > 0 ? absl::StrCat(memory_mib * 1024 * 1024) : "max";
  std::string cpu = "max 100000";
  if (cpus > 0) cpu = absl::StrCat(std::max<int64_t>(1000, std::llround(cpus * 100000)), " 100000");
  absl::Status st = WriteControl(dir / "memory.max", memory);
  if (st.ok()) st = WriteControl(dir / "cpu.max", cpu);
  if (!st.ok()) return st;
  // Without this a job over its limit swaps instead of being stopped. The
  // file is absent when the kernel does not account swap; that is fine.
  if (fs::exists(dir / "memory.swap.max", ec)) {
    (void)WriteControl(dir / "memory.swap.max", memory_mib > 0 ? "0" : "max");
  }
  return dir.string();
}

absl::Status JoinCgroup(const std::string& cgroup, pid_t pid) {
  return WriteControl(fs::path(cgroup) / "cgroup.procs", absl::StrCat(pid, "\n"));
}

std::vector<pid_t> CgroupPids(const std::string& cgroup) {
  std::vector<pid_t> pids;
  auto text = ReadFile(fs::path(cgroup) / "cgroup.procs");
  if (!text.ok()) return pids;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    int pid = 0;
    if (absl::SimpleAtoi(line, &pid) && pid > 0) pids.push_back(pid);
  }
  return pids;
}

void SignalCgroup(const std::string& cgroup, int signal) {
  if (cgroup.empty()) return;
  std::error_code ec;
  fs::path kill_file = fs::path(cgroup) / "cgroup.kill";
  if (signal == SIGKILL && fs::exists(kill_file, ec) && WriteControl(kill_file, "1").ok()) return;
  for (pid_t pid : CgroupPids(cgroup)) ::kill(pid, signal);
}

void RemoveCgroup(const std::string& cgroup) {
  if (!cgroup.empty()) ::rmdir(cgroup.c_str());
}

std::string DescribeLimits(double cpus, int64_t memory_mib) {
  std::vector<std::string> parts;
  if (memory_mib > 0) parts.push_back(absl::StrCat("memory ", memory_mib, " MiB"));
  if (cpus > 0) parts.push_back(absl::StrCat("cpus ", cpus));
  return absl::StrJoin(parts, ", ");
}

}  // namespace plinth::exec
