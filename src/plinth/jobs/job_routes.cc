#include "plinth/jobs/job_routes.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "plinth/common/status_macros.h"
#include "plinth/http/args.h"
#include "plinth/http/client.h"
#include "plinth/http/handlers.h"
#include "plinth/jobs/kubernetes_render.h"
#include "plinth/jobs/log_follower.h"

namespace plinth::jobs {
namespace {

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

absl::StatusOr<bool> BoolParam(const http::Request& req, const std::string& name) {
  std::optional<std::string> value = req.QueryParam(name);
  if (!value || value->empty() || *value == "false" || *value == "0") return false;
  if (*value == "true" || *value == "1") return true;
  return absl::InvalidArgumentError(
      absl::StrCat(name, ": '", value->substr(0, 200), "' is not true or false"));
}

// GET .../logs?follow=true: the log as it is written, until the job ends.
http::Response FollowLogs(const http::Request& req, JobService& service, JobStreams* streams,
                          const std::string& id, int replica, int64_t offset) {
  if (streams == nullptr) {
    return http::NativeError(absl::UnimplementedError("follow: not available on this server"));
  }
  // Authorizes and checks the replica before anything is streamed.
  absl::StatusOr<LogChunk> first = service.Logs(req.principal, id, replica, offset, 0);
  if (!first.ok()) return http::NativeError(first.status());
  return http::Response::Stream(
      "text/plain; charset=utf-8", [&service, streams, who = req.principal, id, replica,
                                    offset](std::shared_ptr<http::ResponseStream> out) {
        FollowLog(std::move(out), streams->bus, streams->watcher, id, replica, offset,
                  [&service, who, id, replica]() -> absl::StatusOr<FollowedJob> {
                    ASSIGN_OR_RETURN(Job job, service.Get(who, id));
                    return FollowedJobFrom(job, replica);
                  });
      });
}

// What only the job loop knows (why a job waits, who holds which GPU, the
// queues' usage) comes from the server that leads it: a follower asks that
// one, with the caller's own credentials, and answers with its answer. A
// request already forwarded is never forwarded again (two servers that each
// think the other leads would pass it back and forth).
constexpr char kForwardAgent[] = "plinth-forward";

http::Response AskLeader(JobService& service, const http::Request& req) {
  if (req.Header("user-agent") == kForwardAgent) {
    return http::NativeError(absl::UnavailableError(
        "no server leads the job loop right now (one takes over within seconds): try again"));
  }
  absl::StatusOr<std::string> url = service.LeaderUrl();
  if (!url.ok()) return http::NativeError(url.status());
  http::ClientOptions options;
  options.base_url = *url;
  options.user_agent = kForwardAgent;
  options.connect_timeout_ms = 2000;
  options.request_timeout_ms = 10000;
  std::string auth = req.Header("authorization");
  if (absl::StartsWithIgnoreCase(auth, "bearer ")) options.token = auth.substr(7);
  absl::StatusOr<std::unique_ptr<http::HttpClient>> client = http::HttpClient::Create(options);
  if (!client.ok()) return http::NativeError(client.status());
  absl::StatusOr<http::ClientResponse> answer = (*client)->Get(req.target);
  if (!answer.ok()) {
    return http::NativeError(absl::UnavailableError(
        absl::StrCat("the server that leads the job loop (", *url, ") does not answer: ",
                     answer.status().message(), "; try again (another takes over if it is gone)")));
  }
  return http::Response::Text(answer->body, answer->status, "application/json");
}

// Wraps a report's handler: a follower forwards the request instead.
http::Handler FromLeader(JobService& service, http::Handler handler) {
  return [&service, handler = std::move(handler)](http::Request& req) {
    return service.leading() ? handler(req) : AskLeader(service, req);
  };
}

}  // namespace

void RegisterJobTopics(http::EventChannel& channel, JobService& service) {
  channel.AddTopics({"jobs/",
                     [&service](const http::Principal& who,
                                const std::string& topic) -> absl::StatusOr<std::vector<BusEvent>> {
                       ASSIGN_OR_RETURN(Job job, service.Get(who, topic.substr(5)));
                       return std::vector<BusEvent>{{topic, "job", JobToJson(job)}};
                     }});
}

void RegisterJobRoutes(http::Router& router, JobService& service, JobStreams* streams) {
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
  http::Handler get_job = http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
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
        out["events"].push_back({{"time", e.time_ms}, {"type", e.type}, {"message", e.message}});
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
      ASSIGN_OR_RETURN(LogChunk chunk, service.Logs(req.principal, id, static_cast<int>(replica),
                                                    offset, max_bytes));
      return Json{
          {"data", chunk.data}, {"next_offset", chunk.next_offset}, {"finished", chunk.finished}};
    }
    return absl::NotFoundError(absl::StrCat("no such job route: ", req.path));
  });
  router.AddPrefix("GET", "/api/v1/jobs/", [get_job, &service, streams](http::Request& req) {
    std::vector<std::string> parts = absl::StrSplit(req.path_suffix, '/');
    if (parts.size() == 2 && parts[1] == "why" && !service.leading()) {
      return AskLeader(service, req);
    }
    if (parts.size() == 2 && parts[1] == "logs") {
      absl::StatusOr<bool> follow = BoolParam(req, "follow");
      absl::StatusOr<int64_t> replica = IntParam(req, "replica", 0);
      absl::StatusOr<int64_t> offset = IntParam(req, "offset", 0);
      for (const absl::Status& s : {follow.status(), replica.status(), offset.status()}) {
        if (!s.ok()) return http::NativeError(s);
      }
      if (*follow) {
        if (*offset < 0) {
          return http::NativeError(absl::InvalidArgumentError("offset: must not be negative"));
        }
        int index = static_cast<int>(std::clamp<int64_t>(*replica, -1, 1 << 20));
        return FollowLogs(req, service, streams, parts[0], index, *offset);
      }
    }
    return get_job(req);
  });
  router.AddPrefix("POST", "/api/v1/jobs/",
                   http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
                     std::vector<std::string> parts = absl::StrSplit(req.path_suffix, '/');
                     if (parts.size() != 2 || parts[1] != "cancel") {
                       return absl::NotFoundError(absl::StrCat("no such job route: ", req.path));
                     }
                     ASSIGN_OR_RETURN(Job job, service.Cancel(req.principal, parts[0]));
                     return Json{{"job", JobToJson(job)}};
                   }));
  router.Add(
      "GET", "/api/v1/queues",
      FromLeader(service, http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
                   return Json{{"queues", service.QueueReport(req.principal)}};
                 })));
  router.Add(
      "GET", "/api/v1/gpus",
      FromLeader(service, http::NativeHandler([&](http::Request& req) -> absl::StatusOr<Json> {
                   return service.GpuInventory(req.principal);
                 })));
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
