#include "plinth/jobs/job_spec.h"

#include <cctype>
#include <cmath>
#include <csignal>

#include "absl/strings/str_cat.h"
#include "plinth/common/status_macros.h"
#include "plinth/common/text.h"
#include "plinth/gpu/mig_profiles.h"
#include "plinth/jobs/pytorchjob.h"
#include "plinth/jobs/quantity.h"
#include "plinth/jobs/spec_reader.h"

namespace plinth::jobs {
namespace {

constexpr int kMaxReplicas = 1024;

// Variables Plinth sets itself; a spec may not override them.
const char* const kReservedEnv[] = {"PLINTH_URL",
                                    "PLINTH_JOB_ID",
                                    "PLINTH_REPLICA",
                                    "PLINTH_JOB_NAME",
                                    "PLINTH_ATTEMPT",
                                    "PLINTH_GPU_FRACTION",
                                    "MLFLOW_TRACKING_URI",
                                    "MLFLOW_RUN_ID",
                                    "CUDA_VISIBLE_DEVICES",
                                    "NVIDIA_VISIBLE_DEVICES",
                                    "MASTER_ADDR",
                                    "MASTER_PORT",
                                    "WORLD_SIZE",
                                    "RANK",
                                    "LOCAL_RANK"};

absl::Status CheckName(const std::string& path, const std::string& name, bool allow_empty) {
  if (name.empty() && allow_empty) return absl::OkStatus();
  // [A-Za-z0-9][A-Za-z0-9._-]{0,127}, checked by hand: this runs per submission.
  bool valid =
      !name.empty() && name.size() <= 128 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    valid =
        valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": '", name, "' is not a valid name; use 1-128 letters, digits, '.', '_' or '-'"));
  }
  return absl::OkStatus();
}

absl::Status ParseResources(SpecReader& r, sched::Resources& out) {
  ASSIGN_OR_RETURN(std::optional<double> gpus, r.Number("gpus"));
  if (gpus) {
    out.gpus = *gpus;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> model, r.String("gpu_model"));
  if (model) out.gpu_model = *model;
  ASSIGN_OR_RETURN(std::optional<std::string> mig, r.String("mig_profile"));
  if (mig) out.mig_profile = *mig;
  if (const Json* cpus = r.Get("cpus")) {
    absl::StatusOr<double> parsed = ParseCpus(*cpus);
    if (!parsed.ok()) return r.Error("cpus", std::string(parsed.status().message()));
    out.cpus = *parsed;
  }
  if (const Json* memory = r.Get("memory")) {
    absl::StatusOr<int64_t> parsed = ParseMemoryMib(*memory);
    if (!parsed.ok()) return r.Error("memory", std::string(parsed.status().message()));
    out.memory_mib = *parsed;
  }
  return r.CheckNoUnknown();
}

absl::Status ParseDuration(SpecReader& r, const std::string& key, int64_t& out) {
  const Json* v = r.Get(key);
  if (!v) return absl::OkStatus();
  absl::StatusOr<int64_t> seconds = ParseDurationSeconds(*v);
  if (!seconds.ok()) return r.Error(key, std::string(seconds.status().message()));
  out = *seconds;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<int> SignalNumber(const std::string& name) {
  static const std::map<std::string, int> kSignals = {{"SIGTERM", SIGTERM},
                                                      {"SIGINT", SIGINT},
                                                      {"SIGUSR1", SIGUSR1},
                                                      {"SIGUSR2", SIGUSR2},
                                                      {"SIGHUP", SIGHUP}};
  std::string full = name.rfind("SIG", 0) == 0 ? name : "SIG" + name;
  auto it = kSignals.find(full);
  if (it == kSignals.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", name,
        "' is not a checkpoint signal; use SIGTERM, SIGINT, SIGUSR1, SIGUSR2 or SIGHUP"));
  }
  return it->second;
}

absl::Status ValidateResources(const sched::Resources& r) {
  if (r.gpus < 0 || (r.gpus > 1 && r.gpus != std::floor(r.gpus)) || r.gpus > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("resources.gpus: ", r.gpus,
                     " is not a valid GPU count; use a fraction below 1 (e.g. 0.5) or a whole "
                     "number up to 64"));
  }
  if (!r.mig_profile.empty()) {
    absl::StatusOr<gpu::MigProfile> profile = gpu::FindMigProfile(r.mig_profile);
    if (!profile.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("resources.mig_profile: ", profile.status().message()));
    }
    if (r.gpus != 0) {
      return absl::InvalidArgumentError(
          "resources.mig_profile: a replica asks for either gpus or one MIG slice, not both");
    }
  }
  if (r.cpus < 0 || r.memory_mib < 0) {
    return absl::InvalidArgumentError("resources: cpus and memory must not be negative");
  }
  return absl::OkStatus();
}

absl::Status ValidateJobSpec(const JobSpec& spec) {
  RETURN_IF_ERROR(ValidateResources(spec.resources));
  RETURN_IF_ERROR(CheckName("name", spec.name, false));
  RETURN_IF_ERROR(CheckName("team", spec.team, true));
  RETURN_IF_ERROR(CheckName("queue", spec.queue, true));
  RETURN_IF_ERROR(CheckName("priority_class", spec.priority_class, true));
  if (spec.command.empty() || spec.command[0].empty()) {
    return absl::InvalidArgumentError("command: give the program to run, e.g. [python, train.py]");
  }
  // exec() takes NUL-terminated strings: a NUL would cut the value short
  // (or fail at launch with a misleading message), so refuse it here.
  auto has_nul = [](const std::string& v) { return v.find('\0') != std::string::npos; };
  for (size_t i = 0; i < spec.command.size(); ++i) {
    if (has_nul(spec.command[i])) {
      return absl::InvalidArgumentError(absl::StrCat("command[", i, "]: contains a NUL byte"));
    }
  }
  if (has_nul(spec.working_dir)) {
    return absl::InvalidArgumentError("working_dir: contains a NUL byte");
  }
  for (size_t i = 0; i < spec.args.size(); ++i) {
    if (has_nul(spec.args[i])) {
      return absl::InvalidArgumentError(absl::StrCat("args[", i, "]: contains a NUL byte"));
    }
  }
  if (spec.replicas < 1 || spec.replicas > kMaxReplicas) {
    return absl::InvalidArgumentError(
        absl::StrCat("replicas: ", spec.replicas, " is not valid; use 1 to ", kMaxReplicas));
  }
  for (const auto& [key, value] : spec.env) {
    bool valid = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0]));
    for (char c : key) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat(
          "env.", Abbreviate(key), ": not a valid variable name (letters, digits, '_')"));
    }
    if (has_nul(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("env.", key, ": the value contains a NUL byte"));
    }
    for (const char* reserved : kReservedEnv) {
      if (key == reserved) {
        return absl::InvalidArgumentError(
            absl::StrCat("env.", key, ": set by Plinth for every job; remove it from the spec"));
      }
    }
  }
  if (!spec.executor.empty() && spec.executor != "local" && spec.executor != "slurm" &&
      spec.executor != "kubernetes") {
    return absl::InvalidArgumentError(absl::StrCat(
        "executor: '", spec.executor, "' is not an executor; use local, slurm or kubernetes"));
  }
  if (spec.master_port < 0 || spec.master_port > 65535) {
    return absl::InvalidArgumentError("master_port: use a port from 1 to 65535");
  }
  return SignalNumber(spec.checkpoint_signal).status();
}

absl::StatusOr<JobSpec> ParseNativeSpec(const Json& json) {
  ASSIGN_OR_RETURN(SpecReader r, SpecReader::Make(json, ""));
  JobSpec spec;
  ASSIGN_OR_RETURN(std::optional<std::string> name, r.String("name"));
  spec.name = name.value_or("job");
  ASSIGN_OR_RETURN(std::optional<std::string> team, r.String("team"));
  spec.team = team.value_or("");
  ASSIGN_OR_RETURN(std::optional<std::string> queue, r.String("queue"));
  spec.queue = queue.value_or("");
  ASSIGN_OR_RETURN(std::optional<std::string> priority, r.String("priority_class"));
  spec.priority_class = priority.value_or("");
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> command, r.StringList("command"));
  if (command) spec.command = *command;
  ASSIGN_OR_RETURN(std::optional<std::vector<std::string>> args, r.StringList("args"));
  if (args) spec.args = *args;
  ASSIGN_OR_RETURN(auto env, r.StringMap("env"));
  if (env) spec.env = *env;
  ASSIGN_OR_RETURN(auto labels, r.StringMap("labels"));
  if (labels) spec.labels = *labels;
  ASSIGN_OR_RETURN(std::optional<std::string> dir, r.String("working_dir"));
  spec.working_dir = dir.value_or("");
  ASSIGN_OR_RETURN(std::optional<int64_t> replicas, r.Int("replicas", INT32_MIN, INT32_MAX));
  if (replicas) spec.replicas = static_cast<int>(*replicas);
  if (const Json* resources = r.Get("resources")) {
    ASSIGN_OR_RETURN(SpecReader rr, SpecReader::Make(*resources, "resources"));
    RETURN_IF_ERROR(ParseResources(rr, spec.resources));
  }
  RETURN_IF_ERROR(ParseDuration(r, "max_runtime", spec.max_runtime_s));
  if (const Json* retries = r.Get("retries"); retries && retries->is_object()) {
    ASSIGN_OR_RETURN(SpecReader rr, SpecReader::Make(*retries, "retries"));
    ASSIGN_OR_RETURN(std::optional<int64_t> limit, rr.Int("limit", 0, 100));
    spec.retries = static_cast<int>(limit.value_or(0));
    RETURN_IF_ERROR(ParseDuration(rr, "backoff", spec.retry_backoff_s));
    RETURN_IF_ERROR(rr.CheckNoUnknown());
  } else {
    ASSIGN_OR_RETURN(std::optional<int64_t> limit, r.Int("retries", 0, 100));
    spec.retries = static_cast<int>(limit.value_or(0));
  }
  ASSIGN_OR_RETURN(std::optional<bool> preemptible, r.Bool("preemptible"));
  spec.preemptible = preemptible.value_or(false);
  if (const Json* checkpoint = r.Get("checkpoint")) {
    ASSIGN_OR_RETURN(SpecReader rr, SpecReader::Make(*checkpoint, "checkpoint"));
    ASSIGN_OR_RETURN(std::optional<std::string> signal, rr.String("signal"));
    if (signal) spec.checkpoint_signal = *signal;
    RETURN_IF_ERROR(ParseDuration(rr, "grace_period", spec.grace_period_s));
    RETURN_IF_ERROR(rr.CheckNoUnknown());
  }
  ASSIGN_OR_RETURN(std::optional<std::string> executor, r.String("executor"));
  spec.executor = executor.value_or("");
  ASSIGN_OR_RETURN(std::optional<std::string> image, r.String("image"));
  spec.image = image.value_or("");
  ASSIGN_OR_RETURN(std::optional<std::string> distributed, r.String("distributed"));
  if (distributed) {
    if (*distributed != "pytorch") {
      return r.Error("distributed", "only \"pytorch\" (the PyTorchJob environment) is supported");
    }
    spec.pytorch = true;
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> port, r.Int("master_port", 1, 65535));
  spec.master_port = static_cast<int>(port.value_or(0));
  RETURN_IF_ERROR(r.CheckNoUnknown());
  RETURN_IF_ERROR(ValidateJobSpec(spec));
  if (spec.checkpoint_signal.rfind("SIG", 0) != 0)
    spec.checkpoint_signal = "SIG" + spec.checkpoint_signal;
  return spec;
}

absl::StatusOr<JobSpec> ParseJobSpec(const Json& json) {
  if (json.is_object() && json.contains("kind")) {
    if (json["kind"] == "PyTorchJob") {
      ASSIGN_OR_RETURN(JobSpec spec, ParsePyTorchJob(json));
      RETURN_IF_ERROR(ValidateJobSpec(spec));
      return spec;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "kind: ", ShowJson(json["kind"]),
        " is not supported; submit a native job spec (no kind) or a Kubeflow PyTorchJob"));
  }
  return ParseNativeSpec(json);
}

Json JobSpecToJson(const JobSpec& spec) {
  Json resources = Json::object();
  const sched::Resources& r = spec.resources;
  if (r.gpus > 0) resources["gpus"] = r.gpus;
  if (!r.gpu_model.empty()) resources["gpu_model"] = r.gpu_model;
  if (!r.mig_profile.empty()) resources["mig_profile"] = r.mig_profile;
  if (r.cpus > 0) resources["cpus"] = r.cpus;
  if (r.memory_mib > 0) resources["memory"] = absl::StrCat(r.memory_mib, "Mi");
  Json out = {
      {"name", spec.name},
      {"team", spec.team},
      {"queue", spec.queue},
      {"priority_class", spec.priority_class},
      {"command", spec.command},
      {"args", spec.args},
      {"env", spec.env},
      {"replicas", spec.replicas},
      {"resources", resources},
      {"max_runtime", spec.max_runtime_s},
      {"retries", {{"limit", spec.retries}, {"backoff", spec.retry_backoff_s}}},
      {"preemptible", spec.preemptible},
      {"checkpoint", {{"signal", spec.checkpoint_signal}, {"grace_period", spec.grace_period_s}}}};
  if (!spec.working_dir.empty()) out["working_dir"] = spec.working_dir;
  if (!spec.executor.empty()) out["executor"] = spec.executor;
  if (!spec.image.empty()) out["image"] = spec.image;
  if (!spec.labels.empty()) out["labels"] = spec.labels;
  if (spec.pytorch) out["distributed"] = "pytorch";
  if (spec.master_port > 0) out["master_port"] = spec.master_port;
  return out;
}

}  // namespace plinth::jobs
