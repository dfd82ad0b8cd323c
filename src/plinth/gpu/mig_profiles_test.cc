#include "plinth/gpu/mig_profiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace plinth::gpu {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;

MigProfile Profile(const std::string& name) {
  absl::StatusOr<MigProfile> profile = FindMigProfile(name);
  EXPECT_TRUE(profile.ok()) << profile.status();
  return *profile;
}

// Places `name` where FindMigStart says and returns the start (or nullopt).
std::optional<int> Place(std::vector<MigPlacement>& gpu, const std::string& name) {
  std::optional<int> start = FindMigStart(Profile(name), gpu);
  if (start) gpu.push_back({name, *start});
  return start;
}

TEST(MigProfilesTest, TableMatchesReference) {
  struct Expected {
    const char* name;
    int id, compute, memory, max_instances;
  };
  const Expected kExpected[] = {{"1g.10gb", 19, 1, 1, 7}, {"1g.20gb", 15, 1, 2, 4},
                                {"2g.20gb", 14, 2, 2, 3}, {"3g.40gb", 9, 3, 4, 2},
                                {"4g.40gb", 5, 4, 4, 1},  {"7g.80gb", 0, 7, 8, 1}};
  ASSERT_EQ(MigProfiles().size(), std::size(kExpected));
  for (size_t i = 0; i < std::size(kExpected); ++i) {
    const MigProfile& p = MigProfiles()[i];
    EXPECT_EQ(p.name, kExpected[i].name);
    EXPECT_EQ(p.profile_id, kExpected[i].id) << p.name;
    EXPECT_EQ(p.compute_slices, kExpected[i].compute) << p.name;
    EXPECT_EQ(p.memory_slices, kExpected[i].memory) << p.name;
    EXPECT_EQ(p.max_instances, kExpected[i].max_instances) << p.name;
    for (int start : p.starts) EXPECT_LE(start + p.memory_slices, kMigMemorySlices) << p.name;
  }
}

TEST(MigProfilesTest, UnknownProfileListsValidNames) {
  absl::StatusOr<MigProfile> profile = FindMigProfile("3g.20gb");
  ASSERT_FALSE(profile.ok());
  EXPECT_THAT(profile.status().message(), HasSubstr("3g.20gb"));
  for (const MigProfile& p : MigProfiles()) {
    EXPECT_THAT(profile.status().message(), HasSubstr(p.name));
  }
}

TEST(MigProfilesTest, SevenSmallestInstancesFitAndAnEighthDoesNot) {
  std::vector<MigPlacement> gpu;
  for (int i = 0; i < 7; ++i) EXPECT_THAT(Place(gpu, "1g.10gb"), Optional(i));
  EXPECT_EQ(Place(gpu, "1g.10gb"), std::nullopt);  // compute is exhausted
}

TEST(MigProfilesTest, TwoHalvesStartAtZeroAndFour) {
  std::vector<MigPlacement> gpu;
  EXPECT_THAT(Place(gpu, "3g.40gb"), Optional(0));
  EXPECT_THAT(Place(gpu, "3g.40gb"), Optional(4));
  EXPECT_EQ(Place(gpu, "1g.10gb"), std::nullopt);
}

TEST(MigProfilesTest, FourAndThreeSlicesShareAGpu) {
  std::vector<MigPlacement> gpu;
  EXPECT_THAT(Place(gpu, "4g.40gb"), Optional(0));
  EXPECT_THAT(Place(gpu, "3g.40gb"), Optional(4));
  EXPECT_EQ(Place(gpu, "1g.10gb"), std::nullopt);
}

TEST(MigProfilesTest, WholeGpuProfileNeedsAnEmptyGpu) {
  std::vector<MigPlacement> empty;
  EXPECT_THAT(FindMigStart(Profile("7g.80gb"), empty), Optional(0));
  std::vector<MigPlacement> one_small = {{"1g.10gb", 6}};
  EXPECT_EQ(FindMigStart(Profile("7g.80gb"), one_small), std::nullopt);
}

TEST(MigProfilesTest, TwoTwoThreeUsesAllSevenComputeSlices) {
  std::vector<MigPlacement> gpu;
  EXPECT_THAT(Place(gpu, "2g.20gb"), Optional(0));
  EXPECT_THAT(Place(gpu, "2g.20gb"), Optional(2));
  EXPECT_THAT(Place(gpu, "3g.40gb"), Optional(4));
  EXPECT_EQ(Place(gpu, "1g.10gb"), std::nullopt);
}

TEST(MigProfilesTest, FourDoubleMemoryInstancesFillMemory) {
  std::vector<MigPlacement> gpu;
  for (int start : {0, 2, 4, 6}) EXPECT_THAT(Place(gpu, "1g.20gb"), Optional(start));
  // Three compute slices are still free, but no memory slice is.
  EXPECT_EQ(Place(gpu, "1g.10gb"), std::nullopt);
}

TEST(MigProfilesTest, InstancesDoNotOverlapMemory) {
  std::vector<MigPlacement> one_at_zero = {{"1g.10gb", 0}};
  // 4g.40gb may only start at 0, which is taken; compute alone would allow it.
  EXPECT_EQ(FindMigStart(Profile("4g.40gb"), one_at_zero), std::nullopt);
  std::vector<MigPlacement> one_at_one = {{"1g.10gb", 1}};
  EXPECT_THAT(FindMigStart(Profile("2g.20gb"), one_at_one), Optional(2));
  EXPECT_THAT(FindMigStart(Profile("3g.40gb"), one_at_one), Optional(4));
}

}  // namespace
}  // namespace plinth::gpu
