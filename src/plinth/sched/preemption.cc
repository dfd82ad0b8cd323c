#include "plinth/sched/preemption.h"

#include <algorithm>
#include <functional>

namespace plinth::sched {
namespace {

size_t Mix(size_t seed, size_t value) {
  return seed ^ (value + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

}  // namespace

FlavorTable::FlavorTable(const std::vector<std::string>& names, QuotaBook& quotas)
    : quotas_(quotas) {
  for (const std::string& name : names) Id(name);
}

int FlavorTable::Id(const std::string& name) {
  for (size_t i = 0; i < flavors_.size(); ++i) {
    if (flavors_[i].name == name) return static_cast<int>(i);
  }
  flavors_.push_back(Flavor{name, name.empty() ? -1 : quotas_.AddFlavor(name)});
  return static_cast<int>(flavors_.size()) - 1;
}

size_t ShapeKeyHash::operator()(const ShapeKey& k) const {
  size_t h = std::hash<int>()(k.flavor);
  h = Mix(h, std::hash<int>()(k.replicas));
  h = Mix(h, std::hash<int>()(k.mig * 2 + k.blocked));
  h = Mix(h, std::hash<double>()(k.gpus));
  h = Mix(h, std::hash<double>()(k.cpus));
  return Mix(h, std::hash<int64_t>()(k.memory_mib));
}

ShapeKey ShapeOf(const JobRequest& job, int flavor, bool blocked) {
  const Resources& r = job.per_replica;
  int mig = -1;
  if (!r.mig_profile.empty()) {
    const gpu::MigProfile* profile = MigProfileNamed(r.mig_profile);
    mig = profile ? static_cast<int>(profile - gpu::MigProfiles().data()) : -2;
  }
  return ShapeKey{flavor, job.replicas, mig, blocked, r.gpus, r.cpus, r.memory_mib};
}

size_t Preemptor::MemoKeyHash::operator()(const MemoKey& k) const {
  size_t h = ShapeKeyHash()(k.shape);
  h = Mix(h, std::hash<int>()(k.queue));
  h = Mix(h, std::hash<int>()(k.flavor * 2 + k.reclaim));
  return Mix(h, std::hash<int>()(k.priority));
}

int Preemptor::Awaiting(const std::string& job_id) const {
  int count = ledger_.Awaiting(job_id);
  if (!awaiting_.empty()) {
    auto it = awaiting_.find(job_id);
    if (it != awaiting_.end()) count += it->second;
  }
  return count;
}

void Preemptor::AddCandidate(int64_t seq, bool reclaim, std::vector<Candidate>* out,
                             std::vector<Candidate>* exempt) {
  if (chosen_.contains(seq)) return;
  int entry = ledger_.EntryOf(seq);
  int64_t until = ledger_.entries()[entry].job.start_time_ms + options_.preempt_exempt_ms;
  if (options_.preempt_exempt_ms > 0 && now_ms_ < until) {
    exempt->push_back({entry, reclaim, until});
  } else {
    out->push_back({entry, reclaim});
  }
}

void Preemptor::Candidates(const PendingJob& job, int f, bool reclaim, std::vector<Candidate>* out,
                           std::vector<Candidate>* exempt) {
  int qf = flavors_.at(f).quota;
  // Lower priority in its own queue.
  if (const Ledger::PriorityList* own = ledger_.Preemptible(job.queue, f)) {
    for (const auto& [priority, seq] : *own) {
      if (priority >= job.job->priority) break;
      AddCandidate(seq, false, out, exempt);
    }
  }
  // Within its nominal quota: what cohort queues borrow.
  int cohort = quotas_.CohortOf(job.queue);
  if (!reclaim || cohort < 0 || qf < 0) return;
  bool within_nominal =
      quotas_.Usage(job.queue, qf) + job.demand <= quotas_.Nominal(job.queue, qf) + 1e-9;
  if (!within_nominal) return;
  for (int other = 0; other < quotas_.queue_count(); ++other) {
    if (other == job.queue || quotas_.CohortOf(other) != cohort) continue;
    if (!quotas_.IsBorrowing(other, qf)) continue;
    const Ledger::PriorityList* list = ledger_.Preemptible(other, f);
    if (!list) continue;
    for (const auto& item : *list) AddCandidate(item.second, true, out, exempt);
  }
}

bool Preemptor::TryPreempt(const PendingJob& job, const std::vector<int>& flavors,
                           const std::function<bool(int flavor)>& reserved, bool reclaim,
                           int64_t version, PassResult* result, std::vector<int>* victims,
                           int* flavor, Exemption* exempt) {
  if (!options_.preemption || attempts_ >= options_.max_preemption_attempts) return false;
  if (version != failed_version_) {
    failed_.clear();
    failed_version_ = version;
  }
  auto note = [&](const Exemption& e) {
    if (e.entry >= 0 && (exempt->entry < 0 || e.until_ms < exempt->until_ms)) *exempt = e;
  };
  for (int f : flavors) {
    if (reserved(f)) continue;
    MemoKey key{job.queue, f, job.job->priority, reclaim, ShapeOf(*job.job, f, false)};
    auto memo = failed_.find(key);
    if (memo != failed_.end()) {  // the same search failed since the last change
      attempts_ += memo->second.searched;
      note(memo->second.exempt);
      continue;
    }
    bool searched = false;
    Exemption held;
    if (Search(job, f, reclaim, &searched, &held, result, victims)) {
      *flavor = f;
      return true;
    }
    attempts_ += searched;
    note(held);
    failed_.emplace(key, Failure{searched, held});
  }
  return false;
}

// Tentatively removes candidates until `job` fits; keeps the smallest set
// that still works and emits it. When no set of eligible candidates works,
// goes on with the exempt ones in the order their exemptions end: the first
// that makes the job fit tells when it can preempt. Capacity and quota are
// left as they were.
bool Preemptor::Search(const PendingJob& job, int f, bool reclaim, bool* searched,
                       Exemption* exempt, PassResult* result, std::vector<int>* chosen) {
  std::vector<Candidate> candidates, exempt_candidates;
  Candidates(job, f, reclaim, &candidates, &exempt_candidates);
  if (candidates.empty() && exempt_candidates.empty()) return false;
  *searched = true;
  const std::vector<Ledger::Entry>& running = ledger_.entries();
  // Borrowing jobs first, then lowest priority, then the least preempted,
  // then the most recently started.
  auto before = [&](const Candidate& a, const Candidate& b) {
    if (a.reclaim != b.reclaim) return a.reclaim;
    const RunningJob& x = running[a.entry].job;
    const RunningJob& y = running[b.entry].job;
    if (x.request.priority != y.request.priority) return x.request.priority < y.request.priority;
    if (x.request.preemptions != y.request.preemptions) {
      return x.request.preemptions < y.request.preemptions;
    }
    if (x.start_time_ms != y.start_time_ms) return x.start_time_ms > y.start_time_ms;
    return running[a.entry].seq < running[b.entry].seq;
  };
  std::sort(candidates.begin(), candidates.end(), before);
  const FlavorTable::Flavor& flavor = flavors_.at(f);
  int qf = flavor.quota;
  auto release = [&](int i) {
    cluster_.Release(running[i].job.allocation);
    if (qf >= 0) quotas_.Charge(running[i].queue, qf, -running[i].demand);
  };
  auto charge = [&](int i) {
    cluster_.Charge(running[i].job.allocation);
    if (qf >= 0) quotas_.Charge(running[i].queue, qf, running[i].demand);
  };
  auto fits = [&]() {
    bool borrowing = false;
    if (qf >= 0 && !quotas_.Admits(job.queue, qf, job.demand, &borrowing, nullptr)) return false;
    std::optional<Allocation> a = cluster_.Place(*job.job, flavor.name);
    if (a) cluster_.Release(*a);
    return a.has_value();
  };
  std::vector<int> victims;
  // Releases `c` unless it is a reclaim candidate whose queue no longer
  // borrows (reclaim takes only what is borrowed, re-checked as victims go).
  auto take = [&](const Candidate& c) {
    if (c.reclaim && !quotas_.IsBorrowing(running[c.entry].queue, qf)) return false;
    release(c.entry);
    victims.push_back(c.entry);
    return true;
  };
  bool found = false;
  for (const Candidate& c : candidates) {
    if (take(c) && fits()) {
      found = true;
      break;
    }
  }
  if (found) {
    // Spare every victim that turns out not to be needed, latest first.
    for (int i = static_cast<int>(victims.size()) - 2; i >= 0; --i) {
      charge(victims[i]);
      if (fits()) {
        victims.erase(victims.begin() + i);
      } else {
        release(victims[i]);
      }
    }
  } else if (!exempt_candidates.empty()) {
    std::sort(exempt_candidates.begin(), exempt_candidates.end(),
              [&](const Candidate& a, const Candidate& b) {
                if (a.exempt_until_ms != b.exempt_until_ms) {
                  return a.exempt_until_ms < b.exempt_until_ms;
                }
                return before(a, b);
              });
    for (const Candidate& c : exempt_candidates) {
      if (take(c) && fits()) {
        *exempt = Exemption{c.entry, c.exempt_until_ms};
        break;
      }
    }
  }
  for (int v : victims) charge(v);
  if (!found) return false;
  const JobRequest& preemptor = *job.job;
  for (int v : victims) {
    chosen_.insert(running[v].seq);
    const JobRequest& victim = running[v].job.request;
    bool reclaim = victim.queue != preemptor.queue;
    std::string why = reclaim ? "queue " + preemptor.queue + " reclaims quota lent to queue " +
                                    victim.queue + " for job " + preemptor.id
                              : "job " + preemptor.id + " has higher priority (" +
                                    std::to_string(preemptor.priority) + " > " +
                                    std::to_string(victim.priority) + ")";
    result->preempted.push_back(Preemption{victim.id, preemptor.id, why});
  }
  awaiting_[preemptor.id] += static_cast<int>(victims.size());
  *chosen = std::move(victims);
  return true;
}

}  // namespace plinth::sched
