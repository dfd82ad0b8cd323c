// Starting an admitted job: one executor launch per replica, each with the
// environment contract (PLINTH_*, MLFLOW_*, the visible devices and, for
// distributed jobs, the PyTorchJob variables).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "plinth/common/status_macros.h"
#include "plinth/jobs/job_metrics.h"
#include "plinth/jobs/job_service.h"
#include "plinth/jobs/launch_plan.h"
#include "spdlog/spdlog.h"

namespace plinth::jobs {
namespace {

constexpr int kDefaultMasterPort = 23456;  // the PyTorchJob operator's default

// A free TCP port on this host, for distributed jobs run by the local
// executor (several jobs share one network namespace, unlike pods).
int FreeLocalPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return kDefaultMasterPort;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = kDefaultMasterPort;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// What CUDA_VISIBLE_DEVICES gets for one replica's GPU slots: GPU indices,
// or MIG device UUIDs (an existing instance's, else the GPU/instance form).
std::vector<std::string> DevicesFor(const sched::ReplicaPlacement& placement,
                                    const std::vector<gpu::Node>& nodes) {
  const gpu::Node* node = nullptr;
  for (const gpu::Node& n : nodes) {
    if (n.name == placement.node) node = &n;
  }
  std::vector<std::string> devices;
  for (const sched::GpuSlot& slot : placement.gpus) {
    const gpu::Gpu* g =
        node && slot.gpu < static_cast<int>(node->gpus.size()) ? &node->gpus[slot.gpu] : nullptr;
    if (slot.mig_profile.empty()) {
      devices.push_back(absl::StrCat(g ? g->index : slot.gpu));
      continue;
    }
    std::string id;
    if (g) {
      for (const gpu::MigInstance& m : g->mig_instances) {
        if (m.profile == slot.mig_profile && m.start == slot.mig_start) id = m.uuid;
      }
    }
    if (id.empty()) {
      id = absl::StrCat("MIG-", g ? g->uuid : absl::StrCat("GPU-", slot.gpu), "/", slot.mig_start,
                        "/0");
    }
    devices.push_back(id);
  }
  return devices;
}

}  // namespace

absl::Status JobService::ChooseJobUser(Job& job) {
  if (job.executor != "local" || !config_.users.switch_users) {
    job.run_uid = job.run_gid = -1;
    return absl::OkStatus();
  }
  if (job.run_uid >= 0) return absl::OkStatus();  // a new attempt keeps its user
  std::set<int> in_use;
  for (const auto& [id, other] : active_) {
    if (id != job.id && other.run_uid >= 0 && !IsTerminal(other.state)) {
      in_use.insert(other.run_uid);
    }
  }
  ASSIGN_OR_RETURN(exec::JobUser user,
                   exec::PickJobUser(config_.users, job.spec.team, in_use, &next_uid_));
  job.run_uid = user.uid;
  job.run_gid = user.gid;
  return absl::OkStatus();
}

void JobService::Launch(Job& job, const sched::Admission& admission) {
  int64_t now = clock_.NowMillis();
  std::vector<JobEvent> events;
  job.attempts += 1;
  job.start_time_ms = now;
  job.wait_ms += now - job.queued_since_ms;
  metrics_->wait_seconds.WithLabels({job.spec.queue}).Observe((now - job.queued_since_ms) / 1000.0);
  job.allocation = admission.allocation;
  job.borrowing = admission.borrowing;
  job.not_before_ms = 0;
  // From here the job holds its allocation; it shows RUNNING once every
  // replica has started (STARTED), and until then the store says PENDING
  // with the replicas "launching" (RecordIntent).
  job.state = JobState::kRunning;
  changed_ = true;
  if (runs_ && job.run_id.empty()) {
    absl::StatusOr<StartedRun> run = runs_->StartRun(job.spec.team, job.id, job.spec.name);
    if (run.ok()) {
      job.run_id = run->run_id;
      if (!run->note.empty()) events.push_back({now, "INFO", run->note});
    } else {
      events.push_back(
          {now, "WARNING", absl::StrCat("no MLflow run for this job: ", run.status().message())});
    }
  }
  LaunchContext context;  // the token is never stored: only the replicas' environment has it
  context.server_url = config_.server_url;
  if (credentials_) {
    absl::StatusOr<std::string> issued = credentials_->Issue(job.spec.team, job.id);
    if (issued.ok()) {
      context.token = *issued;
    } else {
      events.push_back(
          {now, "WARNING", absl::StrCat("no API token for this job: ", issued.status().message())});
    }
  }
  if (job.spec.pytorch) {
    job.master_port = job.spec.master_port > 0  ? job.spec.master_port
                      : job.executor == "local" ? FreeLocalPort()
                                                : kDefaultMasterPort;
  }
  context.master_addr = job.executor == "local" || job.allocation.replicas.empty()
                            ? "127.0.0.1"
                            : job.allocation.replicas[0].node;
  if (absl::Status user = ChooseJobUser(job); !user.ok()) {
    events.push_back({now, "WARNING", std::string(user.message())});
    job.message = std::string(user.message());
    Requeue(job, now + config_.unavailable_retry_ms, events);
    Persist(job, std::move(events));
    return;
  }
  if (absl::Status intent = RecordIntent(job); !intent.ok()) {
    // Without this record a crash could orphan what starts: start nothing.
    job.replicas.clear();
    job.message = absl::StrCat("cannot record the launch: ", intent.message());
    Requeue(job, now + config_.unavailable_retry_ms, events);
    Persist(job, std::move(events));
    return;
  }
  pending_events_[job.id] = std::move(events);  // written with the outcome
  std::vector<exec::LaunchSpec> specs = BuildLaunchSpecs(job, context);
  if (ExecutorFor(job) == nullptr) {
    GangLaunch none;
    none.error = absl::FailedPreconditionError("executor " + job.executor + " is not configured");
    none.failed_replica = 0;
    OnLaunched(job.id, job.attempts, std::move(none));
    return;
  }
  CallExecutor(job.executor, "launch",
               [this, id = job.id, attempt = job.attempts,
                specs = std::move(specs)](exec::Executor& executor) -> std::function<void()> {
                 auto launched = std::make_shared<GangLaunch>(LaunchGang(executor, specs));
                 return [this, id, attempt, launched] {
                   OnLaunched(id, attempt, std::move(*launched));
                 };
               });
}

absl::Status JobService::RecordIntent(Job& job) {
  std::string attempt_dir = absl::StrCat(config_.jobs_dir, "/", job.id, "/", job.attempts);
  job.replicas.clear();
  for (int i = 0; i < static_cast<int>(job.allocation.replicas.size()); ++i) {
    ReplicaRecord record;
    record.index = i;
    record.node = job.allocation.replicas[i].node;
    record.devices = DevicesFor(job.allocation.replicas[i], nodes_);
    record.log_dir = absl::StrCat(attempt_dir, "/replica-", i);
    record.state = "launching";
    std::error_code ec;
    std::filesystem::create_directories(record.log_dir, ec);
    if (job.run_uid >= 0) {
      // Jobs of other users pass through to their own folder; none can list
      // the jobs, a job's attempts or its replicas.
      namespace fs = std::filesystem;
      fs::perms pass = fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec;
      for (const std::string& dir :
           {config_.jobs_dir, absl::StrCat(config_.jobs_dir, "/", job.id), attempt_dir}) {
        fs::permissions(dir, pass, ec);
      }
    }
    job.replicas.push_back(std::move(record));
  }
  // Stored as still PENDING: if the server dies before the outcome is
  // recorded, Recover finds the "launching" replicas and stops whatever of
  // them started.
  Job intent = job;
  intent.state = JobState::kPending;
  return store_.Update(intent, {});
}

void JobService::OnLaunched(const std::string& id, int attempt, GangLaunch launch) {
  auto it = active_.find(id);
  bool current = it != active_.end() && it->second.attempts == attempt &&
                 it->second.state == JobState::kRunning && Launching(it->second);
  if (!current) {
    // Cannot happen while the loop defers every change to a launching job;
    // should it, nothing the launch started may keep running unseen.
    spdlog::error("jobs: launch of job {} attempt {} answered for a job that moved on", id,
                  attempt);
    for (const std::string& handle : launch.handles) {
      CallExecutor(it == active_.end() ? "" : it->second.executor, "kill",
                   [handle](exec::Executor& e) -> std::function<void()> {
                     (void)e.Kill(handle);
                     return nullptr;
                   });
    }
    return;
  }
  Job& job = it->second;
  std::vector<JobEvent> events = std::move(pending_events_[id]);
  pending_events_.erase(id);
  changed_ = true;
  if (!launch.error.ok()) {
    RollBack(job, launch, events);
  } else {
    std::vector<std::string> placed;
    for (ReplicaRecord& record : job.replicas) {
      record.handle = launch.handles[record.index];
      record.state = "running";
      std::string visible = absl::StrJoin(record.devices, ",");
      placed.push_back(
          absl::StrCat(record.node, visible.empty() ? "" : absl::StrCat(" [", visible, "]")));
    }
    job.message = "running";
    events.push_back({clock_.NowMillis(), "STARTED",
                      absl::StrCat("attempt ", job.attempts, " on ", absl::StrJoin(placed, ", "),
                                   job.borrowing ? " (on quota borrowed from its cohort)" : "")});
    Persist(job, std::move(events));
  }
  // A cancellation that came while it was starting applies now.
  if (cancel_after_launch_.erase(id)) CancelOnLoop(id);
}

void JobService::RollBack(Job& job, const GangLaunch& launch, std::vector<JobEvent>& events) {
  int64_t now = clock_.NowMillis();
  // What could not be stopped stays "launching" for the abandon pass to
  // retry before the job starts anew.
  std::vector<ReplicaRecord> unstopped;
  for (int i : launch.unstopped) unstopped.push_back(job.replicas[i]);
  job.replicas = std::move(unstopped);
  std::string why =
      absl::StrCat("replica ", launch.failed_replica, " could not start: ", launch.error.message());
  if (absl::IsUnavailable(launch.error) || !job.replicas.empty()) {
    job.message = why;
    Requeue(job, now + config_.unavailable_retry_ms, events);
  } else {
    // Its wait was counted when it was admitted: it was never started.
    job.state = JobState::kPending;
    job.queued_since_ms = now;
    Finish(job, JobState::kFailed, why, events);
  }
  Persist(job, std::move(events));
}

}  // namespace plinth::jobs
