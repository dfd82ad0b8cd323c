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
  exec::Executor* executor = ExecutorFor(job);
  job.attempts += 1;
  job.start_time_ms = now;
  job.wait_ms += now - job.queued_since_ms;
  metrics_->wait_seconds.WithLabels({job.spec.queue}).Observe((now - job.queued_since_ms) / 1000.0);
  job.allocation = admission.allocation;
  job.borrowing = admission.borrowing;
  job.not_before_ms = 0;
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
  std::string token;  // never stored: only the replicas' environment has it
  if (credentials_) {
    absl::StatusOr<std::string> issued = credentials_->Issue(job.spec.team, job.id);
    if (issued.ok()) {
      token = *issued;
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
  std::string master_addr = job.executor == "local" || job.allocation.replicas.empty()
                                ? "127.0.0.1"
                                : job.allocation.replicas[0].node;
  if (absl::Status user = ChooseJobUser(job); !user.ok()) {
    events.push_back({now, "WARNING", std::string(user.message())});
    job.message = std::string(user.message());
    job.state = JobState::kRunning;  // Requeue accounts from a running state
    Requeue(job, now + config_.unavailable_retry_ms, events);
    Persist(job, std::move(events));
    return;
  }
  std::string attempt_dir = absl::StrCat(config_.jobs_dir, "/", job.id, "/", job.attempts);
  // Record where each replica will run before starting any: if the server
  // dies mid-launch, Recover finds these and stops what was started.
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
  changed_ = true;
  if (absl::Status intent = store_.Update(job, {}); !intent.ok()) {
    // Without this record a crash could orphan what starts: start nothing.
    job.replicas.clear();
    job.message = absl::StrCat("cannot record the launch: ", intent.message());
    job.state = JobState::kRunning;  // Requeue accounts from a running state
    Requeue(job, now + config_.unavailable_retry_ms, events);
    Persist(job, std::move(events));
    return;
  }
  std::map<std::string, int> per_node;  // LOCAL_RANK: replicas already on that node
  std::vector<std::string> placed;
  for (int i = 0; i < static_cast<int>(job.allocation.replicas.size()); ++i) {
    const sched::ReplicaPlacement& p = job.allocation.replicas[i];
    ReplicaRecord& record = job.replicas[i];

    exec::LaunchSpec spec;
    spec.job_id = job.id;
    spec.replica = i;
    spec.name = absl::StrCat(job.spec.name, "-", i);
    spec.argv = job.spec.command;
    spec.argv.insert(spec.argv.end(), job.spec.args.begin(), job.spec.args.end());
    spec.env = job.spec.env;
    spec.env["PLINTH_URL"] = config_.server_url;
    spec.env["PLINTH_JOB_ID"] = job.id;
    spec.env["PLINTH_JOB_NAME"] = job.spec.name;
    spec.env["PLINTH_REPLICA"] = absl::StrCat(i);
    spec.env["PLINTH_ATTEMPT"] = absl::StrCat(job.attempts);
    spec.env["MLFLOW_TRACKING_URI"] = config_.server_url;
    if (!job.run_id.empty()) spec.env["MLFLOW_RUN_ID"] = job.run_id;
    if (!token.empty()) {
      // A token the spec sets itself wins.
      spec.env.emplace("MLFLOW_TRACKING_TOKEN", token);
      spec.env.emplace("PLINTH_TOKEN", token);
    }
    std::string visible = absl::StrJoin(record.devices, ",");
    spec.env["CUDA_VISIBLE_DEVICES"] = visible;  // empty: a CPU job sees no GPU
    spec.env["NVIDIA_VISIBLE_DEVICES"] = visible.empty() ? "void" : visible;
    if (job.spec.resources.gpus > 0 && job.spec.resources.gpus < 1) {
      spec.env["PLINTH_GPU_FRACTION"] = absl::StrCat(job.spec.resources.gpus);
    }
    if (job.spec.pytorch) {
      spec.env["MASTER_ADDR"] = master_addr;
      spec.env["MASTER_PORT"] = absl::StrCat(job.master_port);
      spec.env["WORLD_SIZE"] = absl::StrCat(job.spec.replicas);
      spec.env["RANK"] = absl::StrCat(i);
      spec.env["LOCAL_RANK"] = absl::StrCat(per_node[p.node]++);
    }
    spec.working_dir = job.spec.working_dir;
    spec.log_dir = record.log_dir;
    spec.node = p.node;
    spec.gpus = job.spec.resources.gpus >= 1 ? static_cast<int>(job.spec.resources.gpus) : 0;
    spec.visible_devices = record.devices;
    spec.cpus = job.spec.resources.cpus;
    spec.memory_mib = job.spec.resources.memory_mib;
    spec.max_runtime_s = job.spec.max_runtime_s;
    spec.image = job.spec.image;
    spec.mig_profile = job.spec.resources.mig_profile;
    spec.queue = job.spec.queue;
    spec.team = job.spec.team;
    spec.uid = job.run_uid;
    spec.gid = job.run_gid;
    spec.attempt = job.attempts;

    absl::StatusOr<std::string> handle =
        executor ? executor->Launch(spec)
                 : absl::FailedPreconditionError("executor " + job.executor + " is not configured");
    if (!handle.ok()) {
      // Stop what started; a replica that cannot be stopped now (the
      // backend is down) stays "launching" for AbandonInterruptedLaunch to
      // retry. The failed one may exist anyway (a timed-out sbatch/apply).
      std::vector<ReplicaRecord> unstopped;
      for (ReplicaRecord& r : job.replicas) {
        if (r.index > i || !executor) continue;
        absl::Status stopped =
            r.handle.empty() ? executor->Abandon(r.log_dir) : executor->Kill(r.handle);
        if (!stopped.ok()) {
          r.state = "launching";
          unstopped.push_back(r);
        }
      }
      job.replicas = std::move(unstopped);
      std::string why =
          absl::StrCat("replica ", i, " could not start: ", handle.status().message());
      if (absl::IsUnavailable(handle.status()) || !job.replicas.empty()) {
        job.message = why;
        job.state = JobState::kRunning;  // Requeue accounts from a running state
        Requeue(job, now + config_.unavailable_retry_ms, events);
      } else {
        job.state = JobState::kPending;
        job.queued_since_ms = now;  // its wait was counted above
        Finish(job, JobState::kFailed, why, events);
      }
      Persist(job, std::move(events));
      return;
    }
    record.handle = *handle;
    record.state = "running";
    placed.push_back(absl::StrCat(p.node, visible.empty() ? "" : absl::StrCat(" [", visible, "]")));
  }
  job.state = JobState::kRunning;
  job.message = "running";
  events.push_back({now, "STARTED",
                    absl::StrCat("attempt ", job.attempts, " on ", absl::StrJoin(placed, ", "),
                                 job.borrowing ? " (on quota borrowed from its cohort)" : "")});
  Persist(job, std::move(events));
}

}  // namespace plinth::jobs
