#include "plinth/sched/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/sched/quota.h"
#include "plinth/sched/sim_replay.h"

namespace plinth::sched {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t ToMs(double seconds) { return std::llround(seconds * 1000); }
double ToS(int64_t ms) { return static_cast<double>(ms) / 1000; }

SchedulerOptions Quiet(SchedulerOptions options) {
  options.explain_waiting = false;  // only decisions matter until the end
  return options;
}

}  // namespace

Replay::Replay(const std::vector<gpu::Node>& nodes, std::vector<QueueConfig> queues,
               const Trace& trace, const SimOptions& options)
    : trace_(trace),
      options_(options),
      scheduler_(Quiet(options.scheduler)),
      explaining_scheduler_(options.scheduler),
      empty_(nodes) {
  snapshot_.nodes = nodes;
  snapshot_.queues = std::move(queues);
}

absl::Status Replay::Prepare() {
  std::map<std::string, int> queue_index, team_index;
  bool make_queues = snapshot_.queues.empty();
  for (const TraceJob& t : trace_.jobs) {
    const std::string& queue = t.queue.empty() ? t.team : t.queue;
    if (make_queues && !queue_index.count(queue)) {
      QueueConfig q;
      q.name = queue;
      q.team = t.team;
      for (const gpu::Node& n : snapshot_.nodes) {
        for (const gpu::Gpu& g : n.gpus) q.nominal[g.model] = kUnlimited;
      }
      queue_index[queue] = static_cast<int>(snapshot_.queues.size());
      snapshot_.queues.push_back(std::move(q));
    }
    if (!team_index.count(t.team)) team_index[t.team] = 0;
  }
  std::vector<std::string> queue_names;
  for (size_t i = 0; i < snapshot_.queues.size(); ++i) {
    queue_index[snapshot_.queues[i].name] = static_cast<int>(i);
    queue_names.push_back(snapshot_.queues[i].name);
  }
  for (auto& [name, index] : team_index) {
    index = static_cast<int>(teams_.size());
    teams_.push_back(name);
  }
  for (const std::string& f : empty_.flavors()) {
    flavor_index_[f] = static_cast<int>(flavors_.size());
    flavors_.push_back(f);
    flavor_gpus_.push_back(empty_.TotalGpus(f));
  }
  ledger_ = std::make_unique<Ledger>(snapshot_.nodes, snapshot_.queues);

  jobs_.resize(trace_.jobs.size());
  for (size_t j = 0; j < trace_.jobs.size(); ++j) {
    const TraceJob& t = trace_.jobs[j];
    const std::string& queue = t.queue.empty() ? t.team : t.queue;
    auto q = queue_index.find(queue);
    if (q == queue_index.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          trace_.source, ":", t.line, ": queue '", queue,
          "' is not defined in the cluster file (queues: ", absl::StrJoin(queue_names, ", "),
          "); add it there or leave queues out to get one queue per team"));
    }
    SimJob& job = jobs_[j];
    job.trace = &t;
    job.queue = q->second;
    job.team = team_index[t.team];
    job.submit_ms = ToMs(t.submit_time_s);
    job.remaining_ms = std::max<int64_t>(1, ToMs(t.duration_s));
    Resources r;
    r.gpus = t.gpus;
    r.mig_profile = t.mig_profile;
    job.demand = SliceDemand(r) * t.replicas;
    job_by_id_[t.id] = static_cast<int>(j);
    arrivals_.push_back(static_cast<int>(j));
  }
  std::stable_sort(arrivals_.begin(), arrivals_.end(),
                   [&](int a, int b) { return jobs_[a].submit_ms < jobs_[b].submit_ms; });
  flavor_allocated_.assign(flavors_.size(), 0);
  flavor_gpu_ms_.assign(flavors_.size(), 0);
  team_gpu_ms_.assign(teams_.size(), 0);
  team_preemptions_.assign(teams_.size(), 0);
  queue_pending_.assign(snapshot_.queues.size(), 0);
  queue_share_.assign(snapshot_.queues.size(), 0);
  queue_share_ms_.assign(snapshot_.queues.size(), 0);
  queue_preemptions_.assign(snapshot_.queues.size(), 0);
  queue_gpu_ms_.assign(snapshot_.queues.size(), 0);
  queue_waiting_ms_.assign(snapshot_.queues.size(), 0);
  return absl::OkStatus();
}

// Why `job` can never start, or "" when it can: it must fit the empty
// cluster and its queue's quota with nothing else running.
std::string Replay::NeverFits(const SimJob& job) {
  const TraceJob& t = *job.trace;
  auto key = std::make_tuple(job.queue, t.gpus, t.mig_profile, t.gpu_model, t.replicas);
  auto cached = never_fits_.find(key);
  if (cached != never_fits_.end()) return cached->second;
  JobRequest request;
  request.queue = snapshot_.queues[job.queue].name;
  request.replicas = t.replicas;
  request.per_replica.gpus = t.gpus;
  request.per_replica.gpu_model = t.gpu_model;
  request.per_replica.mig_profile = t.mig_profile;
  std::string what = t.mig_profile.empty() ? absl::StrCat(t.replicas, " x ", t.gpus, " GPUs")
                                           : absl::StrCat(t.replicas, " x MIG ", t.mig_profile);
  if (!t.gpu_model.empty()) absl::StrAppend(&what, " of model ", t.gpu_model);
  std::string reason = absl::StrCat("needs ", what, ", more than the cluster can place");
  if (!t.gpu_model.empty() && !flavor_index_.count(t.gpu_model)) {
    reason = absl::StrCat("asks for GPU model ", t.gpu_model, ", which no node has");
  } else {
    QuotaBook empty_quota(snapshot_.queues, {});
    for (const std::string& flavor : flavors_) {
      if (!t.gpu_model.empty() && flavor != t.gpu_model) continue;
      std::optional<Allocation> placed = empty_.Place(request, flavor);
      if (!placed) continue;
      empty_.Release(*placed);
      bool borrowing = false;
      WaitReason why;
      if (empty_quota.Admits(request.queue, flavor, job.demand, &borrowing, &why)) {
        reason.clear();
        break;
      }
      reason = absl::StrCat(
          "needs ", job.demand, " ", flavor, " GPUs, more than queue ", request.queue,
          " may ever use (",
          why.kind == WaitReason::Kind::kCohortQuota ? "its cohort's nominal " : "its limit ",
          why.limit, ")");
    }
  }
  never_fits_.emplace(key, reason);
  return reason;
}

void Replay::Arrive(int j) {
  SimJob& job = jobs_[j];
  std::string never = NeverFits(job);
  if (!never.empty()) {
    job.status = SimStatus::kRejected;
    ++done_;
    rejections_.push_back(JobNote{job.trace->id, job.trace->line, job.trace->team, never});
    return;
  }
  Enqueue(j);
}

void Replay::Enqueue(int j) {
  SimJob& job = jobs_[j];
  const TraceJob& t = *job.trace;
  JobRequest request;
  request.id = t.id;
  request.queue = snapshot_.queues[job.queue].name;
  request.priority = t.priority;
  request.submit_time_ms = job.submit_ms;  // requeued jobs keep their place
  request.replicas = t.replicas;
  request.per_replica.gpus = t.gpus;
  request.per_replica.gpu_model = t.gpu_model;
  request.per_replica.mig_profile = t.mig_profile;
  request.preemptible = t.preemptible;
  request.preemptions = job.preemptions;
  if (t.max_runtime_s > 0) {
    request.max_runtime_ms = ToMs(t.max_runtime_s);
  } else if (options_.runtime_estimates) {
    request.max_runtime_ms = job.remaining_ms;
  }
  job.status = SimStatus::kPending;
  job.slot = static_cast<int>(snapshot_.pending.size());
  snapshot_.pending.push_back(std::move(request));
  pending_job_.push_back(j);
  ++queue_pending_[job.queue];
  max_pending_ = std::max<int64_t>(max_pending_, snapshot_.pending.size());
  dirty_ = true;
}

void Replay::SetShare(int queue) {
  queue_share_[queue] = ledger_->quotas().DominantShare(snapshot_.queues[queue].name);
}

void Replay::Start(int j, Allocation allocation) {
  SimJob& job = jobs_[j];
  int slot = job.slot;
  RunningJob running;
  running.request = std::move(snapshot_.pending[slot]);
  running.allocation = std::move(allocation);
  running.start_time_ms = now_ms_;
  // Swap the last pending job into the freed slot.
  if (slot != static_cast<int>(snapshot_.pending.size()) - 1) {
    snapshot_.pending[slot] = std::move(snapshot_.pending.back());
    pending_job_[slot] = pending_job_.back();
    jobs_[pending_job_[slot]].slot = slot;
  }
  snapshot_.pending.pop_back();
  pending_job_.pop_back();
  --queue_pending_[job.queue];

  auto flavor = flavor_index_.find(running.allocation.flavor);
  job.flavor = flavor == flavor_index_.end() ? -1 : flavor->second;
  if (job.flavor >= 0) flavor_allocated_[job.flavor] += job.demand;
  ledger_->Add(std::move(running));
  SetShare(job.queue);

  int64_t run_ms = job.remaining_ms;
  if (job.trace->max_runtime_s > 0) run_ms = std::min(run_ms, ToMs(job.trace->max_runtime_s));
  job.status = SimStatus::kRunning;
  if (job.first_start_ms < 0) job.first_start_ms = now_ms_;
  job.run_start_ms = now_ms_;
  job.slot = -1;
  max_running_ = std::max<int64_t>(max_running_, ledger_->entries().size());
  ends_.push(EndEvent{now_ms_ + std::max<int64_t>(run_ms, 1), j, job.generation});
}

// The victim checkpoints and stops: its work ends now, but it keeps its GPUs
// for the grace period (its preemptor waits for them), then goes back to
// pending with the work it has left.
void Replay::Preempt(int j, const std::string& preemptor) {
  SimJob& job = jobs_[j];
  ledger_->MarkStopping(job.trace->id, preemptor);
  int64_t ran = now_ms_ - job.run_start_ms;
  if (options_.restart_preempted) rerun_gpu_ms_ += job.demand * static_cast<double>(ran);
  job.remaining_ms =
      options_.restart_preempted ? ToMs(job.trace->duration_s) : job.remaining_ms - ran;
  job.remaining_ms = std::max<int64_t>(job.remaining_ms, 1);
  job.preempted_at_ms = now_ms_;
  ++job.generation;
  ++job.preemptions;
  ++team_preemptions_[job.team];
  ++queue_preemptions_[job.queue];
  ++preemptions_;
  ends_.push(EndEvent{now_ms_ + ToMs(options_.preemption_grace_s), j, job.generation});
}

// Takes job `j` off the cluster at now_ms_.
void Replay::Remove(int j) {
  SimJob& job = jobs_[j];
  if (job.flavor >= 0) {
    flavor_allocated_[job.flavor] -= job.demand;
    if (flavor_allocated_[job.flavor] < 1e-9) flavor_allocated_[job.flavor] = 0;
  }
  double gpu_ms = job.demand * static_cast<double>(now_ms_ - job.run_start_ms);
  if (job.preempted_at_ms >= 0) {
    stopping_gpu_ms_ += job.demand * static_cast<double>(now_ms_ - job.preempted_at_ms);
  }
  team_gpu_ms_[job.team] += gpu_ms;
  queue_gpu_ms_[job.queue] += gpu_ms;
  ledger_->Remove(job.trace->id);
  SetShare(job.queue);
  last_end_ms_ = std::max(last_end_ms_, now_ms_);
  dirty_ = true;
}

void Replay::End(const EndEvent& e) {
  if (e.job == kWakeUp) {  // a preemption exemption ran out: look again
    wake_ups_.erase(e.time_ms);
    dirty_ = true;
    return;
  }
  SimJob& job = jobs_[e.job];
  if (job.status != SimStatus::kRunning || job.generation != e.generation) return;  // voided
  Remove(e.job);
  if (job.preempted_at_ms >= 0) {  // a preempted job has stopped
    job.preempted_at_ms = -1;
    Enqueue(e.job);
    return;
  }
  job.remaining_ms -= now_ms_ - job.run_start_ms;
  job.status = job.remaining_ms > 0 ? SimStatus::kTimedOut : SimStatus::kCompleted;
  ++done_;
}

void Replay::RunPasses() {
  int passes = 0;
  while (dirty_ && passes < options_.max_passes_per_instant) {
    dirty_ = false;
    ++passes;
    snapshot_.now_ms = now_ms_;
    SteadyClock::time_point t0 = SteadyClock::now();
    PassResult result = scheduler_.Schedule(snapshot_, *ledger_);
    pass_ms_.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
    for (Admission& a : result.admitted) {
      auto it = job_by_id_.find(a.job_id);
      if (it != job_by_id_.end()) Start(it->second, std::move(a.allocation));
    }
    for (const Preemption& p : result.preempted) {
      auto it = job_by_id_.find(p.victim_id);
      if (it == job_by_id_.end() || jobs_[it->second].status != SimStatus::kRunning) continue;
      if (jobs_[it->second].preempted_at_ms < 0) Preempt(it->second, p.preemptor_id);
    }
    // Nothing else would run a pass when a held-back preemption becomes
    // possible, so wake up then.
    int64_t wake = result.next_preemption_ms;
    if (wake > now_ms_ && wake_ups_.insert(wake).second) ends_.push(EndEvent{wake, kWakeUp, 0});
  }
  if (dirty_) ++instants_at_limit_;
  dirty_ = false;
}

// Moves the clock to `to_ms`, integrating allocation and shares over the gap.
void Replay::Advance(int64_t to_ms) {
  double dt = static_cast<double>(to_ms - now_ms_);
  if (dt > 0) {
    for (size_t f = 0; f < flavors_.size(); ++f) flavor_gpu_ms_[f] += flavor_allocated_[f] * dt;
    for (size_t q = 0; q < queue_pending_.size(); ++q) {
      if (queue_pending_[q] == 0) continue;
      queue_share_ms_[q] += queue_share_[q] * dt;
      queue_waiting_ms_[q] += dt;
    }
  }
  now_ms_ = to_ms;
}

SimReport Replay::Run() {
  SteadyClock::time_point wall_start = SteadyClock::now();
  size_t next = 0;
  start_ms_ = arrivals_.empty() ? 0 : jobs_[arrivals_[0]].submit_ms;
  now_ms_ = start_ms_;
  last_end_ms_ = start_ms_;
  int64_t next_progress = options_.progress_every;
  SimProgress progress;
  progress.jobs_total = static_cast<int64_t>(jobs_.size());
  auto report_progress = [&] {
    if (!options_.progress) return;
    progress.jobs_done = done_;
    progress.sim_time_s = ToS(now_ms_ - start_ms_);
    options_.progress(progress);
  };
  while (next < arrivals_.size() || !ends_.empty()) {
    int64_t t = INT64_MAX;
    if (next < arrivals_.size()) t = jobs_[arrivals_[next]].submit_ms;
    if (!ends_.empty()) t = std::min(t, ends_.top().time_ms);
    Advance(t);
    while (!ends_.empty() && ends_.top().time_ms == t) {
      EndEvent e = ends_.top();
      ends_.pop();
      End(e);
      ++events_;
    }
    while (next < arrivals_.size() && jobs_[arrivals_[next]].submit_ms == t) {
      Arrive(arrivals_[next++]);
      ++events_;
    }
    RunPasses();
    if (options_.progress_every > 0 && events_ >= next_progress) {
      report_progress();
      next_progress = events_ + options_.progress_every;
    }
  }
  report_progress();
  return BuildReport(std::chrono::duration<double>(SteadyClock::now() - wall_start).count());
}

absl::StatusOr<SimReport> Simulate(const std::vector<gpu::Node>& nodes,
                                   const std::vector<QueueConfig>& queues, const Trace& trace,
                                   const SimOptions& options) {
  if (nodes.empty()) return absl::InvalidArgumentError("the cluster has no nodes");
  Replay replay(nodes, queues, trace, options);
  if (absl::Status s = replay.Prepare(); !s.ok()) return s;
  return replay.Run();
}

}  // namespace plinth::sched
