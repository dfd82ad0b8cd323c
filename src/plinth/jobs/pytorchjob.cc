#include "plinth/jobs/pytorchjob.h"

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/jobs/quantity.h"

namespace plinth::jobs {
namespace {

// Everything Plinth reads from one replica spec's container.
struct ReplicaTemplate {
  int replicas = 0;
  std::string restart_policy;
  std::vector<std::string> command, args;
  std::map<std::string, std::string> env;
  std::string working_dir;
  std::string image;
  sched::Resources resources;
  int port = 0;
};

const Json* At(const Json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

absl::Status Bad(const std::string& path, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

absl::StatusOr<std::vector<std::string>> Strings(const Json& j, const std::string& path) {
  if (!j.is_array()) return Bad(path, "expected a list of strings");
  std::vector<std::string> out;
  for (const Json& item : j) {
    if (!item.is_string()) return Bad(path, absl::StrCat("expected strings, got ", ShowJson(item)));
    out.push_back(item.get<std::string>());
  }
  return out;
}

absl::Status ReadLimits(const Json& limits, const std::string& path, sched::Resources& r) {
  if (!limits.is_object()) return Bad(path, "expected an object");
  for (const auto& [name, value] : limits.items()) {
    std::string at = absl::StrCat(path, ".", name);
    if (name == "nvidia.com/gpu") {
      ASSIGN_OR_RETURN(double gpus, ParseCpus(value));  // same number forms
      if (gpus != static_cast<int>(gpus)) return Bad(at, "Kubernetes GPUs are whole numbers");
      r.gpus = gpus;
    } else if (name.rfind("nvidia.com/mig-", 0) == 0) {
      r.mig_profile = name.substr(std::string("nvidia.com/mig-").size());
    } else if (name == "cpu") {
      absl::StatusOr<double> cpus = ParseCpus(value);
      if (!cpus.ok()) return Bad(at, std::string(cpus.status().message()));
      r.cpus = *cpus;
    } else if (name == "memory") {
      absl::StatusOr<int64_t> mib = ParseMemoryMib(value);
      if (!mib.ok()) return Bad(at, std::string(mib.status().message()));
      r.memory_mib = *mib;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ReplicaTemplate> ReadReplica(const Json& spec, const std::string& path) {
  ReplicaTemplate t;
  t.replicas = 1;
  if (const Json* n = At(spec, "replicas")) {
    if (!n->is_number_integer() || n->get<int64_t>() < 0) {
      return Bad(path + ".replicas", "expected a whole number");
    }
    t.replicas = n->get<int>();
  }
  if (const Json* p = At(spec, "restartPolicy")) t.restart_policy = p->get<std::string>();
  const Json* containers = At(spec, "template") ? At(*At(spec, "template"), "spec") : nullptr;
  containers = containers ? At(*containers, "containers") : nullptr;
  std::string cpath = path + ".template.spec.containers";
  if (!containers || !containers->is_array() || containers->empty()) {
    return Bad(cpath, "a replica spec needs one container");
  }
  // The operator's convention: the container named "pytorch" runs the job.
  const Json* container = &(*containers)[0];
  for (const Json& c : *containers) {
    if (At(c, "name") && *At(c, "name") == "pytorch") container = &c;
  }
  if (const Json* command = At(*container, "command")) {
    ASSIGN_OR_RETURN(t.command, Strings(*command, cpath + ".command"));
  }
  if (const Json* args = At(*container, "args")) {
    ASSIGN_OR_RETURN(t.args, Strings(*args, cpath + ".args"));
  }
  if (t.command.empty()) {
    if (t.args.empty()) {
      return Bad(cpath + ".command",
                 "Plinth runs the command itself and cannot use the image's "
                 "entrypoint; give command (and args)");
    }
    t.command = t.args;
    t.args.clear();
  }
  if (const Json* dir = At(*container, "workingDir")) t.working_dir = dir->get<std::string>();
  if (const Json* image = At(*container, "image"); image && image->is_string()) {
    t.image = image->get<std::string>();
  }
  if (const Json* env = At(*container, "env")) {
    if (!env->is_array()) return Bad(cpath + ".env", "expected a list of {name, value}");
    for (const Json& e : *env) {
      const Json* name = At(e, "name");
      if (!name || !name->is_string()) return Bad(cpath + ".env", "every entry needs a name");
      if (At(e, "valueFrom")) {
        return Bad(
            cpath + ".env." + name->get<std::string>(),
            "valueFrom (secrets, config maps) is not available outside Kubernetes; give value");
      }
      const Json* value = At(e, "value");
      t.env[name->get<std::string>()] =
          value ? (value->is_string() ? value->get<std::string>()
                                      : value->dump(-1, ' ', false, Json::error_handler_t::replace))
                : "";
    }
  }
  if (const Json* resources = At(*container, "resources")) {
    if (const Json* requests = At(*resources, "requests")) {
      RETURN_IF_ERROR(ReadLimits(*requests, cpath + ".resources.requests", t.resources));
    }
    if (const Json* limits = At(*resources, "limits")) {
      RETURN_IF_ERROR(ReadLimits(*limits, cpath + ".resources.limits", t.resources));
    }
  }
  if (const Json* ports = At(*container, "ports"); ports && ports->is_array()) {
    for (const Json& p : *ports) {
      if (At(p, "name") && *At(p, "name") == "pytorchjob-port" && At(p, "containerPort")) {
        t.port = At(p, "containerPort")->get<int>();
      }
    }
  }
  return t;
}

bool SameResources(const sched::Resources& a, const sched::Resources& b) {
  return a.gpus == b.gpus && a.mig_profile == b.mig_profile && a.cpus == b.cpus &&
         a.memory_mib == b.memory_mib && a.gpu_model == b.gpu_model;
}

}  // namespace

absl::StatusOr<JobSpec> ParsePyTorchJob(const Json& manifest) {
  JobSpec spec;
  spec.pytorch = true;
  const Json* metadata = At(manifest, "metadata");
  const Json* name = metadata ? At(*metadata, "name") : nullptr;
  if (!name || !name->is_string()) return Bad("metadata.name", "a PyTorchJob needs a name");
  spec.name = name->get<std::string>();
  const Json* labels = metadata ? At(*metadata, "labels") : nullptr;
  if (labels && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) {
      if (v.is_string()) spec.labels[k] = v.get<std::string>();
    }
  }
  if (spec.labels.count("kueue.x-k8s.io/queue-name")) {
    spec.queue = spec.labels["kueue.x-k8s.io/queue-name"];
  }
  if (spec.labels.count("plinth.dev/team")) {
    spec.team = spec.labels["plinth.dev/team"];
  } else if (const Json* ns = metadata ? At(*metadata, "namespace") : nullptr) {
    if (ns->is_string() && *ns != "default") spec.team = ns->get<std::string>();
  }
  spec.preemptible = spec.labels.count("plinth.dev/preemptible") &&
                     spec.labels["plinth.dev/preemptible"] == "true";
  if (spec.labels.count("plinth.dev/gpu-model")) {
    spec.resources.gpu_model = spec.labels["plinth.dev/gpu-model"];
  }

  const Json* body = At(manifest, "spec");
  const Json* replica_specs = body ? At(*body, "pytorchReplicaSpecs") : nullptr;
  if (!replica_specs || !replica_specs->is_object()) {
    return Bad("spec.pytorchReplicaSpecs", "a PyTorchJob needs Master and/or Worker replica specs");
  }
  for (const auto& [role, value] : replica_specs->items()) {
    if (role != "Master" && role != "Worker") {
      return Bad("spec.pytorchReplicaSpecs." + role, "only Master and Worker replicas exist");
    }
  }
  std::optional<ReplicaTemplate> master, worker;
  if (const Json* m = At(*replica_specs, "Master")) {
    ASSIGN_OR_RETURN(master, ReadReplica(*m, "spec.pytorchReplicaSpecs.Master"));
    if (master->replicas != 1) {
      return Bad("spec.pytorchReplicaSpecs.Master.replicas", "a PyTorchJob has exactly one Master");
    }
  }
  if (const Json* w = At(*replica_specs, "Worker")) {
    ASSIGN_OR_RETURN(worker, ReadReplica(*w, "spec.pytorchReplicaSpecs.Worker"));
  }
  if (!master && !worker) return Bad("spec.pytorchReplicaSpecs", "give a Master or a Worker");
  const ReplicaTemplate& lead = master ? *master : *worker;
  if (master && worker && worker->replicas > 0) {
    // One gang runs one program; the operator's examples do the same.
    if (master->command != worker->command || master->args != worker->args) {
      return Bad("spec.pytorchReplicaSpecs.Worker",
                 "Master and Worker must run the same command and args in Plinth (the RANK "
                 "variable tells them apart)");
    }
    if (!SameResources(master->resources, worker->resources)) {
      return Bad("spec.pytorchReplicaSpecs.Worker",
                 "Master and Worker must ask for the same resources in Plinth");
    }
  }
  spec.replicas = (master ? 1 : 0) + (worker ? worker->replicas : 0);
  spec.command = lead.command;
  spec.args = lead.args;
  spec.env = lead.env;
  spec.working_dir = lead.working_dir;
  spec.image = lead.image;
  std::string model = spec.resources.gpu_model;
  spec.resources = lead.resources;
  spec.resources.gpu_model = model;
  spec.master_port = master ? master->port : 0;
  // restartPolicy OnFailure (the operator's default) restarts the gang up to
  // backoffLimit times; Never does not restart.
  const Json* run_policy = At(*body, "runPolicy");
  int backoff_limit = 6;  // Kubernetes' default for Jobs
  if (run_policy) {
    if (const Json* b = At(*run_policy, "backoffLimit"); b && b->is_number_integer()) {
      backoff_limit = b->get<int>();
    }
    if (const Json* d = At(*run_policy, "activeDeadlineSeconds"); d && d->is_number()) {
      spec.max_runtime_s = d->get<int64_t>();
    }
    const Json* scheduling = At(*run_policy, "schedulingPolicy");
    if (scheduling) {
      if (const Json* pc = At(*scheduling, "priorityClass"); pc && pc->is_string()) {
        spec.priority_class = pc->get<std::string>();
      }
      if (const Json* q = At(*scheduling, "queue"); q && q->is_string() && spec.queue.empty()) {
        spec.queue = q->get<std::string>();
      }
    }
  }
  spec.retries = lead.restart_policy == "Never" ? 0 : std::max(0, std::min(backoff_limit, 100));
  return spec;
}

}  // namespace plinth::jobs
