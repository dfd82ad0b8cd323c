#include "plinth/jobs/job_service.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "plinth/auth/policy.h"
#include "plinth/common/errors.h"
#include "plinth/common/ids.h"
#include "plinth/common/status_macros.h"
#include "plinth/gpu/host_info.h"
#include "plinth/http/handlers.h"
#include "plinth/jobs/job_metrics.h"
#include "plinth/sched/capacity.h"
#include "plinth/sched/quota.h"
#include "spdlog/spdlog.h"

namespace plinth::jobs {
namespace {

constexpr char kDefaultQueue[] = "default";

std::string Gpus(double amount) {
  return amount == static_cast<int64_t>(amount) ? absl::StrCat(static_cast<int64_t>(amount))
                                                : absl::StrCat(amount);
}

std::vector<absl::Status> AbandonLaunching(exec::Executor* executor,
                                           const std::vector<std::string>& log_dirs) {
  std::vector<absl::Status> out;
  for (const std::string& dir : log_dirs) {
    out.push_back(executor ? executor->Abandon(dir)
                           : absl::FailedPreconditionError("no such executor"));
  }
  return out;
}

std::vector<std::string> LaunchingDirs(const Job& job) {
  std::vector<std::string> dirs;
  for (const ReplicaRecord& r : job.replicas) {
    if (r.state == "launching") dirs.push_back(r.log_dir);
  }
  return dirs;
}

}  // namespace

JobService::JobService(JobStore& store, gpu::GpuSource& gpus,
                       std::map<std::string, exec::Executor*> executors, RunTracker* runs,
                       Clock& clock, JobsConfig config, metrics::Registry* metrics,
                       JobCredentials* credentials, EventBus* events)
    : store_(store),
      gpus_(gpus),
      executors_(std::move(executors)),
      runs_(runs),
      credentials_(credentials),
      events_(events),
      clock_(clock),
      config_(std::move(config)),
      scheduler_(config_.scheduler),
      metrics_(std::make_unique<Metrics>(metrics)) {
  for (const auto& [name, executor] : executors_) {
    workers_.emplace(name, std::make_unique<SerialWorker>("exec-" + name));
  }
}

JobService::~JobService() { Stop(); }

absl::StatusOr<std::unique_ptr<JobService>> JobService::Create(
    JobStore& store, gpu::GpuSource& gpus, std::map<std::string, exec::Executor*> executors,
    RunTracker* runs, Clock& clock, JobsConfig config, metrics::Registry* metrics,
    JobCredentials* credentials, EventBus* events) {
  bool has_default = false;
  for (const sched::QueueConfig& q : config.queues) has_default |= q.name == kDefaultQueue;
  if (!has_default) {
    sched::QueueConfig q;
    q.name = kDefaultQueue;  // open to every team; no limit but the cluster
    config.queues.push_back(q);
  }
  if (!config.priority_classes.count(config.default_priority_class)) {
    return absl::InvalidArgumentError(absl::StrCat("jobs.default_priority_class: '",
                                                   config.default_priority_class,
                                                   "' is not one of the priority classes"));
  }
  if (!executors.count(config.default_executor)) {
    return absl::InvalidArgumentError(
        absl::StrCat("jobs.executor: '", config.default_executor, "' is not configured"));
  }
  std::unique_ptr<JobService> service(new JobService(store, gpus, std::move(executors), runs, clock,
                                                     std::move(config), metrics, credentials,
                                                     events));
  ASSIGN_OR_RETURN(service->nodes_, gpus.Discover());
  if (service->nodes_.empty()) {
    // No GPUs here (no NVML): this host still runs CPU jobs.
    gpu::Node host;
    host.name = gpu::LocalHostName();
    host.cpus = static_cast<int>(std::thread::hardware_concurrency());
    host.memory_mib = gpu::LocalMemoryMib();
    service->nodes_.push_back(host);
  }
  // The default queue may use every GPU of the cluster.
  for (sched::QueueConfig& q : service->config_.queues) {
    if (q.name != kDefaultQueue || !q.nominal.empty()) continue;
    for (const gpu::Node& node : service->nodes_) {
      for (const gpu::Gpu& g : node.gpus) q.nominal[g.model] = sched::kUnlimited;
    }
  }
  if (service->config_.leader) RETURN_IF_ERROR(service->Lead());
  return service;
}

absl::Status JobService::Lead() {
  std::lock_guard<std::mutex> lock(start_mu_);
  // First: from now on notices are queued for the loop, and Recover's
  // read of the store sees every job submitted before.
  leading_ = true;
  metrics_->leader.Set(1);
  RETURN_IF_ERROR(store_.SetLeader(config_.server_url, clock_.NowMillis()));
  RETURN_IF_ERROR(Recover());
  recovered_ = true;
  if (loop_requested_) StartLoop();  // (tests drive Tick themselves instead)
  return absl::OkStatus();
}

void JobService::OnNotice(const std::string& payload) {
  std::pair<std::string, std::string> notice = absl::StrSplit(payload, absl::MaxSplits(' ', 1));
  const std::string& kind = notice.first;
  std::string id = notice.second;
  if (leading_) {
    // "changed": this server made the change and has published it.
    if (kind == "new") RunOnLoop([this, id] { Adopt(id); });
    if (kind == "cancel") RunOnLoop([this, id] { CancelOnLoop(id); });
    return;
  }
  if (kind != "changed" || events_ == nullptr || !events_->Wanted(Topic(id))) return;
  // The leader's change, for this server's subscribers (--wait, logs -f).
  if (absl::StatusOr<Job> job = store_.Get(id); job.ok()) Publish(*job);
}

void JobService::Resync() {
  if (!leading_) return;
  RunOnLoop([this] {
    absl::StatusOr<std::vector<Job>> jobs = store_.LoadActive();
    if (!jobs.ok()) {
      spdlog::warn("jobs: cannot look for jobs submitted elsewhere: {}", jobs.status().ToString());
      return;
    }
    for (const Job& job : *jobs) {
      if (!active_.count(job.id)) Adopt(job.id);
    }
    ApplyCancelRequests();
  });
}

void JobService::Adopt(const std::string& id) {
  if (active_.count(id)) return;  // submitted here, or already adopted
  absl::StatusOr<Job> job = store_.Get(id);
  if (!job.ok()) {
    spdlog::warn("jobs: cannot read job {} submitted through another server: {}", id,
                 job.status().ToString());
    return;
  }
  // Only a fresh submission can be unknown to the loop: every other
  // active job is the loop's own (or Recover's) already.
  if (job->state != JobState::kPending || job->attempts > 0) return;
  changed_ = true;
  active_.emplace(id, *std::move(job));
}

void JobService::ApplyCancelRequests() {
  absl::StatusOr<std::set<std::string>> ids = store_.CancelRequests();
  if (!ids.ok()) {
    spdlog::warn("jobs: cannot read the recorded cancellations: {}", ids.status().ToString());
    return;
  }
  for (const std::string& id : *ids) CancelOnLoop(id);
}

absl::Status JobService::Recover() {
  ASSIGN_OR_RETURN(std::vector<Job> jobs, store_.LoadActive());
  for (Job& job : jobs) {
    if (HoldsResources(job.state) && ExecutorFor(job) == nullptr) {
      // Nothing can follow or stop its replicas any more: say so, and end it.
      std::vector<JobEvent> events;
      Finish(job, JobState::kFailed,
             absl::StrCat("its executor '", job.executor,
                          "' is no longer configured, so Plinth cannot follow or stop its "
                          "replicas; stop them on that backend, or configure the executor "
                          "again before restarting"),
             events);
      Persist(job, std::move(events));
    } else if (HoldsResources(job.state)) {
      Persist(job, {{clock_.NowMillis(), "REATTACHING",
                     "server restarted; following the job's replicas again"}});
    } else if (job.state == JobState::kPending) {
      std::vector<std::string> dirs = LaunchingDirs(job);
      if (!dirs.empty()) ApplyAbandon(job, AbandonLaunching(ExecutorFor(job), dirs));
    }
    if (HoldsResources(job.state) && job.state != JobState::kRunning &&
        job.stop_deadline_ms == INT64_MAX) {
      // Its SIGKILL may not have been sent before the server stopped: again.
      job.stop_deadline_ms = clock_.NowMillis();
    }
    active_[job.id] = std::move(job);
  }
  ApplyCancelRequests();  // made through other servers, maybe while none led
  ForgetEndedJobs();
  if (!jobs.empty()) spdlog::info("jobs: recovered {} active jobs", jobs.size());
  return absl::OkStatus();
}

// A pending job with replicas still "launching" was being started when the
// server died (or a failed launch could not stop what it had started):
// whatever of it did start must be stopped, since its handles were never
// recorded, before it starts anew. At start this runs here and now; after
// that, on the executor's worker (StartAbandons).
void JobService::StartAbandons() {
  int64_t now = clock_.NowMillis();
  for (auto& [id, job] : active_) {
    if (job.state != JobState::kPending || job.not_before_ms > now || abandoning_.count(id)) {
      continue;
    }
    std::vector<std::string> dirs = LaunchingDirs(job);
    if (dirs.empty()) continue;
    if (ExecutorFor(job) == nullptr) {
      ApplyAbandon(job, AbandonLaunching(nullptr, dirs));
      continue;
    }
    abandoning_.insert(id);
    CallExecutor(
        job.executor, "abandon", [this, id = id, dirs = std::move(dirs)](exec::Executor& e) {
          auto results = std::make_shared<std::vector<absl::Status>>(AbandonLaunching(&e, dirs));
          return std::function<void()>([this, id, results] {
            abandoning_.erase(id);
            auto it = active_.find(id);
            if (it == active_.end() || it->second.state != JobState::kPending) return;
            ApplyAbandon(it->second, *results);
          });
        });
  }
}

// Records what stopping the "launching" replicas achieved (one status per
// such replica, in order). A replica the executor cannot reach yet stays
// "launching" and the job waits unavailable_retry_ms to try again, so a new
// attempt never runs beside an unseen earlier one.
void JobService::ApplyAbandon(Job& job, const std::vector<absl::Status>& results) {
  int64_t now = clock_.NowMillis();
  int stopped = 0, left = 0;
  size_t k = 0;
  for (ReplicaRecord& r : job.replicas) {
    if (r.state != "launching" || k >= results.size()) continue;
    const absl::Status& status = results[k++];
    if (!status.ok()) {
      spdlog::warn("jobs: cannot stop replica {} of job {} in {}: {}", r.index, job.id, r.log_dir,
                   status.ToString());
      ++left;
      continue;
    }
    r.state = "abandoned";
    r.message = "stopped: its launch was never recorded";
    ++stopped;
  }
  if (stopped == 0 && left == 0) return;
  changed_ = true;
  job.queued_since_ms = now;
  job.allocation = {};
  job.borrowing = false;
  std::vector<JobEvent> events;
  if (left > 0) {
    job.not_before_ms = now + config_.unavailable_retry_ms;
    job.message = absl::StrCat("waiting to stop ", left,
                               " replica(s) of an interrupted launch (executor unreachable)");
    events.push_back({now, "WARNING",
                      absl::StrCat("cannot stop ", left, " replica(s) of attempt ", job.attempts,
                                   " yet; trying again before it starts anew")});
  } else {
    job.message = "waiting (an interrupted launch was stopped)";
    events.push_back({now, "REQUEUED",
                      absl::StrCat("attempt ", job.attempts,
                                   " was interrupted while starting; stopped what had started; "
                                   "back in the queue")});
  }
  Persist(job, std::move(events));
}

void JobService::Start() {
  std::lock_guard<std::mutex> lock(start_mu_);
  loop_requested_ = true;
  if (recovered_) StartLoop();  // else Lead() starts it
}

void JobService::StartLoop() {
  if (loop_.joinable()) return;
  // A replica's exit wakes the loop at once; it then polls that tick.
  for (const auto& [name, executor] : executors_) {
    executor->SetExitListener([this] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        exit_pending_ = true;
      }
      wake_.notify_all();
    });
  }
  loop_running_ = true;  // before the thread exists: it reads this
  loop_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    bool woken_by_inbox = false;
    while (!stopping_) {
      lock.unlock();
      Tick(woken_by_inbox);
      lock.lock();
      woken_by_inbox = wake_.wait_for(lock, std::chrono::milliseconds(config_.tick_ms),
                                      [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
                                        return stopping_ || !inbox_.empty() || exit_pending_;
                                      });
    }
  });
}

void JobService::Stop() {
  // Waits for a listener call in progress: none reaches this object after.
  for (const auto& [name, executor] : executors_) executor->SetExitListener(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (loop_.joinable()) loop_.join();
  // A call in progress finishes (each is bounded by its executor's
  // timeouts); queued ones are dropped: a launch not answered stays on
  // record as "launching" and is stopped at the next start.
  for (auto& [name, worker] : workers_) worker->Shutdown();
}

void JobService::RunOnLoop(std::function<void()> fn) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_empty = inbox_.empty();
    inbox_.push_back(Command{std::move(fn)});
  }
  // The loop drains the whole inbox when it wakes: one wake-up per burst.
  if (was_empty) wake_.notify_all();
}

bool JobService::DrainInbox() {
  std::deque<Command> commands;
  {
    std::lock_guard<std::mutex> lock(mu_);
    commands.swap(inbox_);
  }
  for (Command& c : commands) c.run();
  return !commands.empty();
}

sched::JobRequest JobService::ToRequest(const Job& job) const {
  sched::JobRequest r;
  r.id = job.id;
  r.queue = job.spec.queue;
  r.priority = job.priority;
  r.submit_time_ms = job.submit_time_ms;
  r.replicas = job.spec.replicas;
  r.per_replica = job.spec.resources;
  r.preemptible = job.spec.preemptible;
  r.max_runtime_ms = job.spec.max_runtime_s * 1000;
  r.preemptions = job.preemptions;
  return r;
}

absl::Status JobService::ResolveSpec(const http::Principal& who, JobSpec& spec,
                                     int* priority) const {
  std::string own_team = who.team.empty() ? "default" : who.team;
  if (spec.team.empty()) spec.team = own_team;
  if (spec.team != own_team && !who.IsAdmin()) {
    return absl::PermissionDeniedError(
        absl::StrCat("a token of team ", own_team, " cannot submit jobs for team ", spec.team));
  }
  std::vector<std::string> names;
  const sched::QueueConfig* queue = nullptr;
  for (const sched::QueueConfig& q : config_.queues) {
    names.push_back(q.name);
    if (spec.queue.empty() && q.name == spec.team) queue = &q;
    if (!spec.queue.empty() && q.name == spec.queue) queue = &q;
  }
  if (spec.queue.empty() && !queue) {
    for (const sched::QueueConfig& q : config_.queues) {
      if (q.name == kDefaultQueue) queue = &q;
    }
  }
  if (!queue) {
    return absl::InvalidArgumentError(absl::StrCat(
        "queue: '", spec.queue, "' does not exist; queues: ", absl::StrJoin(names, ", ")));
  }
  spec.queue = queue->name;
  if (!queue->team.empty() && queue->team != spec.team && !who.IsAdmin()) {
    return auth::Authorize(
        who, {auth::ResourceKind::kQueue, absl::StrCat("queue ", queue->name), queue->team},
        auth::Action::kWrite);
  }
  if (spec.priority_class.empty()) spec.priority_class = config_.default_priority_class;
  auto pc = config_.priority_classes.find(spec.priority_class);
  if (pc == config_.priority_classes.end()) {
    std::vector<std::string> classes;
    for (const auto& [name, value] : config_.priority_classes) classes.push_back(name);
    return absl::InvalidArgumentError(absl::StrCat("priority_class: '", spec.priority_class,
                                                   "' does not exist; use one of ",
                                                   absl::StrJoin(classes, ", ")));
  }
  *priority = pc->second;
  if (spec.executor.empty()) spec.executor = config_.default_executor;
  if (!executors_.count(spec.executor)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "executor: '", spec.executor, "' is not configured on this server (see docs/jobs.md)"));
  }
  return absl::OkStatus();
}

// A job that could not start even on an empty cluster with its queue's whole
// quota is rejected at submission, with the reason.
absl::Status JobService::CheckFeasible(const JobSpec& spec, int priority) const {
  Job probe;
  probe.id = "probe";
  probe.spec = spec;
  probe.priority = priority;
  sched::JobRequest request = ToRequest(probe);
  const sched::Resources& r = spec.resources;
  bool wants_gpus = r.gpus > 0 || !r.mig_profile.empty();
  sched::ClusterState empty(nodes_);
  std::map<std::string, double> totals;
  for (const std::string& f : empty.flavors()) totals[f] = empty.TotalGpus(f);
  if (wants_gpus && totals.empty()) {
    return absl::FailedPreconditionError(
        "this cluster has no GPUs (NVML found none); ask for gpus: 0, or start the server "
        "with --simulated-gpus to simulate some");
  }
  if (!r.gpu_model.empty() && wants_gpus && !totals.count(r.gpu_model)) {
    std::vector<std::string> models;
    for (const auto& [m, n] : totals) models.push_back(m);
    return absl::FailedPreconditionError(absl::StrCat(
        "no ", r.gpu_model, " GPUs in this cluster; it has ", absl::StrJoin(models, ", ")));
  }
  std::vector<std::string> flavors;
  if (!wants_gpus) {
    flavors.push_back("");
  } else if (!r.gpu_model.empty()) {
    flavors.push_back(r.gpu_model);
  } else {
    flavors = empty.flavors();
  }
  sched::QuotaBook quotas(config_.queues, totals);
  std::string first_problem;
  double demand = sched::GpuDemand(request);
  for (const std::string& flavor : flavors) {
    std::optional<sched::Allocation> placed = empty.Place(request, flavor);
    if (!placed) {
      if (first_problem.empty()) {
        int fit = empty.ReplicasPlaceable(request, flavor);
        std::string what =
            !r.mig_profile.empty()
                ? absl::StrCat("a ", r.mig_profile, " MIG slice of a MIG-enabled ", flavor, " GPU")
            : wants_gpus ? absl::StrCat(Gpus(r.gpus), " ", flavor, " GPUs")
                         : "its CPUs and memory";
        first_problem = absl::StrCat(
            "the whole cluster cannot hold this job: each of its ", spec.replicas,
            " replicas needs ", what, (r.cpus > 0 ? absl::StrCat(", ", r.cpus, " CPUs") : ""),
            (r.memory_mib > 0 ? absl::StrCat(", ", r.memory_mib, " MiB memory") : ""),
            " on one node, and only ", fit, " such replicas fit",
            wants_gpus && r.mig_profile.empty()
                ? absl::StrCat(" (largest node: ", empty.LargestFreeBlock(flavor), " GPUs)")
                : "");
      }
      continue;
    }
    empty.Release(*placed);
    bool borrowing = false;
    sched::WaitReason why;
    if (quotas.Admits(spec.queue, flavor, demand, &borrowing, &why)) return absl::OkStatus();
    if (first_problem.empty()) {
      first_problem =
          absl::StrCat("queue ", spec.queue, " can never hold this job: ", sched::Explain(why));
    }
  }
  return absl::FailedPreconditionError(first_problem);
}

absl::StatusOr<Job> JobService::Submit(const http::Principal& who, JobSpec spec) {
  RETURN_IF_ERROR(http::RequireWrite(who));
  int priority = 0;
  RETURN_IF_ERROR(ResolveSpec(who, spec, &priority));
  RETURN_IF_ERROR(CheckFeasible(spec, priority));
  Job job;
  job.id = NewTimeOrderedId();  // time-ordered: the id index grows at its end
  job.spec = std::move(spec);
  job.priority = priority;
  job.executor = job.spec.executor;
  job.submit_time_ms = clock_.NowMillis();
  job.queued_since_ms = job.submit_time_ms;
  const sched::Resources& r = job.spec.resources;
  std::string each = !r.mig_profile.empty() ? r.mig_profile
                     : r.gpus > 0           ? absl::StrCat(Gpus(r.gpus), " GPU")
                                            : "no GPU";
  // A follower tells the leader through the store; the leader hands the
  // job to its loop directly.
  bool leading = leading_;
  RETURN_IF_ERROR(store_.Insert(
      job,
      {job.submit_time_ms, "SUBMITTED",
       absl::StrCat("queue ", job.spec.queue, ", priority ", job.spec.priority_class, " (",
                    priority, "), ", job.spec.replicas, " x ", each, ", executor ", job.executor)},
      /*notify=*/!leading));
  metrics_->submitted.Increment();
  if (leading) {
    auto copy = std::make_shared<Job>(job);  // std::function needs a copyable capture
    RunOnLoop([this, copy]() { active_.emplace(copy->id, std::move(*copy)); });
  }
  Publish(job);
  return job;
}

absl::StatusOr<Job> JobService::GetAuthorized(const http::Principal& who, const std::string& id) {
  ASSIGN_OR_RETURN(Job job, store_.Get(id));
  RETURN_IF_ERROR(http::RequireTeamAccess(who, job.spec.team, absl::StrCat("job ", id)));
  return job;
}

absl::StatusOr<Job> JobService::Get(const http::Principal& who, const std::string& id) {
  return GetAuthorized(who, id);
}

absl::StatusOr<JobPage> JobService::List(const http::Principal& who, JobFilter filter) {
  if (!who.IsAdmin()) {
    std::string own = who.team.empty() ? "default" : who.team;
    if (!filter.team.empty() && filter.team != own) {
      return absl::PermissionDeniedError(
          absl::StrCat("a token of team ", own, " cannot list jobs of team ", filter.team));
    }
    if (who.authenticated) filter.team = own;
  }
  return store_.List(filter);
}

absl::StatusOr<Job> JobService::Cancel(const http::Principal& who, const std::string& id) {
  RETURN_IF_ERROR(http::RequireWrite(who));
  ASSIGN_OR_RETURN(Job job, GetAuthorized(who, id));
  if (IsTerminal(job.state)) {
    return InvalidState(absl::StrCat("job ", id, " already ended (", StateName(job.state), ")"));
  }
  // Recorded for the loop, answered at once: an HTTP worker never waits on
  // the loop (it may be busy launching or polling replicas). A follower
  // records it in the store, for whichever server leads.
  if (leading_) {
    RunOnLoop([this, id]() { CancelOnLoop(id); });
    if (!loop_running_) SettleCalls();  // tests drive the loop themselves
  } else {
    RETURN_IF_ERROR(store_.RequestCancel(id, clock_.NowMillis()));
  }
  job.state = JobState::kCancelling;
  job.stop_target = JobState::kCancelled;
  job.message = "cancel requested";
  return job;
}

absl::StatusOr<std::vector<JobEvent>> JobService::Events(const http::Principal& who,
                                                         const std::string& id) {
  RETURN_IF_ERROR(GetAuthorized(who, id).status());
  return store_.Events(id);
}

absl::StatusOr<std::string> JobService::Why(const http::Principal& who, const std::string& id) {
  ASSIGN_OR_RETURN(Job job, GetAuthorized(who, id));
  switch (job.state) {
    case JobState::kPending: {
      if (job.not_before_ms > clock_.NowMillis()) {
        return absl::StrCat("waiting ", (job.not_before_ms - clock_.NowMillis() + 999) / 1000,
                            " s before its next attempt (", job.message, ")");
      }
      if (!leading_) return std::string("waiting for the scheduler (on the server that leads)");
      std::lock_guard<std::mutex> lock(mu_);
      auto it = why_.find(id);
      if (it == why_.end()) return std::string("waiting for the next scheduling pass");
      return sched::Explain(it->second);
    }
    case JobState::kRunning:
      return absl::StrCat(
          "running on ", job.replicas.empty() ? "" : job.replicas[0].node,
          job.replicas.size() > 1 ? absl::StrCat(" and ", job.replicas.size() - 1, " more") : "");
    default:
      return absl::StrCat(StateName(job.state), ": ", job.message);
  }
}

absl::StatusOr<LogChunk> JobService::Logs(const http::Principal& who, const std::string& id,
                                          int replica, int64_t offset, int64_t max_bytes) {
  ASSIGN_OR_RETURN(Job job, GetAuthorized(who, id));
  LogChunk chunk;
  chunk.finished = IsTerminal(job.state);
  chunk.next_offset = offset;
  if (replica < 0 || replica >= job.spec.replicas) {
    return absl::InvalidArgumentError(
        absl::StrCat("replica: job ", id, " has replicas 0 to ", job.spec.replicas - 1));
  }
  if (replica >= static_cast<int>(job.replicas.size()) || job.replicas[replica].log_dir.empty()) {
    return chunk;  // not started yet
  }
  std::ifstream in(job.replicas[replica].log_dir + "/output.log", std::ios::binary);
  if (!in) return chunk;
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  if (offset > size) offset = size;
  int64_t n =
      std::min<int64_t>(size - offset, std::max<int64_t>(1, std::min<int64_t>(max_bytes, 4 << 20)));
  chunk.data.resize(n);
  in.seekg(offset);
  in.read(chunk.data.data(), n);
  chunk.data.resize(in.gcount());
  chunk.next_offset = offset + static_cast<int64_t>(chunk.data.size());
  chunk.finished = chunk.finished && chunk.next_offset >= size;
  return chunk;
}

absl::StatusOr<std::vector<UsageRow>> JobService::Usage(const http::Principal& who,
                                                        const std::string& group_by) {
  return store_.Usage(group_by, who.IsAdmin() ? std::nullopt : std::optional(who.team));
}

void JobService::Persist(const Job& job, std::vector<JobEvent> events) {
  changed_ = true;  // only the loop persists: its next pass must see this
  auto unsaved = unsaved_.find(job.id);
  if (unsaved != unsaved_.end()) {  // earlier events first
    events.insert(events.begin(), unsaved->second.begin(), unsaved->second.end());
  }
  absl::Status status = store_.Update(job, events);
  if (!status.ok()) status = store_.Update(job, events);  // a passing hiccup
  if (status.ok()) {
    Publish(job);
    if (unsaved != unsaved_.end()) unsaved_.erase(unsaved);
    if (unsaved_.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!store_failure_.empty()) spdlog::info("jobs: the store takes writes again");
      store_failure_.clear();
    }
    return;
  }
  spdlog::error("jobs: cannot record job {}: {}", job.id, status.ToString());
  unsaved_[job.id] = std::move(events);
  std::lock_guard<std::mutex> lock(mu_);
  store_failure_ = absl::StrCat("the job store refuses writes (", status.message(),
                                "): no new jobs start until it takes them again");
}

void JobService::Publish(const Job& job) {
  if (events_ == nullptr) return;
  std::string topic = Topic(job.id);
  if (!events_->Wanted(topic)) return;  // the common case: building the JSON costs
  events_->Publish({topic, "job", JobToJson(job)});
}

void JobService::RetryUnsaved() {
  std::vector<std::string> ids;
  for (const auto& [id, events] : unsaved_) ids.push_back(id);
  for (const std::string& id : ids) {
    auto it = active_.find(id);
    if (it == active_.end()) {
      unsaved_.erase(id);  // ended and forgotten: nothing newer to write
      continue;
    }
    Persist(it->second, {});
  }
}

absl::Status JobService::Health() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (store_failure_.empty()) return absl::OkStatus();
  return absl::UnavailableError(store_failure_);
}

}  // namespace plinth::jobs
