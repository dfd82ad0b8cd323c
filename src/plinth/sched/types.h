// The scheduler's vocabulary: what a job asks for, where it was placed, the
// queues that own quota, and one pass's input and output. Plain data; the
// jobs module converts its records to and from these.
//
// Units: GPU amounts are in GPUs (a MIG slice counts its compute slices / 7
// of its GPU), memory in MiB, times in milliseconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "plinth/gpu/gpu_source.h"

namespace plinth::sched {

// What one replica needs.
struct Resources {
  double gpus = 0;          // 0, a fraction in (0,1), or a whole number
  std::string gpu_model;    // flavor; empty: any model the queue may use
  std::string mig_profile;  // set: one MIG slice of this profile (gpus is 0)
  double cpus = 0;
  int64_t memory_mib = 0;
};

struct JobRequest {
  std::string id;
  std::string queue;
  int priority = 0;
  int64_t submit_time_ms = 0;  // FIFO order among jobs of equal priority
  int replicas = 1;            // a gang: every replica is placed or none is
  Resources per_replica;
  bool preemptible = false;
  int64_t max_runtime_ms = 0;  // 0: unknown (such a job never backfills)
  // Times the job has been preempted so far: among otherwise equal victims
  // the least preempted goes first, so that one job does not take every hit.
  int preemptions = 0;
};

// One GPU share given to a replica.
struct GpuSlot {
  int gpu = 0;              // index of the GPU on its node
  double fraction = 1.0;    // 1 for a whole GPU, (0,1) for a shared one
  std::string mig_profile;  // set for a MIG slice
  int mig_start = -1;       // first memory slice of that MIG slice
};

struct ReplicaPlacement {
  std::string node;
  std::vector<GpuSlot> gpus;
  double cpus = 0;
  int64_t memory_mib = 0;
};

struct Allocation {
  std::string flavor;  // GPU model charged; empty for CPU-only jobs
  std::vector<ReplicaPlacement> replicas;
};

struct RunningJob {
  JobRequest request;
  Allocation allocation;
  int64_t start_time_ms = 0;
  // A job being preempted or cancelled still holds its resources until its
  // processes exit; `preempted_for` names the job it makes room for.
  bool stopping = false;
  std::string preempted_for;
};

inline constexpr double kUnlimited = std::numeric_limits<double>::infinity();

struct QueueConfig {
  std::string name;
  std::string team;
  std::string cohort;  // queues in one cohort lend each other unused quota
  // Nominal GPUs per flavor. A flavor that is absent has no quota of its own
  // (the queue may still borrow it inside its cohort).
  std::map<std::string, double> nominal;
  // The most a queue may borrow above nominal, per flavor; absent: no limit
  // other than what the cohort has unused.
  std::map<std::string, double> borrowing_limit;
  double weight = 1.0;  // fair-share weight
};

struct Snapshot {
  int64_t now_ms = 0;
  std::vector<gpu::Node> nodes;
  std::vector<QueueConfig> queues;
  std::vector<RunningJob> running;
  std::vector<JobRequest> pending;
};

// Why a pending job was not admitted in a pass. Kept as data (not text) so
// that a pass over 10,000 jobs does not format 10,000 sentences; Explain()
// turns it into one sentence on demand.
struct WaitReason {
  enum class Kind {
    kNone,
    kUnknownQueue,
    kQueueQuota,       // the queue's nominal + borrowing limit is used up
    kCohortQuota,      // the cohort has nothing left to lend
    kCapacity,         // quota allows it, but no placement is free
    kReserved,         // would delay a job that has a reservation (backfill)
    kAwaitingVictims,  // preempted jobs are stopping to make room for it
    kPreemptExempt     // it could preempt, but its victims have not run long enough yet
  };
  Kind kind = Kind::kNone;
  std::string flavor;
  std::string queue;
  std::string cohort;
  double needed = 0;           // GPUs the job needs (all replicas)
  double used = 0;             // in use by the queue / cohort
  double limit = 0;            // nominal + borrowing limit, or cohort nominal
  double nominal = 0;          // queue's nominal quota
  int replicas_placeable = 0;  // kCapacity: how many replicas fit now
  double largest_free = 0;     // kCapacity: largest free GPU block on one node
  std::string reserved_for;    // kReserved: the job holding the reservation
  int64_t reserved_until_ms = 0;
  int victims = 0;  // kAwaitingVictims
  // kPreemptExempt: the running job whose exemption ends last among those
  // the preemption needs, when that is (epoch ms), how long from the pass
  // that is, and the exemption in force (SchedulerOptions::preempt_exempt_ms).
  std::string exempt_job;
  int64_t exempt_until_ms = 0;
  int64_t exempt_in_ms = 0;
  int64_t preempt_exempt_ms = 0;
  int jobs_ahead = 0;  // pending jobs ordered before it in its cohort
};

struct Admission {
  std::string job_id;
  Allocation allocation;
  bool borrowing = false;  // admitted on quota lent by its cohort
};

struct Preemption {
  std::string victim_id;
  std::string preemptor_id;
  std::string reason;  // one sentence for the victim's event timeline
};

struct Waiting {
  std::string job_id;
  WaitReason reason;
};

struct PassResult {
  std::vector<Admission> admitted;
  std::vector<Preemption> preempted;
  std::vector<Waiting> waiting;
  // When a preemption this pass held back for preempt_exempt_ms becomes
  // possible (the earliest such time, epoch ms); 0 when none was held back.
  // A caller that runs passes only when something changes should run one
  // then: nothing else marks that moment.
  int64_t next_preemption_ms = 0;
};

// GPU quantity a request charges to quota: gpus x replicas, or a MIG
// slice's compute share x replicas.
double GpuDemand(const JobRequest& job);
double SliceDemand(const Resources& resources);

}  // namespace plinth::sched
