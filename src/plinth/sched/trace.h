// Job traces for the scheduling simulator: one CSV row per job, with named
// columns (docs/simulator.md):
//   required  submit_time, duration, gpus, team, priority
//   optional  id, replicas, gpu_model, mig_profile, preemptible, max_runtime, queue
// Times are seconds (decimals allowed). Errors name the file, the line and
// the column, e.g. "trace.csv:12: column gpus: '1.5' is not a valid GPU
// count (a fraction below 1 or a whole number)".
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace plinth::sched {

struct TraceJob {
  std::string id;  // the id column, else "job-<row>" (row 1 is the first job)
  int line = 0;    // line in the trace file, for error messages
  double submit_time_s = 0;
  double duration_s = 0;  // > 0: how long the job runs when it is never interrupted
  double gpus = 0;        // per replica: a fraction below 1 or a whole number; 0 with a MIG profile
  int replicas = 1;
  std::string team;
  std::string queue;  // empty: the queue named like the team
  int priority = 0;
  std::string gpu_model;    // empty: any model
  std::string mig_profile;  // set: one MIG slice per replica
  bool preemptible = true;
  double max_runtime_s = 0;  // 0: not given (the simulator may estimate it)
};

struct Trace {
  std::string source;  // file name for messages ("trace.csv")
  std::vector<TraceJob> jobs;
};

// Parses CSV `text`; `source` prefixes error messages. Jobs keep file order.
// Blank lines and lines starting with '#' are skipped.
absl::StatusOr<Trace> ParseTraceCsv(absl::string_view text, const std::string& source);

// Reads and parses the file at `path` (messages name its base name).
absl::StatusOr<Trace> LoadTraceFile(const std::string& path);

}  // namespace plinth::sched
