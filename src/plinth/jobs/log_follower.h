// Follows one replica's output for GET /api/v1/jobs/{id}/logs?follow=true:
// sends what the log holds from the requested offset, then each write as it
// lands (the file watcher wakes it), and ends the response once the job has
// ended and the whole log is sent. It learns of the job's state changes,
// a replica's first log folder and a retry's new one from the event bus.
// A client that reads slowly holds the follower back instead of making the
// server buffer the log (ResponseStream::OnWritable).
#pragma once

#include <memory>
#include <string>

#include "plinth/common/event_bus.h"
#include "plinth/common/file_watcher.h"
#include "plinth/http/message.h"
#include "plinth/jobs/job.h"

namespace plinth::jobs {

// What the follower needs to know of the job, from a bus event or a read.
struct FollowedJob {
  bool ended = false;
  std::string log_dir;  // the replica's current folder; empty until launched
};
FollowedJob FollowedJobFrom(const Job& job, int replica);
FollowedJob FollowedJobFrom(const Json& job, int replica);  // a "job" event's data

// Starts following; `current` is the job as read after `bus` subscriptions
// are possible (the follower subscribes before using it). Everything runs on
// the watcher's thread; the follower lives until the response ends.
void FollowLog(std::shared_ptr<http::ResponseStream> out, EventBus& bus, FileWatcher& watcher,
               const std::string& job_id, int replica, int64_t offset,
               std::function<absl::StatusOr<FollowedJob>()> read_current);

}  // namespace plinth::jobs
