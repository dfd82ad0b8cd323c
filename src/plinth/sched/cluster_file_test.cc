#include "plinth/sched/cluster_file.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::sched {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<ClusterSpec> spec = ParseClusterYaml(yaml, "cluster.yaml");
  EXPECT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

TEST(ClusterFileTest, NodesQueuesAndSettings) {
  absl::StatusOr<ClusterSpec> spec = ParseClusterYaml(R"(
nodes:
  - {name_prefix: gpu, count: 3, gpus: 8, model: H100-80GB, mig_gpus: 2}
  - {name_prefix: gpu, count: 1, gpus: 4, model: A100-40GB}
queues:
  - {name: vision, team: cv, cohort: research, nominal: {H100-80GB: 16},
     borrowing_limit: {H100-80GB: 4}, weight: 2}
  - {name: nlp, cohort: research, nominal: {H100-80GB: 8, A100-40GB: unlimited}}
scheduler: {backfill: false, preemption: false, max_preemption_attempts: 5,
            preempt_exempt_time: 1m30s}
simulation: {restart_preempted: true, runtime_estimates: false, preemption_grace: 45s}
)",
                                                      "cluster.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->nodes.size(), 4u);
  EXPECT_EQ(spec->nodes[0].name, "gpu-0");
  EXPECT_EQ(spec->nodes[3].name, "gpu-3");  // numbering continues across groups
  ASSERT_EQ(spec->nodes[0].gpus.size(), 8u);
  EXPECT_TRUE(spec->nodes[0].gpus[1].mig_enabled);
  EXPECT_FALSE(spec->nodes[0].gpus[2].mig_enabled);
  EXPECT_EQ(spec->nodes[0].gpus[0].model, "H100-80GB");
  EXPECT_EQ(spec->nodes[0].gpus[0].memory_total_mib, 81920);
  EXPECT_EQ(spec->nodes[3].gpus.size(), 4u);
  ASSERT_EQ(spec->queues.size(), 2u);
  const QueueConfig& vision = spec->queues[0];
  EXPECT_EQ(vision.team, "cv");
  EXPECT_EQ(vision.cohort, "research");
  EXPECT_EQ(vision.nominal.at("H100-80GB"), 16);
  EXPECT_EQ(vision.borrowing_limit.at("H100-80GB"), 4);
  EXPECT_EQ(vision.weight, 2);
  EXPECT_EQ(spec->queues[1].team, "nlp");  // defaults to the name
  EXPECT_TRUE(std::isinf(spec->queues[1].nominal.at("A100-40GB")));
  EXPECT_FALSE(spec->options.scheduler.backfill);
  EXPECT_FALSE(spec->options.scheduler.preemption);
  EXPECT_EQ(spec->options.scheduler.max_preemption_attempts, 5);
  EXPECT_EQ(spec->options.scheduler.preempt_exempt_ms, 90'000);
  EXPECT_DOUBLE_EQ(spec->options.preemption_grace_s, 45);
  EXPECT_TRUE(spec->options.restart_preempted);
  EXPECT_FALSE(spec->options.runtime_estimates);
}

TEST(ClusterFileTest, SimulatedShorthand) {
  absl::StatusOr<ClusterSpec> spec =
      ParseClusterYaml("simulated: \"2x8xH100-80GB:mig=2, 1x4xL4-24GB\"\n", "cluster.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->nodes.size(), 3u);
  EXPECT_EQ(spec->nodes[1].name, "h100-80gb-1");
  EXPECT_TRUE(spec->nodes[1].gpus[1].mig_enabled);
  EXPECT_FALSE(spec->nodes[1].gpus[2].mig_enabled);
  EXPECT_EQ(spec->nodes[2].name, "l4-24gb-0");
  EXPECT_EQ(spec->nodes[2].gpus.size(), 4u);
  EXPECT_EQ(spec->nodes[2].gpus[0].model, "L4-24GB");
  absl::StatusOr<std::vector<gpu::Node>> one = ParseSimulatedNodes("2x8xH100-80GB");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)[1].name, "node-1");
  EXPECT_TRUE(spec->queues.empty());
  EXPECT_TRUE(spec->options.scheduler.backfill);  // defaults
  EXPECT_EQ(spec->options.scheduler.preempt_exempt_ms, kDefaultPreemptExemptMs);
  EXPECT_FALSE(spec->options.restart_preempted);
  EXPECT_THAT(ErrorOf("simulated: 8xH100\n"),
              HasSubstr("cluster.yaml:1: simulated: simulated cluster '8xH100': not in that form; "
                        "expected <nodes>x<gpus-per-node>x<model>"));
  EXPECT_THAT(ErrorOf("simulated: 0x8xH100-80GB\n"), HasSubstr("nodes must be >= 1"));
  EXPECT_THAT(ErrorOf("simulated: 1x17xH100-80GB\n"), HasSubstr("GPUs per node must be 1..16"));
  EXPECT_THAT(ErrorOf("simulated: 1x8xH100-80GB:mig=9\n"),
              HasSubstr("mig must be 0..GPUs per node"));
}

TEST(ClusterFileTest, DurationsAreSecondsOrUnits) {
  auto exempt_ms = [](const std::string& value) -> int64_t {
    absl::StatusOr<ClusterSpec> spec = ParseClusterYaml(
        "simulated: 1x8xH100-80GB\nscheduler: {preempt_exempt_time: " + value + "}\n", "c.yaml");
    EXPECT_TRUE(spec.ok()) << spec.status();
    return spec.ok() ? spec->options.scheduler.preempt_exempt_ms : -1;
  };
  EXPECT_EQ(exempt_ms("60s"), 60'000);
  EXPECT_EQ(exempt_ms("0"), 0);  // off
  EXPECT_EQ(exempt_ms("2.5"), 2'500);
  EXPECT_EQ(exempt_ms("5m"), 300'000);
  EXPECT_EQ(exempt_ms("1h30m"), 5'400'000);
  EXPECT_EQ(exempt_ms("1d"), 86'400'000);
}

TEST(ClusterFileTest, UnknownKeysNameTheirPath) {
  EXPECT_EQ(ErrorOf("simulated: 1x8xH100-80GB\n"
                    "queues:\n"
                    "  - {name: a, nominal: {H100-80GB: 8}}\n"
                    "  - {name: b, nominl: {H100-80GB: 8}}\n"),
            "cluster.yaml:4: queues[1].nominl: unknown key (known: borrowing_limit, cohort, name, "
            "nominal, team, weight)");
  EXPECT_THAT(ErrorOf("simulated: 1x8xH100-80GB\nschedular: {}\n"),
              HasSubstr("cluster.yaml:2: schedular: unknown key"));
  EXPECT_THAT(ErrorOf("nodes:\n  - {gpus: 8, model: H100-80GB, memory: 4}\n"),
              HasSubstr("nodes[0].memory: unknown key"));
  EXPECT_THAT(ErrorOf("simulated: 1x8xH100-80GB\nscheduler: {backfil: true}\n"),
              HasSubstr("scheduler.backfil: unknown key"));
}

TEST(ClusterFileTest, BadValues) {
  EXPECT_THAT(ErrorOf("nodes:\n  - {count: 2, model: H100-80GB}\n"),
              HasSubstr("nodes[0]: gpus: required"));
  EXPECT_THAT(ErrorOf("nodes:\n  - {gpus: 8}\n"), HasSubstr("nodes[0]: model: required"));
  EXPECT_THAT(ErrorOf("nodes:\n  - {gpus: 8, model: H100-80GB, mig_gpus: 9}\n"),
              HasSubstr("nodes[0].mig_gpus: 9 is outside 0..8"));
  EXPECT_THAT(ErrorOf("nodes:\n  - {gpus: 1.5, model: H100-80GB}\n"),
              HasSubstr("nodes[0].gpus: expected a whole number"));
  EXPECT_THAT(ErrorOf("nodes:\n  - {gpus: 17, model: H100-80GB}\n"),
              HasSubstr("nodes[0].gpus: 17 is outside 0..16"));
  EXPECT_THAT(ErrorOf("nodes:\n  - {count: 1000000, gpus: 8, model: H100-80GB}\n"),
              HasSubstr("nodes[0].count: 1000000 is outside 1..100000"));
  EXPECT_THAT(ErrorOf("queues: []\n"), HasSubstr("cluster.yaml:1: nodes: required"));
  EXPECT_THAT(ErrorOf("simulated: 1x8xH100-80GB\nnodes: []\n"),
              HasSubstr("give either nodes or simulated"));
  const std::string nodes = "simulated: 1x8xH100-80GB\n";
  EXPECT_THAT(ErrorOf(nodes + "queues:\n  - {name: a, nominal: {A100-40GB: 8}}\n"),
              HasSubstr("queues[0].nominal.A100-40GB: no node has this GPU model (models: "
                        "H100-80GB)"));
  EXPECT_THAT(ErrorOf(nodes + "queues:\n  - {name: a, nominal: {H100-80GB: -1}}\n"),
              HasSubstr("queues[0].nominal.H100-80GB: expected a GPU count >= 0 or 'unlimited'"));
  EXPECT_THAT(ErrorOf(nodes + "queues:\n  - {name: a, borrowing_limit: {H100-80GB: 1}}\n"),
              HasSubstr("queues[0].borrowing_limit: a queue borrows only from its cohort"));
  EXPECT_THAT(ErrorOf(nodes + "queues:\n  - {name: a}\n  - {name: a}\n"),
              HasSubstr("queues[1].name: queue 'a' repeats"));
  EXPECT_THAT(ErrorOf(nodes + "queues:\n  - {team: a}\n"), HasSubstr("queues[0]: name: required"));
  EXPECT_THAT(ErrorOf(nodes + "queues:\n  - {name: a, weight: 0}\n"),
              HasSubstr("queues[0].weight: expected a number > 0"));
  EXPECT_THAT(ErrorOf(nodes + "scheduler: {backfill: sometimes}\n"),
              HasSubstr("scheduler.backfill: expected true or false"));
  EXPECT_THAT(ErrorOf(nodes + "scheduler: {preempt_exempt_time: soon}\n"),
              HasSubstr("cluster.yaml:2: scheduler.preempt_exempt_time: expected a duration >= 0: "
                        "seconds (90) or e.g. 90s, 5m, 2h, 1h30m"));
  EXPECT_THAT(ErrorOf(nodes + "scheduler: {preempt_exempt_time: -5}\n"),
              HasSubstr("scheduler.preempt_exempt_time: expected a duration >= 0"));
  EXPECT_THAT(ErrorOf(nodes + "scheduler: {preempt_exempt_time: 5x}\n"),
              HasSubstr("scheduler.preempt_exempt_time: expected a duration >= 0"));
  EXPECT_THAT(ErrorOf(nodes + "simulation: {preemption_grace: 1h1}\n"),
              HasSubstr("simulation.preemption_grace: expected a duration >= 0"));
  EXPECT_THAT(ErrorOf("nodes: [\n"), HasSubstr("cluster.yaml: invalid YAML"));
  EXPECT_THAT(ErrorOf("- 1\n- 2\n"), HasSubstr("(top level): expected a mapping"));
}

}  // namespace
}  // namespace plinth::sched
