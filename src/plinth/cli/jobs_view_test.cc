#include "plinth/cli/jobs_view.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::cli {
namespace {

using ::testing::HasSubstr;

TEST(JobsViewTest, ResourcesText) {
  EXPECT_EQ(ResourcesText(Json::parse(R"({"replicas": 2, "resources": {"gpus": 0.5}})")),
            "2 x 0.5 GPU");
  EXPECT_EQ(ResourcesText(Json::parse(
                R"({"replicas": 1, "resources": {"gpus": 8, "gpu_model": "H100-80GB"}})")),
            "1 x 8 H100-80GB");
  EXPECT_EQ(
      ResourcesText(Json::parse(R"({"replicas": 3, "resources": {"mig_profile": "3g.40gb"}})")),
      "3 x 3g.40gb");
  EXPECT_EQ(ResourcesText(Json::parse(R"({"replicas": 1, "resources": {}})")), "1 x CPU");
}

TEST(JobsViewTest, InventoryShowsHoldersAndMig) {
  Json inventory = Json::parse(R"({"source": "simulated", "nodes": [{"name": "node-0", "gpus": [
    {"index": 0, "uuid": "GPU-a", "model": "H100-80GB", "memory_used_mib": 0,
     "memory_total_mib": 81920, "utilization_pct": 0, "mig_enabled": true, "mig_instances": [],
     "holders": [{"job": "j1", "fraction": 0, "mig_profile": "3g.40gb"}]},
    {"index": 1, "uuid": "GPU-b", "model": "H100-80GB", "memory_used_mib": 10,
     "memory_total_mib": 81920, "utilization_pct": 50, "mig_enabled": false, "mig_instances": [],
     "holders": [{"job": "j2", "fraction": 0.5}, {"other_team": true, "fraction": 0.5}]}]}]})");
  std::string text = GpuInventoryText(inventory);
  EXPECT_THAT(text, HasSubstr("GPU source: simulated"));
  EXPECT_THAT(text, HasSubstr("j1 (3g.40gb)"));
  EXPECT_THAT(text, HasSubstr("j2 (0.5), another team (0.5)"));
  EXPECT_THAT(text, HasSubstr("10 / 81920 MiB"));
  EXPECT_THAT(GpuInventoryText(Json::parse(R"({"source": "nvml", "nodes": []})")),
              HasSubstr("No GPUs (source: nvml)"));
}

TEST(JobsViewTest, JobDetailIncludesWhyAndReplicas) {
  Json job = Json::parse(R"({"id": "abc", "name": "t", "team": "v", "queue": "v",
    "priority_class": "normal", "priority": 100, "state": "PENDING", "message": "",
    "spec": {"replicas": 1, "resources": {"gpus": 1}, "command": ["python", "x.py"]},
    "why": "queue v would be 1 H100-80GB over its quota",
    "replicas": [{"index": 0, "node": "node-1", "devices": ["3"], "state": "failed",
                  "exit_code": 3, "message": "exited with code 3"}]})");
  std::string text = JobDetailText(job);
  EXPECT_THAT(text, HasSubstr("over its quota"));
  EXPECT_THAT(text, HasSubstr("python x.py"));
  EXPECT_THAT(text, HasSubstr("exited with code 3"));
}

}  // namespace
}  // namespace plinth::cli
