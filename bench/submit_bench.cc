// Job submission benchmark: POST /api/v1/jobs from concurrent keep-alive
// clients to `plinth server` (SQLite, simulated GPUs) and count accepted
// jobs per second; in the same run, submit no-op batch jobs to the local
// Slurm cluster with `sbatch` and print the ratio (Slurm documents 500
// simple batch jobs per second sustained).
//
// A long job holds the one GPU of a one-GPU simulated cluster first, so the
// benchmark's jobs (one GPU each) all stay pending: the server keeps
// scheduling them (a pass every tick over everything pending) while it
// accepts more, as a busy cluster would, and no process start is timed.
#include <cinttypes>
#include <cstdio>
#include <latch>
#include <thread>

#include "bench/bench_common.h"
#include "plinth/exec/slurm_cli.h"

namespace plinth::bench {
namespace {

struct Result {
  double jobs_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
};

Result SubmitOverHttp(const std::string& plinth, int clients, int64_t jobs, bool keep) {
  TempDir home("plinth-bench-submit", keep);
  ServerProcess server(plinth, home.path(), home.path() + "/server.log",
                       {"--simulated-gpus", "1x1xH100-80GB"});
  std::string request = BuildRequest(
      "POST", "/api/v1/jobs",
      R"({"name":"noop","command":["true"],"resources":{"gpus":1},"queue":"default"})");
  auto control = HttpConnection::Connect(server.port());
  HttpResponse response;
  control->RoundTripOk(
      BuildRequest("POST", "/api/v1/jobs",
                   R"({"name":"holder","command":["sleep","3600"],"resources":{"gpus":1}})"),
      &response);
  std::string holder = response.body.substr(response.body.find("\"id\":\"") + 6, 16);
  for (double deadline = Now() + 30;;) {
    control->RoundTripOk(BuildRequest("GET", "/api/v1/jobs/" + holder), &response);
    if (response.body.find("\"state\":\"RUNNING\"") != std::string::npos) break;
    Check(Now() < deadline, "the GPU-holding job did not start: " + response.body);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int64_t per_client = jobs / clients;
  std::vector<std::vector<double>> latencies(clients);
  std::latch ready(clients + 1);
  std::vector<std::thread> threads;
  double start = 0;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto conn = HttpConnection::Connect(server.port());
      Check(conn != nullptr, "cannot connect to the server");
      HttpResponse response;
      ready.arrive_and_wait();
      latencies[c].reserve(per_client);
      for (int64_t i = 0; i < per_client; ++i) {
        double t0 = Now();
        conn->RoundTripOk(request, &response);
        latencies[c].push_back((Now() - t0) * 1000);
      }
    });
  }
  ready.arrive_and_wait();
  start = Now();
  for (std::thread& t : threads) t.join();
  double seconds = Now() - start;
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  // Every accepted job must be on record (and the holder).
  control->RoundTripOk(BuildRequest("GET", "/api/v1/accounting?group_by=queue"), &response);
  Check(response.body.find("\"jobs\":" + std::to_string(per_client * clients + 1)) !=
            std::string::npos,
        "the server does not list every accepted job: " + response.body);
  control->RoundTripOk(BuildRequest("POST", "/api/v1/jobs/" + holder + "/cancel", "{}"), &response);
  server.Stop();
  return {static_cast<double>(per_client * clients) / seconds, Median(all), Percentile(all, 99)};
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv);
  std::string plinth = PlinthBinary(flags);
  std::vector<int64_t> clients = flags.IntList("clients", "4,8");
  int64_t jobs = flags.Int("jobs", 20000);
  int64_t reps = flags.Int("reps", 3);
  int64_t sbatch_jobs = flags.Int("sbatch-jobs", 200);
  std::string slurm_conf = flags.Str("slurm-conf", "");
  bool keep = flags.Bool("keep", false);
  flags.CheckAllUsed();
  if (slurm_conf.empty() && getenv("PLINTH_TEST_SLURM_CONF")) {
    slurm_conf = getenv("PLINTH_TEST_SLURM_CONF");
  }

  std::printf("== job submission: %" PRId64 " jobs per run over HTTP keep-alive, %" PRId64
              " reps\n",
              jobs, reps);
  double best = 0;
  for (int64_t c : clients) {
    std::vector<double> rates, p50, p99;
    for (int64_t r = 0; r < reps; ++r) {
      Result result = SubmitOverHttp(plinth, static_cast<int>(c), jobs, keep);
      rates.push_back(result.jobs_per_second);
      p50.push_back(result.p50_ms);
      p99.push_back(result.p99_ms);
    }
    std::printf("  %2" PRId64
                " clients: %9.0f jobs/s accepted (median), p50 %.2f ms, p99 %.2f ms\n",
                c, Median(rates), Median(p50), Median(p99));
    best = std::max(best, Median(rates));
  }
  if (slurm_conf.empty()) {
    std::printf(
        "  sbatch baseline: skipped (no Slurm: scripts/services/slurm start; export "
        "$(scripts/services/slurm env))\n");
    return 0;
  }
  auto cli = exec::SlurmCli::Create("", {{"SLURM_CONF", slurm_conf}}, absl::Seconds(30));
  Check(cli.ok(), "Slurm commands: " + std::string(cli.status().message()));
  auto sbatch = exec::MeasureSbatchThroughput(**cli, static_cast<int>(sbatch_jobs), "");
  Check(sbatch.ok(), "sbatch baseline failed: " + std::string(sbatch.status().message()));
  std::printf("  sbatch (local one-node Slurm, %d no-op jobs, sequential): %.0f jobs/s\n",
              sbatch->jobs, sbatch->jobs_per_second);
  std::printf("  ratio plinth / sbatch: %.1fx (Slurm documents 500 jobs/s: %.1fx that)\n",
              best / sbatch->jobs_per_second, best / 500.0);
  // Leave the Slurm queue empty for whoever uses the cluster next.
  (void)(*cli)->Run("scancel", {"--name=plinth-bench"});
  return 0;
}

}  // namespace
}  // namespace plinth::bench

int main(int argc, char** argv) { return plinth::bench::Main(argc, argv); }
