// Kubeflow PyTorchJob manifests (kubeflow.org/v1), accepted as they are:
// the Master and Worker replica specs become one gang (Master is replica 0),
// each replica gets the operator's environment contract (MASTER_ADDR,
// MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK), and runPolicy.backoffLimit is
// the number of whole-gang restarts after a replica fails.
//
// Mapping: metadata.name -> name; label kueue.x-k8s.io/queue-name -> queue;
// label plinth.dev/team, else metadata.namespace -> team;
// runPolicy.schedulingPolicy.priorityClass -> priority class;
// runPolicy.activeDeadlineSeconds -> max runtime; container limits
// nvidia.com/gpu, nvidia.com/mig-<profile>, cpu, memory -> resources;
// label plinth.dev/preemptible: "true" -> preemptible. Fields Plinth has no
// use for locally (image, volumes, tolerations, ...) are ignored.
#pragma once

#include "absl/status/statusor.h"
#include "plinth/common/json.h"
#include "plinth/jobs/job_spec.h"

namespace plinth::jobs {

absl::StatusOr<JobSpec> ParsePyTorchJob(const Json& manifest);

}  // namespace plinth::jobs
