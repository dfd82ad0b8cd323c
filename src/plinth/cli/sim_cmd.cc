#include "plinth/cli/sim_cmd.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "plinth/cli/output.h"
#include "plinth/cli/progress.h"
#include "plinth/common/status_macros.h"
#include "plinth/sched/cluster_file.h"
#include "plinth/sched/trace.h"

namespace plinth::cli {
namespace {

constexpr size_t kListedJobs = 10;  // rejected / unfinished jobs shown by the table
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);

// "100,000".
std::string Count(double value) {
  std::string digits = absl::StrCat(std::llround(std::fabs(value)));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string Percent(double fraction) { return absl::StrFormat("%.1f%%", fraction * 100); }
std::string Seconds(double s) { return s == 0 ? "0s" : FormatDuration(std::llround(s * 1000)); }

std::string WaitLine(const sched::Percentiles& p) {
  if (p.count == 0) return "no job started";
  return absl::StrCat("p50 ", Seconds(p.p50), ", p90 ", Seconds(p.p90), ", p99 ", Seconds(p.p99),
                      ", max ", Seconds(p.max));
}

std::string NoteList(const char* title, const std::vector<sched::JobNote>& notes) {
  if (notes.empty()) return "";
  std::string out = absl::StrCat("\n", title, " (", Count(notes.size()),
                                 notes.size() > kListedJobs ? "; the first 10" : "", "):\n");
  for (size_t i = 0; i < notes.size() && i < kListedJobs; ++i) {
    const sched::JobNote& n = notes[i];
    absl::StrAppend(&out, "  ", n.id, " (line ", n.line, ", team ", n.team, "): ", n.reason, "\n");
  }
  return out;
}

// Draws FormatSimProgress lines on stderr while a replay runs.
class SimProgressBar {
 public:
  SimProgressBar(std::string label, bool enabled)
      : label_(std::move(label)), enabled_(enabled), width_(enabled ? TerminalWidth() : 80) {}
  void Update(const sched::SimProgress& p) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    bool last = p.jobs_done >= p.jobs_total;
    if (!last && now - last_draw_ < kRedrawInterval) return;
    last_draw_ = now;
    std::fprintf(stderr, "\r%s\033[K", FormatSimProgress(label_, p, width_).c_str());
    drawn_ = true;
  }
  ~SimProgressBar() {
    if (drawn_) std::fprintf(stderr, "\n");
  }

 private:
  std::string label_;
  bool enabled_;
  size_t width_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

struct SimFlags {
  std::string cluster, trace;
  bool no_backfill = false, no_preemption = false, restart_preempted = false;
  double grace_s = -1;
  double exempt_s = -1;
};

absl::Status RunSim(CliContext& ctx, const SimFlags& flags) {
  ASSIGN_OR_RETURN(sched::ClusterSpec spec, sched::LoadClusterFile(flags.cluster));
  ASSIGN_OR_RETURN(sched::Trace trace, sched::LoadTraceFile(flags.trace));
  sched::SimOptions& options = spec.options;
  if (flags.no_backfill) options.scheduler.backfill = false;
  if (flags.no_preemption) options.scheduler.preemption = false;
  if (flags.restart_preempted) options.restart_preempted = true;
  if (flags.grace_s >= 0) options.preemption_grace_s = flags.grace_s;
  if (flags.exempt_s >= 0)
    options.scheduler.preempt_exempt_ms = std::llround(flags.exempt_s * 1000);
  SimCluster cluster;
  cluster.nodes = spec.nodes.size();
  for (const gpu::Node& n : spec.nodes) cluster.gpus += static_cast<double>(n.gpus.size());
  absl::StatusOr<sched::SimReport> report;
  {
    SimProgressBar bar(absl::StrCat("replaying ", trace.source), StderrIsTerminal());
    options.progress = [&bar](const sched::SimProgress& p) { bar.Update(p); };
    report = sched::Simulate(spec.nodes, spec.queues, trace, options);
  }
  if (!report.ok()) return report.status();
  if (ctx.json()) {
    ctx.PrintJson(SimReportJson(*report, cluster));
  } else {
    ctx.Print(RenderSimReport(*report, cluster));
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatSimProgress(const std::string& label, const sched::SimProgress& p, size_t width) {
  double fraction = p.jobs_total > 0 ? static_cast<double>(p.jobs_done) / p.jobs_total : 1;
  fraction = std::min(1.0, std::max(0.0, fraction));
  std::string counts = absl::StrCat(Count(p.jobs_done), "/", Count(p.jobs_total), " jobs  day ",
                                    absl::StrFormat("%.1f", p.sim_time_s / 86400));
  std::string percent = absl::StrFormat("%3d%%", static_cast<int>(fraction * 100));
  size_t fixed = counts.size() + percent.size() + 6;
  size_t bar_width = width > fixed + 10 ? std::min<size_t>(24, width - fixed) : 10;
  size_t filled = static_cast<size_t>(fraction * bar_width);
  std::string tail =
      absl::StrCat("[", std::string(filled, '#'), std::string(bar_width - filled, '-'), "]  ",
                   percent, "  ", counts);
  if (label.empty() || tail.size() + 2 >= width) return tail;
  return absl::StrCat(TruncateToWidth(label, width - tail.size() - 2), "  ", tail);
}

std::string RenderSimReport(const sched::SimReport& r, const SimCluster& cluster) {
  std::string flavors;
  for (const sched::FlavorReport& f : r.flavors) {
    absl::StrAppend(&flavors, flavors.empty() ? " (" : ", ", f.flavor, " ", Percent(f.utilisation),
                    " of ", Count(f.gpus));
  }
  if (!flavors.empty()) flavors += ")";
  std::string out =
      absl::StrCat("Replayed ", Count(r.jobs), " jobs on ", Count(cluster.nodes), " nodes (",
                   Count(cluster.gpus), " GPUs) in ", Seconds(r.wall_s), ".\n\n");
  absl::StrAppend(
      &out, RenderKeyValues({
                {"makespan", absl::StrCat(Seconds(r.makespan_s), " of simulated time")},
                {"utilisation", absl::StrCat(Percent(r.utilisation), flavors)},
                {"jobs", absl::StrCat(Count(r.completed), " completed, ", Count(r.rejected),
                                      " rejected, ", Count(r.timed_out), " timed out, ",
                                      Count(r.unfinished), " unfinished")},
                {"wait", WaitLine(r.wait_s)},
                {"preemptions",
                 absl::StrCat(Count(r.preemptions), " of ", Count(r.jobs_preempted),
                              " jobs (at most ", r.max_preemptions_of_a_job, " of one job); ",
                              absl::StrFormat("%.1f", r.preemption_lost_gpu_hours),
                              " GPU-hours lost to them")},
                {"fairness", absl::StrFormat("%.3f (Jain's index of the queues' shares while they "
                                             "wait; 1 is fair)",
                                             r.fairness)},
                {"scheduling", absl::StrFormat("%s passes, p50 %.3f ms, p99 %.3f ms",
                                               Count(r.passes), r.pass_ms.p50, r.pass_ms.p99)},
                {"largest queue", absl::StrCat(Count(r.max_pending), " pending jobs")},
            }));
  Table table{{"team", "jobs", "completed", "rejected", "timed out", "preempted", "wait p50",
               "wait p90", "wait p99", "wait max", "mean gpus", "share"},
              {},
              {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}};
  for (const sched::TeamReport& t : r.teams) {
    table.rows.push_back({t.team, Count(t.jobs), Count(t.completed), Count(t.rejected),
                          Count(t.timed_out), Count(t.preemptions), Seconds(t.wait_s.p50),
                          Seconds(t.wait_s.p90), Seconds(t.wait_s.p99), Seconds(t.wait_s.max),
                          absl::StrFormat("%.1f", t.mean_gpus),
                          absl::StrFormat("%.2f", t.waiting_share)});
  }
  absl::StrAppend(&out, "\n", RenderTable(table));
  absl::StrAppend(&out, NoteList("Rejected jobs", r.rejections));
  absl::StrAppend(&out, NoteList("Jobs still waiting at the end", r.unfinished_jobs));
  return out;
}

Json SimReportJson(const sched::SimReport& report, const SimCluster& cluster) {
  Json json = sched::SimReportToJson(report);
  json["cluster"] = {{"nodes", cluster.nodes}, {"gpus", cluster.gpus}};
  return json;
}

void AddSimCommand(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<SimFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sim", "Replay a job trace through the scheduler on a simulated cluster (no server)");
  cmd->add_option("--cluster", flags->cluster, "Cluster file: nodes, queues, scheduler settings")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("TRACE", flags->trace,
                  "Job trace, CSV: submit_time,duration,gpus,team,priority[,...]")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_flag("--no-backfill", flags->no_backfill, "Switch backfill off");
  cmd->add_flag("--no-preemption", flags->no_preemption, "Switch preemption off");
  cmd->add_flag("--restart-preempted", flags->restart_preempted,
                "Preempted jobs start over instead of resuming from a checkpoint");
  cmd->add_option("--preemption-grace", flags->grace_s,
                  "Seconds a preempted job keeps its GPUs while it stops (default 30)")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_option("--preempt-exempt-time", flags->exempt_s,
                  "Seconds a job runs before it can be preempted (default: the cluster file's "
                  "scheduler.preempt_exempt_time, else 60; 0: none)")
      ->check(CLI::Range(0.0, 864000.0));
  OnRun(cmd, ctx, [&ctx, flags]() { return RunSim(ctx, *flags); });
}

}  // namespace plinth::cli
