// One scheduling pass: given the cluster, the queues, what runs and what
// waits, decide which pending jobs start now (and where), which running
// jobs to preempt, and why every other job waits. A pure function of its
// Snapshot, so the server, the simulator and the tests drive the same code.
//
// Policy, in order:
//  1. Fair sharing: jobs that fit their queue's nominal quota go before
//     jobs that would borrow (a borrowing job does not hold up jobs of its
//     queue and priority behind it that fit nominal); within each of these
//     two rounds the queue with the lowest dominant resource share goes
//     first; within a queue, higher priority, then earlier submission.
//  2. Quota: a job fits its queue's nominal quota, or borrows unused quota
//     of its cohort up to the queue's borrowing limit.
//  3. Gang placement: every replica is placed or none is (see capacity.h);
//     nothing is held for a gang that cannot start.
//  4. Preemption: a job that does not fit may displace preemptible jobs of
//     lower priority in its own queue, or - when it is within its nominal
//     quota (and is in the first round) - jobs of cohort queues that borrow.
//     Victims are chosen borrowing first, then lowest priority, then least
//     often preempted, then most recently started, and only when
//     removing them makes the job fit; it then waits for them to stop, and
//     the room it counts on (its victims' GPUs and the free ones it needs
//     besides) is held for it before any other job is placed. A job that
//     waits behind a backfill reservation (point 5) does not preempt on that
//     flavor: the room would go to the reservation's holder, or be
//     backfilled again by the victims. A running job is no candidate until
//     it has run preempt_exempt_ms (Slurm's PreemptExemptTime); when only
//     such jobs stand in the way, the job waits, says for how long, and
//     PassResult::next_preemption_ms tells the caller when to look again.
//  5. Backfill (EASY): the first job of a flavor that fits quota but not
//     capacity gets a reservation (the nodes it will use and the time they
//     free up, from running jobs' maximum runtimes); later jobs may use
//     those nodes only if their own maximum runtime ends before then.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plinth/sched/ledger.h"
#include "plinth/sched/types.h"

namespace plinth::sched {

// The server's (jobs.preempt_exempt_time) and the simulator's default for
// SchedulerOptions::preempt_exempt_ms: long enough for a job to get through
// start-up and write a checkpoint before it can be displaced again, short
// next to typical GPU jobs (tens of minutes), so a preemptor rarely waits.
inline constexpr int64_t kDefaultPreemptExemptMs = 60'000;

struct SchedulerOptions {
  bool backfill = true;
  bool preemption = true;
  // A running job is not a preemption candidate until it has run this long
  // (now - start_time_ms). 0 here, so that the bare scheduler preempts
  // whatever it may; callers that face churn set kDefaultPreemptExemptMs.
  int64_t preempt_exempt_ms = 0;
  // Preemption searches per pass, to bound a pass when thousands of jobs wait
  // on a full cluster of preemptible work.
  int max_preemption_attempts = 32;
  // false: PassResult::waiting stays empty and no explanation is worked out
  // (for callers that only apply decisions, such as the simulator).
  bool explain_waiting = true;
};

class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options = {}) : options_(options) {}
  PassResult Schedule(const Snapshot& snapshot) const;
  // The same pass with the running jobs taken from `ledger` (snapshot.running
  // is not read), which the caller keeps up to date (see ledger.h).
  PassResult Schedule(const Snapshot& snapshot, const Ledger& ledger) const;

 private:
  SchedulerOptions options_;
};

// One sentence saying why a job waits, e.g. "queue vision is 2 H100-80GB
// GPUs over its quota (using 6 of nominal 4 + borrowing 2); 3 jobs ahead of
// it in cohort research".
std::string Explain(const WaitReason& reason);

}  // namespace plinth::sched
