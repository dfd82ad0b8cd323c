#include "plinth/exec/kubernetes_manifest.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace plinth::exec {
namespace {

constexpr int kMaxNameLength = 63;
constexpr int kMaxIdInName = 32;
// Finished Jobs stay this long for `kubectl describe`; Plinth itself keeps
// the outcome in the replica's folder after the first Poll that sees it.
constexpr int kFinishedJobTtlS = 3600;
constexpr char kContainerName[] = "main";

// Lower-case alphanumerics and '-', no '-' at either end, at most `max`.
std::string DnsLabelPart(absl::string_view text, size_t max) {
  std::string out;
  for (char c : text) {
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
               : '-';
  }
  out = out.substr(0, max);
  while (!out.empty() && out.front() == '-') out.erase(out.begin());
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// A label value: alphanumerics, '-', '_', '.', alphanumeric at both ends.
std::string LabelValue(absl::string_view text) {
  std::string out;
  for (char c : text) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += ok ? c : '-';
  }
  out = out.substr(0, kMaxNameLength);
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) {
    out.erase(out.begin());
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back()))) out.pop_back();
  return out;
}

// Labels that select the gang's pods (the Service's selector).
Json GangLabels(const LaunchSpec& spec) {
  return {{"plinth.dev/job-id", LabelValue(spec.job_id)},
          {"plinth.dev/attempt", absl::StrCat(spec.attempt)}};
}

Json ObjectLabels(const LaunchSpec& spec) {
  Json labels = GangLabels(spec);
  labels["plinth.dev/replica"] = absl::StrCat(spec.replica);
  if (!spec.team.empty()) labels["plinth.dev/team"] = LabelValue(spec.team);
  return labels;
}

// The container's environment: the job's, less what only makes sense on
// Plinth's own hosts. The device plugin picks the GPUs (and sets
// NVIDIA_VISIBLE_DEVICES), and every pod is its own network namespace.
Json ContainerEnv(const LaunchSpec& spec, const KubernetesManifestOptions& options,
                  const KubernetesNames& names) {
  std::map<std::string, std::string> env = spec.env;
  env.erase("CUDA_VISIBLE_DEVICES");
  env.erase("NVIDIA_VISIBLE_DEVICES");
  if (env.count("LOCAL_RANK")) env["LOCAL_RANK"] = "0";
  if (env.count("MASTER_ADDR")) env["MASTER_ADDR"] = names.master_host;
  if (!options.server_url.empty()) {
    for (const char* var : {"PLINTH_URL", "MLFLOW_TRACKING_URI"}) {
      if (env.count(var)) env[var] = options.server_url;
    }
  }
  Json out = Json::array();
  for (const auto& [name, value] : env) out.push_back({{"name", name}, {"value", value}});
  return out;
}

absl::StatusOr<Json> Resources(const LaunchSpec& spec) {
  double gpus = spec.gpus;
  if (auto fraction = spec.env.find("PLINTH_GPU_FRACTION"); fraction != spec.env.end()) {
    if (!absl::SimpleAtod(fraction->second, &gpus)) gpus = 0.5;  // a fraction, whatever it is
  }
  return KubernetesLimits(gpus, spec.mig_profile, spec.cpus, spec.memory_mib);
}

}  // namespace

absl::StatusOr<Json> KubernetesLimits(double gpus, const std::string& mig_profile, double cpus,
                                      int64_t memory_mib) {
  if (gpus > 0 && gpus < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Kubernetes hands out whole GPUs and MIG slices only; this job asks for ",
                     gpus, " of a GPU: ask for resources.gpus: 1 or a MIG profile, or run it ",
                     "with the local or slurm executor"));
  }
  if (gpus < 0) return absl::InvalidArgumentError("the GPU count must not be negative");
  Json limits = Json::object();
  if (gpus >= 1) limits["nvidia.com/gpu"] = static_cast<int64_t>(gpus);
  if (!mig_profile.empty()) {
    for (char c : mig_profile) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '+') {
        return absl::InvalidArgumentError(absl::StrCat(
            "'", mig_profile, "' is not a MIG profile name (like 1g.10gb or 3g.40gb)"));
      }
    }
    limits[absl::StrCat("nvidia.com/mig-", absl::AsciiStrToLower(mig_profile))] = 1;
  }
  if (cpus > 0) {
    limits["cpu"] = absl::StrCat(std::max<int64_t>(1, static_cast<int64_t>(cpus * 1000)), "m");
  }
  if (memory_mib > 0) limits["memory"] = absl::StrCat(memory_mib, "Mi");
  return limits;
}

absl::StatusOr<KubernetesNames> NamesFor(const LaunchSpec& spec, absl::string_view ns) {
  std::string id = DnsLabelPart(spec.job_id, kMaxIdInName);
  if (id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job id '", spec.job_id, "' has no character usable in a Kubernetes name"));
  }
  KubernetesNames names;
  names.service = absl::StrCat("plinth-", id, "-a", spec.attempt);
  names.job = absl::StrCat(names.service, "-r", spec.replica);
  if (names.job.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("Kubernetes name ", names.job, " is longer than 63 characters"));
  }
  names.master_host = absl::StrCat(names.service, "-r0.", names.service, ".", ns, ".svc");
  return names;
}

bool NeedsGangService(const LaunchSpec& spec) { return spec.env.count("MASTER_ADDR") > 0; }

absl::StatusOr<Json> RenderReplicaJob(const LaunchSpec& spec,
                                      const KubernetesManifestOptions& options) {
  if (spec.image.empty()) {
    return absl::InvalidArgumentError(
        "the job has no container image: add `image:` to its spec to run it with the kubernetes "
        "executor");
  }
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return absl::InvalidArgumentError("the job has no command: set `command:` in its spec");
  }
  absl::StatusOr<KubernetesNames> names = NamesFor(spec, options.ns);
  if (!names.ok()) return names.status();
  absl::StatusOr<Json> limits = Resources(spec);
  if (!limits.ok()) return limits.status();

  Json container = {{"name", kContainerName},
                    {"image", spec.image},
                    {"command", spec.argv},
                    {"env", ContainerEnv(spec, options, *names)}};
  if (!spec.working_dir.empty()) container["workingDir"] = spec.working_dir;
  if (!limits->empty()) container["resources"] = {{"limits", *limits}, {"requests", *limits}};
  if (auto port = spec.env.find("MASTER_PORT"); port != spec.env.end()) {
    int number = 0;
    if (absl::SimpleAtoi(port->second, &number) && number > 0 && number < 65536) {
      container["ports"] = Json::array({{{"name", "master"}, {"containerPort", number}}});
    }
  }
  Json pod_spec = {{"restartPolicy", "Never"},
                   {"terminationGracePeriodSeconds", options.termination_grace_s},
                   {"containers", Json::array({container})}};
  if (NeedsGangService(spec)) {
    pod_spec["hostname"] = names->job;
    pod_spec["subdomain"] = names->service;
  }
  Json pod_labels = ObjectLabels(spec);
  Json job_labels = pod_labels;
  // Kueue admits Jobs labelled with a LocalQueue name (see docs/jobs-execution.md).
  if (!spec.queue.empty()) job_labels["kueue.x-k8s.io/queue-name"] = DnsLabelPart(spec.queue, 63);
  Json job_spec = {{"parallelism", 1},
                   {"completions", 1},
                   {"backoffLimit", 0},
                   {"ttlSecondsAfterFinished", kFinishedJobTtlS},
                   {"template", {{"metadata", {{"labels", pod_labels}}}, {"spec", pod_spec}}}};
  if (spec.max_runtime_s > 0) job_spec["activeDeadlineSeconds"] = spec.max_runtime_s;
  Json metadata = {{"name", names->job}, {"namespace", options.ns}, {"labels", job_labels}};
  if (!spec.name.empty()) metadata["annotations"] = {{"plinth.dev/name", spec.name}};
  return Json{
      {"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", metadata}, {"spec", job_spec}};
}

Json RenderGangService(const LaunchSpec& spec, const KubernetesManifestOptions& options,
                       const std::string& owner_uid) {
  KubernetesNames names = NamesFor(spec, options.ns).value_or(KubernetesNames{});
  std::string owner = absl::StrCat(names.service, "-r0");
  Json metadata = {
      {"name", names.service},
      {"namespace", options.ns},
      {"labels", GangLabels(spec)},
      {"ownerReferences",
       Json::array(
           {{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", owner}, {"uid", owner_uid}}})}};
  int port = 23456;
  if (auto it = spec.env.find("MASTER_PORT"); it != spec.env.end()) {
    if (!absl::SimpleAtoi(it->second, &port) || port <= 0 || port > 65535) port = 23456;
  }
  // Headless, and publishing pods before they are ready: replica 0 must
  // resolve as soon as it runs (the pods have no readiness probe).
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", metadata},
              {"spec",
               {{"clusterIP", "None"},
                {"publishNotReadyAddresses", true},
                {"selector", GangLabels(spec)},
                {"ports", Json::array({{{"name", "master"}, {"port", port}}})}}}};
}

namespace {

int64_t IntAt(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

std::string StringAt(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// The Job condition of `type` that is True, or null.
const Json* TrueCondition(const Json& job, absl::string_view type) {
  if (!job.contains("status") || !job["status"].is_object()) return nullptr;
  const Json& status = job["status"];
  if (!status.contains("conditions") || !status["conditions"].is_array()) return nullptr;
  for (const Json& c : status["conditions"]) {
    if (StringAt(c, "type") == type && StringAt(c, "status") == "True") return &c;
  }
  return nullptr;
}

// The main container's terminated state in any of the pods (a non-zero
// exit preferred), or null.
const Json* TerminatedContainer(const Json& pods) {
  if (!pods.is_object() || !pods.contains("items") || !pods["items"].is_array()) return nullptr;
  const Json* found = nullptr;
  for (const Json& pod : pods["items"]) {
    if (!pod.contains("status") || !pod["status"].contains("containerStatuses")) continue;
    const Json& statuses = pod["status"]["containerStatuses"];
    if (!statuses.is_array()) continue;
    for (const Json& s : statuses) {
      if (StringAt(s, "name") != kContainerName || !s.contains("state")) continue;
      if (!s["state"].contains("terminated")) continue;
      const Json& t = s["state"]["terminated"];
      if (found == nullptr || IntAt(t, "exitCode") != 0) found = &t;
    }
  }
  return found;
}

}  // namespace

ReplicaStatus ReplicaStatusFromJob(const Json& job, const Json& pods) {
  ReplicaStatus out;
  const Json status = job.contains("status") ? job["status"] : Json::object();
  const Json* failed = TrueCondition(job, "Failed");
  if (failed == nullptr) failed = TrueCondition(job, "FailureTarget");
  if (TrueCondition(job, "Complete") != nullptr ||
      (failed == nullptr && IntAt(status, "succeeded") >= 1)) {
    out.state = ReplicaState::kSucceeded;
    out.message = "exited with code 0";
    return out;
  }
  if (failed != nullptr || IntAt(status, "failed") >= 1) {
    out.state = ReplicaState::kFailed;
    std::string reason = failed ? StringAt(*failed, "reason") : "";
    std::string detail = failed ? StringAt(*failed, "message") : "";
    const Json* terminated = TerminatedContainer(pods);
    if (terminated != nullptr && reason != "DeadlineExceeded") {
      out.exit_code = static_cast<int>(IntAt(*terminated, "exitCode"));
      out.term_signal = static_cast<int>(IntAt(*terminated, "signal"));
      std::string why = StringAt(*terminated, "reason");
      out.message = why == "OOMKilled" ? absl::StrCat("OOMKilled (exit code ", out.exit_code, ")")
                                       : absl::StrCat("exited with code ", out.exit_code);
      return out;
    }
    out.exit_code = 1;
    out.message = absl::StrCat("Kubernetes Job failed: ", reason.empty() ? "Failed" : reason);
    if (!detail.empty()) absl::StrAppend(&out.message, " (", detail, ")");
    return out;
  }
  out.state = ReplicaState::kRunning;
  const Json metadata = job.contains("metadata") ? job["metadata"] : Json::object();
  if (!StringAt(metadata, "deletionTimestamp").empty()) {
    out.message = "stopping (its Job is being deleted)";
  } else if (IntAt(status, "active") >= 1) {
    out.message = "running";
  } else if (job.contains("spec") && job["spec"].value("suspend", false)) {
    out.message = "suspended (waiting for admission, e.g. by Kueue)";
  } else {
    out.message = "pending";
  }
  return out;
}

std::string KubectlUnreachableLine(absl::string_view stderr_text) {
  for (absl::string_view line : absl::StrSplit(stderr_text, '\n')) {
    std::string lower = absl::AsciiStrToLower(line);
    for (absl::string_view marker :
         {"unable to connect to the server", "the connection to the server", "connection refused",
          "i/o timeout", "tls handshake timeout", "context deadline exceeded",
          "client.timeout exceeded", "no route to host",
          "the server is currently unable to handle the request", "(serviceunavailable)",
          "(timeout)", "(toomanyrequests)", "etcdserver: request timed out",
          "failed calling webhook", "http2: client connection lost"}) {
      if (absl::StrContains(lower, marker)) {
        return std::string(absl::StripAsciiWhitespace(line));
      }
    }
  }
  return "";
}

}  // namespace plinth::exec
