#include "plinth/server/jobs_config.h"

#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "plinth/common/duration.h"
#include "plinth/common/status_macros.h"
#include "plinth/gpu/simulated_gpu_source.h"
#include "plinth/server/yaml_read.h"

namespace plinth::server {
namespace {

absl::Status Unknown(const std::string& path) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": unknown key"));
}

absl::Status ExpectMap(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(path, ": expected a mapping"));
  return absl::OkStatus();
}

absl::Status ReadGpuMap(const YAML::Node& node, const std::string& path,
                        std::map<std::string, double>& out) {
  RETURN_IF_ERROR(ExpectMap(node, path));
  for (const auto& e : node) {
    std::string model = e.first.as<std::string>();
    double gpus = 0;
    RETURN_IF_ERROR(ReadYaml(e.second, absl::StrCat(path, ".", model), gpus));
    if (gpus < 0)
      return absl::InvalidArgumentError(absl::StrCat(path, ".", model, ": must be >= 0"));
    out[model] = gpus;
  }
  return absl::OkStatus();
}

absl::Status ReadQueue(const YAML::Node& node, const std::string& path, sched::QueueConfig& q) {
  RETURN_IF_ERROR(ExpectMap(node, path));
  for (const auto& e : node) {
    std::string key = e.first.as<std::string>();
    std::string at = absl::StrCat(path, ".", key);
    if (key == "name") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, q.name));
    } else if (key == "team") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, q.team));
    } else if (key == "cohort") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, q.cohort));
    } else if (key == "weight") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, q.weight));
      if (!(q.weight > 0)) return absl::InvalidArgumentError(at + ": must be positive");
    } else if (key == "nominal") {
      RETURN_IF_ERROR(ReadGpuMap(e.second, at, q.nominal));
    } else if (key == "borrowing_limit") {
      RETURN_IF_ERROR(ReadGpuMap(e.second, at, q.borrowing_limit));
    } else {
      return Unknown(at);
    }
  }
  if (q.name.empty()) return absl::InvalidArgumentError(path + ".name: every queue needs a name");
  return absl::OkStatus();
}

absl::Status ReadSimulatedGroup(const YAML::Node& node, const std::string& path,
                                gpu::SimulatedNodeGroup& g) {
  RETURN_IF_ERROR(ExpectMap(node, path));
  for (const auto& e : node) {
    std::string key = e.first.as<std::string>();
    std::string at = absl::StrCat(path, ".", key);
    double gib = 0;
    if (key == "name_prefix") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, g.name_prefix));
    } else if (key == "nodes") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, g.nodes));
    } else if (key == "gpus_per_node") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, g.gpus_per_node));
    } else if (key == "model") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, g.model));
    } else if (key == "gpu_memory_gib") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, gib));
      g.gpu_memory_mib = static_cast<int64_t>(gib * 1024);
    } else if (key == "cpus") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, g.cpus));
    } else if (key == "memory_gib") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, gib));
      g.memory_mib = static_cast<int64_t>(gib * 1024);
    } else if (key == "mig_gpus_per_node") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, g.mig_gpus_per_node));
    } else {
      return Unknown(at);
    }
  }
  return gpu::ValidateSimulatedGroup(g);
}

absl::Status ReadGpus(const YAML::Node& node, JobsSettings& out) {
  RETURN_IF_ERROR(ExpectMap(node, "gpus"));
  for (const auto& e : node) {
    std::string key = e.first.as<std::string>();
    std::string at = "gpus." + key;
    if (key == "source") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.gpus.source));
    } else if (key == "simulated") {
      if (e.second.IsScalar()) {
        std::string shorthand;
        RETURN_IF_ERROR(ReadYaml(e.second, at, shorthand));
        absl::StatusOr<std::vector<gpu::SimulatedNodeGroup>> groups =
            gpu::ParseSimulatedShorthand(shorthand);
        if (!groups.ok())
          return absl::InvalidArgumentError(absl::StrCat(at, ": ", groups.status().message()));
        out.gpus.simulated = *groups;
      } else if (e.second.IsSequence()) {
        out.gpus.simulated.clear();
        for (size_t i = 0; i < e.second.size(); ++i) {
          gpu::SimulatedNodeGroup g;
          RETURN_IF_ERROR(ReadSimulatedGroup(e.second[i], absl::StrCat(at, "[", i, "]"), g));
          out.gpus.simulated.push_back(g);
        }
      } else {
        return absl::InvalidArgumentError(at + ": expected a shorthand string or a list of groups");
      }
    } else {
      return Unknown(at);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadStringMap(const YAML::Node& node, const std::string& path,
                           std::map<std::string, std::string>& out);

absl::Status ReadJobs(const YAML::Node& node, JobsSettings& out) {
  RETURN_IF_ERROR(ExpectMap(node, "jobs"));
  for (const auto& e : node) {
    std::string key = e.first.as<std::string>();
    std::string at = "jobs." + key;
    if (key == "executor") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.executor));
    } else if (key == "tick_ms") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.tick_ms));
      if (out.tick_ms < 10 || out.tick_ms > 60000) {
        return absl::InvalidArgumentError(at + ": use 10 to 60000 milliseconds");
      }
    } else if (key == "requeue_lost") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.requeue_lost));
    } else if (key == "allow_root") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.allow_root));
    } else if (key == "uid_range") {
      std::string range;
      RETURN_IF_ERROR(ReadYaml(e.second, at, range));
      RETURN_IF_ERROR(exec::ParseUidRange(range, out.users));
    } else if (key == "team_users") {
      RETURN_IF_ERROR(ReadStringMap(e.second, at, out.users.team_users));
    } else if (key == "backfill") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.backfill));
    } else if (key == "preemption") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.preemption));
    } else if (key == "preempt_exempt_time") {
      std::optional<double> seconds =
          e.second.IsScalar() ? ParseDurationText(e.second.Scalar()) : std::nullopt;
      if (!seconds) {
        return absl::InvalidArgumentError(
            at + ": expected a duration: seconds (60) or e.g. 60s, 5m, 1h; 0 turns it off");
      }
      out.preempt_exempt_ms = static_cast<int64_t>(*seconds * 1000);
    } else if (key == "default_priority_class") {
      RETURN_IF_ERROR(ReadYaml(e.second, at, out.default_priority_class));
    } else if (key == "priority_classes") {
      RETURN_IF_ERROR(ExpectMap(e.second, at));
      out.priority_classes.clear();
      for (const auto& pc : e.second) {
        std::string name = pc.first.as<std::string>();
        int value = 0;
        RETURN_IF_ERROR(ReadYaml(pc.second, absl::StrCat(at, ".", name), value));
        out.priority_classes[name] = value;
      }
    } else if (key == "queues") {
      if (!e.second.IsSequence()) return absl::InvalidArgumentError(at + ": expected a list");
      std::set<std::string> names;
      for (size_t i = 0; i < e.second.size(); ++i) {
        sched::QueueConfig q;
        RETURN_IF_ERROR(ReadQueue(e.second[i], absl::StrCat(at, "[", i, "]"), q));
        if (!names.insert(q.name).second) {
          return absl::InvalidArgumentError(
              absl::StrCat(at, "[", i, "].name: queue '", q.name, "' is defined twice"));
        }
        out.queues.push_back(q);
      }
    } else {
      return Unknown(at);
    }
  }
  return absl::OkStatus();
}

absl::Status ReadStringMap(const YAML::Node& node, const std::string& path,
                           std::map<std::string, std::string>& out) {
  RETURN_IF_ERROR(ExpectMap(node, path));
  for (const auto& v : node) {
    std::string var = v.first.as<std::string>();
    RETURN_IF_ERROR(ReadYaml(v.second, absl::StrCat(path, ".", var), out[var]));
  }
  return absl::OkStatus();
}

absl::Status ReadKubernetes(const YAML::Node& node, JobsSettings& out) {
  exec::KubernetesOptions k8s;
  RETURN_IF_ERROR(ExpectMap(node, "executors.kubernetes"));
  for (const auto& s : node) {
    std::string key = s.first.as<std::string>();
    std::string at = "executors.kubernetes." + key;
    if (key == "kubectl") {
      RETURN_IF_ERROR(ReadYaml(s.second, at, k8s.kubectl));
    } else if (key == "kubeconfig") {
      RETURN_IF_ERROR(ReadYaml(s.second, at, k8s.kubeconfig));
    } else if (key == "context") {
      RETURN_IF_ERROR(ReadYaml(s.second, at, k8s.context));
    } else if (key == "namespace") {
      RETURN_IF_ERROR(ReadYaml(s.second, at, k8s.ns));
    } else if (key == "command_timeout_s") {
      RETURN_IF_ERROR(ReadYaml(s.second, at, k8s.command_timeout_s));
      if (k8s.command_timeout_s <= 0) return absl::InvalidArgumentError(at + ": must be positive");
    } else if (key == "termination_grace_s") {
      RETURN_IF_ERROR(ReadYaml(s.second, at, k8s.termination_grace_s));
      if (k8s.termination_grace_s < 0) return absl::InvalidArgumentError(at + ": must be >= 0");
    } else if (key == "server_url") {
      RETURN_IF_ERROR(ReadYaml(s.second, at, k8s.server_url));
    } else if (key == "env") {
      RETURN_IF_ERROR(ReadStringMap(s.second, at, k8s.env));
    } else {
      return Unknown(at);
    }
  }
  out.kubernetes = k8s;
  return absl::OkStatus();
}

absl::Status ReadExecutors(const YAML::Node& node, JobsSettings& out) {
  RETURN_IF_ERROR(ExpectMap(node, "executors"));
  for (const auto& e : node) {
    std::string name = e.first.as<std::string>();
    if (name == "kubernetes") {
      RETURN_IF_ERROR(ReadKubernetes(e.second, out));
      continue;
    }
    if (name != "slurm") {
      return absl::InvalidArgumentError(
          absl::StrCat("executors.", name,
                       ": unknown executor (local needs no settings; use slurm or kubernetes)"));
    }
    exec::SlurmOptions slurm;
    RETURN_IF_ERROR(ExpectMap(e.second, "executors.slurm"));
    for (const auto& s : e.second) {
      std::string key = s.first.as<std::string>();
      std::string at = "executors.slurm." + key;
      if (key == "bin_dir") {
        RETURN_IF_ERROR(ReadYaml(s.second, at, slurm.bin_dir));
      } else if (key == "partition") {
        RETURN_IF_ERROR(ReadYaml(s.second, at, slurm.partition));
      } else if (key == "command_timeout_s") {
        RETURN_IF_ERROR(ReadYaml(s.second, at, slurm.command_timeout_s));
      } else if (key == "env") {
        RETURN_IF_ERROR(ReadStringMap(s.second, at, slurm.extra_env));
      } else {
        return Unknown(at);
      }
    }
    out.slurm = slurm;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadJobsSection(const std::string& section, const YAML::Node& node,
                             JobsSettings& out) {
  if (section == "gpus") return ReadGpus(node, out);
  if (section == "jobs") return ReadJobs(node, out);
  if (section == "executors") return ReadExecutors(node, out);
  return Unknown(section);
}

}  // namespace plinth::server
