// The `kubernetes` executor: runs each replica as a batch/v1 Job (see
// kubernetes_manifest.h for what is created) through the `kubectl` binary,
// so it works with whatever kubeconfig, context and auth plugins the
// operator already uses.
//
// The replica's folder (log_dir, on the server's machine) holds what was
// applied (k8s-job.json, k8s-service.json), the pod's log copied back
// (output.log), why Plinth stopped it (k8s-stop.json) and, once Poll has
// seen it end, its outcome (k8s-exit.json), so a finished replica is known
// after its Job is gone. Thread-safe: no state between calls.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/exec/executor.h"
#include "plinth/exec/kubernetes_manifest.h"
#include "plinth/exec/slurm_cli.h"

namespace plinth::exec {

struct KubernetesOptions {
  std::string kubectl = "kubectl";         // path, or a name looked up in PATH
  std::string kubeconfig;                  // empty: kubectl's default (KUBECONFIG, ~/.kube/config)
  std::string context;                     // empty: the kubeconfig's current context
  std::string ns = "default";              // namespace of the Jobs and Services
  int command_timeout_s = 30;              // per kubectl command; past it: Unavailable
  int termination_grace_s = 30;            // pods' grace between SIGTERM and SIGKILL
  std::string server_url;                  // set: PLINTH_URL / MLFLOW_TRACKING_URI pods use
  std::map<std::string, std::string> env;  // for kubectl, e.g. KUBECONFIG, HTTPS_PROXY
};

class KubernetesExecutor final : public Executor {
 public:
  // InvalidArgument when kubectl is not found or an option is invalid. Does
  // not contact the cluster (it may be down when the server starts).
  static absl::StatusOr<std::unique_ptr<KubernetesExecutor>> Create(KubernetesOptions options);

  std::string Name() const override { return "kubernetes"; }
  // Applies the replica's Job (and, for replica 0 of a distributed job, the
  // gang's Service). InvalidArgument for a spec Kubernetes cannot run (no
  // image, a fractional GPU) or one the API server rejects (its line says
  // why); Unavailable when the API server cannot be reached.
  absl::StatusOr<std::string> Launch(const LaunchSpec& spec) override;
  // From the Job's status: kRunning while pending, suspended or running;
  // kSucceeded / kFailed (the container's exit code, or exit code 1 and the
  // condition's reason such as DeadlineExceeded); a Job deleted by Signal or
  // Kill is kFailed "killed by SIGTERM/SIGKILL"; one deleted by anyone else
  // is kLost. Copies the pod's log into log_dir/output.log (every 10 s while
  // it runs, and when it ends). Unavailable when the API server is down.
  absl::StatusOr<ReplicaStatus> Poll(const std::string& handle) override;
  // The same for many replicas, with one `kubectl get jobs -l
  // plinth.dev/job-id` per namespace (replicas whose outcome is recorded
  // need none): following N jobs costs one API request a tick, not N. A
  // failed replica's pods and a running one's log still take a call each.
  std::map<std::string, absl::StatusOr<ReplicaStatus>> PollAll(
      const std::vector<std::string>& handles) override;
  // SIGTERM deletes the Job (foreground cascade): Kubernetes sends SIGTERM
  // and SIGKILL after the pod's grace period. Other signals run
  // `sh -c 'kill -N 1'` in the container, so the image needs a shell and the
  // command (PID 1) must handle the signal. A no-op for a replica whose pod
  // is not running.
  absl::Status Signal(const std::string& handle, int signal) override;
  // Deletes the Job and force-deletes its pods (grace 0). Idempotent.
  absl::Status Kill(const std::string& handle) override;
  absl::Status Abandon(const std::string& log_dir) override;

  // Handles are "k8s1|<namespace>|<Job name>|<absolute log folder>".
  struct Handle {
    std::string ns;
    std::string job;
    std::string log_dir;
  };
  static std::string FormatHandle(const Handle& handle);
  static absl::StatusOr<Handle> ParseHandle(const std::string& handle);

 private:
  explicit KubernetesExecutor(KubernetesOptions options) : options_(std::move(options)) {}

  // Runs kubectl with the global flags in namespace `ns`. Unavailable when it
  // times out or its stderr says the API server is unreachable; any other
  // failure is a result for the caller to interpret.
  absl::StatusOr<CommandResult> Kubectl(const std::string& ns,
                                        const std::vector<std::string>& args) const;
  // Writes `manifest` to `file` and applies it; the applied object.
  absl::StatusOr<Json> Apply(const std::string& ns, const std::string& file,
                             const Json& manifest) const;
  // A replica's state from its Job (null: no such Job), with what Poll does
  // beside: a failed Job's pods for the exit code, the log copied back,
  // the outcome recorded once it is known.
  absl::StatusOr<ReplicaStatus> StatusOf(const Handle& h, const Json* job) const;
  // Copies the pod's log to log_dir/output.log; best effort.
  void CopyLogs(const Handle& h) const;
  absl::Status DeleteJob(const Handle& h, const std::vector<std::string>& flags) const;

  const KubernetesOptions options_;
};

}  // namespace plinth::exec
