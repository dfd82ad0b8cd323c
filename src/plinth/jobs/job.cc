#include "plinth/jobs/job.h"

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"

namespace plinth::jobs {
namespace {

constexpr std::pair<JobState, const char*> kStateNames[] = {
    {JobState::kPending, "PENDING"},       {JobState::kRunning, "RUNNING"},
    {JobState::kPreempting, "PREEMPTING"}, {JobState::kRestarting, "RESTARTING"},
    {JobState::kCancelling, "CANCELLING"}, {JobState::kSucceeded, "SUCCEEDED"},
    {JobState::kFailed, "FAILED"},         {JobState::kCancelled, "CANCELLED"}};

}  // namespace

std::string StateName(JobState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "UNKNOWN";
}

absl::StatusOr<JobState> ParseState(const std::string& name) {
  for (const auto& [s, n] : kStateNames) {
    if (name == n) return s;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("state '", name,
                   "' does not exist; use PENDING, RUNNING, PREEMPTING, RESTARTING, "
                   "CANCELLING, SUCCEEDED, FAILED or CANCELLED"));
}

bool IsTerminal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

bool HoldsResources(JobState state) {
  return state == JobState::kRunning || state == JobState::kPreempting ||
         state == JobState::kRestarting || state == JobState::kCancelling;
}

Json AllocationToJson(const sched::Allocation& allocation) {
  Json replicas = Json::array();
  for (const sched::ReplicaPlacement& p : allocation.replicas) {
    Json gpus = Json::array();
    for (const sched::GpuSlot& slot : p.gpus) {
      Json g = {{"gpu", slot.gpu}, {"fraction", slot.fraction}};
      if (!slot.mig_profile.empty()) {
        g["mig_profile"] = slot.mig_profile;
        g["mig_start"] = slot.mig_start;
      }
      gpus.push_back(g);
    }
    replicas.push_back(
        {{"node", p.node}, {"gpus", gpus}, {"cpus", p.cpus}, {"memory_mib", p.memory_mib}});
  }
  return {{"flavor", allocation.flavor}, {"replicas", replicas}};
}

sched::Allocation AllocationFromJson(const Json& json) {
  sched::Allocation allocation;
  if (!json.is_object()) return allocation;
  allocation.flavor = json.value("flavor", "");
  for (const Json& r : json.value("replicas", Json::array())) {
    sched::ReplicaPlacement p;
    p.node = r.value("node", "");
    p.cpus = r.value("cpus", 0.0);
    p.memory_mib = r.value("memory_mib", int64_t{0});
    for (const Json& g : r.value("gpus", Json::array())) {
      p.gpus.push_back(sched::GpuSlot{g.value("gpu", 0), g.value("fraction", 1.0),
                                      g.value("mig_profile", ""), g.value("mig_start", -1)});
    }
    allocation.replicas.push_back(std::move(p));
  }
  return allocation;
}

Json JobDetailsToJson(const Job& job) {
  Json replicas = Json::array();
  for (const ReplicaRecord& r : job.replicas) {
    replicas.push_back({{"index", r.index},
                        {"node", r.node},
                        {"handle", r.handle},
                        {"devices", r.devices},
                        {"log_dir", r.log_dir},
                        {"state", r.state},
                        {"exit_code", r.exit_code},
                        {"message", r.message}});
  }
  return {{"spec", JobSpecToJson(job.spec)},
          {"allocation", AllocationToJson(job.allocation)},
          {"borrowing", job.borrowing},
          {"replicas", replicas},
          {"queued_since", job.queued_since_ms},
          {"not_before", job.not_before_ms},
          {"restarts", job.restarts},
          {"stop_deadline", job.stop_deadline_ms},
          {"stop_target", StateName(job.stop_target)},
          {"preempted_for", job.preempted_for},
          {"master_port", job.master_port},
          {"run_uid", job.run_uid},
          {"run_gid", job.run_gid}};
}

absl::Status JobDetailsFromJson(const Json& json, Job& job) {
  if (!json.is_object()) return absl::DataLossError("job details are not a JSON object");
  ASSIGN_OR_RETURN(job.spec, ParseNativeSpec(json.value("spec", Json::object())));
  job.allocation = AllocationFromJson(json.value("allocation", Json::object()));
  job.borrowing = json.value("borrowing", false);
  job.replicas.clear();
  for (const Json& r : json.value("replicas", Json::array())) {
    ReplicaRecord rec;
    rec.index = r.value("index", 0);
    rec.node = r.value("node", "");
    rec.handle = r.value("handle", "");
    rec.devices = r.value("devices", std::vector<std::string>{});
    rec.log_dir = r.value("log_dir", "");
    rec.state = r.value("state", "pending");
    rec.exit_code = r.value("exit_code", 0);
    rec.message = r.value("message", "");
    job.replicas.push_back(std::move(rec));
  }
  job.queued_since_ms = json.value("queued_since", int64_t{0});
  job.not_before_ms = json.value("not_before", int64_t{0});
  job.restarts = json.value("restarts", 0);
  job.stop_deadline_ms = json.value("stop_deadline", int64_t{0});
  job.preempted_for = json.value("preempted_for", "");
  job.stop_target = ParseState(json.value("stop_target", "PENDING")).value_or(JobState::kPending);
  job.master_port = json.value("master_port", 0);
  job.run_uid = json.value("run_uid", -1);
  job.run_gid = json.value("run_gid", -1);
  return absl::OkStatus();
}

namespace {

Json ReplicaJson(const ReplicaRecord& r) {
  return {{"index", r.index},    {"node", r.node},           {"devices", r.devices},
          {"state", r.state},    {"exit_code", r.exit_code}, {"message", r.message},
          {"log_dir", r.log_dir}};
}

}  // namespace

Json JobToJson(const Job& job) {
  Json replicas = Json::array();
  for (const ReplicaRecord& r : job.replicas) replicas.push_back(ReplicaJson(r));
  return {{"id", job.id},
          {"name", job.spec.name},
          {"team", job.spec.team},
          {"queue", job.spec.queue},
          {"priority_class", job.spec.priority_class},
          {"priority", job.priority},
          {"state", StateName(job.state)},
          {"message", job.message},
          {"executor", job.executor},
          {"submit_time", job.submit_time_ms},
          {"start_time", job.start_time_ms},
          {"end_time", job.end_time_ms},
          {"attempts", job.attempts},
          {"restarts", job.restarts},
          {"preemptions", job.preemptions},
          {"gpu_seconds", job.gpu_seconds},
          {"wait_ms", job.wait_ms},
          {"run_id", job.run_id},
          {"borrowing", job.borrowing},
          {"allocation", AllocationToJson(job.allocation)},
          {"replicas", replicas},
          {"spec", JobSpecToJson(job.spec)}};
}

}  // namespace plinth::jobs
