// Internal to the simulator (simulator.cc, sim_report.cc): one replay's
// state. Not part of the module's interface.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "plinth/sched/capacity.h"
#include "plinth/sched/scheduler.h"
#include "plinth/sched/simulator.h"

namespace plinth::sched {

enum class SimStatus { kFuture, kPending, kRunning, kCompleted, kTimedOut, kRejected };

struct SimJob {
  const TraceJob* trace = nullptr;
  int queue = 0;  // index into the snapshot's queues
  int team = 0;   // index into Replay::teams_
  double demand = 0;
  int64_t submit_ms = 0;
  int64_t remaining_ms = 0;  // work left
  int64_t first_start_ms = -1;
  int64_t run_start_ms = 0;
  int64_t preempted_at_ms = -1;  // while it stops after a preemption
  int generation = 0;            // bumped when a run's end changes, voiding its old event
  int preemptions = 0;
  int flavor = -1;  // of the current run
  int slot = -1;    // index in the snapshot's pending list while pending
  SimStatus status = SimStatus::kFuture;
};

// The end of a run: the job finishes (or hits its max_runtime), or - for a
// preempted job - it has stopped and goes back to pending. `job` kWakeUp:
// no job ends, but a pass must run (see PassResult::next_preemption_ms).
inline constexpr int kWakeUp = -1;
struct EndEvent {
  int64_t time_ms;
  int job;
  int generation;
  bool operator>(const EndEvent& o) const {
    return std::tie(time_ms, job) > std::tie(o.time_ms, o.job);
  }
};

// One replay. Pending jobs live in a Snapshot that is edited in place (a job
// leaves by swapping the last one into its slot, so every change costs O(1)
// whatever the list size); running jobs live in a Ledger, so that a pass
// starts from the cluster's usage instead of rebuilding it.
class Replay {
 public:
  Replay(const std::vector<gpu::Node>& nodes, std::vector<QueueConfig> queues, const Trace& trace,
         const SimOptions& options);

  absl::Status Prepare();
  SimReport Run();

 private:
  void Arrive(int j);
  void Enqueue(int j);
  void Start(int j, Allocation allocation);
  void Preempt(int j, const std::string& preemptor);
  void Remove(int j);
  void End(const EndEvent& e);
  void RunPasses();
  void Advance(int64_t to_ms);
  std::string NeverFits(const SimJob& job);
  void SetShare(int queue);
  SimReport BuildReport(double wall_s);

  const Trace& trace_;
  const SimOptions& options_;
  Scheduler scheduler_;             // decisions only
  Scheduler explaining_scheduler_;  // for the jobs left waiting at the end
  Snapshot snapshot_;
  ClusterState empty_;              // for "does it fit at all" checks
  std::unique_ptr<Ledger> ledger_;  // the running jobs

  std::vector<SimJob> jobs_;
  std::vector<int> arrivals_;     // job indexes by submission time
  std::vector<int> pending_job_;  // job index of snapshot_.pending[i]
  std::unordered_map<std::string, int> job_by_id_;
  std::priority_queue<EndEvent, std::vector<EndEvent>, std::greater<EndEvent>> ends_;
  std::set<int64_t> wake_ups_;  // times of the kWakeUp events in ends_
  std::map<std::string, int> flavor_index_;
  std::vector<std::string> flavors_;
  std::vector<double> flavor_gpus_;
  std::vector<double> flavor_allocated_;  // GPUs allocated now
  std::vector<double> flavor_gpu_ms_;     // integral of the above
  std::vector<std::string> teams_;
  std::vector<double> team_gpu_ms_;
  std::vector<int64_t> team_preemptions_;
  std::vector<int> queue_pending_;  // pending jobs per queue
  std::vector<int64_t> queue_preemptions_;
  std::vector<double> queue_gpu_ms_;
  std::vector<double> queue_share_;     // current dominant share
  std::vector<double> queue_share_ms_;  // integral of the share while jobs wait
  std::vector<double> queue_waiting_ms_;
  std::map<std::tuple<int, double, std::string, std::string, int>, std::string> never_fits_;
  std::vector<JobNote> rejections_;
  std::vector<double> pass_ms_;
  int64_t now_ms_ = 0;
  int64_t start_ms_ = 0;
  int64_t last_end_ms_ = 0;
  int64_t done_ = 0;
  int64_t events_ = 0;
  int64_t preemptions_ = 0;
  double rerun_gpu_ms_ = 0;     // run time preempted jobs must redo
  double stopping_gpu_ms_ = 0;  // held by preempted jobs while they stop
  int64_t instants_at_limit_ = 0;
  int64_t max_pending_ = 0, max_running_ = 0;
  bool dirty_ = false;
};

}  // namespace plinth::sched
