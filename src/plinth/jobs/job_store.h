// Durable job records and their event timelines. Every state change is
// written here before it is acted upon, so a restarted server finds every
// job where it was (DESIGN.md, "Data and durability"). Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/db/database.h"
#include "plinth/jobs/job.h"

namespace plinth::jobs {

struct JobFilter {
  std::optional<JobState> state;
  std::string team;   // empty: any
  std::string queue;  // empty: any
  int limit = 100;
  std::string page_token;  // from the previous page
};

struct JobPage {
  std::vector<Job> jobs;
  std::string next_page_token;  // empty on the last page
};

// GPU-seconds and wait times summed per team or per queue.
struct UsageRow {
  std::string key;
  int64_t jobs = 0;
  double gpu_seconds = 0;
  int64_t wait_ms = 0;
  int64_t preemptions = 0;
};

// Servers sharing one PostgreSQL database hear of jobs on this channel
// (db/pg_cluster.h): "new <id>" (submitted through a server that does not
// run the job loop), "cancel <id>" (a cancellation recorded for the loop),
// "changed <id>" (the loop recorded a change).
inline constexpr char kJobsChannel[] = "plinth_jobs";

class JobStore {
 public:
  static absl::StatusOr<std::unique_ptr<JobStore>> Create(db::Database& db);

  // Inserts a new job and its first event in one transaction; `notify`:
  // tell the server that runs the job loop ("new <id>").
  absl::Status Insert(const Job& job, const JobEvent& event, bool notify = false);
  // Writes the job's current record and appends `events`, in one
  // transaction ("changed <id>" for the other servers).
  absl::Status Update(const Job& job, const std::vector<JobEvent>& events);

  // A cancellation for the job loop, durable until the loop applies it
  // (also after a failover): "cancel <id>".
  absl::Status RequestCancel(const std::string& id, int64_t now_ms);
  // Unfinished jobs whose cancellation was requested.
  absl::StatusOr<std::set<std::string>> CancelRequests();
  // Which server runs the job loop (its URL), set when one takes over.
  absl::Status SetLeader(const std::string& url, int64_t now_ms);
  absl::StatusOr<std::string> LeaderUrl();

  absl::StatusOr<Job> Get(const std::string& id);
  absl::StatusOr<JobPage> List(const JobFilter& filter);
  // Every job that is not finished (for recovery at start).
  absl::StatusOr<std::vector<Job>> LoadActive();
  absl::StatusOr<std::vector<JobEvent>> Events(const std::string& id);
  // group_by: "team" or "queue".
  // Totals per team or queue; `team` set: of that team's jobs only.
  absl::StatusOr<std::vector<UsageRow>> Usage(const std::string& group_by,
                                              const std::optional<std::string>& team);

 private:
  explicit JobStore(db::Database& db) : db_(db) {}
  db::Database& db_;
};

}  // namespace plinth::jobs
