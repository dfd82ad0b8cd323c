#include "plinth/cli/sim_cmd.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::cli {
namespace {

using ::testing::HasSubstr;

TEST(FormatSimProgressTest, BarCountsAndSimulatedDay) {
  sched::SimProgress p;
  p.jobs_done = 500;
  p.jobs_total = 1000;
  p.sim_time_s = 2.5 * 86400;
  std::string line = FormatSimProgress("replaying trace.csv", p, 100);
  EXPECT_EQ(line, "replaying trace.csv  [############------------]   50%  500/1,000 jobs  day 2.5");
  std::string narrow = FormatSimProgress("replaying a-very-long-trace-name.csv", p, 60);
  EXPECT_LE(DisplayWidth(narrow), 60u);
  EXPECT_THAT(narrow, HasSubstr("500/1,000 jobs"));
}

sched::SimReport SmallReport() {
  sched::SimReport r;
  r.jobs = 1200;
  r.completed = 1199;
  r.rejected = 1;
  r.makespan_s = 3 * 3600;
  r.utilisation = 0.8125;
  r.flavors = {{"H100-80GB", 16, 0, 0.8125}};
  r.wait_s = {1199, 60, 30, 120, 600, 900};
  r.preemptions = 3;
  r.jobs_preempted = 2;
  r.max_preemptions_of_a_job = 2;
  r.preemption_lost_gpu_hours = 1.3;
  r.fairness = 0.97;
  r.passes = 2400;
  r.pass_ms = {2400, 0.02, 0.01, 0.03, 0.05, 0.2};
  r.max_pending = 40;
  r.wall_s = 0.25;
  sched::TeamReport t;
  t.team = "vision";
  t.jobs = 1200;
  t.completed = 1199;
  t.rejected = 1;
  t.preemptions = 3;
  t.wait_s = r.wait_s;
  t.mean_gpus = 13;
  t.waiting_share = 0.75;
  r.teams = {t};
  r.rejections = {{"job-7", 8, "vision", "needs 1 x 32 GPUs, more than the cluster can place"}};
  return r;
}

TEST(RenderSimReportTest, SummaryTeamsAndRejections) {
  std::string text = RenderSimReport(SmallReport(), SimCluster{2, 16});
  EXPECT_THAT(text, HasSubstr("Replayed 1,200 jobs on 2 nodes (16 GPUs) in 250ms."));
  EXPECT_THAT(text, HasSubstr("makespan:       3h00m of simulated time"));
  EXPECT_THAT(text, HasSubstr("utilisation:    81.2% (H100-80GB 81.2% of 16)"));
  EXPECT_THAT(text, HasSubstr("1,199 completed, 1 rejected, 0 timed out, 0 unfinished"));
  EXPECT_THAT(text, HasSubstr("p50 30.0s, p90 2m00s, p99 10m00s, max 15m00s"));
  EXPECT_THAT(text, HasSubstr("3 of 2 jobs (at most 2 of one job); 1.3 GPU-hours lost to them"));
  EXPECT_THAT(text, HasSubstr("2,400 passes, p50 0.010 ms, p99 0.050 ms"));
  EXPECT_THAT(text, HasSubstr("TEAM"));
  EXPECT_THAT(text, HasSubstr("vision"));
  EXPECT_THAT(text, HasSubstr("Rejected jobs (1):\n  job-7 (line 8, team vision): needs 1 x 32"));
  Json json = SimReportJson(SmallReport(), SimCluster{2, 16});
  EXPECT_EQ(json["cluster"]["nodes"], 2);
  EXPECT_EQ(json["jobs"], 1200);
}

// `plinth sim` end to end, on files in a temporary folder.
class SimCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("plinth-sim-cmd-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    Write("cluster.yaml",
          "simulated: 2x8xH100-80GB\n"
          "queues:\n"
          "  - {name: vision, cohort: research, nominal: {H100-80GB: 8}}\n"
          "  - {name: nlp, cohort: research, nominal: {H100-80GB: 8}}\n");
    Write("trace.csv",
          "submit_time,duration,gpus,team,priority,replicas\n"
          "0,3600,8,vision,0,1\n"
          "10,600,4,nlp,0,1\n"
          "20,600,0.5,nlp,0,1\n"
          "30,60,8,vision,0,3\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  int Run(std::vector<std::string> args) {
    CLI::App app("test", "plinth");
    CliContext ctx;
    ctx.out = &out_;
    ctx.err = &err_;
    AddGlobalOptions(app, ctx);
    AddSimCommand(app, ctx);
    args.insert(args.begin(), "plinth");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return RunCli(app, ctx, static_cast<int>(argv.size()), argv.data());
  }

  std::filesystem::path dir_;
  std::ostringstream out_, err_;
};

TEST_F(SimCommandTest, PrintsTheReport) {
  ASSERT_EQ(Run({"sim", "--cluster", Path("cluster.yaml"), Path("trace.csv")}), 0) << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("Replayed 4 jobs on 2 nodes (16 GPUs)"));
  EXPECT_THAT(out_.str(), HasSubstr("3 completed, 1 rejected"));
  EXPECT_THAT(out_.str(), HasSubstr("job-4 (line 5, team vision): needs 3 x 8 GPUs"));
}

TEST_F(SimCommandTest, JsonAndSwitches) {
  ASSERT_EQ(Run({"sim", "--cluster", Path("cluster.yaml"), Path("trace.csv"), "--output", "json",
                 "--no-backfill", "--no-preemption"}),
            0)
      << err_.str();
  Json report = Json::parse(out_.str());
  EXPECT_EQ(report["jobs"], 4);
  EXPECT_EQ(report["completed"], 3);
  EXPECT_EQ(report["preemptions"], 0);
  EXPECT_EQ(report["cluster"]["gpus"], 16);
  EXPECT_EQ(report["teams"].size(), 2u);
}

TEST_F(SimCommandTest, BadFilesNameTheLineAndPlace) {
  Write("bad.csv", "submit_time,duration,gpus,team,priority\n0,10,1.5,vision,0\n");
  EXPECT_EQ(Run({"sim", "--cluster", Path("cluster.yaml"), Path("bad.csv")}), 1);
  EXPECT_EQ(err_.str(),
            "plinth: bad.csv:2: column gpus: '1.5' is not a valid GPU count (a fraction below 1 "
            "or a whole number)\n");
  err_.str("");
  Write("bad.yaml", "simulated: 1x8xH100-80GB\nqueues:\n  - {name: a, nominl: {H100-80GB: 1}}\n");
  EXPECT_EQ(Run({"sim", "--cluster", Path("bad.yaml"), Path("trace.csv")}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("bad.yaml:3: queues[0].nominl: unknown key"));
  err_.str("");
  // The trace names queues the cluster does not define.
  Write("other.yaml", "simulated: 1x8xH100-80GB\nqueues:\n  - {name: a}\n");
  EXPECT_EQ(Run({"sim", "--cluster", Path("other.yaml"), Path("trace.csv")}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("trace.csv:2: queue 'vision' is not defined"));
}

TEST_F(SimCommandTest, UsageMistakes) {
  EXPECT_EQ(Run({"sim", Path("trace.csv")}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("--cluster"));
  err_.str("");
  EXPECT_EQ(Run({"sim", "--cluster", Path("missing.yaml"), Path("trace.csv")}), 2);
}

}  // namespace
}  // namespace plinth::cli
