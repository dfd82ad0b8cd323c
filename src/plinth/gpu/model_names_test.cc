#include "plinth/gpu/model_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace plinth::gpu {
namespace {

using ::testing::HasSubstr;

TEST(ModelNamesTest, NormalizesNvmlProductNames) {
  struct Case {
    const char* product;
    int64_t mib;
    const char* model;
  };
  const Case kCases[] = {
      {"NVIDIA H100 80GB HBM3", 81559, "H100-80GB"},
      {"NVIDIA A100-SXM4-80GB", 81920, "A100-80GB"},
      {"NVIDIA A100-SXM4-40GB", 40960, "A100-40GB"},
      {"NVIDIA A100-PCIE-40GB", 40960, "A100-40GB"},
      {"NVIDIA A100 80GB PCIe", 81920, "A100-80GB"},
      {"Tesla V100-SXM2-16GB", 16160, "V100-16GB"},
      {"NVIDIA H200", 143771, "H200-141GB"},
      {"NVIDIA H100 NVL", 95830, "H100-94GB"},
      {"NVIDIA H100 PCIe", 81559, "H100-80GB"},
      {"NVIDIA L4", 23034, "L4-24GB"},
      {"NVIDIA L40S", 46068, "L40S-48GB"},
      {"Tesla T4", 15360, "T4-16GB"},
      {"NVIDIA A10G", 23028, "A10G-24GB"},
      {"NVIDIA B200", 183359, "B200-180GB"},
      {"NVIDIA GeForce RTX 4090", 24564, "RTX-4090-24GB"},
      {"NVIDIA RTX A6000", 49140, "RTX-A6000-48GB"},
      {"NVIDIA A100-SXM4-40GB MIG 3g.20gb", 20096, "A100-40GB"},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(NormalizeModelName(c.product, c.mib), c.model) << c.product;
  }
}

TEST(ModelNamesTest, StatedSizeWinsOverReportedMemory) {
  EXPECT_EQ(NormalizeModelName("NVIDIA A100-SXM4-80GB", 79000), "A100-80GB");
}

TEST(ModelNamesTest, NoSizeWithoutMemory) {
  EXPECT_EQ(NormalizeModelName("NVIDIA L4", 0), "L4");
  EXPECT_EQ(NormalizeModelName("", 0), "GPU");
  EXPECT_EQ(NormalizeModelName("", 16384), "GPU-16GB");
}

TEST(ModelNamesTest, MarketedSizeFallsBackToWholeGib) {
  EXPECT_EQ(MarketedMemoryGb(143771), 141);
  EXPECT_EQ(MarketedMemoryGb(23034), 24);
  EXPECT_EQ(MarketedMemoryGb(81559), 80);
  // 400 GiB is far from every label: the nearest whole GiB.
  EXPECT_EQ(MarketedMemoryGb(400 * 1024 + 300), 400);
}

TEST(ModelNamesTest, ModelMemoryFromSuffix) {
  EXPECT_EQ(ModelMemoryMib("H100-80GB").value(), 80 * 1024);
  EXPECT_EQ(ModelMemoryMib("RTX-A6000-48GB").value(), 48 * 1024);
  EXPECT_EQ(ModelMemoryMib("H200-141GB").value(), 141 * 1024);
}

TEST(ModelNamesTest, ModelWithoutMemorySuffixIsInvalid) {
  for (const char* model : {"H100", "H100-80", "H100-GB", "-80GB", "H100-0GB", "", "H100-80GBx"}) {
    absl::StatusOr<int64_t> mib = ModelMemoryMib(model);
    ASSERT_FALSE(mib.ok()) << model;
    EXPECT_EQ(mib.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(mib.status().message(), HasSubstr("<name>-<N>GB")) << model;
  }
}

TEST(ModelNamesTest, MigProfileNamesFollowTheGpuSize) {
  EXPECT_EQ(MigProfileName(3, 4, 80), "3g.40gb");
  EXPECT_EQ(MigProfileName(1, 1, 80), "1g.10gb");
  EXPECT_EQ(MigProfileName(7, 8, 80), "7g.80gb");
  EXPECT_EQ(MigProfileName(1, 1, 141), "1g.18gb");
  EXPECT_EQ(MigProfileName(3, 4, 141), "3g.71gb");
  EXPECT_EQ(MigProfileName(1, 1, 40), "1g.5gb");
}

}  // namespace
}  // namespace plinth::gpu
