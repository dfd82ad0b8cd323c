#include "plinth/jobs/pytorchjob.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::jobs {
namespace {

using ::testing::HasSubstr;

// The shape of the Kubeflow training operator's own examples.
constexpr char kManifest[] = R"({
  "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
  "metadata": {"name": "pytorch-simple", "namespace": "vision",
               "labels": {"kueue.x-k8s.io/queue-name": "vision-queue"}},
  "spec": {
    "runPolicy": {"backoffLimit": 2, "activeDeadlineSeconds": 600,
                  "schedulingPolicy": {"priorityClass": "high"}},
    "pytorchReplicaSpecs": {
      "Master": {"replicas": 1, "restartPolicy": "OnFailure",
        "template": {"spec": {"containers": [{"name": "pytorch", "image": "img:1",
          "imagePullPolicy": "Always",
          "command": ["python3", "/opt/mnist.py"], "args": ["--epochs", "1"],
          "env": [{"name": "LOGLEVEL", "value": "INFO"}],
          "resources": {"limits": {"nvidia.com/gpu": 1, "cpu": "2", "memory": "4Gi"}}}]}}},
      "Worker": {"replicas": 2, "restartPolicy": "OnFailure",
        "template": {"spec": {"containers": [{"name": "pytorch", "image": "img:1",
          "command": ["python3", "/opt/mnist.py"], "args": ["--epochs", "1"],
          "env": [{"name": "LOGLEVEL", "value": "INFO"}],
          "resources": {"limits": {"nvidia.com/gpu": 1, "cpu": "2", "memory": "4Gi"}}}]}}}}}})";

TEST(PyTorchJobTest, MasterAndWorkersBecomeOneGang) {
  auto spec = ParseJobSpec(Json::parse(kManifest));
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->pytorch);
  EXPECT_EQ(spec->name, "pytorch-simple");
  EXPECT_EQ(spec->team, "vision");
  EXPECT_EQ(spec->queue, "vision-queue");
  EXPECT_EQ(spec->priority_class, "high");
  EXPECT_EQ(spec->replicas, 3);
  EXPECT_EQ(spec->command, (std::vector<std::string>{"python3", "/opt/mnist.py"}));
  EXPECT_EQ(spec->args, (std::vector<std::string>{"--epochs", "1"}));
  EXPECT_EQ(spec->env.at("LOGLEVEL"), "INFO");
  EXPECT_DOUBLE_EQ(spec->resources.gpus, 1);
  EXPECT_DOUBLE_EQ(spec->resources.cpus, 2);
  EXPECT_EQ(spec->resources.memory_mib, 4096);
  EXPECT_EQ(spec->retries, 2);
  EXPECT_EQ(spec->max_runtime_s, 600);
}

TEST(PyTorchJobTest, MigResourcesAndNeverRestart) {
  Json m = Json::parse(kManifest);
  auto& master = m["spec"]["pytorchReplicaSpecs"]["Master"];
  master["restartPolicy"] = "Never";
  master["template"]["spec"]["containers"][0]["resources"]["limits"] = {
      {"nvidia.com/mig-1g.10gb", 1}};
  m["spec"]["pytorchReplicaSpecs"].erase("Worker");
  auto spec = ParseJobSpec(m);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->replicas, 1);
  EXPECT_EQ(spec->resources.mig_profile, "1g.10gb");
  EXPECT_EQ(spec->retries, 0);
}

TEST(PyTorchJobTest, ClearErrors) {
  Json m = Json::parse(kManifest);
  m["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["command"] =
      Json::array({"python3", "other.py"});
  EXPECT_THAT(ParseJobSpec(m).status().message(), HasSubstr("must run the same command"));

  m = Json::parse(kManifest);
  m["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = 2;
  EXPECT_THAT(ParseJobSpec(m).status().message(), HasSubstr("exactly one Master"));

  m = Json::parse(kManifest);
  m["spec"]["pytorchReplicaSpecs"]["Chief"] = m["spec"]["pytorchReplicaSpecs"]["Master"];
  EXPECT_THAT(ParseJobSpec(m).status().message(), HasSubstr("only Master and Worker"));

  m = Json::parse(kManifest);
  m["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["env"] =
      Json::array({{{"name", "SECRET"}, {"valueFrom", {{"secretKeyRef", {}}}}}});
  EXPECT_THAT(ParseJobSpec(m).status().message(), HasSubstr("valueFrom"));

  // Whole GPUs and a MIG slice at once are refused here, as in native specs.
  m = Json::parse(kManifest);
  m["spec"]["pytorchReplicaSpecs"].erase("Worker");
  m["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["resources"]
   ["limits"]["nvidia.com/mig-3g.40gb"] = 1;
  EXPECT_THAT(ParseJobSpec(m).status().message(), HasSubstr("either gpus or one MIG slice"));
  m["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["resources"]
   ["limits"] = {{"nvidia.com/mig-9g.90gb", 1}};
  EXPECT_THAT(ParseJobSpec(m).status().message(), HasSubstr("unknown MIG profile"));

  m = Json::parse(kManifest);
  m["metadata"].erase("name");
  EXPECT_THAT(ParseJobSpec(m).status().message(), HasSubstr("metadata.name"));
}

}  // namespace
}  // namespace plinth::jobs
