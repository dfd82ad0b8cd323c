#include "plinth/exec/kubernetes_executor.h"

#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "plinth/common/files.h"
#include "plinth/common/status_macros.h"

namespace plinth::exec {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kHandlePrefix = "k8s1|";
// Every Job and pod Plinth creates carries it (kubernetes_manifest.cc).
constexpr char kJobIdLabel[] = "plinth.dev/job-id";
constexpr char kJobFile[] = "k8s-job.json";
constexpr char kServiceFile[] = "k8s-service.json";
constexpr char kExitFile[] = "k8s-exit.json";
constexpr char kStopFile[] = "k8s-stop.json";
constexpr char kLogFile[] = "output.log";
// How stale output.log may get while the pod runs, and while it stops (its
// last lines vanish with the pod).
constexpr auto kLogRefreshRunning = std::chrono::seconds(10);
constexpr auto kLogRefreshStopping = std::chrono::seconds(2);

std::string SignalText(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", signal);
}

bool IsDnsLabel(absl::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool FoundInPath(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "", ':', absl::SkipEmpty())) {
    if (access(absl::StrCat(dir, "/", program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

bool IsNotFound(absl::string_view err) {
  return absl::StrContains(err, "(NotFound)") || absl::StrContains(err, "not found");
}

std::string LogDirFile(const std::string& log_dir, const char* name) {
  return absl::StrCat(log_dir, "/", name);
}

Json StatusToJson(const ReplicaStatus& s) {
  const char* state = s.state == ReplicaState::kSucceeded ? "succeeded"
                      : s.state == ReplicaState::kFailed  ? "failed"
                      : s.state == ReplicaState::kLost    ? "lost"
                                                          : "running";
  return {{"state", state},
          {"exit_code", s.exit_code},
          {"signal", s.term_signal},
          {"message", s.message}};
}

std::optional<ReplicaStatus> ReadExitRecord(const std::string& log_dir) {
  absl::StatusOr<std::string> text = ReadFile(LogDirFile(log_dir, kExitFile));
  if (!text.ok()) return std::nullopt;
  absl::StatusOr<Json> json = ParseJsonLenient(*text);
  if (!json.ok() || !json->is_object()) return std::nullopt;
  ReplicaStatus s;
  std::string state = json->value("state", "");
  if (state == "succeeded") {
    s.state = ReplicaState::kSucceeded;
  } else if (state == "failed") {
    s.state = ReplicaState::kFailed;
  } else {
    return std::nullopt;
  }
  s.exit_code = json->value("exit_code", 0);
  s.term_signal = json->value("signal", 0);
  s.message = json->value("message", "");
  return s;
}

// The signal Plinth stopped the replica with (k8s-stop.json), or 0.
int StopSignal(const std::string& log_dir) {
  absl::StatusOr<std::string> text = ReadFile(LogDirFile(log_dir, kStopFile));
  if (!text.ok()) return 0;
  absl::StatusOr<Json> json = ParseJsonLenient(*text);
  return json.ok() && json->is_object() ? json->value("signal", 0) : 0;
}

bool LogOlderThan(const std::string& log_dir, std::chrono::seconds age) {
  std::error_code ec;
  fs::file_time_type written = fs::last_write_time(LogDirFile(log_dir, kLogFile), ec);
  return ec || fs::file_time_type::clock::now() - written >= age;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KubernetesExecutor>> KubernetesExecutor::Create(
    KubernetesOptions options) {
  if (options.command_timeout_s <= 0) {
    return absl::InvalidArgumentError(
        "executors.kubernetes.command_timeout_s: must be a positive number of seconds");
  }
  if (options.termination_grace_s < 0) {
    return absl::InvalidArgumentError(
        "executors.kubernetes.termination_grace_s: must be 0 or more seconds");
  }
  if (!IsDnsLabel(options.ns)) {
    return absl::InvalidArgumentError(
        absl::StrCat("executors.kubernetes.namespace: '", options.ns,
                     "' is not a namespace name (lower-case letters, digits and '-', at most 63)"));
  }
  if (!options.server_url.empty() && !absl::StartsWith(options.server_url, "http://") &&
      !absl::StartsWith(options.server_url, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat("executors.kubernetes.server_url: '",
                                                   options.server_url,
                                                   "' must start with http:// or https://"));
  }
  for (const auto& [name, value] : options.env) {
    if (name.empty() || name.find_first_of("=\0", 0, 2) != std::string::npos ||
        value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("executors.kubernetes.env: invalid variable name '", name, "'"));
    }
  }
  if (options.kubectl.empty()) options.kubectl = "kubectl";
  if (!FoundInPath(options.kubectl)) {
    return absl::InvalidArgumentError(
        absl::StrCat(options.kubectl,
                     options.kubectl.find('/') == std::string::npos ? " not found in PATH"
                                                                    : " is not executable",
                     ": install kubectl or set executors.kubernetes.kubectl to its path"));
  }
  return std::unique_ptr<KubernetesExecutor>(new KubernetesExecutor(std::move(options)));
}

std::string KubernetesExecutor::FormatHandle(const Handle& handle) {
  return absl::StrCat(kHandlePrefix, handle.ns, "|", handle.job, "|", handle.log_dir);
}

absl::StatusOr<KubernetesExecutor::Handle> KubernetesExecutor::ParseHandle(
    const std::string& handle) {
  absl::string_view rest = handle;
  if (absl::ConsumePrefix(&rest, kHandlePrefix)) {
    std::vector<std::string> parts = absl::StrSplit(rest, absl::MaxSplits('|', 2));
    if (parts.size() == 3 && IsDnsLabel(parts[0]) && IsDnsLabel(parts[1]) &&
        absl::StartsWith(parts[2], "/")) {
      return Handle{parts[0], parts[1], parts[2]};
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("not a Kubernetes replica handle (want k8s1|<namespace>|<job>|<log folder>): '",
                   handle, "'"));
}

absl::StatusOr<CommandResult> KubernetesExecutor::Kubectl(
    const std::string& ns, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {options_.kubectl};
  if (!options_.kubeconfig.empty()) argv.push_back("--kubeconfig=" + options_.kubeconfig);
  if (!options_.context.empty()) argv.push_back("--context=" + options_.context);
  argv.push_back("--namespace=" + ns);
  argv.push_back(absl::StrCat("--request-timeout=", options_.command_timeout_s, "s"));
  argv.insert(argv.end(), args.begin(), args.end());
  // A little longer than --request-timeout, so kubectl can say what timed out.
  absl::StatusOr<CommandResult> result =
      RunCommand(argv, options_.env, absl::Seconds(options_.command_timeout_s + 2));
  if (!result.ok()) return result.status();
  if (result->timed_out) {
    return absl::UnavailableError(absl::StrCat("kubectl ", args.empty() ? "" : args[0],
                                               " did not answer within ",
                                               options_.command_timeout_s + 2, " s"));
  }
  if (result->exit_code != 0) {
    if (std::string line = KubectlUnreachableLine(result->err); !line.empty()) {
      return absl::UnavailableError(absl::StrCat("Kubernetes API server: ", line));
    }
  }
  return result;
}

absl::StatusOr<Json> KubernetesExecutor::Apply(const std::string& ns, const std::string& file,
                                               const Json& manifest) const {
  if (absl::Status written = WriteFileAtomic(file, manifest.dump(2) + "\n"); !written.ok()) {
    return written;
  }
  absl::StatusOr<CommandResult> run = Kubectl(ns, {"apply", "-f", file, "-o", "json"});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Kubernetes rejected the ", manifest.value("kind", "object"), ": ", ErrorLine(run->err)));
  }
  absl::StatusOr<Json> applied = ParseJsonLenient(run->out);
  if (!applied.ok() || !applied->is_object()) {
    return absl::InternalError(
        absl::StrCat("kubectl apply printed no object: '", run->out.substr(0, 200), "'"));
  }
  return applied;
}

absl::StatusOr<std::string> KubernetesExecutor::Launch(const LaunchSpec& spec) {
  KubernetesManifestOptions manifest_options{options_.ns, options_.termination_grace_s,
                                             options_.server_url};
  absl::StatusOr<Json> job = RenderReplicaJob(spec, manifest_options);
  if (!job.ok()) return job.status();
  if (!absl::StartsWith(spec.log_dir, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("the log folder must be an absolute path: '", spec.log_dir, "'"));
  }
  std::error_code ec;
  fs::create_directories(spec.log_dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot create log folder ", spec.log_dir, ": ", ec.message()));
  }
  // A retry in the same folder must not read the previous attempt's outcome.
  fs::remove(LogDirFile(spec.log_dir, kExitFile), ec);
  fs::remove(LogDirFile(spec.log_dir, kStopFile), ec);
  Handle handle{options_.ns, (*job)["metadata"]["name"].get<std::string>(), spec.log_dir};

  absl::StatusOr<Json> applied = Apply(options_.ns, LogDirFile(spec.log_dir, kJobFile), *job);
  if (!applied.ok()) return applied.status();
  if (spec.replica == 0 && NeedsGangService(spec)) {
    std::string uid;
    if ((*applied)["metadata"].is_object()) uid = (*applied)["metadata"].value("uid", "");
    absl::Status service = uid.empty()
                               ? absl::InternalError("kubectl apply returned the Job without a uid")
                               : Apply(options_.ns, LogDirFile(spec.log_dir, kServiceFile),
                                       RenderGangService(spec, manifest_options, uid))
                                     .status();
    if (!service.ok()) {
      // The caller gets no handle for this replica, so nothing else would delete its Job.
      (void)Kill(FormatHandle(handle));
      return service;
    }
  }
  return FormatHandle(handle);
}

void KubernetesExecutor::CopyLogs(const Handle& h) const {
  absl::StatusOr<CommandResult> run =
      Kubectl(h.ns, {"logs", absl::StrCat("job/", h.job), "-c", "main"});
  if (!run.ok() || run->exit_code != 0) return;
  std::string text = std::move(run->out);
  if (text.size() >= kMaxCommandOutput) {
    absl::StrAppend(&text, "\n[plinth: log truncated at ", kMaxCommandOutput >> 20,
                    " MiB; see kubectl logs job/", h.job, "]\n");
  }
  (void)WriteFileAtomic(LogDirFile(h.log_dir, kLogFile), text);
}

absl::StatusOr<ReplicaStatus> KubernetesExecutor::Poll(const std::string& handle) {
  absl::StatusOr<Handle> h = ParseHandle(handle);
  if (!h.ok()) return h.status();
  if (std::optional<ReplicaStatus> recorded = ReadExitRecord(h->log_dir)) return *recorded;

  absl::StatusOr<CommandResult> run = Kubectl(h->ns, {"get", "job", h->job, "-o", "json"});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    if (!IsNotFound(run->err)) {
      return absl::InternalError(
          absl::StrCat("kubectl get job ", h->job, " failed: ", ErrorLine(run->err)));
    }
    return StatusOf(*h, nullptr);
  }
  absl::StatusOr<Json> job = ParseJsonLenient(run->out);
  if (!job.ok() || !job->is_object()) {
    return absl::InternalError(absl::StrCat("kubectl get job ", h->job, " printed no Job"));
  }
  return StatusOf(*h, &*job);
}

std::map<std::string, absl::StatusOr<ReplicaStatus>> KubernetesExecutor::PollAll(
    const std::vector<std::string>& handles) {
  std::map<std::string, absl::StatusOr<ReplicaStatus>> out;
  std::map<std::string, std::vector<std::pair<std::string, Handle>>> by_ns;  // still to ask
  for (const std::string& handle : handles) {
    absl::StatusOr<Handle> h = ParseHandle(handle);
    if (!h.ok()) {
      out.emplace(handle, h.status());
    } else if (std::optional<ReplicaStatus> recorded = ReadExitRecord(h->log_dir)) {
      out.emplace(handle, *recorded);
    } else {
      by_ns[h->ns].emplace_back(handle, *h);
    }
  }
  for (const auto& [ns, wanted] : by_ns) {
    // Every Job Plinth made in the namespace, in one request.
    absl::StatusOr<CommandResult> run =
        Kubectl(ns, {"get", "jobs", "-l", kJobIdLabel, "-o", "json"});
    absl::Status failed;
    absl::StatusOr<Json> list;
    if (!run.ok()) {
      failed = run.status();
    } else if (run->exit_code != 0) {
      failed = absl::InternalError(
          absl::StrCat("kubectl get jobs -l ", kJobIdLabel, " failed: ", ErrorLine(run->err)));
    } else {
      list = ParseJsonLenient(run->out);
      if (!list.ok() || !list->is_object() || !list->contains("items") ||
          !(*list)["items"].is_array()) {
        failed = absl::InternalError(
            absl::StrCat("kubectl get jobs -l ", kJobIdLabel, " printed no list"));
      }
    }
    if (!failed.ok()) {
      for (const auto& [handle, h] : wanted) out.emplace(handle, failed);
      continue;
    }
    std::map<std::string, const Json*> jobs;
    for (const Json& item : (*list)["items"]) {
      if (item.is_object() && item.contains("metadata") && item["metadata"].contains("name") &&
          item["metadata"]["name"].is_string()) {
        jobs[item["metadata"]["name"].get<std::string>()] = &item;
      }
    }
    for (const auto& [handle, h] : wanted) {
      auto found = jobs.find(h.job);
      out.emplace(handle, StatusOf(h, found == jobs.end() ? nullptr : found->second));
    }
  }
  return out;
}

absl::StatusOr<ReplicaStatus> KubernetesExecutor::StatusOf(const Handle& h, const Json* job) const {
  ReplicaStatus status;
  if (job == nullptr) {
    int stopped_by = StopSignal(h.log_dir);
    if (stopped_by == 0) {
      status.state = ReplicaState::kLost;
      status.message = absl::StrCat("its Kubernetes Job ", h.ns, "/", h.job,
                                    " is gone (deleted outside Plinth?)");
      return status;
    }
    status.state = ReplicaState::kFailed;
    status.term_signal = stopped_by;
    status.exit_code = 128 + stopped_by;
    status.message = absl::StrCat("killed by ", SignalText(stopped_by));
  } else {
    status = ReplicaStatusFromJob(*job, Json());
    if (status.state == ReplicaState::kFailed) {
      absl::StatusOr<CommandResult> listed =
          Kubectl(h.ns, {"get", "pods", "-l", absl::StrCat("job-name=", h.job), "-o", "json"});
      if (listed.ok() && listed->exit_code == 0) {
        absl::StatusOr<Json> parsed = ParseJsonLenient(listed->out);
        if (parsed.ok()) status = ReplicaStatusFromJob(*job, *parsed);
      }
    }
    if (status.state == ReplicaState::kRunning) {
      bool stopping = absl::StartsWith(status.message, "stopping");
      if (status.message != "pending" &&
          LogOlderThan(h.log_dir, stopping ? kLogRefreshStopping : kLogRefreshRunning)) {
        CopyLogs(h);
      }
      return status;
    }
    CopyLogs(h);
  }
  // Remembered, so the outcome survives the Job's deletion (its TTL, Kill).
  (void)WriteFileAtomic(LogDirFile(h.log_dir, kExitFile), StatusToJson(status).dump() + "\n");
  return status;
}

absl::Status KubernetesExecutor::DeleteJob(const Handle& h,
                                           const std::vector<std::string>& flags) const {
  std::vector<std::string> args = {"delete", "job", h.job, "--ignore-not-found", "--wait=false"};
  args.insert(args.end(), flags.begin(), flags.end());
  absl::StatusOr<CommandResult> run = Kubectl(h.ns, args);
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("kubectl delete job ", h.job, " failed: ", ErrorLine(run->err)));
  }
  return absl::OkStatus();
}

absl::Status KubernetesExecutor::Signal(const std::string& handle, int signal) {
  absl::StatusOr<Handle> h = ParseHandle(handle);
  if (!h.ok()) return h.status();
  if (signal <= 0 || signal >= NSIG) {
    return absl::InvalidArgumentError(absl::StrCat("not a signal number: ", signal));
  }
  if (signal == SIGKILL) return Kill(handle);
  if (ReadExitRecord(h->log_dir).has_value()) return absl::OkStatus();
  if (signal == SIGTERM) {
    // Kubernetes' own stop: SIGTERM now, SIGKILL after the pod's grace
    // period. Foreground cascade keeps the Job (and Poll's view of it) until
    // the pod is gone.
    RETURN_IF_ERROR(WriteFileAtomic(LogDirFile(h->log_dir, kStopFile),
                                    Json{{"signal", SIGTERM}}.dump() + "\n"));
    return DeleteJob(*h, {"--cascade=foreground",
                          absl::StrCat("--grace-period=", options_.termination_grace_s)});
  }
  absl::StatusOr<CommandResult> run = Kubectl(
      h->ns, {"exec", absl::StrCat("job/", h->job), "-c", "main",
              absl::StrCat(
                  "--pod-running-timeout=", std::clamp(options_.command_timeout_s / 2, 1, 5), "s"),
              "--", "sh", "-c", absl::StrCat("kill -", signal, " 1")});
  if (!run.ok()) return run.status();
  if (run->exit_code == 0) return absl::OkStatus();
  // Not started yet, or already ended: nothing to signal.
  for (absl::string_view gone :
       {"(NotFound)", "container not found", "pod does not exist", "does not have a host assigned",
        "completed pod", "is not running", "timed out waiting for the condition"}) {
    if (absl::StrContains(run->err, gone)) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot send ", SignalText(signal), " to ", h->job, ": ", ErrorLine(run->err)));
}

absl::Status KubernetesExecutor::Kill(const std::string& handle) {
  absl::StatusOr<Handle> h = ParseHandle(handle);
  if (!h.ok()) return h.status();
  if (!ReadExitRecord(h->log_dir).has_value()) {
    (void)WriteFileAtomic(LogDirFile(h->log_dir, kStopFile),
                          Json{{"signal", SIGKILL}}.dump() + "\n");
  }
  // The Job first, so that its controller does not replace the pods.
  RETURN_IF_ERROR(DeleteJob(*h, {"--cascade=background"}));
  absl::StatusOr<CommandResult> run =
      Kubectl(h->ns, {"delete", "pods", "-l", absl::StrCat("job-name=", h->job),
                      "--ignore-not-found", "--wait=false", "--grace-period=0", "--force"});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("kubectl delete pods of ", h->job, " failed: ", ErrorLine(run->err)));
  }
  return absl::OkStatus();
}

absl::Status KubernetesExecutor::Abandon(const std::string& log_dir) {
  // Launch writes the Job it applies to k8s-job.json first.
  absl::StatusOr<std::string> text = ReadFile(LogDirFile(log_dir, kJobFile));
  if (!text.ok()) return absl::OkStatus();
  absl::StatusOr<Json> job = ParseJsonLenient(*text);
  if (!job.ok() || !(*job)["metadata"].is_object() || !(*job)["metadata"]["name"].is_string()) {
    return absl::OkStatus();  // not a Job this executor applied
  }
  // The namespace it was applied in, even if the configuration changed since.
  std::string ns = (*job)["metadata"].value("namespace", options_.ns);
  return Kill(FormatHandle({ns, (*job)["metadata"]["name"].get<std::string>(), log_dir}));
}

}  // namespace plinth::exec
