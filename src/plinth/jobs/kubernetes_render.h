// Jobs as Kubernetes manifests (`plinth jobs render --target kubernetes`):
// a PyTorchJob (kubeflow.org/v1) for distributed jobs, else a batch/v1 Job
// with one indexed completion per replica. Queue and priority ride along as
// Kueue's label (kueue.x-k8s.io/queue-name) and priorityClassName, so a
// cluster running Kueue applies the same quotas. Kubernetes hands out whole
// GPUs and MIG slices only: fractional GPUs are refused with the reason.
#pragma once

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/jobs/job.h"

namespace plinth::jobs {

absl::StatusOr<Json> RenderKubernetes(const Job& job);

}  // namespace plinth::jobs
