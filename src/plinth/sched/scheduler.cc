#include "plinth/sched/scheduler.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <queue>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "plinth/sched/preemption.h"

namespace plinth::sched {
namespace {

constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Earlier in the queue: higher priority, then earlier submission.
bool QueueOrder(const JobRequest* a, const JobRequest* b) {
  if (a->priority != b->priority) return a->priority > b->priority;
  if (a->submit_time_ms != b->submit_time_ms) return a->submit_time_ms < b->submit_time_ms;
  return a->id < b->id;
}

// A backfill reservation for the first capacity-blocked job of a flavor.
struct Reservation {
  const JobRequest* job = nullptr;  // null: none
  int64_t until_ms = kNever;        // when its nodes are expected to be free
  std::vector<char> nodes;          // nodes it will use
};

class Pass {
 public:
  Pass(const Snapshot& snapshot, const SchedulerOptions& options, const Ledger& ledger)
      : snapshot_(snapshot),
        options_(options),
        explain_(options.explain_waiting),
        ledger_(ledger),
        cluster_(ledger.cluster()),
        quotas_(ledger.quotas()),
        flavors_(ledger.flavor_names(), quotas_),
        preemptor_(ledger, options, snapshot.now_ms, cluster_, quotas_, flavors_) {}

  PassResult Run();

 private:
  // The flavors `job` may run on, as flavor numbers.
  const std::vector<int>& CandidateFlavors(const JobRequest& job, int queue);
  // `remember` false: the attempt runs with capacity a claim held back, so
  // its failures say nothing about the rest of the pass.
  bool TryAdmit(const PendingJob& job, WaitReason* reason, Outcome* outcome, bool remember = true);
  // Whether no candidate flavor has room for `job` within its queue's nominal quota.
  bool WouldBorrow(const PendingJob& job) {
    for (int f : CandidateFlavors(*job.job, job.queue)) {
      int qf = flavors_.at(f).quota;
      if (qf < 0 ||
          quotas_.Usage(job.queue, qf) + job.demand <= quotas_.Nominal(job.queue, qf) + 1e-9) {
        return false;
      }
    }
    return true;
  }
  // Whether `demand` GPUs exceed the nominal quota `queue` has left on
  // every GPU model of the cluster.
  bool AllWouldBorrow(int queue, double demand) {
    for (size_t f = 0; f < cluster_.flavors().size(); ++f) {  // numbered first (FlavorTable)
      int qf = flavors_.at(static_cast<int>(f)).quota;
      if (qf >= 0 && quotas_.Usage(queue, qf) + demand <= quotas_.Nominal(queue, qf) + 1e-9) {
        return false;
      }
    }
    return true;
  }
  void Reserve(const JobRequest& job, int flavor);
  bool EndsBefore(const JobRequest& job, const Reservation& r) const {
    return r.until_ms != kNever && job.max_runtime_ms > 0 &&
           snapshot_.now_ms + job.max_runtime_ms <= r.until_ms;
  }
  void ExplainCapacity(const JobRequest& job, WaitReason* reason);
  // A preemption held back by preempt_exempt_ms: the caller is told when to
  // look again, and the job why it waits.
  void NoteExemption(const Exemption& exempt, WaitReason* reason) {
    int64_t& next = result_.next_preemption_ms;
    if (next == 0 || exempt.until_ms < next) next = exempt.until_ms;
    if (!explain_) return;
    reason->kind = WaitReason::Kind::kPreemptExempt;
    reason->exempt_job = ledger_.entries()[exempt.entry].job.request.id;
    reason->exempt_until_ms = exempt.until_ms;
    reason->exempt_in_ms = exempt.until_ms - snapshot_.now_ms;
    reason->preempt_exempt_ms = options_.preempt_exempt_ms;
  }

  // The room a preemptor takes once its victims have stopped. Its placement
  // is charged on top of the victims (who still hold those GPUs) so that no
  // later job of the pass counts on it, and quota is charged as if the
  // victims had already stopped.
  struct Claim {
    Allocation allocation;
    int quota_flavor = -1;
    std::vector<int> victims;  // ledger entries
  };
  bool MakeClaim(const PendingJob& job, const std::vector<int>& victims,
                 const std::vector<int>& flavors);
  void ApplyClaim(const PendingJob& job, const Claim& claim, int sign);
  void ChargeVictims(const std::vector<int>& victims, int sign);

  const Snapshot& snapshot_;
  const SchedulerOptions& options_;
  bool explain_;
  const Ledger& ledger_;
  ClusterState cluster_;  // copies of the ledger's, changed by this pass
  QuotaBook quotas_;
  FlavorTable flavors_;
  PassResult result_;
  absl::flat_hash_set<ShapeKey, ShapeKeyHash> failed_shapes_;
  absl::flat_hash_map<ShapeKey, int, ShapeKeyHash> placeable_;  // replicas that fit one by one
  std::vector<Reservation> reservations_;                       // by flavor number
  std::vector<std::vector<int>> queue_flavors_;                 // CandidateFlavors per queue
  std::vector<int> one_flavor_;
  Preemptor preemptor_;
  absl::flat_hash_map<const JobRequest*, Claim> claims_;
  int64_t version_ = 0;  // bumped whenever capacity or quota usage changes for good
};

const std::vector<int>& Pass::CandidateFlavors(const JobRequest& job, int queue) {
  const Resources& r = job.per_replica;
  if ((r.gpus <= 0 && r.mig_profile.empty()) || !r.gpu_model.empty()) {
    one_flavor_.assign(1, flavors_.Id(r.gpus <= 0 && r.mig_profile.empty() ? "" : r.gpu_model));
    return one_flavor_;
  }
  if (queue_flavors_.empty()) queue_flavors_.resize(quotas_.queue_count());
  std::vector<int>& flavors = queue_flavors_[queue];
  if (!flavors.empty() || cluster_.flavors().empty()) return flavors;
  // The queue's own flavors first, then the rest (which it can only borrow).
  int count = static_cast<int>(cluster_.flavors().size());
  const QueueConfig& q = quotas_.queue(queue);
  for (int f = 0; f < count; ++f) {
    auto it = q.nominal.find(cluster_.flavors()[f]);
    if (it != q.nominal.end() && it->second > 0) flavors.push_back(f);
  }
  for (int f = 0; f < count; ++f) {
    if (std::find(flavors.begin(), flavors.end(), f) == flavors.end()) flavors.push_back(f);
  }
  return flavors;
}

bool Pass::TryAdmit(const PendingJob& pending, WaitReason* reason, Outcome* outcome,
                    bool remember) {
  const JobRequest& job = *pending.job;
  WaitReason quota_reason;
  for (int f : CandidateFlavors(job, pending.queue)) {
    const FlavorTable::Flavor& flavor = flavors_.at(f);
    bool borrowing = false;
    if (flavor.quota >= 0) {
      WaitReason why;
      if (!quotas_.Admits(pending.queue, flavor.quota, pending.demand, &borrowing,
                          explain_ ? &why : nullptr)) {
        if (explain_ && quota_reason.kind == WaitReason::Kind::kNone) quota_reason = why;
        continue;
      }
    }
    const Reservation* reservation = nullptr;
    if (f < static_cast<int>(reservations_.size()) && reservations_[f].job &&
        !EndsBefore(job, reservations_[f])) {
      reservation = &reservations_[f];
    }
    ShapeKey shape = ShapeOf(job, f, reservation != nullptr);
    std::optional<Allocation> allocation;
    if (!remember || !failed_shapes_.count(shape)) {
      allocation = cluster_.Place(job, flavor.name, reservation ? &reservation->nodes : nullptr);
    }
    if (!allocation) {
      if (remember) failed_shapes_.insert(shape);
      if (!outcome->capacity) {
        outcome->capacity = true;
        outcome->flavor = f;
        outcome->reserved = reservation != nullptr;
        if (explain_) {
          reason->kind = WaitReason::Kind::kCapacity;
          reason->flavor = flavor.name;
          reason->queue = job.queue;
          reason->needed = pending.demand;
          if (reservation) {
            reason->kind = WaitReason::Kind::kReserved;
            reason->reserved_for = reservation->job->id;
            reason->reserved_until_ms = reservation->until_ms;
          }
        }
      }
      continue;
    }
    if (flavor.quota >= 0) quotas_.Charge(pending.queue, flavor.quota, pending.demand);
    ++version_;
    result_.admitted.push_back(Admission{job.id, std::move(*allocation), borrowing});
    return true;
  }
  if (explain_) {
    if (!outcome->capacity) {
      *reason = quota_reason;
    } else if (reason->kind == WaitReason::Kind::kCapacity) {
      ExplainCapacity(job, reason);
    }
  }
  return false;
}

// Details for the explanation, computed only for the jobs that need them.
void Pass::ExplainCapacity(const JobRequest& job, WaitReason* reason) {
  int f = flavors_.Id(reason->flavor);
  ShapeKey shape = ShapeOf(job, f, false);
  auto cached = placeable_.find(shape);
  if (cached == placeable_.end()) {
    cached = placeable_.emplace(shape, cluster_.ReplicasPlaceable(job, reason->flavor)).first;
  }
  reason->replicas_placeable = cached->second;
  reason->largest_free = cluster_.LargestFreeBlock(reason->flavor);
}

// Quota of `victims`: returned (sign < 0) or charged again (sign > 0).
void Pass::ChargeVictims(const std::vector<int>& victims, int sign) {
  for (int v : victims) {
    const Ledger::Entry& e = ledger_.entries()[v];
    int qf = flavors_.at(e.flavor).quota;
    if (qf >= 0 && e.queue >= 0) quotas_.Charge(e.queue, qf, sign * e.demand);
  }
}

bool Pass::MakeClaim(const PendingJob& job, const std::vector<int>& victims,
                     const std::vector<int>& flavors) {
  const std::vector<Ledger::Entry>& entries = ledger_.entries();
  ChargeVictims(victims, -1);
  for (int f : flavors) {
    const FlavorTable::Flavor& flavor = flavors_.at(f);
    bool borrowing = false;
    if (flavor.quota >= 0 &&
        !quotas_.Admits(job.queue, flavor.quota, job.demand, &borrowing, nullptr)) {
      continue;
    }
    for (int v : victims) cluster_.Release(entries[v].job.allocation);
    std::optional<Allocation> placed = cluster_.Place(*job.job, flavor.name);
    for (int v : victims) cluster_.Charge(entries[v].job.allocation);
    if (!placed) continue;
    if (flavor.quota >= 0) quotas_.Charge(job.queue, flavor.quota, job.demand);
    claims_[job.job] = Claim{std::move(*placed), flavor.quota, victims};
    ++version_;
    return true;
  }
  ChargeVictims(victims, +1);
  return false;
}

void Pass::ApplyClaim(const PendingJob& job, const Claim& claim, int sign) {
  if (sign > 0) {
    cluster_.Charge(claim.allocation);
  } else {
    cluster_.Release(claim.allocation);
  }
  if (claim.quota_flavor >= 0) quotas_.Charge(job.queue, claim.quota_flavor, sign * job.demand);
  ChargeVictims(claim.victims, -sign);
}

// EASY backfill: find when, as running jobs of `flavor` end, `job` would
// fit, and on which nodes; those nodes are then kept for it.
void Pass::Reserve(const JobRequest& job, int f) {
  if (!options_.backfill || flavors_.at(f).name.empty()) return;
  if (f >= static_cast<int>(reservations_.size())) reservations_.resize(f + 1);
  if (reservations_[f].job) return;
  const std::vector<Ledger::Entry>& running = ledger_.entries();
  // Running jobs of the flavor by expected end, earliest first (ties: seq).
  using Ending = std::pair<int64_t, int64_t>;  // (end, seq)
  std::vector<Ending> ending;
  for (int i = 0; i < static_cast<int>(running.size()); ++i) {
    const Ledger::Entry& e = running[i];
    if (e.flavor != f) continue;
    const RunningJob& r = e.job;
    int64_t end = r.stopping                     ? snapshot_.now_ms
                  : r.request.max_runtime_ms > 0 ? r.start_time_ms + r.request.max_runtime_ms
                                                 : kNever;
    ending.emplace_back(end, e.seq);
  }
  std::make_heap(ending.begin(), ending.end(), std::greater<Ending>());
  std::vector<int> released;
  std::optional<Allocation> placement;
  int64_t until = kNever;
  const std::string& name = flavors_.at(f).name;
  while (!ending.empty()) {
    std::pop_heap(ending.begin(), ending.end(), std::greater<Ending>());
    auto [end, seq] = ending.back();
    ending.pop_back();
    int i = ledger_.EntryOf(seq);
    cluster_.Release(running[i].job.allocation);
    released.push_back(i);
    placement = cluster_.Place(job, name);
    if (placement) {
      until = end;
      cluster_.Release(*placement);
      break;
    }
  }
  for (int i : released) cluster_.Charge(running[i].job.allocation);
  if (!placement) return;  // it does not fit even on an empty cluster
  Reservation& reservation = reservations_[f];
  reservation.job = &job;
  reservation.until_ms = until;
  reservation.nodes.assign(cluster_.node_count(), 0);
  for (const ReplicaPlacement& p : placement->replicas) {
    int index = cluster_.NodeIndex(p.node);
    if (index >= 0) reservation.nodes[index] = 1;
  }
  ++version_;  // preemption searches now see these nodes as taken
}

PassResult Pass::Run() {
  // Per-queue lists in queue order.
  std::vector<std::vector<PendingJob>> by_queue(quotas_.queue_count());
  for (const JobRequest& job : snapshot_.pending) {
    int q = quotas_.QueueIndex(job.queue);
    if (q < 0) {
      if (explain_) {
        WaitReason reason;
        reason.kind = WaitReason::Kind::kUnknownQueue;
        reason.queue = job.queue;
        result_.waiting.push_back(Waiting{job.id, reason});
      }
      continue;
    }
    by_queue[q].push_back(PendingJob{&job, q, GpuDemand(job)});
  }
  for (std::vector<PendingJob>& jobs : by_queue) {
    std::sort(jobs.begin(), jobs.end(),
              [](const PendingJob& a, const PendingJob& b) { return QueueOrder(a.job, b.job); });
  }

  // Fair sharing, in two rounds: first jobs that fit their queue's nominal
  // quota, then those that would borrow (as in Kueue), so reclaimed quota
  // reaches its owner instead of being lent out again; in each round the
  // head of the queue with the lowest share goes next. A job that would
  // borrow does not hold up jobs of its queue and priority behind it that
  // fit nominal (lower priority ones wait: it could preempt them): else a
  // preemptor behind it would see the room it reclaimed go back to its
  // victim, and preempt again. So, too, only first-round jobs reclaim.
  struct Head {
    bool borrows;
    double share;
    const JobRequest* job;
    int queue;
    size_t next;  // round 1: index in by_queue; round 2: in deferred
  };
  auto later = [](const Head& a, const Head& b) {
    if (a.borrows != b.borrows) return a.borrows;
    if (a.share != b.share) return a.share > b.share;
    return QueueOrder(b.job, a.job);
  };
  std::vector<std::vector<size_t>> deferred(by_queue.size());  // indexes in by_queue
  bool second_round = false;
  auto job_at = [&](int queue, size_t next) -> const PendingJob& {
    return by_queue[queue][second_round ? deferred[queue][next] : next];
  };
  auto make_head = [&](int queue, size_t next) {
    const PendingJob& pending = job_at(queue, next);
    return Head{WouldBorrow(pending), quotas_.DominantShare(queue), pending.job, queue, next};
  };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
  for (int q = 0; q < static_cast<int>(by_queue.size()); ++q) {
    if (!by_queue[q].empty()) heads.push(make_head(q, 0));
  }
  // The smallest GPU demand from each position of a queue on.
  std::vector<std::vector<double>> min_demand(by_queue.size());
  for (size_t q = 0; q < by_queue.size(); ++q) {
    const std::vector<PendingJob>& jobs = by_queue[q];
    min_demand[q].assign(jobs.size() + 1, kUnlimited);
    for (size_t i = jobs.size(); i-- > 0;) {
      min_demand[q][i] = std::min(jobs[i].demand, min_demand[q][i + 1]);
    }
  }
  // Round 1 moves on to by_queue[q][next] unless a deferred job of higher
  // priority is ahead of it, or every job left would borrow (a queue over
  // its quota skips round 1 at once); then the rest waits for round 2.
  auto advance = [&](int q, size_t next) {
    const std::vector<PendingJob>& jobs = by_queue[q];
    if (next >= jobs.size()) return;
    if (!deferred[q].empty() &&
        (jobs[next].job->priority < jobs[deferred[q].front()].job->priority ||
         AllWouldBorrow(q, min_demand[q][next]))) {
      for (size_t i = next; i < jobs.size(); ++i) deferred[q].push_back(i);
      return;
    }
    heads.push(make_head(q, next));
  };
  // Waiting jobs in the order they were considered, for "jobs ahead of it".
  std::vector<std::pair<const PendingJob*, WaitReason>> waiting;
  if (explain_) {  // sized once: regrowing 10,000 reasons costs more than the pass
    waiting.reserve(snapshot_.pending.size());
    result_.waiting.reserve(snapshot_.pending.size());
  }
  const JobRequest* current = nullptr;
  // Jobs whose victims are still stopping claim their room first: it was
  // freed for them.
  for (const std::vector<PendingJob>& jobs : by_queue) {
    for (const PendingJob& pending : jobs) {
      const std::vector<int64_t>* victims = ledger_.VictimsOf(pending.job->id);
      if (!victims) continue;
      std::vector<int> entries;
      for (int64_t seq : *victims) entries.push_back(ledger_.EntryOf(seq));
      MakeClaim(pending, entries, CandidateFlavors(*pending.job, pending.queue));
    }
  }
  // Whether a reservation on flavor `f` keeps nodes from the current job.
  auto reserved = [&](int f) {
    return f < static_cast<int>(reservations_.size()) && reservations_[f].job &&
           !EndsBefore(*current, reservations_[f]);
  };
  auto consider = [&](const PendingJob& pending) {
    const JobRequest& job = *pending.job;
    current = &job;
    WaitReason reason;
    Outcome outcome;
    auto claim = claims_.find(&job);
    if (claim != claims_.end()) ApplyClaim(pending, claim->second, -1);  // its own room
    bool admitted = TryAdmit(pending, &reason, &outcome, claim == claims_.end());
    if (claim != claims_.end()) {
      if (admitted) {
        claims_.erase(claim);
      } else {
        ApplyClaim(pending, claim->second, +1);
      }
    }
    if (admitted) return;
    int awaiting = preemptor_.Awaiting(job.id);
    std::vector<int> victims;
    int flavor = -1;
    Exemption exempt;
    if (awaiting == 0 &&
        preemptor_.TryPreempt(pending, CandidateFlavors(job, pending.queue), reserved,
                              /*reclaim=*/!second_round, version_, &result_, &victims, &flavor,
                              &exempt)) {
      ++version_;
      awaiting = preemptor_.Awaiting(job.id);
      MakeClaim(pending, victims, {flavor});
    }
    if (awaiting > 0) {
      reason.kind = WaitReason::Kind::kAwaitingVictims;
      reason.victims = awaiting;
    } else {
      if (exempt.entry >= 0) NoteExemption(exempt, &reason);
      if (outcome.capacity && !outcome.reserved) Reserve(job, outcome.flavor);
    }
    if (explain_) waiting.emplace_back(&pending, std::move(reason));
  };
  while (!heads.empty()) {
    Head head = heads.top();
    heads.pop();
    const PendingJob& pending = by_queue[head.queue][head.next];
    // Usage may have grown since the head was queued: judge it now.
    if (head.borrows || WouldBorrow(pending)) {
      deferred[head.queue].push_back(head.next);
    } else {
      consider(pending);
    }
    advance(head.queue, head.next + 1);
  }
  second_round = true;
  for (int q = 0; q < static_cast<int>(by_queue.size()); ++q) {
    if (!deferred[q].empty()) heads.push(make_head(q, 0));
  }
  while (!heads.empty()) {
    Head head = heads.top();
    heads.pop();
    consider(job_at(head.queue, head.next));
    if (++head.next < deferred[head.queue].size()) heads.push(make_head(head.queue, head.next));
  }

  // Jobs ahead, per cohort (or per queue without one).
  std::vector<int> ahead(quotas_.cohort_count() + quotas_.queue_count(), 0);
  for (auto& [pending, reason] : waiting) {
    int cohort = quotas_.CohortOf(pending->queue);
    reason.jobs_ahead = ahead[cohort >= 0 ? cohort : quotas_.cohort_count() + pending->queue]++;
    if (reason.cohort.empty()) reason.cohort = quotas_.queue(pending->queue).cohort;
    if (reason.queue.empty()) reason.queue = pending->job->queue;
    result_.waiting.push_back(Waiting{pending->job->id, std::move(reason)});
  }
  return std::move(result_);
}

}  // namespace

PassResult Scheduler::Schedule(const Snapshot& snapshot) const {
  Ledger ledger(snapshot.nodes, snapshot.queues);
  for (const RunningJob& r : snapshot.running) ledger.Add(r);
  return Schedule(snapshot, ledger);
}

PassResult Scheduler::Schedule(const Snapshot& snapshot, const Ledger& ledger) const {
  return Pass(snapshot, options_, ledger).Run();
}

}  // namespace plinth::sched
