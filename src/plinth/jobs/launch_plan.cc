#include "plinth/jobs/launch_plan.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace plinth::jobs {

std::vector<exec::LaunchSpec> BuildLaunchSpecs(const Job& job, const LaunchContext& context) {
  std::vector<exec::LaunchSpec> specs;
  std::map<std::string, int> per_node;  // LOCAL_RANK: replicas already on that node
  for (const ReplicaRecord& record : job.replicas) {
    const int i = record.index;
    exec::LaunchSpec spec;
    spec.job_id = job.id;
    spec.replica = i;
    spec.name = absl::StrCat(job.spec.name, "-", i);
    spec.argv = job.spec.command;
    spec.argv.insert(spec.argv.end(), job.spec.args.begin(), job.spec.args.end());
    spec.env = job.spec.env;
    spec.env["PLINTH_URL"] = context.server_url;
    spec.env["PLINTH_JOB_ID"] = job.id;
    spec.env["PLINTH_JOB_NAME"] = job.spec.name;
    spec.env["PLINTH_REPLICA"] = absl::StrCat(i);
    spec.env["PLINTH_ATTEMPT"] = absl::StrCat(job.attempts);
    spec.env["MLFLOW_TRACKING_URI"] = context.server_url;
    if (!job.run_id.empty()) spec.env["MLFLOW_RUN_ID"] = job.run_id;
    if (!context.token.empty()) {
      spec.env.emplace("MLFLOW_TRACKING_TOKEN", context.token);
      spec.env.emplace("PLINTH_TOKEN", context.token);
    }
    std::string visible = absl::StrJoin(record.devices, ",");
    spec.env["CUDA_VISIBLE_DEVICES"] = visible;  // empty: a CPU job sees no GPU
    spec.env["NVIDIA_VISIBLE_DEVICES"] = visible.empty() ? "void" : visible;
    if (job.spec.resources.gpus > 0 && job.spec.resources.gpus < 1) {
      spec.env["PLINTH_GPU_FRACTION"] = absl::StrCat(job.spec.resources.gpus);
    }
    if (job.spec.pytorch) {
      spec.env["MASTER_ADDR"] = context.master_addr;
      spec.env["MASTER_PORT"] = absl::StrCat(job.master_port);
      spec.env["WORLD_SIZE"] = absl::StrCat(job.spec.replicas);
      spec.env["RANK"] = absl::StrCat(i);
      spec.env["LOCAL_RANK"] = absl::StrCat(per_node[record.node]++);
    }
    spec.working_dir = job.spec.working_dir;
    spec.log_dir = record.log_dir;
    spec.node = record.node;
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
    specs.push_back(std::move(spec));
  }
  return specs;
}

GangLaunch LaunchGang(exec::Executor& executor, const std::vector<exec::LaunchSpec>& specs) {
  GangLaunch out;
  std::vector<std::string> handles;
  for (size_t i = 0; i < specs.size(); ++i) {
    absl::StatusOr<std::string> handle = executor.Launch(specs[i]);
    if (handle.ok()) {
      handles.push_back(*handle);
      continue;
    }
    out.error = handle.status();
    out.failed_replica = static_cast<int>(i);
    for (size_t j = 0; j <= i; ++j) {
      absl::Status stopped = j < i ? executor.Kill(handles[j]) : executor.Abandon(specs[j].log_dir);
      if (!stopped.ok()) out.unstopped.push_back(static_cast<int>(j));
    }
    return out;
  }
  out.handles = std::move(handles);
  return out;
}

}  // namespace plinth::jobs
