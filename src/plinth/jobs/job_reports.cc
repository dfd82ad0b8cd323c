// What the loop publishes for readers: GPU holders, queue usage, metrics.
#include "absl/strings/str_cat.h"
#include "plinth/jobs/job_metrics.h"
#include "plinth/jobs/job_service.h"
#include "plinth/sched/quota.h"

namespace plinth::jobs {
namespace {

// JSON cannot hold infinity: an unlimited quota is shown as null.
Json QuotaValue(double v) { return std::isinf(v) ? Json(nullptr) : Json(v); }

}  // namespace

void JobService::PublishMetrics() {
  for (const auto& [name, worker] : workers_) {
    metrics_->executor_backlog.WithLabels({name}).Set(static_cast<double>(worker->Backlog()));
  }
  std::map<std::string, double> totals;
  for (const gpu::Node& node : nodes_) {
    for (const gpu::Gpu& g : node.gpus) totals[g.model] += 1;
  }
  sched::QuotaBook usage(config_.queues, totals);
  std::map<std::string, double> allocated;
  std::map<std::string, std::map<std::string, int>> counts;  // queue -> state -> jobs
  Json holders = Json::object();
  for (const auto& [id, job] : active_) {
    ++counts[job.spec.queue][HoldsResources(job.state) && job.state != JobState::kRunning
                                 ? "STOPPING"
                                 : StateName(job.state)];
    if (!HoldsResources(job.state)) continue;
    for (const sched::ReplicaPlacement& p : job.allocation.replicas) {
      for (const sched::GpuSlot& slot : p.gpus) {
        double share = slot.mig_profile.empty()
                           ? slot.fraction
                           : sched::SliceDemand({0, "", slot.mig_profile, 0, 0});
        allocated[job.allocation.flavor] += share;
        usage.Charge(job.spec.queue, job.allocation.flavor, share);
        Json holder = {{"job", job.id},
                       {"name", job.spec.name},
                       {"team", job.spec.team},
                       {"fraction", slot.fraction}};
        if (!slot.mig_profile.empty()) {
          holder["mig_profile"] = slot.mig_profile;
          holder["mig_start"] = slot.mig_start;
        }
        holders[p.node][std::to_string(slot.gpu)].push_back(holder);
      }
    }
  }
  for (const auto& [model, n] : totals) {
    metrics_->gpus_total.WithLabels({model}).Set(n);
    metrics_->gpus_allocated.WithLabels({model}).Set(allocated[model]);
  }
  Json queues = Json::array();
  for (const sched::QueueConfig& q : config_.queues) {
    for (const char* state : {"PENDING", "RUNNING", "STOPPING"}) {
      metrics_->jobs.WithLabels({q.name, state}).Set(counts[q.name][state]);
    }
    Json nominal = Json::object(), limit = Json::object(), used = Json::object();
    for (const auto& [model, n] : totals) {
      nominal[model] = QuotaValue(usage.Nominal(q.name, model));
      limit[model] = QuotaValue(usage.Limit(q.name, model));
      used[model] = usage.Usage(q.name, model);
    }
    queues.push_back({{"name", q.name},
                      {"team", q.team},
                      {"cohort", q.cohort},
                      {"weight", q.weight},
                      {"nominal", nominal},
                      {"limit", limit},
                      {"usage", used},
                      {"dominant_share", usage.DominantShare(q.name)},
                      {"pending", counts[q.name]["PENDING"]},
                      {"running", counts[q.name]["RUNNING"]},
                      {"stopping", counts[q.name]["STOPPING"]}});
  }
  std::lock_guard<std::mutex> lock(mu_);
  holders_ = std::move(holders);
  queue_report_ = std::move(queues);
}

Json JobService::QueueReport(const http::Principal& who) {
  Json all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all = queue_report_.is_null() ? Json::array() : queue_report_;
  }
  if (who.IsAdmin()) return all;
  // The queues this caller may submit to: shared ones and its team's.
  Json visible = Json::array();
  for (Json& q : all) {
    std::string team = q.value("team", "");
    if (team.empty() || team == who.team) visible.push_back(std::move(q));
  }
  return visible;
}

Json JobService::GpuInventory(const http::Principal& who) {
  // Fresh telemetry from the source; the holders from the loop's last tick.
  absl::StatusOr<std::vector<gpu::Node>> fresh = gpus_.Discover();
  const std::vector<gpu::Node>& nodes = fresh.ok() ? *fresh : nodes_;
  Json holders;
  {
    std::lock_guard<std::mutex> lock(mu_);
    holders = holders_;
  }
  Json out = Json::array();
  for (const gpu::Node& node : nodes) {
    Json gpus = Json::array();
    for (size_t i = 0; i < node.gpus.size(); ++i) {
      const gpu::Gpu& g = node.gpus[i];
      Json mig = Json::array();
      for (const gpu::MigInstance& m : g.mig_instances) {
        mig.push_back({{"uuid", m.uuid},
                       {"profile", m.profile},
                       {"start", m.start},
                       {"memory_total_mib", m.memory_total_mib}});
      }
      Json held = Json::array();
      if (holders.is_object() && holders.contains(node.name) &&
          holders[node.name].contains(std::to_string(i))) {
        held = holders[node.name][std::to_string(i)];
      }
      // Another team's work shows as GPUs in use, not as its job names.
      for (Json& h : held) {
        if (h.is_object() && !who.CanAccessTeam(h.value("team", ""))) {
          h.erase("job");
          h.erase("name");
          h.erase("team");
          h["other_team"] = true;
        }
      }
      gpus.push_back({{"index", g.index},
                      {"uuid", g.uuid},
                      {"model", g.model},
                      {"product_name", g.product_name},
                      {"memory_total_mib", g.memory_total_mib},
                      {"memory_used_mib", g.memory_used_mib},
                      {"utilization_pct", g.utilization_pct},
                      {"power_mw", g.power_mw},
                      {"temperature_c", g.temperature_c},
                      {"mig_enabled", g.mig_enabled},
                      {"mig_instances", mig},
                      {"holders", held}});
    }
    out.push_back({{"name", node.name},
                   {"cpus", node.cpus},
                   {"memory_mib", node.memory_mib},
                   {"gpus", gpus}});
  }
  return {{"source", gpus_.Name()}, {"nodes", out}};
}

}  // namespace plinth::jobs
