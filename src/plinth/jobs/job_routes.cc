#include "plinth/jobs/job_routes.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/handlers.h"
#include "plinth/jobs/kubernetes_render.h"

namespace plinth::jobs {
namespace {

Json ReplicaJson(const ReplicaRecord& r) {
  return {{"index", r.index},    {"node", r.node},           {"devices", r.devices},
          {"state", r.state},    {"exit_code", r.exit_code}, {"message", r.message},
          {"log_dir", r.log_dir}};
}

absl::StatusOr<int64_t> IntParam(const http::Request& req, const std::string& name,
                                 int64_t fallback) {
  std::optional<std::string> value = req.QueryParam(name);
  if (!value) return fallback;
  int64_t n = 0;
  if (!absl::SimpleAtoi(*value, &n)) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": '", *value, "' is not a number"));
  }
  return n;
}

}  // namespace

Json JobToJson(const Job& job) {
  Json replicas = Json::array();
  for (const ReplicaRecord& r : job.replicas) replicas.push_back(ReplicaJson(r));
  return {{"id", job.id},
          {"name", job.spec.name},
          {"team", job.spec.team},
          {"queue", job.spec.queue},
          {"priority_class", job.spec.priority_class},
          {"priority", job.priority},
          {"state", StateName(job.state)},
          {"message", job.message},
          {"executor", job.executor},
          {"submit_time", job.submit_time_ms},
          {"start_time", job.start_time_ms},
          {"end_time", job.end_time_ms},
          {"attempts", job.attempts},
          {"restarts", job.restarts},
          {"preemptions", job.preemptions},
          {"gpu_seconds", job.gpu_seconds},
          {"wait_ms", job.wait_ms},
          {"run_id", job.run_id},
          {"borrowing", job.borrowing},
          {"allocation", AllocationToJson(job.allocation)},
          {"replicas", replicas},
          {"spec", JobSpecToJson(job.spec)}};
}

void RegisterJobRoutes(http::Router& router, JobService& service) {
  router.Add("POST", "/api/v1/jobs",
             http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
               ASSIGN_OR_RETURN(Json body, ParseJsonSpec(req.body));
               ASSIGN_OR_RETURN(JobSpec spec, ParseJobSpec(body));
               ASSIGN_OR_RETURN(Job job, service.Submit(req.principal, std::move(spec)));
               return Json{{"job", JobToJson(job)}};
             }));
  router.Add(
      "GET", "/api/v1/jobs", http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
        JobFilter filter;
        if (auto state = req.QueryParam("state"); state && !state->empty()) {
          ASSIGN_OR_RETURN(filter.state, ParseState(*state));
        }
        filter.team = req.QueryParam("team").value_or("");
        filter.queue = req.QueryParam("queue").value_or("");
        filter.page_token = req.QueryParam("page_token").value_or("");
        ASSIGN_OR_RETURN(int64_t limit, IntParam(req, "max_results", 100));
        filter.limit = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(limit, 1000)));
        ASSIGN_OR_RETURN(JobPage page, service.List(req.principal, filter));
        Json out = {{"jobs", Json::array()}};
        for (const Job& job : page.jobs) out["jobs"].push_back(JobToJson(job));
        if (!page.next_page_token.empty()) out["next_page_token"] = page.next_page_token;
        return out;
      }));
  router.AddPrefix(
      "GET", "/api/v1/jobs/", http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
        std::vector<std::string> parts = absl::StrSplit(req.path_suffix, '/');
        const std::string& id = parts[0];
        std::string action = parts.size() > 1 ? parts[1] : "";
        if (parts.size() > 2 || id.empty()) {
          return absl::NotFoundError(absl::StrCat("no such job route: ", req.path));
        }
        if (action.empty()) {
          ASSIGN_OR_RETURN(Job job, service.Get(req.principal, id));
          Json out = JobToJson(job);
          if (job.state == JobState::kPending) {
            ASSIGN_OR_RETURN(out["why"], service.Why(req.principal, id));
          }
          return Json{{"job", out}};
        }
        if (action == "events") {
          ASSIGN_OR_RETURN(auto events, service.Events(req.principal, id));
          Json out = {{"events", Json::array()}};
          for (const JobEvent& e : events) {
            out["events"].push_back(
                {{"time", e.time_ms}, {"type", e.type}, {"message", e.message}});
          }
          return out;
        }
        if (action == "render") {
          std::string target = req.QueryParam("target").value_or("kubernetes");
          if (target != "kubernetes") {
            return absl::InvalidArgumentError(
                absl::StrCat("target: '", target, "' is not a render target; use kubernetes"));
          }
          ASSIGN_OR_RETURN(Job job, service.Get(req.principal, id));
          ASSIGN_OR_RETURN(Json manifest, RenderKubernetes(job));
          return Json{{"manifest", manifest}};
        }
        if (action == "why") {
          ASSIGN_OR_RETURN(std::string why, service.Why(req.principal, id));
          return Json{{"why", why}};
        }
        if (action == "logs") {
          ASSIGN_OR_RETURN(int64_t replica, IntParam(req, "replica", 0));
          ASSIGN_OR_RETURN(int64_t offset, IntParam(req, "offset", 0));
          ASSIGN_OR_RETURN(int64_t max_bytes, IntParam(req, "max_bytes", 1 << 20));
          if (offset < 0) return absl::InvalidArgumentError("offset: must not be negative");
          ASSIGN_OR_RETURN(
              LogChunk chunk,
              service.Logs(req.principal, id, static_cast<int>(replica), offset, max_bytes));
          return Json{{"data", chunk.data},
                      {"next_offset", chunk.next_offset},
                      {"finished", chunk.finished}};
        }
        return absl::NotFoundError(absl::StrCat("no such job route: ", req.path));
      }));
  router.AddPrefix("POST", "/api/v1/jobs/",
                   http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
                     std::vector<std::string> parts = absl::StrSplit(req.path_suffix, '/');
                     if (parts.size() != 2 || parts[1] != "cancel") {
                       return absl::NotFoundError(absl::StrCat("no such job route: ", req.path));
                     }
                     ASSIGN_OR_RETURN(Job job, service.Cancel(req.principal, parts[0]));
                     return Json{{"job", JobToJson(job)}};
                   }));
  router.Add("GET", "/api/v1/queues",
             http::NativeHandler([&](http::Request&) -> absl::StatusOr<Json> {
               return Json{{"queues", service.QueueReport()}};
             }));
  router.Add("GET", "/api/v1/gpus",
             http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
               return service.GpuInventory(req.principal);
             }));
  router.Add("GET", "/api/v1/accounting",
             http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
               std::string group_by = req.QueryParam("group_by").value_or("team");
               ASSIGN_OR_RETURN(auto rows, service.Usage(req.principal, group_by));
               Json out = {{"group_by", group_by}, {"rows", Json::array()}};
               for (const UsageRow& r : rows) {
                 out["rows"].push_back({{"key", r.key},
                                        {"jobs", r.jobs},
                                        {"gpu_seconds", r.gpu_seconds},
                                        {"gpu_hours", r.gpu_seconds / 3600},
                                        {"wait_seconds", r.wait_ms / 1000.0},
                                        {"preemptions", r.preemptions}});
               }
               return out;
             }));
}

}  // namespace plinth::jobs
