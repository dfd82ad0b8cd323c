// A job's record: its spec, where it is in its life, where it runs, and
// what it has cost. States:
//
//   PENDING -> RUNNING -> SUCCEEDED | FAILED
//   RUNNING -> PREEMPTING -> PENDING      (checkpoint signal, grace, requeue)
//   RUNNING -> RESTARTING -> PENDING      (a replica failed; retries left)
//   RUNNING -> CANCELLING -> CANCELLED    (SIGTERM, grace, SIGKILL)
//   PENDING -> CANCELLED
//
// PREEMPTING, RESTARTING and CANCELLING still hold their GPUs until every
// replica has exited.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/jobs/job_spec.h"
#include "plinth/sched/types.h"

namespace plinth::jobs {

enum class JobState {
  kPending,
  kRunning,
  kPreempting,
  kRestarting,
  kCancelling,
  kSucceeded,
  kFailed,
  kCancelled
};

std::string StateName(JobState state);
absl::StatusOr<JobState> ParseState(const std::string& name);
bool IsTerminal(JobState state);
// Running, or stopping but still holding its resources.
bool HoldsResources(JobState state);

struct ReplicaRecord {
  int index = 0;
  std::string node;
  std::string handle;                // the executor's handle, empty until launched
  std::vector<std::string> devices;  // what CUDA_VISIBLE_DEVICES got
  std::string log_dir;
  std::string state = "pending";  // pending | running | succeeded | failed | lost
  int exit_code = 0;
  std::string message;
};

struct Job {
  std::string id;
  JobSpec spec;  // normalized: team, queue and priority class filled in
  int priority = 0;
  JobState state = JobState::kPending;
  std::string executor;
  std::string message;  // the last outcome, e.g. "replica 1 exited with code 3"
  int64_t submit_time_ms = 0;
  int64_t queued_since_ms = 0;  // when it last became pending
  int64_t not_before_ms = 0;    // retry backoff: not scheduled before this
  int64_t start_time_ms = 0;    // start of the current (or last) attempt
  int64_t end_time_ms = 0;
  int attempts = 0;  // times started
  int restarts = 0;  // failure restarts used (limit: spec.retries)
  int preemptions = 0;
  double gpu_seconds = 0;  // GPUs reserved x seconds, over all attempts
  int64_t wait_ms = 0;     // time spent pending, over all attempts
  std::string run_id;      // the MLflow run created for it
  sched::Allocation allocation;
  bool borrowing = false;
  std::vector<ReplicaRecord> replicas;
  int64_t stop_deadline_ms = 0;  // stopping: SIGKILL after this
  // Where a stopping job goes once every replica has exited: PENDING
  // (preempted, restarting), CANCELLED, or FAILED (max runtime exceeded).
  JobState stop_target = JobState::kPending;
  std::string preempted_for;
  int master_port = 0;  // chosen at launch for distributed jobs
  // The Unix user its local replicas run as (exec/job_user.h); -1: the
  // server's own. Kept across attempts; no two live jobs share a dynamic one.
  int run_uid = -1;
  int run_gid = -1;
};

struct JobEvent {
  int64_t time_ms = 0;
  std::string type;  // SUBMITTED, STARTED, REPLICA_EXITED, PREEMPTING, PREEMPTED, REQUEUED,
                     // RESTARTING, CANCELLING, KILLED, REATTACHING, WARNING, or the final state
  std::string message;
};

// The parts of a Job that are not columns of their own, as stored JSON.
Json JobDetailsToJson(const Job& job);
absl::Status JobDetailsFromJson(const Json& json, Job& job);
Json AllocationToJson(const sched::Allocation& allocation);
// The API's view of a job (GET /api/v1/jobs/{id}, "job" events).
Json JobToJson(const Job& job);
sched::Allocation AllocationFromJson(const Json& json);

}  // namespace plinth::jobs
