// Native API for jobs, queues and GPUs (docs/api.md):
//   POST /api/v1/jobs                 submit (native spec or PyTorchJob, as JSON)
//   GET  /api/v1/jobs                 list (?state= &team= &queue= &max_results= &page_token=)
//   GET  /api/v1/jobs/{id}            one job, with `why` while it waits
//   POST /api/v1/jobs/{id}/cancel
//   GET  /api/v1/jobs/{id}/events     the timeline
//   GET  /api/v1/jobs/{id}/why        one sentence
//   GET  /api/v1/jobs/{id}/logs       ?replica= &offset= &max_bytes=
//   GET  /api/v1/queues               quotas, usage, pending and running counts
//   GET  /api/v1/gpus                 inventory with the jobs holding each GPU
//   GET  /api/v1/accounting           ?group_by=team|queue: GPU-seconds, waits
#pragma once

#include "plinth/http/router.h"
#include "plinth/jobs/job_service.h"

namespace plinth::jobs {

void RegisterJobRoutes(http::Router& router, JobService& service);

// The API's view of a job.
Json JobToJson(const Job& job);

}  // namespace plinth::jobs
