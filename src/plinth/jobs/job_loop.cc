// The loop thread's work: follow running replicas, move jobs through their
// states, run the scheduler and apply its decisions.
#include <algorithm>
#include <csignal>

#include "absl/strings/str_cat.h"
#include "plinth/jobs/job_metrics.h"
#include "plinth/jobs/job_service.h"
#include "spdlog/spdlog.h"

namespace plinth::jobs {
namespace {

constexpr int64_t kNoDeadline = INT64_MAX;

std::string RunStatusFor(JobState state) {
  return state == JobState::kSucceeded   ? "FINISHED"
         : state == JobState::kCancelled ? "KILLED"
                                         : "FAILED";
}

// A replica whose SIGKILL failed: recorded as killed, it would free its GPUs
// while it may still run, so it is "stopping" (keeps them) and the kill is
// retried. Said once, not on every retry.
void KillFailed(ReplicaRecord& r, const absl::Status& why, int64_t now,
                std::vector<JobEvent>& events) {
  if (r.state != "stopping") {
    events.push_back({now, "WARNING",
                      absl::StrCat("replica ", r.index, ": SIGKILL failed (", why.message(),
                                   "); it keeps its resources and the kill is retried")});
  }
  r.state = "stopping";
  r.message = absl::StrCat("SIGKILL failed: ", why.message());
}

}  // namespace

// "SIGTERM" rather than strsignal()'s "Terminated", as users name them in specs.
std::string SignalName(int signal) {
  for (const char* name : {"SIGTERM", "SIGINT", "SIGUSR1", "SIGUSR2", "SIGHUP", "SIGKILL"}) {
    absl::StatusOr<int> number = SignalNumber(name);
    if (number.ok() && *number == signal) return name;
  }
  return signal == SIGKILL ? "SIGKILL" : absl::StrCat("signal ", signal);
}

exec::Executor* JobService::ExecutorFor(const std::string& name) const {
  auto it = executors_.find(name);
  return it == executors_.end() ? nullptr : it->second;
}

exec::Executor* JobService::ExecutorFor(const Job& job) const { return ExecutorFor(job.executor); }

// A pass at least this often even when nothing changed: reservations and
// backfill depend on the time.
constexpr int64_t kIdlePassMs = 5000;

void JobService::Tick(bool woken_by_inbox) {
  if (!leading_) return;  // a follower's jobs are the leader's
  if (DrainInbox()) changed_ = true;
  if (!unsaved_.empty()) RetryUnsaved();
  int64_t now = clock_.NowMillis();
  // Replicas are followed once a tick, not on every wake-up a submission
  // or an executor's answer causes; and only jobs that hold resources have
  // replicas to follow. The polls run on the executors' workers: their
  // answers come back through the inbox (OnPolled).
  bool exited;
  {
    std::lock_guard<std::mutex> lock(mu_);
    exited = exit_pending_;
    exit_pending_ = false;
  }
  if (!woken_by_inbox || exited || now - last_poll_ms_ >= config_.tick_ms) {
    last_poll_ms_ = now;
    StartPolls(nullptr);
    if (!loop_running_) SettleCalls();  // a test sees the answers within its Tick
    for (Job* held : holding_) {
      if (HoldsResources(held->state)) Advance(*held);  // deadlines
    }
  }
  StartAbandons();
  if (!loop_running_) SettleCalls();
  now = clock_.NowMillis();
  if (!changed_ && now < next_pass_ms_) return;
  // (Only for the loop thread: a test driving Tick() itself decides when
  // passes run, and a slow machine must not skip one it counts on.)
  if (loop_running_ && last_pass_cost_ > std::chrono::milliseconds(5) &&
      std::chrono::steady_clock::now() - last_pass_end_ <
          std::min<std::chrono::steady_clock::duration>(9 * last_pass_cost_,
                                                        std::chrono::seconds(2))) {
    return;  // a big backlog: let the last pass's cost pay off first
  }
  changed_ = false;
  next_pass_ms_ = now + kIdlePassMs;
  // While the store refuses writes, nothing new starts: a launch it cannot
  // record could be orphaned by a restart.
  if (unsaved_.empty()) Schedule();
  ForgetEndedJobs();
  if (!loop_running_) SettleCalls();
  // Gauges once a second at most; they walk every active job.
  if (now - last_metrics_ms_ >= 1000 || last_pass_cost_ <= std::chrono::milliseconds(5)) {
    PublishMetrics();
    last_metrics_ms_ = now;
  }
  last_pass_end_ = std::chrono::steady_clock::now();
}

void JobService::CallExecutor(const std::string& executor, const char* call,
                              std::function<std::function<void()>(exec::Executor&)> work) {
  auto worker = workers_.find(executor);
  exec::Executor* target = ExecutorFor(executor);
  if (worker == workers_.end() || target == nullptr) {
    spdlog::warn("jobs: no executor '{}' for a {} call", executor, call);
    return;
  }
  ++calls_in_flight_;
  metrics::Histogram* seconds = &metrics_->executor_call_seconds.WithLabels({executor, call});
  bool posted = worker->second->Post([this, target, seconds, work = std::move(work)] {
    auto started = std::chrono::steady_clock::now();
    std::function<void()> then = work(*target);
    seconds->Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    RunOnLoop([this, then = std::move(then)] {
      --calls_in_flight_;
      if (then) then();
    });
  });
  if (!posted) --calls_in_flight_;  // stopping: the answer would never be read
}

void JobService::SettleCalls() {
  while (true) {
    DrainInbox();
    if (calls_in_flight_ == 0) return;
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !inbox_.empty(); });
  }
}

void JobService::ForgetEndedJobs() {
  holding_.clear();
  for (auto it = active_.begin(); it != active_.end();) {
    // An ended job stays until its final state is stored.
    if (IsTerminal(it->second.state) && !unsaved_.count(it->first)) {
      it = active_.erase(it);
      continue;
    }
    // Only a pass admits jobs, so this list stays complete until the next.
    if (HoldsResources(it->second.state)) holding_.push_back(&it->second);
    ++it;
  }
}

// Whether the loop follows this replica: running, or stopping after a
// failed kill (is it gone anyway?).
static bool Followed(const ReplicaRecord& r) {
  return (r.state == "running" || r.state == "stopping") && !r.handle.empty();
}

static bool Launching(const Job& job) {
  for (const ReplicaRecord& r : job.replicas) {
    if (r.state == "launching") return true;
  }
  return false;
}

bool JobService::Launching(const Job& job) { return jobs::Launching(job); }

void JobService::StartPolls(const std::string* only) {
  std::map<std::string, std::vector<std::string>> handles;  // by executor
  for (Job* held : holding_) {
    if (!HoldsResources(held->state) || ExecutorFor(*held) == nullptr) continue;
    if (only && held->executor != *only) continue;
    for (const ReplicaRecord& r : held->replicas) {
      if (Followed(r)) handles[held->executor].push_back(r.handle);
    }
  }
  for (auto& [executor, list] : handles) {
    if (polling_.count(executor)) {
      repoll_.insert(executor);  // once the poll in flight is answered
      continue;
    }
    polling_.insert(executor);
    CallExecutor(executor, "poll", [this, executor, list = std::move(list)](exec::Executor& e) {
      auto polled = std::make_shared<PollResults>(e.PollAll(list));
      return std::function<void()>([this, executor, polled] { OnPolled(executor, *polled); });
    });
  }
}

void JobService::OnPolled(const std::string& executor, const PollResults& polled) {
  polling_.erase(executor);
  for (Job* held : holding_) {
    Job& job = *held;
    if (job.executor != executor || !HoldsResources(job.state)) continue;
    std::vector<JobEvent> events;
    PollReplicas(job, polled, events);
    if (events.empty()) continue;
    Persist(job, std::move(events));
    Advance(job);
  }
  if (repoll_.erase(executor)) StartPolls(&executor);
}

void JobService::PollReplicas(Job& job, const PollResults& polled, std::vector<JobEvent>& events) {
  for (ReplicaRecord& r : job.replicas) {
    if (!Followed(r)) continue;
    auto found = polled.find(r.handle);
    if (found == polled.end()) continue;  // not polled this tick
    const absl::StatusOr<exec::ReplicaStatus>& status = found->second;
    if (!status.ok()) {
      // The backend is unreachable (slurmctld down): try again next tick.
      spdlog::warn("jobs: cannot poll replica {} of job {}: {}", r.index, job.id,
                   status.status().ToString());
      continue;
    }
    switch (status->state) {
      case exec::ReplicaState::kRunning:
        continue;
      case exec::ReplicaState::kSucceeded:
        r.state = "succeeded";
        break;
      case exec::ReplicaState::kFailed:
        r.state = "failed";
        break;
      case exec::ReplicaState::kLost:
        r.state = "lost";
        break;
    }
    r.exit_code = status->exit_code;
    r.message = status->message;
    events.push_back({clock_.NowMillis(), "REPLICA_EXITED",
                      absl::StrCat("replica ", r.index, ": ", status->message)});
  }
}

void JobService::KillReplicas(Job& job, std::vector<int> indices,
                              std::function<void(Job&, const std::vector<absl::Status>&)> then) {
  std::vector<std::string> handles;
  for (int i : indices) handles.push_back(job.replicas[i].handle);
  CallExecutor(job.executor, "kill",
               [this, id = job.id, attempt = job.attempts, indices = std::move(indices),
                handles = std::move(handles), then = std::move(then)](exec::Executor& e) {
                 auto results = std::make_shared<std::vector<absl::Status>>();
                 for (const std::string& handle : handles) results->push_back(e.Kill(handle));
                 return std::function<void()>([this, id, attempt, results, then] {
                   auto it = active_.find(id);
                   // Ended meanwhile (its replicas were seen gone): nothing to apply.
                   if (!then || it == active_.end() || it->second.attempts != attempt ||
                       !HoldsResources(it->second.state)) {
                     return;
                   }
                   then(it->second, *results);
                 });
               });
}

void JobService::KillAndFinish(Job& job, JobState state, const std::string& message,
                               std::vector<JobEvent>& events) {
  std::vector<int> live;
  for (const ReplicaRecord& r : job.replicas) {
    if ((r.state == "running" || r.state == "stopping" || r.state == "lost") && !r.handle.empty()) {
      live.push_back(r.index);  // a lost replica's leftovers must go too
    }
  }
  job.state = JobState::kCancelling;  // until the kills are answered
  job.stop_target = state;
  job.message = message;
  job.stop_deadline_ms = kNoDeadline;
  if (live.empty() || ExecutorFor(job) == nullptr) {
    Finish(job, state, message, events);
    return;
  }
  std::vector<int> indices = live;
  KillReplicas(job, std::move(indices),
               [this, live](Job& job, const std::vector<absl::Status>& results) {
                 std::vector<JobEvent> events;
                 bool all = true;
                 for (size_t k = 0; k < live.size(); ++k) {
                   ReplicaRecord& r = job.replicas[live[k]];
                   bool running = r.state == "running" || r.state == "stopping";
                   if (!running) continue;
                   if (results[k].ok()) {
                     r.state = "killed";
                     r.message = "killed by SIGKILL when the job ended";
                     continue;
                   }
                   all = false;
                   KillFailed(r, results[k], clock_.NowMillis(), events);
                 }
                 if (!all) job.stop_deadline_ms = clock_.NowMillis() + config_.unavailable_retry_ms;
                 if (!events.empty()) Persist(job, std::move(events));
                 Advance(job);  // every replica gone: the job reaches its target
               });
}

void JobService::SignalReplicas(const Job& job, int signal) {
  std::vector<std::string> handles;
  for (const ReplicaRecord& r : job.replicas) {
    if (r.state == "running") handles.push_back(r.handle);
  }
  if (handles.empty() || ExecutorFor(job) == nullptr) return;
  CallExecutor(job.executor, "signal",
               [id = job.id, handles = std::move(handles), signal](exec::Executor& e) {
                 for (const std::string& handle : handles) {
                   absl::Status status = e.Signal(handle, signal);
                   if (!status.ok())
                     spdlog::warn("jobs: signal to job {}: {}", id, status.ToString());
                 }
                 return std::function<void()>();
               });
}

// Moves a job that holds resources along, from what its replicas did.
void JobService::Advance(Job& job) {
  // A launch in flight is answered first (OnLaunched); so is a kill.
  if (Launching(job)) return;
  int64_t now = clock_.NowMillis();
  int running = 0, succeeded = 0;
  const ReplicaRecord* failed = nullptr;
  const ReplicaRecord* lost = nullptr;
  for (const ReplicaRecord& r : job.replicas) {
    if (r.state == "running" || r.state == "stopping") ++running;
    if (r.state == "succeeded") ++succeeded;
    if (r.state == "failed" && !failed) failed = &r;
    if (r.state == "lost" && !lost) lost = &r;
  }
  std::vector<JobEvent> events;
  bool over_time =
      job.spec.max_runtime_s > 0 && now - job.start_time_ms >= job.spec.max_runtime_s * 1000;
  if (job.state == JobState::kRunning) {
    int checkpoint = SignalNumber(job.spec.checkpoint_signal).value_or(SIGTERM);
    if (succeeded == static_cast<int>(job.replicas.size())) {
      Finish(job, JobState::kSucceeded, "every replica exited with code 0", events);
    } else if ((failed || lost) && over_time) {
      // The supervisor's own deadline fired first: still a timeout, not a
      // failure to retry.
      KillAndFinish(job, JobState::kFailed,
                    absl::StrCat("exceeded its max runtime of ", job.spec.max_runtime_s, " s"),
                    events);
    } else if (failed || lost) {
      const ReplicaRecord& bad = failed ? *failed : *lost;
      std::string what = absl::StrCat("replica ", bad.index, " ", bad.message);
      if (lost && !lost->handle.empty()) {
        // Whatever the lost replica left behind must not keep running.
        KillReplicas(job, {lost->index}, nullptr);
      }
      if (lost && !failed && !config_.requeue_lost) {
        KillAndFinish(job, JobState::kFailed, what + "; lost replicas are not requeued", events);
      } else if (lost && !failed) {
        BeginStop(job, JobState::kRestarting, JobState::kPending, SIGTERM, job.spec.grace_period_s,
                  what + "; requeueing the gang", events);
      } else if (job.restarts < job.spec.retries) {
        // One replica failed: the whole gang restarts (PyTorchJob OnFailure).
        BeginStop(job, JobState::kRestarting, JobState::kPending, SIGTERM, job.spec.grace_period_s,
                  absl::StrCat(what, "; restarting the gang (retry ", job.restarts + 1, " of ",
                               job.spec.retries, ")"),
                  events);
      } else {
        KillAndFinish(job, JobState::kFailed,
                      job.spec.retries > 0 ? absl::StrCat(what, "; no retries left") : what,
                      events);
      }
    } else if (over_time) {
      BeginStop(job, JobState::kCancelling, JobState::kFailed, checkpoint, job.spec.grace_period_s,
                absl::StrCat("exceeded its max runtime of ", job.spec.max_runtime_s, " s"), events);
    }
  } else if (running == 0) {
    // A stopping job whose replicas are all gone reaches its target.
    if (job.stop_target == JobState::kPending) {
      int64_t not_before = 0;
      if (job.state == JobState::kRestarting && !lost) {
        ++job.restarts;
        not_before =
            now + job.spec.retry_backoff_s * 1000 * (int64_t{1} << std::min(job.restarts - 1, 20));
      }
      if (job.state == JobState::kPreempting) {
        ++job.preemptions;
        metrics_->preemptions.WithLabels({job.spec.queue}).Increment();
      }
      Requeue(job, not_before, events);
    } else {
      Finish(job, job.stop_target, job.message, events);
    }
  } else if (now >= job.stop_deadline_ms) {
    // The grace period is over: SIGKILL what still runs.
    std::vector<int> live;
    for (const ReplicaRecord& r : job.replicas) {
      if ((r.state == "running" || r.state == "stopping") && !r.handle.empty()) {
        live.push_back(r.index);
      }
    }
    job.stop_deadline_ms = kNoDeadline;  // until the kills are answered
    std::vector<int> indices = live;
    KillReplicas(
        job, std::move(indices),
        [this, live, running](Job& job, const std::vector<absl::Status>& results) {
          int64_t now = clock_.NowMillis();
          std::vector<JobEvent> events;
          bool retry = false;
          for (size_t k = 0; k < live.size(); ++k) {
            ReplicaRecord& r = job.replicas[live[k]];
            if (r.state != "running" && r.state != "stopping") continue;  // exited
            if (results[k].ok()) {
              // A replica whose earlier kill failed is followed to its end again.
              if (r.state == "stopping") r.state = "running";
              continue;
            }
            KillFailed(r, results[k], now, events);
            retry = true;
          }
          job.stop_deadline_ms = retry ? now + config_.unavailable_retry_ms : kNoDeadline;
          if (!retry) {
            events.push_back(
                {now, "KILLED",
                 absl::StrCat(running, " replica(s) still running after the grace period of ",
                              job.spec.grace_period_s, " s; sent SIGKILL")});
          }
          Persist(job, std::move(events));
        });
  }
  if (!events.empty()) Persist(job, std::move(events));
}

void JobService::BeginStop(Job& job, JobState stopping, JobState target, int signal,
                           int64_t grace_s, const std::string& message,
                           std::vector<JobEvent>& events) {
  SignalReplicas(job, signal);
  job.state = stopping;
  job.stop_target = target;
  job.stop_deadline_ms = clock_.NowMillis() + grace_s * 1000;
  job.message = message;
  events.push_back(
      {clock_.NowMillis(), StateName(stopping),
       absl::StrCat(message, "; sent ", SignalName(signal), ", grace ", grace_s, " s")});
}

// Charges the attempt that just ended: GPUs reserved x its duration.
static double AttemptGpuSeconds(const Job& job, int64_t now) {
  double demand = 0;
  for (const sched::ReplicaPlacement& p : job.allocation.replicas) {
    for (const sched::GpuSlot& slot : p.gpus) {
      demand += slot.mig_profile.empty() ? slot.fraction
                                         : sched::SliceDemand({0, "", slot.mig_profile, 0, 0});
    }
  }
  return demand * std::max<int64_t>(0, now - job.start_time_ms) / 1000.0;
}

void JobService::Finish(Job& job, JobState state, const std::string& message,
                        std::vector<JobEvent>& events) {
  int64_t now = clock_.NowMillis();
  if (HoldsResources(job.state)) {
    double seconds = AttemptGpuSeconds(job, now);
    job.gpu_seconds += seconds;
    metrics_->gpu_seconds.WithLabels({job.spec.team, job.spec.queue}).Increment(seconds);
  } else {
    job.wait_ms += now - job.queued_since_ms;
  }
  job.state = state;
  job.end_time_ms = now;
  job.message = message;
  job.stop_deadline_ms = 0;
  events.push_back({now, StateName(state), message});
  metrics_->finished.WithLabels({job.spec.queue, StateName(state)}).Increment();
  if (credentials_ && job.attempts > 0) {  // a job never started got no token
    absl::Status revoked = credentials_->Revoke(job.id);
    if (!revoked.ok()) {
      spdlog::warn("jobs: cannot revoke the token of job {}: {}", job.id, revoked.ToString());
    }
  }
  if (runs_ && !job.run_id.empty()) {
    absl::Status status = runs_->EndRun(job.run_id, RunStatusFor(state));
    if (!status.ok()) spdlog::warn("jobs: cannot end run {}: {}", job.run_id, status.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  why_.erase(job.id);
}

void JobService::Requeue(Job& job, int64_t not_before, std::vector<JobEvent>& events) {
  int64_t now = clock_.NowMillis();
  double seconds = AttemptGpuSeconds(job, now);
  job.gpu_seconds += seconds;
  metrics_->gpu_seconds.WithLabels({job.spec.team, job.spec.queue}).Increment(seconds);
  std::string why = job.state == JobState::kPreempting ? "PREEMPTED" : "REQUEUED";
  job.state = JobState::kPending;
  job.queued_since_ms = now;
  job.not_before_ms = not_before;
  job.allocation = {};
  job.borrowing = false;
  job.stop_deadline_ms = 0;
  job.preempted_for.clear();
  events.push_back({now, why,
                    not_before > now ? absl::StrCat(job.message, "; back in the queue after ",
                                                    (not_before - now) / 1000, " s of backoff")
                                     : absl::StrCat(job.message, "; back in the queue")});
}

void JobService::CancelOnLoop(const std::string& id) {
  auto it = active_.find(id);
  if (it == active_.end() || IsTerminal(it->second.state)) return;  // it ended meanwhile
  Job& job = it->second;
  if (job.state == JobState::kRunning && Launching(job)) {
    cancel_after_launch_.insert(id);  // applied once the launch is answered
    return;
  }
  std::vector<JobEvent> events;
  if (job.state == JobState::kPending) {
    Finish(job, JobState::kCancelled, "cancelled while pending", events);
  } else if (job.state != JobState::kCancelling || job.stop_target != JobState::kCancelled) {
    if (job.state == JobState::kRunning) {
      BeginStop(job, JobState::kCancelling, JobState::kCancelled, SIGTERM, job.spec.grace_period_s,
                "cancelled", events);
    } else {
      // Already stopping (preemption, restart): finish as cancelled instead.
      job.state = JobState::kCancelling;
      job.stop_target = JobState::kCancelled;
      job.message = "cancelled";
      events.push_back({clock_.NowMillis(), "CANCELLING", "cancelled while stopping"});
    }
  }
  Persist(job, std::move(events));
}

void JobService::Schedule() {
  // The pass's cost (for throttling) counts building its input and
  // publishing its reasons, not the launches and signals it triggers.
  auto started = std::chrono::steady_clock::now();
  sched::Snapshot snapshot;
  int64_t now = clock_.NowMillis();
  snapshot.now_ms = now;
  snapshot.nodes = nodes_;
  snapshot.queues = config_.queues;
  auto launching = [](const ReplicaRecord& r) { return r.state == "launching"; };
  for (auto& [id, job] : active_) {
    if (HoldsResources(job.state)) {
      sched::RunningJob r;
      r.request = ToRequest(job);
      r.allocation = job.allocation;
      r.start_time_ms = job.start_time_ms;
      r.stopping = job.state != JobState::kRunning;
      r.preempted_for = job.preempted_for;
      snapshot.running.push_back(std::move(r));
    } else if (job.state == JobState::kPending && job.not_before_ms <= now) {
      if (std::any_of(job.replicas.begin(), job.replicas.end(), launching)) {
        continue;  // an earlier attempt may still run somewhere: not yet (StartAbandons)
      }
      snapshot.pending.push_back(ToRequest(job));
    } else if (job.state == JobState::kPending) {
      next_pass_ms_ = std::min(next_pass_ms_, job.not_before_ms);  // its backoff ends
    }
  }
  if (snapshot.pending.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    why_.clear();
    last_pass_cost_ = std::chrono::steady_clock::now() - started;
    return;
  }
  auto pass_started = std::chrono::steady_clock::now();
  sched::PassResult result = scheduler_.Schedule(snapshot);
  auto pass_ended = std::chrono::steady_clock::now();
  metrics_->pass_seconds.Observe(std::chrono::duration<double>(pass_ended - pass_started).count());
  if (result.next_preemption_ms > 0) {
    // A preemption held back by preempt_exempt_time becomes possible then.
    next_pass_ms_ = std::min(next_pass_ms_, result.next_preemption_ms);
  }
  for (const sched::Preemption& p : result.preempted) {
    auto it = active_.find(p.victim_id);
    if (it == active_.end() || it->second.state != JobState::kRunning) continue;
    Job& victim = it->second;
    if (Launching(victim)) continue;  // preempted once it has started, in a later pass
    std::vector<JobEvent> events;
    victim.preempted_for = p.preemptor_id;
    BeginStop(victim, JobState::kPreempting, JobState::kPending,
              SignalNumber(victim.spec.checkpoint_signal).value_or(SIGTERM),
              victim.spec.grace_period_s, absl::StrCat("preempted: ", p.reason), events);
    Persist(victim, std::move(events));
  }
  for (const sched::Admission& a : result.admitted) {
    auto it = active_.find(a.job_id);
    if (it == active_.end() || it->second.state != JobState::kPending) continue;
    Launch(it->second, a);
  }
  auto applied = std::chrono::steady_clock::now();
  std::unordered_map<std::string, sched::WaitReason> why;
  why.reserve(result.waiting.size());
  for (sched::Waiting& w : result.waiting) why.emplace(std::move(w.job_id), std::move(w.reason));
  {
    std::lock_guard<std::mutex> lock(mu_);
    why_.swap(why);
  }
  last_pass_cost_ = (pass_ended - started) + (std::chrono::steady_clock::now() - applied);
}

}  // namespace plinth::jobs
