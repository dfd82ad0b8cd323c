// Internal to the scheduler (scheduler.cc): the pieces of one pass that
// preemption and backfill share with admission, and the preemption search.
// Not part of the module's interface.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "plinth/sched/capacity.h"
#include "plinth/sched/ledger.h"
#include "plinth/sched/quota.h"
#include "plinth/sched/scheduler.h"
#include "plinth/sched/types.h"

namespace plinth::sched {

// The flavors a pass deals with, by number: the cluster's GPU models first
// (numbered as ClusterState numbers them), then "" (CPU-only) and models the
// cluster lacks, as requests and allocations name them.
class FlavorTable {
 public:
  struct Flavor {
    std::string name;
    int quota = -1;  // QuotaBook number; -1 for "" (CPU-only jobs use no quota)
  };
  // Starts with `names` (the ledger's flavor names, cluster models first).
  FlavorTable(const std::vector<std::string>& names, QuotaBook& quotas);
  // The number of `name`, adding it when new.
  int Id(const std::string& name);
  // Stays valid while the table grows.
  const Flavor& at(int id) const { return flavors_[id]; }

 private:
  QuotaBook& quotas_;
  std::deque<Flavor> flavors_;
};

struct PendingJob {
  const JobRequest* job;
  int queue;  // QuotaBook number
  double demand;
};

// How an admission attempt failed on capacity (rather than quota).
struct Outcome {
  bool capacity = false;  // some flavor had quota but no room
  int flavor = -1;        // the first such flavor
  bool reserved = false;  // ... and its room is reserved for an earlier job
};

// A request's shape on a flavor, for remembering attempts that already
// failed in this pass (capacity only shrinks during a pass).
struct ShapeKey {
  int flavor;
  int replicas;
  int mig;  // index in gpu::MigProfiles(); -1 none, -2 unknown
  bool blocked;
  double gpus;
  double cpus;
  int64_t memory_mib;
  bool operator==(const ShapeKey& o) const {
    return flavor == o.flavor && replicas == o.replicas && mig == o.mig && blocked == o.blocked &&
           gpus == o.gpus && cpus == o.cpus && memory_mib == o.memory_mib;
  }
};
struct ShapeKeyHash {
  size_t operator()(const ShapeKey& k) const;
};
ShapeKey ShapeOf(const JobRequest& job, int flavor, bool blocked);

// A preemption held back by SchedulerOptions::preempt_exempt_ms: it becomes
// possible at `until_ms`, when ledger entry `entry` (the last of the victims
// it needs to lose its exemption) has run long enough.
struct Exemption {
  int entry = -1;  // -1: none
  int64_t until_ms = 0;
};

// Preemption for one pass (policy in scheduler.h, point 4). Works on the
// pass's ClusterState and QuotaBook and leaves them as it found them.
class Preemptor {
 public:
  Preemptor(const Ledger& ledger, const SchedulerOptions& options, int64_t now_ms,
            ClusterState& cluster, QuotaBook& quotas, FlavorTable& flavors)
      : ledger_(ledger),
        options_(options),
        now_ms_(now_ms),
        cluster_(cluster),
        quotas_(quotas),
        flavors_(flavors) {}

  // Victims still stopping to make room for `job_id`.
  int Awaiting(const std::string& job_id) const;
  // Looks for victims whose removal lets `job` fit on one of `flavors`;
  // when found, appends them to result->preempted, sets *victims (indexes in
  // the ledger's entries) and *flavor, and returns true. Flavors
  // where `reserved(flavor)` holds are skipped: the job waits behind a
  // backfill reservation there, and room it freed would go to the holder
  // (or straight back to the victims). `version` changes whenever the pass
  // changes capacity, quota usage or reservations, so that identical failed
  // searches are not repeated in between. When it finds none only because
  // jobs it would need are still exempt, *exempt says until when (the
  // earliest over `flavors`). `reclaim` false: only lower-priority jobs of
  // its own queue are candidates.
  bool TryPreempt(const PendingJob& job, const std::vector<int>& flavors,
                  const std::function<bool(int flavor)>& reserved, bool reclaim, int64_t version,
                  PassResult* result, std::vector<int>* victims, int* flavor, Exemption* exempt);

 private:
  struct MemoKey {
    int queue, flavor, priority;
    bool reclaim;
    ShapeKey shape;
    bool operator==(const MemoKey& o) const {
      return queue == o.queue && flavor == o.flavor && priority == o.priority &&
             reclaim == o.reclaim && shape == o.shape;
    }
  };
  struct MemoKeyHash {
    size_t operator()(const MemoKey& k) const;
  };
  struct Candidate {
    int entry;                    // in ledger_.entries()
    bool reclaim;                 // taken back from a borrowing queue of the cohort
    int64_t exempt_until_ms = 0;  // set for a job that is still exempt
  };
  struct Failure {
    bool searched;  // it counted as an attempt
    Exemption exempt;
  };

  // Whether a search on `flavor` found victims; *searched tells whether it
  // had any candidates (and so counts as an attempt), *exempt whether
  // exempt candidates would have made it succeed.
  bool Search(const PendingJob& job, int flavor, bool reclaim, bool* searched, Exemption* exempt,
              PassResult* result, std::vector<int>* victims);
  // Candidates on `flavor`, those still exempt apart.
  void Candidates(const PendingJob& job, int flavor, bool reclaim, std::vector<Candidate>* out,
                  std::vector<Candidate>* exempt);
  void AddCandidate(int64_t seq, bool reclaim, std::vector<Candidate>* out,
                    std::vector<Candidate>* exempt);

  const Ledger& ledger_;
  const SchedulerOptions& options_;
  int64_t now_ms_;
  ClusterState& cluster_;
  QuotaBook& quotas_;
  FlavorTable& flavors_;
  absl::flat_hash_set<int64_t> chosen_;             // victims of this pass, by ledger seq
  absl::flat_hash_map<std::string, int> awaiting_;  // victims chosen in this pass
  int attempts_ = 0;
  absl::flat_hash_map<MemoKey, Failure, MemoKeyHash> failed_;
  int64_t failed_version_ = -1;
};

}  // namespace plinth::sched
