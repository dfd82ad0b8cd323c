#include "plinth/sched/capacity.h"

#include <set>

#include "gtest/gtest.h"
#include "plinth/sched/test_util.h"

namespace plinth::sched {
namespace {

using testing::MakeJob;
using testing::MakeNodes;

TEST(ClusterStateTest, WholeGpusGoToTheBestFittingNode) {
  ClusterState cluster(MakeNodes(2, 8));
  // "a" takes 6 GPUs of node-0; a 2-GPU job then fits node-0 exactly.
  ASSERT_TRUE(cluster.Place(MakeJob("a", "q", 6), "H100-80GB"));
  auto placed = cluster.Place(MakeJob("b", "q", 2), "H100-80GB");
  ASSERT_TRUE(placed);
  EXPECT_EQ(placed->replicas[0].node, "node-0");  // node-0 had 2 left after "a"
  EXPECT_EQ(placed->replicas[0].gpus.size(), 2u);
  EXPECT_EQ(cluster.LargestFreeBlock("H100-80GB"), 8);
}

TEST(ClusterStateTest, ReplicaGpusStayOnOneNode) {
  ClusterState cluster(MakeNodes(2, 8));
  ASSERT_TRUE(cluster.Place(MakeJob("a", "q", 5), "H100-80GB"));
  ASSERT_TRUE(cluster.Place(MakeJob("b", "q", 5), "H100-80GB"));
  // 6 GPUs are free in total, but at most 3 on one node.
  EXPECT_FALSE(cluster.Place(MakeJob("c", "q", 4), "H100-80GB"));
  EXPECT_TRUE(cluster.Place(MakeJob("d", "q", 3), "H100-80GB"));
}

TEST(ClusterStateTest, GangIsAllOrNothing) {
  ClusterState cluster(MakeNodes(2, 8));
  ASSERT_TRUE(cluster.Place(MakeJob("a", "q", 4), "H100-80GB"));
  // Three replicas of 8 cannot fit; nothing may stay charged.
  EXPECT_FALSE(cluster.Place(MakeJob("gang", "q", 8, 3), "H100-80GB"));
  EXPECT_EQ(cluster.LargestFreeBlock("H100-80GB"), 8);
  auto two = cluster.Place(MakeJob("gang2", "q", 4, 3), "H100-80GB");
  ASSERT_TRUE(two);
  EXPECT_EQ(two->replicas.size(), 3u);
}

TEST(ClusterStateTest, FractionsFillOneGpuBeforeTheNext) {
  ClusterState cluster(MakeNodes(1, 2));
  std::set<int> used;
  for (int i = 0; i < 4; ++i) {
    auto a = cluster.Place(MakeJob("f" + std::to_string(i), "q", 0.25), "H100-80GB");
    ASSERT_TRUE(a);
    used.insert(a->replicas[0].gpus[0].gpu);
    EXPECT_DOUBLE_EQ(a->replicas[0].gpus[0].fraction, 0.25);
  }
  EXPECT_EQ(used.size(), 1u);  // four quarters share one GPU
  auto fifth = cluster.Place(MakeJob("f4", "q", 0.5), "H100-80GB");
  ASSERT_TRUE(fifth);
  EXPECT_EQ(used.count(fifth->replicas[0].gpus[0].gpu), 0u);
  // The half-used GPU takes another half, not a whole-GPU job.
  EXPECT_FALSE(cluster.Place(MakeJob("w", "q", 1), "H100-80GB"));
  EXPECT_TRUE(cluster.Place(MakeJob("h", "q", 0.5), "H100-80GB"));
}

TEST(ClusterStateTest, FractionPrefersTheTightestGpu) {
  ClusterState cluster(MakeNodes(1, 3));
  auto a = cluster.Place(MakeJob("a", "q", 0.5), "H100-80GB");
  auto b = cluster.Place(MakeJob("b", "q", 0.7), "H100-80GB");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->replicas[0].gpus[0].gpu, b->replicas[0].gpus[0].gpu);
  auto c = cluster.Place(MakeJob("c", "q", 0.3), "H100-80GB");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->replicas[0].gpus[0].gpu, b->replicas[0].gpus[0].gpu);  // 0.3 left there
}

TEST(ClusterStateTest, MigSlicesFollowTheGeometry) {
  ClusterState cluster(MakeNodes(1, 2, "H100-80GB", /*mig_gpus=*/1));
  JobRequest slice = MakeJob("m", "q", 0);
  slice.per_replica.mig_profile = "3g.40gb";
  auto first = cluster.Place(slice, "H100-80GB");
  auto second = cluster.Place(slice, "H100-80GB");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->replicas[0].gpus[0].gpu, 0);
  EXPECT_EQ(second->replicas[0].gpus[0].gpu, 0);
  EXPECT_NE(first->replicas[0].gpus[0].mig_start, second->replicas[0].gpus[0].mig_start);
  // Two 3g slices use 6 of 7 compute slices and all memory: a 1g.10gb no longer fits.
  JobRequest small = MakeJob("s", "q", 0);
  small.per_replica.mig_profile = "1g.10gb";
  EXPECT_FALSE(cluster.Place(small, "H100-80GB"));
  // The non-MIG GPU still takes whole-GPU work, never MIG slices.
  EXPECT_TRUE(cluster.Place(MakeJob("w", "q", 1), "H100-80GB"));
}

TEST(ClusterStateTest, ReleaseReturnsCapacity) {
  ClusterState cluster(MakeNodes(1, 8));
  auto a = cluster.Place(MakeJob("a", "q", 8), "H100-80GB");
  ASSERT_TRUE(a);
  EXPECT_FALSE(cluster.Place(MakeJob("b", "q", 1), "H100-80GB"));
  cluster.Release(*a);
  EXPECT_TRUE(cluster.Place(MakeJob("b", "q", 8), "H100-80GB"));
}

TEST(ClusterStateTest, HostResourcesLimitPlacement) {
  ClusterState cluster(MakeNodes(1, 2));  // 32 CPUs
  JobRequest cpu_heavy = MakeJob("c", "q", 1);
  cpu_heavy.per_replica.cpus = 30;
  ASSERT_TRUE(cluster.Place(cpu_heavy, "H100-80GB"));
  JobRequest another = MakeJob("d", "q", 1);
  another.per_replica.cpus = 4;
  EXPECT_FALSE(cluster.Place(another, "H100-80GB"));
  JobRequest cpu_only = MakeJob("e", "q", 0);
  cpu_only.per_replica.cpus = 2;
  EXPECT_TRUE(cluster.Place(cpu_only, ""));
}

TEST(ClusterStateTest, BlockedNodesAreSkipped) {
  ClusterState cluster(MakeNodes(2, 8));
  std::vector<char> blocked = {1, 0};
  auto a = cluster.Place(MakeJob("a", "q", 8), "H100-80GB", &blocked);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->replicas[0].node, "node-1");
  EXPECT_FALSE(cluster.Place(MakeJob("b", "q", 1), "H100-80GB", &blocked));
}

TEST(ClusterStateTest, GangsCountBlocksPerNodeNotFreeGpusInAll) {
  ClusterState cluster(MakeNodes(3, 8));
  Allocation three_each{"H100-80GB", {}};
  for (int n = 0; n < 3; ++n) {
    three_each.replicas.push_back(
        {"node-" + std::to_string(n), {{0, 1.0, "", -1}, {1, 1.0, "", -1}, {2, 1.0, "", -1}}});
  }
  cluster.Charge(three_each);
  // 15 GPUs are free, 5 on each node.
  EXPECT_EQ(cluster.LargestFreeBlock("H100-80GB"), 5);
  EXPECT_FALSE(cluster.Place(MakeJob("six", "q", 6, 2), "H100-80GB"));
  EXPECT_FALSE(cluster.Place(MakeJob("six", "q", 6), "H100-80GB"));
  auto three_fours = cluster.Place(MakeJob("fours", "q", 4, 3), "H100-80GB");
  ASSERT_TRUE(three_fours);
  std::set<std::string> nodes;
  for (const ReplicaPlacement& p : three_fours->replicas) nodes.insert(p.node);
  EXPECT_EQ(nodes.size(), 3u);
  EXPECT_EQ(cluster.LargestFreeBlock("H100-80GB"), 1);
  cluster.Release(*three_fours);
  cluster.Release(three_each);
  EXPECT_TRUE(cluster.Place(MakeJob("all", "q", 8, 3), "H100-80GB"));
}

TEST(ClusterStateTest, CopiesAreIndependent) {
  ClusterState original(MakeNodes(1, 8));
  ClusterState copy = original;
  ASSERT_TRUE(copy.Place(MakeJob("a", "q", 8), "H100-80GB"));
  EXPECT_FALSE(copy.Place(MakeJob("b", "q", 1), "H100-80GB"));
  EXPECT_TRUE(original.Place(MakeJob("b", "q", 8), "H100-80GB"));
  EXPECT_EQ(original.FlavorIndex("H100-80GB"), 0);
  EXPECT_EQ(original.FlavorIndex("L4-24GB"), -1);
  EXPECT_EQ(original.FreeWholeGpus(0), 0);
  EXPECT_EQ(copy.NodeIndex("node-0"), 0);
}

TEST(ClusterStateTest, MigProfilesByName) {
  ASSERT_NE(MigProfileNamed("3g.40gb"), nullptr);
  EXPECT_EQ(MigProfileNamed("3g.40gb")->compute_slices, 3);
  EXPECT_EQ(MigProfileNamed("9g.90gb"), nullptr);
  Resources slice;
  slice.mig_profile = "3g.40gb";
  EXPECT_DOUBLE_EQ(SliceDemand(slice), 3.0 / 7);
}

TEST(ClusterStateTest, MoreGpusThanANodeHasNeverFit) {
  ClusterState cluster(MakeNodes(2, 8));
  EXPECT_FALSE(cluster.Place(MakeJob("nine", "q", 9), "H100-80GB"));
  EXPECT_FALSE(cluster.Place(MakeJob("huge", "q", 1e12), "H100-80GB"));  // no int overflow
  EXPECT_FALSE(cluster.Place(MakeJob("many", "q", 0.5, 1'000'000), "H100-80GB"));
  EXPECT_TRUE(cluster.Place(MakeJob("fits", "q", 8, 2), "H100-80GB"));
}

}  // namespace
}  // namespace plinth::sched
