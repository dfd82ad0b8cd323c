#include "plinth/exec/replica_record.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "plinth/common/files.h"
#include "plinth/common/json.h"

namespace plinth::exec {
namespace fs = std::filesystem;

namespace {

absl::StatusOr<Json> ReadJsonFile(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return absl::NotFoundError(absl::StrCat(path.string(), " is absent"));
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::InternalError(absl::StrCat(path.string(), " is not valid JSON"));
  return j;
}

}  // namespace

absl::Status WriteReplicaRecord(const std::string& log_dir, const ReplicaRecord& r) {
  Json j = {{"shim_pid", r.shim_pid}, {"shim_start_time", r.shim_start_time},
            {"pid", r.pid},           {"start_time", r.start_time},
            {"pgid", r.pgid},         {"cgroup", r.cgroup},
            {"limits", r.limits},     {"started_at_ms", r.started_at_ms}};
  // No fsync (~20 ms here, paid by every job before its command starts): the
  // record must outlive a killed server, which the page cache does; a host
  // crash takes the replica with it.
  return WriteFileAtomic(fs::path(log_dir) / kReplicaFile, j.dump(2) + "\n",
                         Durability::kProcessCrash);
}

absl::StatusOr<ReplicaRecord> ReadReplicaRecord(const std::string& log_dir) {
  fs::path path = fs::path(log_dir) / kReplicaFile;
  auto j = ReadJsonFile(path);
  if (!j.ok()) return j.status();
  ReplicaRecord r;
  try {
    r.shim_pid = j->value("shim_pid", 0);
    r.shim_start_time = j->value("shim_start_time", uint64_t{0});
    r.pid = j->value("pid", 0);
    r.start_time = j->value("start_time", uint64_t{0});
    r.pgid = j->value("pgid", 0);
    r.cgroup = j->value("cgroup", "");
    r.limits = j->value("limits", "");
    r.started_at_ms = j->value("started_at_ms", int64_t{0});
  } catch (const Json::exception&) {
    return absl::InternalError(absl::StrCat(path.string(), " has fields of the wrong type"));
  }
  // A pgid of 0 or less would make kill(-pgid) signal the server's own group
  // or every process; never accept one.
  if (r.pid <= 0 || r.pgid <= 1 || r.shim_pid <= 0) {
    return absl::InternalError(absl::StrCat(path.string(), " has invalid process ids"));
  }
  return r;
}

absl::Status WriteExitRecord(const std::string& log_dir, const ExitRecord& r) {
  Json j = {{"shim_pid", r.shim_pid},
            {"shim_start_time", r.shim_start_time},
            {"exit_code", r.exit_code},
            {"signal", r.signal},
            {"finished_at_ms", r.finished_at_ms}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.detail.empty()) j["detail"] = r.detail;
  // No fsync either: an exit lost with the host reads as a lost replica,
  // which the job service requeues, never as a wrong exit code.
  return WriteFileAtomic(fs::path(log_dir) / kExitFile, j.dump(2) + "\n",
                         Durability::kProcessCrash);
}

absl::StatusOr<ExitRecord> ReadExitRecord(const std::string& log_dir) {
  fs::path path = fs::path(log_dir) / kExitFile;
  auto j = ReadJsonFile(path);
  if (!j.ok()) return j.status();
  ExitRecord r;
  try {
    r.shim_pid = j->value("shim_pid", 0);
    r.shim_start_time = j->value("shim_start_time", uint64_t{0});
    r.exit_code = j->value("exit_code", 0);
    r.signal = j->value("signal", 0);
    r.reason = j->value("reason", "");
    r.detail = j->value("detail", "");
    r.finished_at_ms = j->value("finished_at_ms", int64_t{0});
  } catch (const Json::exception&) {
    return absl::InternalError(absl::StrCat(path.string(), " has fields of the wrong type"));
  }
  return r;
}

}  // namespace plinth::exec
