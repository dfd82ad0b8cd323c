// Native API for jobs, queues and GPUs (docs/api.md):
//   POST /api/v1/jobs                 submit (native spec or PyTorchJob, as JSON)
//   GET  /api/v1/jobs                 list (?state= &team= &queue= &max_results= &page_token=)
//   GET  /api/v1/jobs/{id}            one job, with `why` while it waits
//   POST /api/v1/jobs/{id}/cancel
//   GET  /api/v1/jobs/{id}/events     the timeline
//   GET  /api/v1/jobs/{id}/why        one sentence
//   GET  /api/v1/jobs/{id}/logs       ?replica= &offset= &max_bytes=; with &follow=true
//                                     the log streamed as it is written, until the job ends
//   GET  /api/v1/events?topic=jobs/{id}  the job after every change (Server-Sent Events)
//   GET  /api/v1/queues               quotas, usage, pending and running counts
//   GET  /api/v1/gpus                 inventory with the jobs holding each GPU
//   GET  /api/v1/accounting           ?group_by=team|queue: GPU-seconds, waits
#pragma once

#include "plinth/common/event_bus.h"
#include "plinth/common/file_watcher.h"
#include "plinth/http/event_channel.h"
#include "plinth/http/router.h"
#include "plinth/jobs/job_service.h"

namespace plinth::jobs {

// What streamed answers need (logs?follow=true); without it, follow is 400.
struct JobStreams {
  EventBus& bus;
  FileWatcher& watcher;
};

void RegisterJobRoutes(http::Router& router, JobService& service, JobStreams* streams = nullptr);
// The "jobs/<id>" topics of the event channel (the caller must be allowed
// to read the job).
void RegisterJobTopics(http::EventChannel& channel, JobService& service);

}  // namespace plinth::jobs
