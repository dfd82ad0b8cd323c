#include "plinth/jobs/kubernetes_render.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "plinth/exec/kubernetes_manifest.h"

namespace plinth::jobs {
namespace {

// Kubernetes object names: lower case alphanumerics and '-', at most 63.
std::string ObjectName(const Job& job) {
  std::string name;
  for (char c : job.spec.name) {
    name += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  }
  name = absl::StrCat(name.substr(0, 45), "-", job.id.substr(0, 8));
  while (!name.empty() && name.front() == '-') name.erase(name.begin());
  return name;
}

absl::StatusOr<Json> Limits(const JobSpec& spec) {
  const sched::Resources& r = spec.resources;
  absl::StatusOr<Json> limits = exec::KubernetesLimits(r.gpus, r.mig_profile, r.cpus, r.memory_mib);
  // The job exists: rendering it is what cannot be done.
  if (!limits.ok()) return absl::FailedPreconditionError(limits.status().message());
  return limits;
}

absl::StatusOr<Json> Container(const Job& job, const std::string& name) {
  const JobSpec& spec = job.spec;
  if (spec.image.empty()) {
    return absl::FailedPreconditionError(
        "the job has no container image; add `image:` to its spec to run it on Kubernetes");
  }
  Json env = Json::array();
  for (const auto& [k, v] : spec.env) env.push_back({{"name", k}, {"value", v}});
  env.push_back({{"name", "PLINTH_JOB_ID"}, {"value", job.id}});
  if (!job.run_id.empty()) env.push_back({{"name", "MLFLOW_RUN_ID"}, {"value", job.run_id}});
  Json container = {{"name", name}, {"image", spec.image}, {"command", spec.command}, {"env", env}};
  if (!spec.args.empty()) container["args"] = spec.args;
  if (!spec.working_dir.empty()) container["workingDir"] = spec.working_dir;
  absl::StatusOr<Json> limits = Limits(spec);
  if (!limits.ok()) return limits.status();
  if (!limits->empty()) container["resources"] = {{"limits", *limits}, {"requests", *limits}};
  if (spec.pytorch) {
    container["ports"] =
        Json::array({{{"name", "pytorchjob-port"},
                      {"containerPort", job.master_port > 0 ? job.master_port : 23456}}});
  }
  return container;
}

Json Metadata(const Job& job) {
  Json labels = {{"kueue.x-k8s.io/queue-name", job.spec.queue},
                 {"plinth.dev/team", job.spec.team},
                 {"plinth.dev/job-id", job.id}};
  if (job.spec.preemptible) labels["plinth.dev/preemptible"] = "true";
  return {{"name", ObjectName(job)}, {"namespace", job.spec.team}, {"labels", labels}};
}

Json PodTemplate(const Json& container, const Job& job, bool pytorch) {
  Json spec = {{"containers", Json::array({container})},
               {"restartPolicy", job.spec.retries > 0 ? "OnFailure" : "Never"}};
  if (!pytorch) spec["priorityClassName"] = job.spec.priority_class;
  return {{"spec", spec}};
}

}  // namespace

absl::StatusOr<Json> RenderKubernetes(const Job& job) {
  const JobSpec& spec = job.spec;
  if (spec.pytorch) {
    absl::StatusOr<Json> container = Container(job, "pytorch");
    if (!container.ok()) return container.status();
    Json replicas = {{"Master",
                      {{"replicas", 1},
                       {"restartPolicy", spec.retries > 0 ? "OnFailure" : "Never"},
                       {"template", PodTemplate(*container, job, true)}}}};
    if (spec.replicas > 1) {
      replicas["Worker"] = {{"replicas", spec.replicas - 1},
                            {"restartPolicy", spec.retries > 0 ? "OnFailure" : "Never"},
                            {"template", PodTemplate(*container, job, true)}};
    }
    Json run_policy = {{"backoffLimit", spec.retries},
                       {"schedulingPolicy", {{"priorityClass", spec.priority_class}}}};
    if (spec.max_runtime_s > 0) run_policy["activeDeadlineSeconds"] = spec.max_runtime_s;
    return Json{{"apiVersion", "kubeflow.org/v1"},
                {"kind", "PyTorchJob"},
                {"metadata", Metadata(job)},
                {"spec", {{"runPolicy", run_policy}, {"pytorchReplicaSpecs", replicas}}}};
  }
  absl::StatusOr<Json> container = Container(job, "main");
  if (!container.ok()) return container.status();
  // Each replica is one completion index; JOB_COMPLETION_INDEX tells them apart.
  Json job_spec = {{"completions", spec.replicas},
                   {"parallelism", spec.replicas},
                   {"completionMode", "Indexed"},
                   {"backoffLimit", spec.retries},
                   {"template", PodTemplate(*container, job, false)}};
  if (spec.max_runtime_s > 0) job_spec["activeDeadlineSeconds"] = spec.max_runtime_s;
  return Json{
      {"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", Metadata(job)}, {"spec", job_spec}};
}

}  // namespace plinth::jobs
