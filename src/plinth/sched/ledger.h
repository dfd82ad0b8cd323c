// The running jobs a scheduling pass starts from, with the capacity and
// quota usage they hold. Scheduler::Schedule(snapshot) builds one from
// snapshot.running for every pass; a caller that runs many passes over a
// slowly changing cluster (the simulator) keeps one instead - Add when a job
// starts, MarkStopping when it is preempted, Remove when it has stopped -
// and hands it to Schedule, so that a pass costs what changed rather than a
// rebuild of the whole cluster. Not thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "plinth/gpu/gpu_source.h"
#include "plinth/sched/capacity.h"
#include "plinth/sched/quota.h"
#include "plinth/sched/types.h"

namespace plinth::sched {

class Ledger {
 public:
  struct Entry {
    RunningJob job;
    int queue = -1;   // QuotaBook number, -1 for a queue that is not configured
    int flavor = -1;  // number in flavor_names()
    double demand = 0;
    int64_t seq = 0;  // order of Add, which breaks ties between equal candidates
  };
  // Entries sorted by (priority, seq).
  using PriorityList = std::set<std::pair<int, int64_t>>;

  Ledger(const std::vector<gpu::Node>& nodes, const std::vector<QueueConfig>& queues);

  // Charges a running (or stopping) job. Job ids must be unique.
  void Add(RunningJob job);
  // Marks a running job as stopping to make room for `preempted_for`; it
  // holds its resources until removed. False when no job has that id.
  bool MarkStopping(const std::string& job_id, const std::string& preempted_for);
  // Returns the job's resources. False when no job has that id.
  bool Remove(const std::string& job_id);

  const ClusterState& cluster() const { return cluster_; }
  const QuotaBook& quotas() const { return quotas_; }
  // The running jobs, in no particular order.
  const std::vector<Entry>& entries() const { return entries_; }
  // Index in entries() of the job added as `seq`.
  int EntryOf(int64_t seq) const { return by_seq_.at(seq); }
  // Flavor names: the cluster's GPU models (numbered as ClusterState numbers
  // them), then other names allocations used ("" for CPU-only jobs).
  const std::vector<std::string>& flavor_names() const { return flavor_names_; }
  // Preemptible jobs that are not stopping, of `queue` on `flavor`; null
  // when there are none.
  const PriorityList* Preemptible(int queue, int flavor) const;
  // Stopping jobs preempted for `job_id`, by seq; null when none.
  const std::vector<int64_t>* VictimsOf(const std::string& job_id) const;
  int Awaiting(const std::string& job_id) const {
    const std::vector<int64_t>* victims = VictimsOf(job_id);
    return victims ? static_cast<int>(victims->size()) : 0;
  }

 private:
  int FlavorNumber(const std::string& name);
  PriorityList* PreemptibleList(const Entry& e, bool create);
  void Index(const Entry& e, int sign);

  ClusterState cluster_;
  QuotaBook quotas_;
  std::vector<std::string> flavor_names_;
  std::vector<Entry> entries_;
  absl::flat_hash_map<std::string, int> by_id_;
  absl::flat_hash_map<int64_t, int> by_seq_;
  absl::flat_hash_map<int64_t, PriorityList> preemptible_;          // by (queue << 32 | flavor)
  absl::flat_hash_map<std::string, std::vector<int64_t>> victims_;  // by preemptor
  int64_t next_seq_ = 0;
};

}  // namespace plinth::sched
