// The simulator's report: statistics over a finished replay, and its JSON.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "plinth/sched/sim_replay.h"
#include "plinth/sched/simulator.h"

namespace plinth::sched {
namespace {

Json PercentilesToJson(const Percentiles& p) {
  return {{"count", p.count}, {"mean", p.mean}, {"p50", p.p50},
          {"p90", p.p90},     {"p99", p.p99},   {"max", p.max}};
}

Json NotesToJson(const std::vector<JobNote>& notes) {
  Json out = Json::array();
  for (const JobNote& n : notes) {
    out.push_back({{"id", n.id}, {"line", n.line}, {"team", n.team}, {"reason", n.reason}});
  }
  return out;
}

double ToS(int64_t ms) { return static_cast<double>(ms) / 1000; }

}  // namespace

SimReport Replay::BuildReport(double wall_s) {
  SimReport r;
  r.jobs = static_cast<int64_t>(jobs_.size());
  r.start_s = ToS(start_ms_);
  double makespan_ms = static_cast<double>(last_end_ms_ - start_ms_);
  r.makespan_s = makespan_ms / 1000;
  double gpus = 0, gpu_ms = 0;
  for (size_t f = 0; f < flavors_.size(); ++f) {
    FlavorReport fr;
    fr.flavor = flavors_[f];
    fr.gpus = flavor_gpus_[f];
    fr.allocated_gpu_seconds = flavor_gpu_ms_[f] / 1000;
    fr.utilisation = makespan_ms > 0 ? flavor_gpu_ms_[f] / (fr.gpus * makespan_ms) : 0;
    gpus += fr.gpus;
    gpu_ms += flavor_gpu_ms_[f];
    r.flavors.push_back(fr);
  }
  r.utilisation = makespan_ms > 0 && gpus > 0 ? gpu_ms / (gpus * makespan_ms) : 0;

  // Jobs still waiting: ask the scheduler once more why.
  std::unordered_map<std::string, std::string> why;
  if (!snapshot_.pending.empty()) {
    snapshot_.now_ms = now_ms_;
    for (const Waiting& w : explaining_scheduler_.Schedule(snapshot_, *ledger_).waiting) {
      why[w.job_id] = Explain(w.reason);
    }
  }
  std::vector<double> waits;
  std::vector<std::vector<double>> team_waits(teams_.size());
  r.teams.resize(teams_.size());
  for (size_t t = 0; t < teams_.size(); ++t) {
    r.teams[t].team = teams_[t];
    r.teams[t].preemptions = team_preemptions_[t];
    r.teams[t].gpu_seconds = team_gpu_ms_[t] / 1000;
    r.teams[t].mean_gpus = makespan_ms > 0 ? team_gpu_ms_[t] / makespan_ms : 0;
  }
  for (const SimJob& job : jobs_) {
    TeamReport& team = r.teams[job.team];
    ++team.jobs;
    if (job.first_start_ms >= 0) {
      double wait = ToS(job.first_start_ms - job.submit_ms);
      waits.push_back(wait);
      team_waits[job.team].push_back(wait);
    }
    switch (job.status) {
      case SimStatus::kCompleted:
        ++team.completed;
        break;
      case SimStatus::kTimedOut:
        ++team.timed_out;
        break;
      case SimStatus::kRejected:
        ++team.rejected;
        break;
      default:
        ++team.unfinished;
        r.unfinished_jobs.push_back(
            JobNote{job.trace->id, job.trace->line, job.trace->team, why[job.trace->id]});
    }
    r.jobs_preempted += job.preemptions > 0;
    r.max_preemptions_of_a_job = std::max<int64_t>(r.max_preemptions_of_a_job, job.preemptions);
  }
  r.preemptions = preemptions_;
  r.preemption_rerun_gpu_hours = rerun_gpu_ms_ / 3.6e6;
  r.preemption_stopping_gpu_hours = stopping_gpu_ms_ / 3.6e6;
  r.preemption_lost_gpu_hours = r.preemption_rerun_gpu_hours + r.preemption_stopping_gpu_hours;
  r.wait_s = Summarize(std::move(waits));
  for (size_t t = 0; t < teams_.size(); ++t) {
    TeamReport& team = r.teams[t];
    team.wait_s = Summarize(std::move(team_waits[t]));
    r.completed += team.completed;
    r.timed_out += team.timed_out;
    r.rejected += team.rejected;
    r.unfinished += team.unfinished;
    double share_ms = 0, waiting_ms = 0;
    for (size_t q = 0; q < snapshot_.queues.size(); ++q) {
      if (snapshot_.queues[q].team != team.team) continue;
      share_ms += queue_share_ms_[q];
      waiting_ms += queue_waiting_ms_[q];
    }
    team.waiting_share = waiting_ms > 0 ? share_ms / waiting_ms : 0;
  }
  std::vector<double> shares;
  for (size_t q = 0; q < snapshot_.queues.size(); ++q) {
    QueueReport queue;
    queue.queue = snapshot_.queues[q].name;
    queue.team = snapshot_.queues[q].team;
    queue.preemptions = queue_preemptions_[q];
    queue.mean_gpus = makespan_ms > 0 ? queue_gpu_ms_[q] / makespan_ms : 0;
    queue.waiting_s = queue_waiting_ms_[q] / 1000;
    if (queue_waiting_ms_[q] > 0) {
      queue.waiting_share = queue_share_ms_[q] / queue_waiting_ms_[q];
      shares.push_back(queue.waiting_share);
    }
    r.queues.push_back(queue);
  }
  for (const SimJob& job : jobs_) ++r.queues[job.queue].jobs;
  r.fairness = JainIndex(shares);
  r.passes = static_cast<int64_t>(pass_ms_.size());
  r.pass_ms = Summarize(std::move(pass_ms_));
  r.instants_at_pass_limit = instants_at_limit_;
  r.max_pending = max_pending_;
  r.max_running = max_running_;
  r.rejections = std::move(rejections_);
  r.wall_s = wall_s;
  return r;
}

Percentiles Summarize(std::vector<double> values) {
  Percentiles p;
  p.count = static_cast<int64_t>(values.size());
  if (values.empty()) return p;
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double v : values) sum += v;
  p.mean = sum / static_cast<double>(values.size());
  auto rank = [&](double q) {
    size_t n = values.size();
    size_t i = static_cast<size_t>(std::ceil(q / 100 * static_cast<double>(n)));
    return values[std::clamp<size_t>(i, 1, n) - 1];
  };
  p.p50 = rank(50);
  p.p90 = rank(90);
  p.p99 = rank(99);
  p.max = values.back();
  return p;
}

double JainIndex(const std::vector<double>& values) {
  double sum = 0, squares = 0;
  for (double v : values) {
    sum += v;
    squares += v * v;
  }
  if (values.empty() || squares <= 0) return 1;
  return sum * sum / (static_cast<double>(values.size()) * squares);
}

Json SimReportToJson(const SimReport& r) {
  Json flavors = Json::array();
  for (const FlavorReport& f : r.flavors) {
    flavors.push_back({{"flavor", f.flavor},
                       {"gpus", f.gpus},
                       {"allocated_gpu_seconds", f.allocated_gpu_seconds},
                       {"utilisation", f.utilisation}});
  }
  Json teams = Json::array();
  for (const TeamReport& t : r.teams) {
    teams.push_back({{"team", t.team},
                     {"jobs", t.jobs},
                     {"completed", t.completed},
                     {"rejected", t.rejected},
                     {"timed_out", t.timed_out},
                     {"unfinished", t.unfinished},
                     {"preemptions", t.preemptions},
                     {"wait_s", PercentilesToJson(t.wait_s)},
                     {"gpu_seconds", t.gpu_seconds},
                     {"mean_gpus", t.mean_gpus},
                     {"waiting_share", t.waiting_share}});
  }
  Json queues = Json::array();
  for (const QueueReport& q : r.queues) {
    queues.push_back({{"queue", q.queue},
                      {"team", q.team},
                      {"jobs", q.jobs},
                      {"preemptions", q.preemptions},
                      {"mean_gpus", q.mean_gpus},
                      {"waiting_share", q.waiting_share},
                      {"waiting_s", q.waiting_s}});
  }
  return {{"jobs", r.jobs},
          {"completed", r.completed},
          {"rejected", r.rejected},
          {"timed_out", r.timed_out},
          {"unfinished", r.unfinished},
          {"start_s", r.start_s},
          {"makespan_s", r.makespan_s},
          {"utilisation", r.utilisation},
          {"flavors", flavors},
          {"wait_s", PercentilesToJson(r.wait_s)},
          {"teams", teams},
          {"queues", queues},
          {"preemptions", r.preemptions},
          {"jobs_preempted", r.jobs_preempted},
          {"max_preemptions_of_a_job", r.max_preemptions_of_a_job},
          {"preemption_lost_gpu_hours", r.preemption_lost_gpu_hours},
          {"preemption_rerun_gpu_hours", r.preemption_rerun_gpu_hours},
          {"preemption_stopping_gpu_hours", r.preemption_stopping_gpu_hours},
          {"fairness", r.fairness},
          {"passes", r.passes},
          {"pass_ms", PercentilesToJson(r.pass_ms)},
          {"instants_at_pass_limit", r.instants_at_pass_limit},
          {"max_pending", r.max_pending},
          {"max_running", r.max_running},
          {"wall_s", r.wall_s},
          {"rejections", NotesToJson(r.rejections)},
          {"unfinished_jobs", NotesToJson(r.unfinished_jobs)}};
}

}  // namespace plinth::sched
