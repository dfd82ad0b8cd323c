// What the `kubernetes` executor asks a cluster for, and how it reads the
// answer back. Pure functions over JSON; kubernetes_executor.h runs kubectl.
//
// Each replica is one batch/v1 Job (parallelism 1, completions 1,
// backoffLimit 0: Plinth does retries and gang restarts itself) named
// plinth-<job id>-a<attempt>-r<replica>. A distributed job (its env has
// MASTER_ADDR) also gets a headless Service, plinth-<job id>-a<attempt>,
// owned by replica 0's Job, so that replica 0's pod is reachable at
// <replica 0's Job name>.<service>.<namespace>.svc.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/common/json.h"
#include "plinth/exec/executor.h"

namespace plinth::exec {

struct KubernetesManifestOptions {
  std::string ns = "default";    // namespace of everything created
  int termination_grace_s = 30;  // the pods' terminationGracePeriodSeconds
  std::string server_url;        // set: PLINTH_URL and MLFLOW_TRACKING_URI in pods
};

// Container limits (requests are the same) for one replica: whole GPUs
// (nvidia.com/gpu), a MIG slice (nvidia.com/mig-<profile>), CPU in
// millicores, memory in Mi. InvalidArgument, saying what to change, for a
// fraction of a GPU or a malformed profile. `plinth jobs render` uses it too.
absl::StatusOr<Json> KubernetesLimits(double gpus, const std::string& mig_profile, double cpus,
                                      int64_t memory_mib);

// Object names of one replica; all valid DNS labels of at most 63 characters.
struct KubernetesNames {
  std::string job;          // the replica's Job (also its pod's hostname in a gang)
  std::string service;      // the gang's headless Service
  std::string master_host;  // replica 0's DNS name, what MASTER_ADDR becomes
};
absl::StatusOr<KubernetesNames> NamesFor(const LaunchSpec& spec, absl::string_view ns);

// The replica's Job manifest. InvalidArgument, saying what to change, for a
// spec Kubernetes cannot run: no image, a fractional GPU, no command.
absl::StatusOr<Json> RenderReplicaJob(const LaunchSpec& spec,
                                      const KubernetesManifestOptions& options);

// True when the replica belongs to a distributed gang that needs the Service.
bool NeedsGangService(const LaunchSpec& spec);

// The gang's headless Service, garbage-collected with the Job whose uid is
// `owner_uid` (replica 0's).
Json RenderGangService(const LaunchSpec& spec, const KubernetesManifestOptions& options,
                       const std::string& owner_uid);

// The replica's status from `kubectl get job -o json` and, when it failed,
// `kubectl get pods -l job-name=... -o json` (null when unknown): the
// container's exit code where the pod still exists, else exit code 1 with
// the Job condition's reason (e.g. DeadlineExceeded).
ReplicaStatus ReplicaStatusFromJob(const Json& job, const Json& pods);

// The line of kubectl's stderr saying that the API server cannot be reached
// or cannot answer now (connection refused, timeouts, 503, webhook down);
// "" when it says no such thing.
std::string KubectlUnreachableLine(absl::string_view stderr_text);

}  // namespace plinth::exec
