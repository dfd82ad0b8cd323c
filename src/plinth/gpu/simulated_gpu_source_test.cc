#include "plinth/gpu/simulated_gpu_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "plinth/gpu/gpu_source_factory.h"

namespace plinth::gpu {
namespace {

using ::testing::HasSubstr;

GpuConfig Config(const std::string& source, const std::string& shorthand = "") {
  GpuConfig config;
  config.source = source;
  if (!shorthand.empty()) config.simulated = *ParseSimulatedShorthand(shorthand);
  return config;
}

std::vector<Node> Discover(const std::string& shorthand) {
  absl::StatusOr<std::vector<SimulatedNodeGroup>> groups = ParseSimulatedShorthand(shorthand);
  EXPECT_TRUE(groups.ok()) << groups.status();
  absl::StatusOr<std::unique_ptr<SimulatedGpuSource>> source =
      SimulatedGpuSource::Create(*std::move(groups));
  EXPECT_TRUE(source.ok()) << source.status();
  absl::StatusOr<std::vector<Node>> nodes = (*source)->Discover();
  EXPECT_TRUE(nodes.ok()) << nodes.status();
  return *nodes;
}

TEST(SimulatedShorthandTest, ParsesOneGroup) {
  absl::StatusOr<std::vector<SimulatedNodeGroup>> groups = ParseSimulatedShorthand("2x8xH100-80GB");
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 1u);
  const SimulatedNodeGroup& group = (*groups)[0];
  EXPECT_EQ(group.name_prefix, "node");
  EXPECT_EQ(group.nodes, 2);
  EXPECT_EQ(group.gpus_per_node, 8);
  EXPECT_EQ(group.model, "H100-80GB");
  EXPECT_EQ(group.mig_gpus_per_node, 0);
}

TEST(SimulatedShorthandTest, ParsesSeveralGroupsWithMig) {
  absl::StatusOr<std::vector<SimulatedNodeGroup>> groups =
      ParseSimulatedShorthand("2x8xH100-80GB, 4x4xA100-40GB,1x8xA100-80GB:mig=2");
  ASSERT_TRUE(groups.ok()) << groups.status();
  ASSERT_EQ(groups->size(), 3u);
  EXPECT_EQ((*groups)[0].name_prefix, "h100-80gb");
  EXPECT_EQ((*groups)[1].name_prefix, "a100-40gb");
  EXPECT_EQ((*groups)[1].nodes, 4);
  EXPECT_EQ((*groups)[1].gpus_per_node, 4);
  EXPECT_EQ((*groups)[2].model, "A100-80GB");
  EXPECT_EQ((*groups)[2].mig_gpus_per_node, 2);
}

TEST(SimulatedShorthandTest, BadInputNamesThePartAndTheForm) {
  struct Case {
    const char* text;
    const char* problem;
  };
  const Case kCases[] = {
      {"", "empty group"},
      {"2x8xH100-80GB,", "empty group"},
      {"8xH100-80GB", "missing 'x'"},
      {"twox8xH100-80GB", "node count 'two'"},
      {"2x-1xH100-80GB", "GPUs per node '-1'"},
      {"2x8x", "model is missing"},
      {"0x8xH100-80GB", "nodes is 0"},
      {"1x17xH100-80GB", "gpus_per_node is 17"},
      {"1x8xH100", "does not end in a memory size"},
      {"1x8xH100-80GB:mig=9", "mig_gpus_per_node is 9"},
      {"1x8xH100-80GB:mig=x", "mig count 'x'"},
      {"1x8xH100-80GB:spot", "unknown option 'spot'"},
      {"1x8xA100-40GB:mig=1", "MIG needs an 80 GB-class GPU"},
      {"1x2xH100-80GB,1x2xH100_SXM-80GB", "H100_SXM-80GB': the model must be"},
  };
  for (const Case& c : kCases) {
    absl::StatusOr<std::vector<SimulatedNodeGroup>> groups = ParseSimulatedShorthand(c.text);
    ASSERT_FALSE(groups.ok()) << c.text;
    EXPECT_EQ(groups.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(groups.status().message(), HasSubstr(c.problem)) << c.text;
    EXPECT_THAT(groups.status().message(), HasSubstr("<nodes>x<gpus-per-node>x<model>")) << c.text;
  }
}

TEST(SimulatedGpuSourceTest, BuildsNodesWithDefaults) {
  std::vector<Node> nodes = Discover("2x4xH100-80GB");
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].name, "node-0");
  EXPECT_EQ(nodes[1].name, "node-1");
  EXPECT_EQ(nodes[0].cpus, 64);
  EXPECT_EQ(nodes[0].memory_mib, 4 * 128 * 1024);
  ASSERT_EQ(nodes[0].gpus.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const Gpu& gpu = nodes[0].gpus[i];
    EXPECT_EQ(gpu.index, i);
    EXPECT_EQ(gpu.model, "H100-80GB");
    EXPECT_EQ(gpu.memory_total_mib, 80 * 1024);
    EXPECT_FALSE(gpu.mig_enabled);
    EXPECT_EQ(gpu.memory_used_mib, 0);
    EXPECT_EQ(gpu.utilization_pct, 0);
    EXPECT_TRUE(gpu.mig_instances.empty());
  }
}

TEST(SimulatedGpuSourceTest, NodeNamesAreUniqueAcrossGroups) {
  std::vector<Node> nodes = Discover("2x8xH100-80GB,3x4xA100-40GB,1x8xH100-80GB:mig=8");
  std::vector<std::string> names;
  for (const Node& node : nodes) names.push_back(node.name);
  EXPECT_THAT(names, ::testing::ElementsAre("h100-80gb-0", "h100-80gb-1", "a100-40gb-0",
                                            "a100-40gb-1", "a100-40gb-2", "h100-80gb-2"));
}

TEST(SimulatedGpuSourceTest, SharedDefaultPrefixKeepsCounting) {
  SimulatedNodeGroup a{.nodes = 2, .gpus_per_node = 1, .model = "L4-24GB"};
  SimulatedNodeGroup b{.nodes = 1, .gpus_per_node = 2, .model = "T4-16GB"};
  auto source = SimulatedGpuSource::Create({a, b});
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<Node> nodes = *(*source)->Discover();
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].name, "sim-0");
  EXPECT_EQ(nodes[2].name, "sim-2");
  EXPECT_EQ(nodes[2].gpus[0].model, "T4-16GB");
  EXPECT_EQ(nodes[2].cpus, 32);
}

TEST(SimulatedGpuSourceTest, UuidsAreWellFormedUniqueAndStable) {
  std::vector<Node> first = Discover("3x8xH100-80GB");
  std::vector<Node> again = Discover("3x8xH100-80GB");
  const std::regex kUuid("GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (size_t n = 0; n < first.size(); ++n) {
    for (size_t g = 0; g < first[n].gpus.size(); ++g) {
      const std::string& uuid = first[n].gpus[g].uuid;
      EXPECT_TRUE(std::regex_match(uuid, kUuid)) << uuid;
      EXPECT_TRUE(seen.insert(uuid).second) << "duplicate " << uuid;
      EXPECT_EQ(uuid, again[n].gpus[g].uuid);
    }
  }
  EXPECT_EQ(seen.size(), 24u);
  EXPECT_EQ(SimulatedGpuUuid("node-0", 0), first[0].gpus[0].uuid);
  EXPECT_NE(SimulatedGpuUuid("node-0", 1), SimulatedGpuUuid("node-1", 0));
}

TEST(SimulatedGpuSourceTest, MigModeOnTheFirstGpus) {
  std::vector<Node> nodes = Discover("2x4xA100-80GB:mig=2");
  for (const Node& node : nodes) {
    ASSERT_EQ(node.gpus.size(), 4u);
    EXPECT_TRUE(node.gpus[0].mig_enabled);
    EXPECT_TRUE(node.gpus[1].mig_enabled);
    EXPECT_FALSE(node.gpus[2].mig_enabled);
    EXPECT_FALSE(node.gpus[3].mig_enabled);
  }
}

TEST(SimulatedGpuSourceTest, ExplicitSizesOverrideDefaults) {
  SimulatedNodeGroup group{.name_prefix = "big",
                           .nodes = 1,
                           .gpus_per_node = 2,
                           .model = "H100",
                           .gpu_memory_mib = 81559,
                           .cpus = 96,
                           .memory_mib = 2048 * 1024,
                           .mig_gpus_per_node = 1};
  auto source = SimulatedGpuSource::Create({group});
  ASSERT_TRUE(source.ok()) << source.status();
  std::vector<Node> nodes = *(*source)->Discover();
  EXPECT_EQ(nodes[0].name, "big-0");
  EXPECT_EQ(nodes[0].cpus, 96);
  EXPECT_EQ(nodes[0].memory_mib, 2048 * 1024);
  EXPECT_EQ(nodes[0].gpus[0].memory_total_mib, 81559);
  EXPECT_TRUE(nodes[0].gpus[0].mig_enabled);
  EXPECT_EQ((*source)->Name(), "simulated");
}

TEST(SimulatedGpuSourceTest, CreateRejectsBadGroups) {
  struct Case {
    SimulatedNodeGroup group;
    const char* problem;
  };
  const Case kCases[] = {
      {{.nodes = 0, .model = "H100-80GB"}, "nodes is 0"},
      {{.gpus_per_node = 0, .model = "H100-80GB"}, "gpus_per_node is 0"},
      {{.model = ""}, "model is missing"},
      {{.model = "H100"}, "gpu_memory_gib"},
      {{.model = "A100-40GB", .mig_gpus_per_node = 1}, "MIG needs an 80 GB-class GPU"},
      {{.name_prefix = "bad name", .model = "H100-80GB"}, "name_prefix 'bad name'"},
      {{.name_prefix = "", .model = "H100-80GB"}, "name_prefix ''"},
      {{.model = "H100-80GB", .cpus = -1}, "cpus"},
  };
  for (const Case& c : kCases) {
    auto source = SimulatedGpuSource::Create({SimulatedNodeGroup{.model = "L4-24GB"}, c.group});
    ASSERT_FALSE(source.ok()) << c.problem;
    EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(source.status().message(), HasSubstr("gpus.simulated[1]"));
    EXPECT_THAT(source.status().message(), HasSubstr(c.problem));
  }
  EXPECT_FALSE(SimulatedGpuSource::Create({}).ok());
  SimulatedNodeGroup huge{.nodes = kMaxSimulatedNodes, .gpus_per_node = 1, .model = "T4-16GB"};
  auto too_many = SimulatedGpuSource::Create({huge, huge});
  ASSERT_FALSE(too_many.ok());
  EXPECT_THAT(too_many.status().message(), HasSubstr("at most"));
}

TEST(GpuSourceFactoryTest, AutoPicksSimulatedWhenGroupsAreGiven) {
  auto source = MakeGpuSource(Config("auto", "1x2xL4-24GB"));
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Name(), "simulated");
  EXPECT_EQ((*source)->Discover()->at(0).gpus.size(), 2u);
}

TEST(GpuSourceFactoryTest, AutoAndNvmlPickNvmlWithoutGroups) {
  for (const char* name : {"auto", "nvml"}) {
    auto source = MakeGpuSource(Config(name));
    ASSERT_TRUE(source.ok()) << source.status();
    EXPECT_EQ((*source)->Name(), "nvml");
    // No NVIDIA driver here, or a real one: either way Discover answers.
    EXPECT_TRUE((*source)->Discover().ok());
  }
}

TEST(GpuSourceFactoryTest, ConfigurationErrors) {
  auto no_groups = MakeGpuSource(Config("simulated"));
  ASSERT_FALSE(no_groups.ok());
  EXPECT_THAT(no_groups.status().message(), HasSubstr("gpus.simulated"));

  auto unknown = MakeGpuSource(Config("dcgm"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("'dcgm'"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("auto, nvml, simulated"));

  auto both = MakeGpuSource(Config("nvml", "1x1xL4-24GB"));
  ASSERT_FALSE(both.ok());
  EXPECT_THAT(both.status().message(), HasSubstr("gpus.simulated is set"));

  GpuConfig bad = Config("simulated");
  bad.simulated.push_back(SimulatedNodeGroup{.model = "H100"});
  auto invalid = MakeGpuSource(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(invalid.status().message(), HasSubstr("<name>-<N>GB"));
}

}  // namespace
}  // namespace plinth::gpu
