#include "plinth/jobs/kubernetes_render.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/jobs/pytorchjob.h"

namespace plinth::jobs {
namespace {

using ::testing::HasSubstr;

Job MakeJob() {
  Job job;
  job.id = "0123456789abcdef";
  job.run_id = "run1";
  job.spec.name = "Train_BERT";
  job.spec.team = "vision";
  job.spec.queue = "vision";
  job.spec.priority_class = "high";
  job.spec.image = "pytorch/pytorch:2.3";
  job.spec.command = {"python", "train.py"};
  job.spec.args = {"--epochs", "3"};
  job.spec.env = {{"SEED", "1"}};
  job.spec.replicas = 2;
  job.spec.retries = 3;
  job.spec.max_runtime_s = 3600;
  job.spec.resources.gpus = 2;
  job.spec.resources.cpus = 4;
  job.spec.resources.memory_mib = 16384;
  return job;
}

TEST(KubernetesRenderTest, BatchJobWithKueueLabelsAndGpuLimits) {
  auto m = RenderKubernetes(MakeJob());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)["apiVersion"], "batch/v1");
  EXPECT_EQ((*m)["kind"], "Job");
  EXPECT_EQ((*m)["metadata"]["name"], "train-bert-01234567");
  EXPECT_EQ((*m)["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], "vision");
  const Json& spec = (*m)["spec"];
  EXPECT_EQ(spec["completions"], 2);
  EXPECT_EQ(spec["completionMode"], "Indexed");
  EXPECT_EQ(spec["backoffLimit"], 3);
  EXPECT_EQ(spec["activeDeadlineSeconds"], 3600);
  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["priorityClassName"], "high");
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "pytorch/pytorch:2.3");
  EXPECT_EQ(c["resources"]["limits"]["nvidia.com/gpu"], 2);
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "4000m");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "16384Mi");
  EXPECT_THAT(c["env"].dump(), HasSubstr("MLFLOW_RUN_ID"));
}

TEST(KubernetesRenderTest, DistributedJobsBecomePyTorchJobsThatParseBack) {
  Job job = MakeJob();
  job.spec.pytorch = true;
  job.spec.replicas = 3;
  auto m = RenderKubernetes(job);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)["kind"], "PyTorchJob");
  EXPECT_EQ((*m)["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"], 2);
  // What Plinth renders, Plinth (and the operator) accept.
  auto back = ParsePyTorchJob(*m);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->replicas, 3);
  EXPECT_EQ(back->queue, "vision");
  EXPECT_EQ(back->priority_class, "high");
  EXPECT_EQ(back->retries, 3);
  EXPECT_DOUBLE_EQ(back->resources.gpus, 2);
}

TEST(KubernetesRenderTest, MigAndRefusals) {
  Job job = MakeJob();
  job.spec.resources.gpus = 0;
  job.spec.resources.mig_profile = "3g.40gb";
  auto m = RenderKubernetes(job);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
                ["nvidia.com/mig-3g.40gb"],
            1);
  job = MakeJob();
  job.spec.resources.gpus = 0.5;
  EXPECT_THAT(std::string(RenderKubernetes(job).status().message()),
              HasSubstr("whole GPUs and MIG slices only"));
  job = MakeJob();
  job.spec.image.clear();
  EXPECT_THAT(std::string(RenderKubernetes(job).status().message()), HasSubstr("add `image:`"));
}

}  // namespace
}  // namespace plinth::jobs
