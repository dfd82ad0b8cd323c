// MLflow logging while the job loop follows many Slurm jobs, and while the
// Slurm controller hangs (issue 9: the loop never waits on a backend).
//
// Two servers run side by side: an idle one (the baseline) and a busy one
// whose Slurm executor has --jobs jobs RUNNING (sleep 600), polled once a
// tick. Blocks of --block sequential runs/log-batch calls (10 metrics each)
// alternate between the two, so both see the same machine noise. Then the
// busy server's squeue and sbatch hang (sleep 20 s) and the alternation is
// repeated; meanwhile a few local `true` jobs run on the busy server,
// timed from their events. Prints p50/p99 per phase and the ratios.
//
// Slurm is played by stand-in commands (sh scripts in a temporary bin_dir:
// sbatch hands out job ids, squeue answers every asked job RUNNING at
// once, or sleeps 20 s while a flag file exists), so the figures measure
// Plinth's own cost of following the jobs, not a controller's. Flags:
// --jobs (200) --calls (2000) --block (100) --local-jobs (5) --keep.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_common.h"
#include "bench/mlflow_setup.h"
#include "nlohmann/json.hpp"

namespace plinth::bench {
namespace {

using Json = nlohmann::json;

constexpr int kHangS = 20;

void WriteScript(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\n" << body;
  chmod(path.c_str(), 0755);
}

// sbatch, squeue, scontrol, scancel (and sacct) stand-ins in `dir`.
void WriteStandIns(const std::string& dir, const std::string& hang_flag) {
  std::string hang = "[ -e " + hang_flag + " ] && sleep " + std::to_string(kHangS) + "\n";
  WriteScript(dir + "/sbatch", hang + "n=$(cat " + dir + "/next 2>/dev/null || echo 1000)\n" +
                                   "echo $((n + 1)) > " + dir + "/next\necho $n\n");
  WriteScript(dir + "/squeue", hang +
                                   "while [ $# -gt 0 ]; do [ \"$1\" = -j ] && ids=$2; shift; done\n"
                                   "echo \"$ids\" | tr , '\\n' | sed 's/$/|RUNNING/'\n");
  for (const char* name : {"scontrol", "scancel", "sacct"}) {
    WriteScript(dir + "/" + name, hang + "exit 0\n");
  }
}

Json Call(HttpConnection& conn, const std::string& method, const std::string& target,
          const std::string& body = "") {
  HttpResponse r;
  conn.RoundTripOk(BuildRequest(method, target, body), &r);
  return Json::parse(r.body);
}

std::string Submit(HttpConnection& conn, const Json& spec) {
  return Call(conn, "POST", "/api/v1/jobs", spec.dump())["job"]["id"];
}

void WaitForState(HttpConnection& conn, const std::string& id, const std::string& want) {
  for (double deadline = Now() + 120;;) {
    std::string state = Call(conn, "GET", "/api/v1/jobs/" + id)["job"]["state"];
    if (state == want) return;
    Check(Now() < deadline, "job " + id + " stayed " + state + ", not " + want);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// One server's connection and run, and its latencies per phase.
struct Target {
  std::unique_ptr<HttpConnection> conn;
  std::string run_id;
  int64_t step = 0;

  double LogBatch() {
    Json metrics = Json::array();
    for (int k = 0; k < 10; ++k) {
      metrics.push_back({{"key", "m" + std::to_string(k)},
                         {"value", 0.5},
                         {"timestamp", 1700000000000 + step},
                         {"step", step}});
    }
    ++step;
    std::string request = BuildRequest("POST", "/api/2.0/mlflow/runs/log-batch",
                                       Json{{"run_id", run_id}, {"metrics", metrics}}.dump());
    HttpResponse r;
    double start = Now();
    conn->RoundTripOk(request, &r);
    return (Now() - start) * 1000;
  }
};

Target Connect(const ServerProcess& server) {
  Target t;
  t.conn = HttpConnection::Connect(server.port());
  Check(t.conn != nullptr, "cannot connect to the server");
  t.run_id = CreateRunHttp(*t.conn, CreateExperimentHttp(*t.conn, "load"), "load");
  return t;
}

// Alternates blocks of calls between the two; their latencies in ms.
void Alternate(Target& idle, Target& busy, int64_t calls, int64_t block,
               std::vector<double>& idle_ms, std::vector<double>& busy_ms) {
  for (int64_t done = 0; done < calls; done += block) {
    for (int64_t i = 0; i < block; ++i) idle_ms.push_back(idle.LogBatch());
    for (int64_t i = 0; i < block; ++i) busy_ms.push_back(busy.LogBatch());
  }
}

// SUBMITTED -> SUCCEEDED of a local `true`, from the server's events.
double LocalJob(HttpConnection& conn) {
  std::string id = Submit(conn, {{"name", "noop"}, {"command", {"true"}}});
  WaitForState(conn, id, "SUCCEEDED");
  for (double deadline = Now() + 30;;) {
    double submitted = -1, succeeded = -1;
    Json events = Call(conn, "GET", "/api/v1/jobs/" + id + "/events");  // kept: the loop reads it
    for (const Json& e : events["events"]) {
      if (e["type"] == "SUBMITTED") submitted = e["time"].get<double>();
      if (e["type"] == "SUCCEEDED") succeeded = e["time"].get<double>();
    }
    if (submitted >= 0 && succeeded >= 0) return succeeded - submitted;
    Check(Now() < deadline, "job " + id + " has no SUCCEEDED event");
  }
}

void PrintPhase(const std::string& what, const std::vector<double>& idle,
                const std::vector<double>& busy) {
  PrintTitle("log-batch (10 metrics), " + what + ", " + std::to_string(busy.size()) + " calls");
  PrintFigure("busy server p50", Median(busy), "ms");
  PrintFigure("busy server p99", Percentile(busy, 99), "ms");
  PrintFigure("baseline: idle server p50", Median(idle), "ms");
  PrintFigure("baseline: idle server p99", Percentile(idle, 99), "ms");
  PrintFigure("ratio p50 busy / idle", Median(busy) / Median(idle), "");
  PrintFigure("ratio p99 busy / idle", Percentile(busy, 99) / Percentile(idle, 99), "");
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  std::string plinth = PlinthBinary(flags);
  int64_t jobs = flags.Int("jobs", 200);
  int64_t calls = flags.Int("calls", 2000);
  int64_t block = flags.Int("block", 100);
  int64_t local_jobs = flags.Int("local-jobs", 5);
  bool keep = flags.Bool("keep", false);
  flags.CheckAllUsed();
  Check(block > 0 && calls >= block, "--calls must be at least --block");

  TempDir idle_home("plinth-bench-idle", keep), busy_home("plinth-bench-busy", keep);
  std::string bin = busy_home.path() + "/slurm-bin";
  mkdir(bin.c_str(), 0755);
  std::string hang_flag = busy_home.path() + "/hang";
  WriteStandIns(bin, hang_flag);
  std::string config = busy_home.path() + "/plinth.yaml";
  std::ofstream(config) << "executors:\n  slurm: {bin_dir: " << bin << ", command_timeout_s: 60}\n";
  ServerProcess idle_server(plinth, idle_home.path(), idle_home.path() + "/server.log");
  ServerProcess busy_server(plinth, busy_home.path(), busy_home.path() + "/server.log",
                            {"--config", config});
  Target idle = Connect(idle_server), busy = Connect(busy_server);

  std::vector<std::string> ids;
  for (int64_t i = 0; i < jobs; ++i) {
    ids.push_back(Submit(*busy.conn,
                         {{"name", "held"}, {"executor", "slurm"}, {"command", {"sleep", "600"}}}));
  }
  for (const std::string& id : ids) WaitForState(*busy.conn, id, "RUNNING");
  for (int64_t i = 0; i < block; ++i) idle.LogBatch(), busy.LogBatch();  // warm-up

  std::vector<double> idle_polled, busy_polled;
  Alternate(idle, busy, calls, block, idle_polled, busy_polled);

  std::ofstream(hang_flag).put('\n');
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // a hung squeue is in flight
  std::vector<double> idle_hung, busy_hung, local;
  double hung_since = Now();
  for (int64_t i = 0; i < local_jobs; ++i) local.push_back(LocalJob(*busy.conn));
  Alternate(idle, busy, calls, block, idle_hung, busy_hung);
  double hung_for = Now() - hung_since;

  PrintPhase(std::to_string(jobs) + " Slurm jobs polled every tick", idle_polled, busy_polled);
  PrintPhase("Slurm controller hung (squeue, sbatch sleep 20 s)", idle_hung, busy_hung);
  PrintTitle("local `true` jobs on the busy server while Slurm hangs");
  PrintFigure("SUBMITTED -> SUCCEEDED median", Median(local), "ms");
  PrintFigure("SUBMITTED -> SUCCEEDED max", Percentile(local, 100), "ms");
  PrintFigure("seconds measured while hung", hung_for, "s");
  char measured[96];
  double polled_ratio = Percentile(busy_polled, 99) / Percentile(idle_polled, 99);
  double hung_ratio = Percentile(busy_hung, 99) / Percentile(idle_hung, 99);
  std::snprintf(measured, sizeof measured, "p50 %.2f, p99 %.2f",
                Median(busy_polled) / Median(idle_polled), polled_ratio);
  PrintGoal("log-batch with Slurm jobs polled / idle <= 1.1",
            Median(busy_polled) / Median(idle_polled) <= 1.1 && polled_ratio <= 1.1, measured);
  std::snprintf(measured, sizeof measured, "p50 %.2f, p99 %.2f",
                Median(busy_hung) / Median(idle_hung), hung_ratio);
  PrintGoal("log-batch with Slurm hung / idle <= 1.1",
            Median(busy_hung) / Median(idle_hung) <= 1.1 && hung_ratio <= 1.1, measured);
  std::remove(hang_flag.c_str());  // the server's stop waits for a call in flight only
  return 0;
}

}  // namespace
}  // namespace plinth::bench

int main(int argc, char** argv) { return plinth::bench::Main(argc, argv); }
