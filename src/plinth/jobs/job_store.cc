#include "plinth/jobs/job_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plinth/common/errors.h"
#include "plinth/common/status_macros.h"
#include "plinth/db/migrations.h"
#include "plinth/db/pg_cluster.h"

namespace plinth::jobs {
namespace {

// One schema text for both databases; only the auto-increment key differs.
std::string JobSchema(const std::string& key_column) {
  return absl::StrCat("CREATE TABLE jobs (job_key ", key_column, R"sql(,
  job_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL, team TEXT NOT NULL, queue TEXT NOT NULL,
  priority BIGINT NOT NULL, state TEXT NOT NULL, executor TEXT NOT NULL,
  submit_time BIGINT NOT NULL, start_time BIGINT NOT NULL, end_time BIGINT NOT NULL,
  attempts BIGINT NOT NULL, preemptions BIGINT NOT NULL,
  gpu_seconds DOUBLE PRECISION NOT NULL, wait_ms BIGINT NOT NULL,
  run_id TEXT NOT NULL, message TEXT NOT NULL, details TEXT NOT NULL);
CREATE INDEX jobs_by_state ON jobs (state, job_key);
CREATE INDEX jobs_by_team ON jobs (team, job_key);
CREATE TABLE job_events (event_key )sql",
                      key_column, R"sql(,
  job_id TEXT NOT NULL, time BIGINT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX job_events_by_job ON job_events (job_id, event_key)
)sql");
}

// Requests a server that does not run the job loop records for the one
// that does (a cancellation), and which server that is (its URL, for the
// reports only the loop knows).
constexpr char kClusterSchema[] = R"sql(CREATE TABLE job_cancel_requests (
  job_id TEXT PRIMARY KEY, requested_at BIGINT NOT NULL);
CREATE TABLE job_loop_leader (slot BIGINT PRIMARY KEY, url TEXT NOT NULL, since BIGINT NOT NULL)
)sql";

const std::vector<db::Migration>& JobMigrations() {
  static const std::vector<db::Migration> kMigrations = {
      {1, "jobs and job events", JobSchema("INTEGER PRIMARY KEY AUTOINCREMENT"),
       JobSchema("BIGSERIAL PRIMARY KEY")},
      {2, "cancel requests and the job loop's leader", kClusterSchema, kClusterSchema},
  };
  return kMigrations;
}

constexpr char kColumns[] =
    "job_key, job_id, name, team, queue, priority, state, executor, submit_time, start_time, "
    "end_time, attempts, preemptions, gpu_seconds, wait_ms, run_id, message, details";

absl::StatusOr<Job> FromRow(const db::Row& row) {
  Job job;
  job.id = row.Str(1);
  job.priority = static_cast<int>(row.Int(5));
  ASSIGN_OR_RETURN(job.state, ParseState(row.Str(6)));
  job.executor = row.Str(7);
  job.submit_time_ms = row.Int(8);
  job.start_time_ms = row.Int(9);
  job.end_time_ms = row.Int(10);
  job.attempts = static_cast<int>(row.Int(11));
  job.preemptions = static_cast<int>(row.Int(12));
  job.gpu_seconds = row.Double(13);
  job.wait_ms = row.Int(14);
  job.run_id = row.Str(15);
  job.message = row.Str(16);
  absl::StatusOr<Json> details = ParseJsonLenient(row.Str(17));
  if (!details.ok()) return absl::DataLossError(absl::StrCat("job ", job.id, ": corrupt details"));
  RETURN_IF_ERROR(JobDetailsFromJson(*details, job));
  return job;
}

std::vector<db::Value> RecordValues(const Job& job) {
  return {job.spec.name,
          job.spec.team,
          job.spec.queue,
          int64_t{job.priority},
          StateName(job.state),
          job.executor,
          job.submit_time_ms,
          job.start_time_ms,
          job.end_time_ms,
          int64_t{job.attempts},
          int64_t{job.preemptions},
          job.gpu_seconds,
          job.wait_ms,
          job.run_id,
          job.message,
          JobDetailsToJson(job).dump()};
}

absl::Status AppendEvents(db::Session& s, const std::string& id,
                          const std::vector<JobEvent>& events) {
  for (const JobEvent& e : events) {
    RETURN_IF_ERROR(
        s.Execute("INSERT INTO job_events (job_id, time, type, message) VALUES (?, ?, ?, ?)",
                  {id, e.time_ms, e.type, e.message})
            .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Create(db::Database& db) {
  RETURN_IF_ERROR(db::Migrate(db, "jobs", JobMigrations()));
  return std::unique_ptr<JobStore>(new JobStore(db));
}

absl::Status JobStore::Insert(const Job& job, const JobEvent& event, bool notify) {
  // Submissions arrive in bursts from many clients: commit those that wait
  // for the writer together (each still all-or-nothing).
  // The row is built before joining the group: only the statements run
  // while the group holds the single writer.
  std::vector<db::Value> values = RecordValues(job);
  values.insert(values.begin(), job.id);
  return db_.WriteGrouped([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO jobs (job_id, name, team, queue, priority, state, "
                              "executor, submit_time, start_time, end_time, attempts, "
                              "preemptions, gpu_seconds, wait_ms, run_id, message, details) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              values)
                        .status());
    if (notify) RETURN_IF_ERROR(db::Notify(s, kJobsChannel, "new " + job.id));
    return AppendEvents(s, job.id, {event});
  });
}

absl::Status JobStore::Update(const Job& job, const std::vector<JobEvent>& events) {
  std::vector<db::Value> values = RecordValues(job);
  values.push_back(job.id);
  return db_.Write([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t n,
                     s.Execute("UPDATE jobs SET name = ?, team = ?, queue = ?, priority = ?, "
                               "state = ?, executor = ?, submit_time = ?, start_time = ?, "
                               "end_time = ?, attempts = ?, preemptions = ?, gpu_seconds = ?, "
                               "wait_ms = ?, run_id = ?, message = ?, details = ? WHERE job_id = ?",
                               values));
    if (n == 0) return NotFound(absl::StrCat("job ", job.id, " does not exist"));
    // Servers that do not run the loop tell their subscribers (PostgreSQL).
    RETURN_IF_ERROR(db::Notify(s, kJobsChannel, "changed " + job.id));
    return AppendEvents(s, job.id, events);
  });
}

absl::Status JobStore::RequestCancel(const std::string& id, int64_t now_ms) {
  return db_.Write([&](db::Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.Execute("INSERT INTO job_cancel_requests (job_id, requested_at) VALUES "
                              "(?, ?) ON CONFLICT (job_id) DO NOTHING",
                              {id, now_ms})
                        .status());
    return db::Notify(s, kJobsChannel, "cancel " + id);
  });
}

absl::StatusOr<std::set<std::string>> JobStore::CancelRequests() {
  std::set<std::string> ids;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT r.job_id FROM job_cancel_requests r JOIN jobs j "
                                        "ON j.job_id = r.job_id WHERE j.state NOT IN "
                                        "('SUCCEEDED', 'FAILED', 'CANCELLED')"));
    for (const db::Row& row : rows) ids.insert(row.Str(0));
    return absl::OkStatus();
  }));
  return ids;
}

absl::Status JobStore::SetLeader(const std::string& url, int64_t now_ms) {
  return db_.Write([&](db::Session& s) -> absl::Status {
    return s
        .Execute(
            "INSERT INTO job_loop_leader (slot, url, since) VALUES (1, ?, ?) ON CONFLICT "
            "(slot) DO UPDATE SET url = excluded.url, since = excluded.since",
            {url, now_ms})
        .status();
  });
}

absl::StatusOr<std::string> JobStore::LeaderUrl() {
  std::string url;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT url FROM job_loop_leader WHERE slot = 1"));
    if (!rows.empty()) url = rows[0].Str(0);
    return absl::OkStatus();
  }));
  if (url.empty()) return absl::UnavailableError("no server has run the job loop yet");
  return url;
}

absl::StatusOr<Job> JobStore::Get(const std::string& id) {
  std::optional<Job> job;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        auto rows, s.Query(absl::StrCat("SELECT ", kColumns, " FROM jobs WHERE job_id = ?"), {id}));
    if (rows.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(job, FromRow(rows[0]));
    return absl::OkStatus();
  }));
  if (!job) return NotFound(absl::StrCat("job ", id, " does not exist"));
  return *std::move(job);
}

absl::StatusOr<JobPage> JobStore::List(const JobFilter& filter) {
  // Newest first; the page token is the last job_key seen.
  std::string sql = absl::StrCat("SELECT ", kColumns, " FROM jobs WHERE 1 = 1");
  std::vector<db::Value> params;
  if (filter.state) {
    sql += " AND state = ?";
    params.push_back(StateName(*filter.state));
  }
  if (!filter.team.empty()) {
    sql += " AND team = ?";
    params.push_back(filter.team);
  }
  if (!filter.queue.empty()) {
    sql += " AND queue = ?";
    params.push_back(filter.queue);
  }
  if (!filter.page_token.empty()) {
    int64_t after = 0;
    if (!absl::SimpleAtoi(filter.page_token, &after)) {
      return absl::InvalidArgumentError("page_token: not a token from a previous page");
    }
    sql += " AND job_key < ?";
    params.push_back(after);
  }
  int limit = std::max(1, std::min(filter.limit, 1000));
  sql += absl::StrCat(" ORDER BY job_key DESC LIMIT ", limit + 1);
  JobPage page;
  int64_t last_key = 0;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
    for (size_t i = 0; i < rows.size() && static_cast<int>(i) < limit; ++i) {
      ASSIGN_OR_RETURN(Job job, FromRow(rows[i]));
      last_key = rows[i].Int(0);
      page.jobs.push_back(std::move(job));
    }
    if (static_cast<int>(rows.size()) > limit) page.next_page_token = absl::StrCat(last_key);
    return absl::OkStatus();
  }));
  return page;
}

absl::StatusOr<std::vector<Job>> JobStore::LoadActive() {
  std::vector<Job> jobs;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", kColumns,
                                                     " FROM jobs WHERE state NOT IN "
                                                     "('SUCCEEDED', 'FAILED', 'CANCELLED') "
                                                     "ORDER BY job_key")));
    for (const db::Row& row : rows) {
      ASSIGN_OR_RETURN(Job job, FromRow(row));
      jobs.push_back(std::move(job));
    }
    return absl::OkStatus();
  }));
  return jobs;
}

absl::StatusOr<std::vector<JobEvent>> JobStore::Events(const std::string& id) {
  std::vector<JobEvent> events;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(auto rows, s.Query("SELECT time, type, message FROM job_events WHERE "
                                        "job_id = ? ORDER BY event_key",
                                        {id}));
    for (const db::Row& row : rows) events.push_back({row.Int(0), row.Str(1), row.Str(2)});
    return absl::OkStatus();
  }));
  return events;
}

absl::StatusOr<std::vector<UsageRow>> JobStore::Usage(const std::string& group_by,
                                                      const std::optional<std::string>& team) {
  if (group_by != "team" && group_by != "queue") {
    return absl::InvalidArgumentError("group_by: use team or queue");
  }
  std::vector<UsageRow> out;
  RETURN_IF_ERROR(db_.Read([&](db::Session& s) -> absl::Status {
    std::vector<db::Value> params;
    if (team) params.push_back(*team);
    ASSIGN_OR_RETURN(auto rows, s.Query(absl::StrCat("SELECT ", group_by,
                                                     ", COUNT(*), SUM(gpu_seconds), SUM(wait_ms), "
                                                     "SUM(preemptions) FROM jobs ",
                                                     team ? "WHERE team = ? " : "", "GROUP BY ",
                                                     group_by, " ORDER BY ", group_by),
                                        params));
    for (const db::Row& row : rows) {
      out.push_back({row.Str(0), row.Int(1), row.Double(2), row.Int(3), row.Int(4)});
    }
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace plinth::jobs
