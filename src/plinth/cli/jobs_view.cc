#include "plinth/cli/jobs_view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace plinth::cli {
namespace {

std::string Number(const Json& v) {
  if (v.is_null()) return "-";
  return v.is_number() ? FormatNumber(v.get<double>()) : v.dump();
}

}  // namespace

std::string ResourcesText(const Json& spec) {
  const Json& r = JsonMember(spec, "resources");
  std::string each;
  if (r.contains("mig_profile")) {
    each = JsonString(r, "mig_profile");
  } else if (r.contains("gpus")) {
    each = absl::StrCat(Number(r["gpus"]), " ",
                        r.contains("gpu_model") ? JsonString(r, "gpu_model") : "GPU");
  } else {
    each = "CPU";
  }
  return absl::StrCat(JsonInt(spec, "replicas"), " x ", each);
}

Table JobsTable(const std::vector<Json>& jobs, int64_t now_ms) {
  Table table{{"id", "name", "team", "queue", "state", "resources", "age", "message"}, {}, {}};
  for (const Json& j : jobs) {
    table.rows.push_back(
        {JsonString(j, "id"), JsonString(j, "name"), JsonString(j, "team"), JsonString(j, "queue"),
         JsonString(j, "state"), ResourcesText(JsonMember(j, "spec")),
         FormatDuration(now_ms - JsonInt(j, "submit_time")), JsonString(j, "message")});
  }
  return table;
}

std::string JobDetailText(const Json& job) {
  std::vector<std::pair<std::string, std::string>> rows = {
      {"id", JsonString(job, "id")},
      {"name", JsonString(job, "name")},
      {"team / queue", absl::StrCat(JsonString(job, "team"), " / ", JsonString(job, "queue"))},
      {"priority",
       absl::StrCat(JsonString(job, "priority_class"), " (", JsonInt(job, "priority"), ")")},
      {"state", JsonString(job, "state")},
      {"message", JsonString(job, "message")},
      {"resources", ResourcesText(JsonMember(job, "spec"))},
      {"executor", JsonString(job, "executor")},
      {"submitted", FormatTimestamp(JsonInt(job, "submit_time"))},
      {"attempts", absl::StrCat(JsonInt(job, "attempts"), " (restarts ", JsonInt(job, "restarts"),
                                ", preemptions ", JsonInt(job, "preemptions"), ")")},
      {"GPU-hours", FormatNumber(JsonMember(job, "gpu_seconds").is_number()
                                     ? job["gpu_seconds"].get<double>() / 3600
                                     : 0)},
      {"waited", FormatDuration(JsonInt(job, "wait_ms"))},
      {"MLflow run", JsonString(job, "run_id")},
      {"command", absl::StrJoin(JsonMember(JsonMember(job, "spec"), "command").is_array()
                                    ? job["spec"]["command"].get<std::vector<std::string>>()
                                    : std::vector<std::string>{},
                                " ")},
  };
  if (job.contains("why")) rows.push_back({"why", JsonString(job, "why")});
  std::string out = RenderKeyValues(rows);
  const Json& replicas = JsonMember(job, "replicas");
  if (replicas.is_array() && !replicas.empty()) {
    Table table{{"replica", "node", "devices", "state", "exit", "message"}, {}, {0, 4}};
    for (const Json& r : replicas) {
      table.rows.push_back({absl::StrCat(JsonInt(r, "index")), JsonString(r, "node"),
                            absl::StrJoin(r.value("devices", std::vector<std::string>{}), ","),
                            JsonString(r, "state"), absl::StrCat(JsonInt(r, "exit_code")),
                            JsonString(r, "message")});
    }
    absl::StrAppend(&out, "\n", RenderTable(table));
  }
  return out;
}

std::string EventsText(const Json& events) {
  Table table{{"time", "event", "message"}, {}, {}};
  for (const Json& e : events) {
    table.rows.push_back(
        {FormatTimestamp(JsonInt(e, "time")), JsonString(e, "type"), JsonString(e, "message")});
  }
  return RenderTable(table, {.max_cell_width = 120});
}

std::string GpuInventoryText(const Json& inventory) {
  Table table{
      {"node", "gpu", "uuid", "model", "memory used/total", "util", "mig", "held by"}, {}, {1, 5}};
  for (const Json& node : JsonMember(inventory, "nodes")) {
    for (const Json& g : JsonMember(node, "gpus")) {
      std::vector<std::string> holders;
      for (const Json& h : JsonMember(g, "holders")) {
        std::string share = h.contains("mig_profile")
                                ? JsonString(h, "mig_profile")
                                : (h.value("fraction", 1.0) < 1
                                       ? absl::StrCat(FormatNumber(h["fraction"].get<double>()))
                                       : "");
        // Another team's holder comes without its job id.
        std::string who = JsonBool(h, "other_team") ? "another team" : JsonString(h, "job");
        holders.push_back(share.empty() ? who : absl::StrCat(who, " (", share, ")"));
      }
      std::string mig = JsonBool(g, "mig_enabled")
                            ? absl::StrCat("on, ", JsonMember(g, "mig_instances").size(), " inst.")
                            : "off";
      table.rows.push_back({JsonString(node, "name"), absl::StrCat(JsonInt(g, "index")),
                            JsonString(g, "uuid"), JsonString(g, "model"),
                            absl::StrCat(JsonInt(g, "memory_used_mib"), " / ",
                                         JsonInt(g, "memory_total_mib"), " MiB"),
                            absl::StrCat(JsonInt(g, "utilization_pct"), "%"), mig,
                            holders.empty() ? "-" : absl::StrJoin(holders, ", ")});
    }
  }
  if (table.rows.empty()) {
    return absl::StrCat(
        "No GPUs (source: ", JsonString(inventory, "source"),
        "). Start the server with --simulated-gpus 1x8xH100-80GB to simulate some.\n");
  }
  return absl::StrCat("GPU source: ", JsonString(inventory, "source"), "\n",
                      RenderTable(table, {.max_cell_width = 64}));
}

std::string QueuesText(const Json& queues) {
  Table table{{"queue", "team", "cohort", "flavor", "used", "nominal", "limit", "share", "pending",
               "running"},
              {},
              {4, 5, 6, 7, 8, 9}};
  for (const Json& q : queues) {
    for (const auto& [flavor, used] : JsonMember(q, "usage").items()) {
      table.rows.push_back({JsonString(q, "name"), JsonString(q, "team"), JsonString(q, "cohort"),
                            flavor, Number(used), Number(q["nominal"].value(flavor, Json())),
                            q["limit"].contains(flavor) && !q["limit"][flavor].is_null()
                                ? Number(q["limit"][flavor])
                                : "unlimited",
                            Number(q["dominant_share"]), absl::StrCat(JsonInt(q, "pending")),
                            absl::StrCat(JsonInt(q, "running"))});
    }
  }
  return RenderTable(table);
}

}  // namespace plinth::cli
