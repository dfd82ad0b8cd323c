#include "plinth/gpu/nvml_gpu_source.h"

#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "plinth/gpu/host_info.h"

namespace plinth::gpu {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Sets an environment variable for one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

std::unique_ptr<NvmlGpuSource> Load(const std::string& library) {
  absl::StatusOr<std::unique_ptr<NvmlGpuSource>> source = NvmlGpuSource::Create(library);
  EXPECT_TRUE(source.ok()) << source.status();
  return *std::move(source);
}

std::vector<Node> DiscoverFrom(NvmlGpuSource& source) {
  absl::StatusOr<std::vector<Node>> nodes = source.Discover();
  EXPECT_TRUE(nodes.ok()) << nodes.status();
  return nodes.ok() ? *nodes : std::vector<Node>{};
}

TEST(NvmlGpuSourceTest, MapsEveryFieldFromTheLibrary) {
  std::unique_ptr<NvmlGpuSource> source = Load(PLINTH_FAKE_NVML_PATH);
  ASSERT_TRUE(source->available());
  EXPECT_EQ(source->Name(), "nvml");
  std::vector<Node> nodes = DiscoverFrom(*source);
  ASSERT_EQ(nodes.size(), 1u);
  const Node& node = nodes[0];
  EXPECT_EQ(node.name, LocalHostName());
  EXPECT_EQ(node.cpus, static_cast<int>(std::thread::hardware_concurrency()));
  EXPECT_GT(node.memory_mib, 0);
  ASSERT_EQ(node.gpus.size(), 2u);

  const Gpu& plain = node.gpus[0];
  EXPECT_EQ(plain.index, 0);
  EXPECT_EQ(plain.uuid, "GPU-00000000-1111-2222-3333-444444444444");
  EXPECT_EQ(plain.product_name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(plain.model, "H100-80GB");
  EXPECT_EQ(plain.memory_total_mib, 81559);
  EXPECT_EQ(plain.memory_used_mib, 1024);  // from _v2: reserved memory is not "used"
  EXPECT_EQ(plain.utilization_pct, 37);
  EXPECT_EQ(plain.memory_util_pct, 12);
  EXPECT_EQ(plain.power_mw, 312500);
  EXPECT_EQ(plain.temperature_c, 51);
  EXPECT_FALSE(plain.mig_enabled);
  EXPECT_TRUE(plain.mig_instances.empty());

  const Gpu& mig = node.gpus[1];
  EXPECT_EQ(mig.index, 1);
  EXPECT_EQ(mig.uuid, "GPU-55555555-6666-7777-8888-999999999999");
  EXPECT_TRUE(mig.mig_enabled);
  // Utilisation is not supported in MIG mode: left 0, the rest still read.
  EXPECT_EQ(mig.utilization_pct, 0);
  EXPECT_EQ(mig.power_mw, 90000);
  EXPECT_EQ(mig.temperature_c, 33);
  ASSERT_EQ(mig.mig_instances.size(), 2u);
  EXPECT_EQ(mig.mig_instances[0].uuid, "MIG-aaaaaaaa-0000-0000-0000-000000000003");
  EXPECT_EQ(mig.mig_instances[0].profile, "3g.40gb");
  EXPECT_EQ(mig.mig_instances[0].start, 4);
  EXPECT_EQ(mig.mig_instances[0].memory_total_mib, 40192);
  EXPECT_EQ(mig.mig_instances[1].uuid, "MIG-bbbbbbbb-0000-0000-0000-000000000001");
  EXPECT_EQ(mig.mig_instances[1].profile, "1g.10gb");
  EXPECT_EQ(mig.mig_instances[1].start, 0);
  EXPECT_EQ(mig.mig_instances[1].memory_total_mib, 9728);
}

TEST(NvmlGpuSourceTest, MigProfileFromMemoryWhenPlacementIsHidden) {
  ScopedEnv env("FAKE_NVML_NO_GI_ACCESS", "1");
  std::unique_ptr<NvmlGpuSource> source = Load(PLINTH_FAKE_NVML_PATH);
  std::vector<Node> nodes = DiscoverFrom(*source);
  ASSERT_EQ(nodes.size(), 1u);
  const std::vector<MigInstance>& instances = nodes[0].gpus.at(1).mig_instances;
  ASSERT_EQ(instances.size(), 2u);
  EXPECT_EQ(instances[0].profile, "3g.40gb");
  EXPECT_EQ(instances[0].start, -1);
  EXPECT_EQ(instances[1].profile, "1g.10gb");
  EXPECT_EQ(instances[1].start, -1);
}

TEST(NvmlGpuSourceTest, ShutsNvmlDownWhenDestroyed) {
  void* library = dlopen(PLINTH_FAKE_NVML_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  auto init_count = reinterpret_cast<int (*)()>(dlsym(library, "fakeNvmlInitCount"));
  ASSERT_NE(init_count, nullptr);
  int before = init_count();
  {
    std::unique_ptr<NvmlGpuSource> source = Load(PLINTH_FAKE_NVML_PATH);
    EXPECT_EQ(init_count(), before + 1);
  }
  EXPECT_EQ(init_count(), before);
  dlclose(library);
}

TEST(NvmlGpuSourceTest, SkipsADeviceWhoseHandleFails) {
  ScopedEnv env("FAKE_NVML_BAD_INDEX", "0");
  std::unique_ptr<NvmlGpuSource> source = Load(PLINTH_FAKE_NVML_PATH);
  std::vector<Node> nodes = DiscoverFrom(*source);
  ASSERT_EQ(nodes.size(), 1u);
  ASSERT_EQ(nodes[0].gpus.size(), 1u);
  EXPECT_EQ(nodes[0].gpus[0].index, 1);
}

TEST(NvmlGpuSourceTest, FailedInitMeansNoGpus) {
  ScopedEnv env("FAKE_NVML_INIT_RESULT", "9");  // NVML_ERROR_DRIVER_NOT_LOADED
  std::unique_ptr<NvmlGpuSource> source = Load(PLINTH_FAKE_NVML_PATH);
  EXPECT_FALSE(source->available());
  EXPECT_TRUE(DiscoverFrom(*source).empty());
}

TEST(NvmlGpuSourceTest, MissingOptionalSymbolsLeaveFieldsEmpty) {
  std::unique_ptr<NvmlGpuSource> source = Load(PLINTH_FAKE_NVML_MINIMAL_PATH);
  ASSERT_TRUE(source->available());
  std::vector<Node> nodes = DiscoverFrom(*source);
  ASSERT_EQ(nodes.size(), 1u);
  ASSERT_EQ(nodes[0].gpus.size(), 2u);
  for (const Gpu& gpu : nodes[0].gpus) {
    EXPECT_EQ(gpu.model, "H100-80GB");
    EXPECT_EQ(gpu.memory_total_mib, 81559);
    EXPECT_GE(gpu.memory_used_mib, 512);  // v1 counts reserved memory as used
    EXPECT_EQ(gpu.uuid, "");
    EXPECT_EQ(gpu.power_mw, 0);
    EXPECT_FALSE(gpu.mig_enabled);
  }
}

TEST(NvmlGpuSourceTest, MissingLibraryMeansNoGpus) {
  std::unique_ptr<NvmlGpuSource> source = Load("/nonexistent/libnvidia-ml.so.1");
  EXPECT_FALSE(source->available());
  EXPECT_TRUE(DiscoverFrom(*source).empty());
  // A library without NVML's symbols is no better than none.
  std::unique_ptr<NvmlGpuSource> not_nvml = Load("libc.so.6");
  EXPECT_FALSE(not_nvml->available());
  EXPECT_TRUE(DiscoverFrom(*not_nvml).empty());
}

TEST(NvmlGpuSourceTest, EmptyLibraryNameIsInvalid) {
  absl::StatusOr<std::unique_ptr<NvmlGpuSource>> source = NvmlGpuSource::Create("");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(NvmlGpuSourceTest, ConcurrentDiscoversAgree) {
  std::unique_ptr<NvmlGpuSource> source = Load(PLINTH_FAKE_NVML_PATH);
  std::vector<std::thread> threads;
  std::vector<size_t> counts(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        absl::StatusOr<std::vector<Node>> nodes = source->Discover();
        counts[t] = nodes.ok() && nodes->size() == 1 ? nodes->at(0).gpus.size() : 0;
        if (counts[t] != 2) return;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(counts, ::testing::Each(2u));
}

TEST(HostInfoTest, ParsesMemTotal) {
  EXPECT_EQ(ParseMemTotalMib("MemTotal:       131072000 kB\nMemFree: 1 kB\n"), 128000);
  EXPECT_EQ(ParseMemTotalMib("MemFree: 1 kB\n"), 0);
  EXPECT_EQ(ParseMemTotalMib("MemTotal: lots kB\n"), 0);
  EXPECT_EQ(ParseMemTotalMib("MemTotal: 1024\n"), 0);
  EXPECT_GT(LocalMemoryMib(), 0);
  EXPECT_FALSE(LocalHostName().empty());
}

// Runs against the machine's real driver: PLINTH_TEST_REAL_NVML=1.
TEST(NvmlGpuSourceTest, RealNvml) {
  const char* flag = std::getenv("PLINTH_TEST_REAL_NVML");
  if (flag == nullptr || std::string(flag) != "1") {
    GTEST_SKIP() << "set PLINTH_TEST_REAL_NVML=1 on a machine with an NVIDIA GPU to run";
  }
  std::unique_ptr<NvmlGpuSource> source = Load("libnvidia-ml.so.1");
  ASSERT_TRUE(source->available()) << "libnvidia-ml.so.1 did not load or initialise";
  std::vector<Node> nodes = DiscoverFrom(*source);
  ASSERT_EQ(nodes.size(), 1u);
  const Node& node = nodes[0];
  std::cout << "node " << node.name << ": " << node.cpus << " CPUs, " << node.memory_mib
            << " MiB\n";
  ASSERT_GE(node.gpus.size(), 1u);
  for (const Gpu& gpu : node.gpus) {
    std::cout << "  GPU " << gpu.index << " " << gpu.uuid << " '" << gpu.product_name << "' -> "
              << gpu.model << ", " << gpu.memory_used_mib << "/" << gpu.memory_total_mib
              << " MiB, util " << gpu.utilization_pct << "%, mem util " << gpu.memory_util_pct
              << "%, " << gpu.power_mw << " mW, " << gpu.temperature_c << " C, MIG "
              << (gpu.mig_enabled ? "on" : "off") << "\n";
    for (const MigInstance& mig : gpu.mig_instances) {
      std::cout << "    MIG " << mig.uuid << " " << mig.profile << " start " << mig.start << ", "
                << mig.memory_total_mib << " MiB\n";
    }
    EXPECT_THAT(gpu.uuid, StartsWith("GPU-"));
    EXPECT_GT(gpu.memory_total_mib, 0);
    EXPECT_LE(gpu.memory_used_mib, gpu.memory_total_mib);
    EXPECT_FALSE(gpu.product_name.empty());
    EXPECT_THAT(gpu.model, ::testing::MatchesRegex("[A-Za-z0-9.+-]+-[0-9]+GB"));
  }
}

}  // namespace
}  // namespace plinth::gpu
