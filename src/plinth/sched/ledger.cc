#include "plinth/sched/ledger.h"

#include <algorithm>

namespace plinth::sched {
namespace {

std::map<std::string, double> GpuTotals(const std::vector<gpu::Node>& nodes) {
  std::map<std::string, double> totals;
  for (const gpu::Node& node : nodes) {
    for (const gpu::Gpu& g : node.gpus) totals[g.model] += 1;
  }
  return totals;
}

int64_t ListKey(int queue, int flavor) { return (static_cast<int64_t>(queue) << 32) | flavor; }

}  // namespace

Ledger::Ledger(const std::vector<gpu::Node>& nodes, const std::vector<QueueConfig>& queues)
    : cluster_(nodes), quotas_(queues, GpuTotals(nodes)), flavor_names_(cluster_.flavors()) {}

int Ledger::FlavorNumber(const std::string& name) {
  for (size_t f = 0; f < flavor_names_.size(); ++f) {
    if (flavor_names_[f] == name) return static_cast<int>(f);
  }
  flavor_names_.push_back(name);
  return static_cast<int>(flavor_names_.size()) - 1;
}

Ledger::PriorityList* Ledger::PreemptibleList(const Entry& e, bool create) {
  int64_t key = ListKey(e.queue, e.flavor);
  if (create) return &preemptible_[key];
  auto it = preemptible_.find(key);
  return it == preemptible_.end() ? nullptr : &it->second;
}

const Ledger::PriorityList* Ledger::Preemptible(int queue, int flavor) const {
  auto it = preemptible_.find(ListKey(queue, flavor));
  return it == preemptible_.end() || it->second.empty() ? nullptr : &it->second;
}

// Adds `e` to (sign > 0) or takes it out of (sign < 0) the indexes that
// depend on its stopping state.
void Ledger::Index(const Entry& e, int sign) {
  const RunningJob& r = e.job;
  if (r.request.preemptible && !r.stopping && e.queue >= 0) {
    std::pair<int, int64_t> item{r.request.priority, e.seq};
    if (sign > 0) {
      PreemptibleList(e, true)->insert(item);
    } else if (PriorityList* list = PreemptibleList(e, false)) {
      list->erase(item);
    }
  }
  if (r.stopping && !r.preempted_for.empty()) {
    std::vector<int64_t>& victims = victims_[r.preempted_for];
    if (sign > 0) {
      victims.push_back(e.seq);
    } else {
      victims.erase(std::remove(victims.begin(), victims.end(), e.seq), victims.end());
      if (victims.empty()) victims_.erase(r.preempted_for);
    }
  }
}

void Ledger::Add(RunningJob job) {
  Entry e;
  e.queue = quotas_.QueueIndex(job.request.queue);
  e.flavor = FlavorNumber(job.allocation.flavor);
  e.demand = GpuDemand(job.request);
  e.seq = next_seq_++;
  cluster_.Charge(job.allocation);
  quotas_.Charge(job.request.queue, job.allocation.flavor, e.demand);
  e.job = std::move(job);
  Index(e, +1);
  int index = static_cast<int>(entries_.size());
  by_id_[e.job.request.id] = index;
  by_seq_[e.seq] = index;
  entries_.push_back(std::move(e));
}

bool Ledger::MarkStopping(const std::string& job_id, const std::string& preempted_for) {
  auto it = by_id_.find(job_id);
  if (it == by_id_.end()) return false;
  Entry& e = entries_[it->second];
  Index(e, -1);
  e.job.stopping = true;
  e.job.preempted_for = preempted_for;
  Index(e, +1);
  return true;
}

bool Ledger::Remove(const std::string& job_id) {
  auto it = by_id_.find(job_id);
  if (it == by_id_.end()) return false;
  int index = it->second;
  Entry& e = entries_[index];
  Index(e, -1);
  cluster_.Release(e.job.allocation);
  quotas_.Release(e.job.request.queue, e.job.allocation.flavor, e.demand);
  by_id_.erase(it);
  by_seq_.erase(e.seq);
  if (index != static_cast<int>(entries_.size()) - 1) {
    e = std::move(entries_.back());
    by_id_[e.job.request.id] = index;
    by_seq_[e.seq] = index;
  }
  entries_.pop_back();
  return true;
}

const std::vector<int64_t>* Ledger::VictimsOf(const std::string& job_id) const {
  if (victims_.empty()) return nullptr;
  auto it = victims_.find(job_id);
  return it == victims_.end() ? nullptr : &it->second;
}

}  // namespace plinth::sched
