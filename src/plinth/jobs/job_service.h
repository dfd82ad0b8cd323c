// The job service: accepts jobs, runs the scheduler, starts admitted jobs on
// an executor, follows them to the end (retries, gang restarts, preemption
// with checkpoint signals, cancellation, max runtime) and accounts for them.
//
// Threading: one loop thread owns every active job and makes every state
// change (Tick). Request threads validate and persist new jobs, then hand
// them and any cancellation to the loop through an inbox; reads go to the
// store, which always has the latest state. The loop never calls an
// executor itself: each executor has a worker thread that runs its calls
// (launch, poll, signal, kill) and posts the answers to the same inbox, so
// a backend that hangs delays only its own jobs. Tests drive Tick()
// themselves with a FakeClock instead of starting the thread.
//
// Several servers on one PostgreSQL database: exactly one leads (runs the
// loop; the server wiring decides with a leader lock, db/pg_cluster.h).
// The others serve the API from the store and hand job writes to the
// leader through it: a submission is a row plus a "new" notice, a
// cancellation a request row plus a "cancel" notice (kJobsChannel), so
// nothing is lost while no server leads; the leader's changes reach their
// subscribers as "changed" notices.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "plinth/common/clock.h"
#include "plinth/common/event_bus.h"
#include "plinth/common/json.h"
#include "plinth/common/serial_worker.h"
#include "plinth/exec/executor.h"
#include "plinth/exec/job_user.h"
#include "plinth/gpu/gpu_source.h"
#include "plinth/http/message.h"
#include "plinth/jobs/job.h"
#include "plinth/jobs/job_credentials.h"
#include "plinth/jobs/job_store.h"
#include "plinth/jobs/launch_plan.h"
#include "plinth/jobs/run_tracker.h"
#include "plinth/metrics/registry.h"
#include "plinth/sched/scheduler.h"

namespace plinth::jobs {

struct JobsConfig {
  // Queues with quotas; a "default" queue (no quota limit, open to every
  // team) is added when none is called that.
  std::vector<sched::QueueConfig> queues;
  std::map<std::string, int> priority_classes = {{"low", 0}, {"normal", 100}, {"high", 1000}};
  std::string default_priority_class = "normal";
  std::string default_executor = "local";
  std::string jobs_dir;      // replica folders and logs: <jobs_dir>/<job>/<attempt>/replica-<i>
  std::string server_url;    // PLINTH_URL and MLFLOW_TRACKING_URI for jobs
  int64_t tick_ms = 200;     // scheduling and polling interval
  bool requeue_lost = true;  // a replica that vanished: requeue (true) or fail the job
  int64_t unavailable_retry_ms = 5000;  // executor down: retry a launch after this
  sched::SchedulerOptions scheduler;
  // Who local jobs run as (a user per job when the server is root).
  exec::JobUserPolicy users;
  // false: this server follows (serves the API, runs no loop) until Lead().
  bool leader = true;
};

struct LogChunk {
  std::string data;
  int64_t next_offset = 0;
  bool finished = false;  // the job is done: no more output will come
};

class JobService {
 public:
  static absl::StatusOr<std::unique_ptr<JobService>> Create(
      JobStore& store, gpu::GpuSource& gpus, std::map<std::string, exec::Executor*> executors,
      RunTracker* runs, Clock& clock, JobsConfig config, metrics::Registry* metrics,
      JobCredentials* credentials = nullptr, EventBus* events = nullptr);
  ~JobService();

  // The bus topic of a job: a "job" event (data: the API's view of the job)
  // after each recorded change.
  static std::string Topic(const std::string& job_id) { return "jobs/" + job_id; }

  void Start();  // the loop thread (a leader's)
  void Stop();   // joins it; running jobs keep running (reattached at next start)
  // One loop iteration: poll replicas, apply stops and deadlines, schedule,
  // launch. Called by the loop thread, or by tests. `woken_by_inbox`: the
  // loop woke for a command (a submission), so replicas polled less than a
  // tick ago are not polled again.
  void Tick(bool woken_by_inbox = false);

  // OK, or UNAVAILABLE with the reason the loop takes no new work (the
  // store refuses its writes); shown on /healthz.
  absl::Status Health() const;

  // A follower becomes the leader: Recover (the running replicas are
  // followed again, interrupted launches stopped, recorded cancellations
  // applied) and Start. Once, when this server takes the leader lock.
  absl::Status Lead();
  bool leading() const { return leading_.load(); }
  // The URL of the server that leads (recorded by Lead), for followers.
  absl::StatusOr<std::string> LeaderUrl() { return store_.LeaderUrl(); }
  // A notice on kJobsChannel, from any server (this one's too).
  void OnNotice(const std::string& payload);
  // Notices may have been missed (the listener reconnected): a leader
  // adopts the pending jobs it does not know and applies the recorded
  // cancellations.
  void Resync();

  absl::StatusOr<Job> Submit(const http::Principal& who, JobSpec spec);
  absl::StatusOr<Job> Get(const http::Principal& who, const std::string& id);
  absl::StatusOr<JobPage> List(const http::Principal& who, JobFilter filter);
  // Records the request for the job loop and returns at once, the job
  // shown CANCELLING ("cancel requested"); the loop then ends a pending job
  // or stops a running one (SIGTERM, grace, SIGKILL).
  absl::StatusOr<Job> Cancel(const http::Principal& who, const std::string& id);
  absl::StatusOr<std::vector<JobEvent>> Events(const http::Principal& who, const std::string& id);
  // One sentence: why a pending job waits, or what the job is doing.
  absl::StatusOr<std::string> Why(const http::Principal& who, const std::string& id);
  absl::StatusOr<LogChunk> Logs(const http::Principal& who, const std::string& id, int replica,
                                int64_t offset, int64_t max_bytes);

  // The inventory with, for every GPU and MIG slice, the jobs holding it.
  // Holders of other teams (for a non-admin) appear without job, name and
  // team, marked "other_team": true.
  Json GpuInventory(const http::Principal& who);
  // Queues with quota, usage, pending and running counts; a non-admin sees
  // the shared queues and its own team's.
  Json QueueReport(const http::Principal& who);
  // A non-admin sees the totals of its own team's jobs only (grouped by
  // team or by queue).
  absl::StatusOr<std::vector<UsageRow>> Usage(const http::Principal& who,
                                              const std::string& group_by);

  const JobsConfig& config() const { return config_; }

 private:
  JobService(JobStore& store, gpu::GpuSource& gpus,
             std::map<std::string, exec::Executor*> executors, RunTracker* runs, Clock& clock,
             JobsConfig config, metrics::Registry* metrics, JobCredentials* credentials,
             EventBus* events);

  struct Command {
    std::function<void()> run;  // executed on the loop thread
  };
  absl::Status Recover();
  // A job submitted through another server, from the store (loop thread).
  void Adopt(const std::string& id);
  void ApplyCancelRequests();
  // Stops what an interrupted launch may have started ("launching"
  // replicas of pending jobs), on the executors' workers.
  void StartAbandons();
  void ApplyAbandon(Job& job, const std::vector<absl::Status>& results);
  absl::Status ResolveSpec(const http::Principal& who, JobSpec& spec, int* priority) const;
  absl::Status CheckFeasible(const JobSpec& spec, int priority) const;
  absl::StatusOr<Job> GetAuthorized(const http::Principal& who, const std::string& id);
  void RunOnLoop(std::function<void()> fn);

  // Loop-thread helpers (job_loop.cc, job_launch.cc).
  bool DrainInbox();  // whether there was anything

  // Executor calls never run on the loop: `work` runs on the executor's
  // worker (one per executor, so a hung backend holds up its own calls
  // only) and returns what then runs on the loop, through the inbox.
  // `call` names it in plinth_executor_call_seconds.
  void CallExecutor(const std::string& executor, const char* call,
                    std::function<std::function<void()>(exec::Executor&)> work);
  // Tests drive Tick() without a loop thread: this waits for every call in
  // flight and applies its answer, so a Tick ends where it used to.
  void SettleCalls();

  // Every followed replica's state, one PollAll per executor (one squeue
  // for all Slurm jobs), answered in OnPolled. A poll asked for while one
  // of the same executor is in flight runs when that one is answered.
  using PollResults = std::map<std::string, absl::StatusOr<exec::ReplicaStatus>>;
  void StartPolls(const std::string* only_executor);
  void OnPolled(const std::string& executor, const PollResults& polled);
  void PollReplicas(Job& job, const PollResults& polled, std::vector<JobEvent>& events);
  void Advance(Job& job);
  void Schedule();
  void ForgetEndedJobs();  // drops ended jobs from active_, rebuilds holding_

  // Starting an admitted job: the attempt's bookkeeping, RecordIntent, then
  // LaunchGang on the executor's worker; OnLaunched records the outcome
  // (STARTED, or RollBack: requeued, or failed for a spec that cannot run).
  // Until then the job holds its allocation and every other change to it
  // (a cancellation, a preemption) waits.
  void Launch(Job& job, const sched::Admission& admission);
  absl::Status RecordIntent(Job& job);
  void OnLaunched(const std::string& id, int attempt, GangLaunch launch);
  void RollBack(Job& job, const GangLaunch& launch, std::vector<JobEvent>& events);
  static bool Launching(const Job& job);  // a replica's launch is not answered yet
  // The user the job's local replicas run as; an error leaves the job to be
  // retried (every UID taken) or failed (a team user that does not exist).
  absl::Status ChooseJobUser(Job& job);

  void BeginStop(Job& job, JobState stopping, JobState target, int signal, int64_t grace_s,
                 const std::string& message, std::vector<JobEvent>& events);
  void SignalReplicas(const Job& job, int signal);
  void Finish(Job& job, JobState state, const std::string& message, std::vector<JobEvent>& events);
  // SIGKILLs the replicas `indices` on the executor's worker; `then` gets
  // one status per replica, on the loop, unless the job ended meanwhile.
  void KillReplicas(Job& job, std::vector<int> indices,
                    std::function<void(Job&, const std::vector<absl::Status>&)> then);
  // Kills the replicas, then Finish. Until the kills are answered the job
  // is CANCELLING with `state` as its target; a replica whose kill failed
  // becomes "stopping" and keeps its resources, and the kill is retried
  // until it succeeds or the executor reports the replica gone.
  void KillAndFinish(Job& job, JobState state, const std::string& message,
                     std::vector<JobEvent>& events);
  void Requeue(Job& job, int64_t not_before, std::vector<JobEvent>& events);
  // Writes the job's state and events; a refused write is retried at once,
  // then every tick, and while any stays unsaved the loop admits no new
  // work and Health() says why.
  void Persist(const Job& job, std::vector<JobEvent> events);
  void Publish(const Job& job);  // on the bus, for whoever waits
  void RetryUnsaved();
  void CancelOnLoop(const std::string& id);
  exec::Executor* ExecutorFor(const Job& job) const;
  exec::Executor* ExecutorFor(const std::string& name) const;
  void PublishMetrics();
  sched::JobRequest ToRequest(const Job& job) const;

  JobStore& store_;
  gpu::GpuSource& gpus_;
  std::map<std::string, exec::Executor*> executors_;
  RunTracker* runs_;
  JobCredentials* credentials_;  // null: jobs get no token
  EventBus* events_;             // null: nobody is told
  Clock& clock_;
  JobsConfig config_;
  sched::Scheduler scheduler_;
  std::vector<gpu::Node> nodes_;  // discovered at start

  // Loop-owned state (only the loop thread, or Tick in tests, touches it).
  std::map<std::string, Job> active_;
  std::vector<Job*> holding_;  // the jobs of active_ that hold resources
  // A pass runs when something changed (a submission, a state change) or
  // at next_pass_ms_ (a retry backoff ends; a periodic pass for backfill
  // reservations that depend on time), not on every tick.
  bool changed_ = true;
  int64_t next_pass_ms_ = 0;
  // With a large backlog a pass is costly: passes then keep at least 9x
  // their own duration apart (at most a tenth of a core; at most 2 s), so
  // a burst of submissions is not starved of CPU; a 20 ms pass still runs
  // 5 times a second.
  std::chrono::steady_clock::time_point last_pass_end_;
  std::chrono::steady_clock::duration last_pass_cost_{};
  int64_t last_metrics_ms_ = 0;
  int next_uid_ = 0;           // where the search for a free dynamic UID goes on
  bool loop_running_ = false;  // Start() ran: the loop thread, not a test, calls Tick
  std::atomic<bool> leading_{false};
  // Start and Lead, which may run on different threads in either order:
  // the loop starts once both ran, and never while Recover runs.
  std::mutex start_mu_;
  bool loop_requested_ ABSL_GUARDED_BY(start_mu_) = false;  // Start() was called
  bool recovered_ ABSL_GUARDED_BY(start_mu_) = false;       // Lead() finished Recover
  void StartLoop();
  int64_t last_poll_ms_ = 0;
  // Jobs whose latest state the store refused, with the events not yet
  // written; retried every tick (RetryUnsaved).
  std::map<std::string, std::vector<JobEvent>> unsaved_;
  // Executor calls: posted and not yet answered on the loop; executors
  // with a poll in flight, and those polled again once it is answered;
  // jobs whose interrupted launch is being stopped; the events of a launch
  // in flight (written with its outcome); cancellations that wait for one.
  int calls_in_flight_ = 0;
  std::set<std::string> polling_, repoll_, abandoning_;
  std::map<std::string, std::vector<JobEvent>> pending_events_;
  std::set<std::string> cancel_after_launch_;
  std::map<std::string, std::unique_ptr<SerialWorker>> workers_;  // by executor

  // Shared with request threads.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Command> inbox_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, sched::WaitReason> why_ ABSL_GUARDED_BY(mu_);  // pending jobs
  Json holders_ ABSL_GUARDED_BY(mu_);  // node -> gpu -> holders, for GpuInventory
  Json queue_report_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool exit_pending_ ABSL_GUARDED_BY(mu_) = false;  // an executor saw a replica end
  // Why the loop takes no new work ("" while the store takes its writes).
  std::string store_failure_ ABSL_GUARDED_BY(mu_);
  std::thread loop_;

  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace plinth::jobs
